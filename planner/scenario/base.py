"""What every scenario block shares: strict, frozen pydantic models and the rank names."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict

from planner.ranks import RANKS

__all__ = ["RANKS", "Strict", "format_validation_error"]


class Strict(BaseModel):
    """A scenario block: unknown keys are errors, values are frozen, defaults are validated too."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True, populate_by_name=True)


def format_validation_error(err: Mapping[str, Any], block: str | None = None) -> str:
    """One pydantic error as ``path.to.key: message (got value)``.

    ``block`` prefixes the path for blocks validated by their own schema (``teams``, ``finance``).
    """
    loc = ".".join(str(p) for p in err.get("loc", ()) if not str(p).startswith("function-"))
    if block is not None:
        loc = block + (f".{loc}" if loc else "")
    kind = err.get("type", "")
    if kind == "extra_forbidden":
        return f"{loc}: unknown key"
    if kind == "missing":
        return f"{loc}: required key is missing"
    msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
    got = err.get("input")
    shown = f" (got {got!r})" if not isinstance(got, dict | list | tuple) and got is not None else ""
    return f"{loc or '(top level)'}: {msg}{shown}"
