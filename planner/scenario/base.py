"""What every scenario block shares: strict, frozen pydantic models, bounded number types, the rank names.

Numbers in a scenario are finite and bounded: the solver multiplies,
divides and sums them, so an infinite, not-a-number or absurdly large value
would either crash it or give a meaningless plan. The annotated types below
carry the bounds, each documented with its unit, and every numeric field of
the schema uses one of them (or :data:`Number` / :data:`Integer` with explicit
bounds). They also refuse ``true``/``false`` and quoted numbers: YAML's
``true`` is not a span of 1, and ``"8"`` is text, not eight.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StrictBool

from planner.ranks import RANKS

__all__ = [
    "MAX_HEADCOUNT",
    "MAX_PAY",
    "MAX_POUNDS",
    "MAX_RATIO",
    "MAX_SECONDS",
    "MAX_SEED",
    "MAX_SPAN",
    "RANKS",
    "Count",
    "Flag",
    "Integer",
    "Money",
    "Name",
    "Note",
    "Number",
    "PathText",
    "Pay",
    "PositiveCount",
    "Rate",
    "Ratio",
    "Seconds",
    "Seed",
    "Span",
    "Strict",
    "Weight",
    "counts",
    "format_validation_error",
    "seconds_argument",
    "seed_argument",
]

MAX_HEADCOUNT = 1_000_000
"""People: the most any headcount, floor, cap or limit may be (the Met has about 34,000 officers)."""
MAX_PAY = 10_000_000.0
"""Pounds a year per person: the most any pay, allowance or per-head cost may be."""
MAX_POUNDS = 1e13
"""Pounds: the most any budget may be (ten trillion; national police spending is about 2e10 a year)."""
MAX_SPAN = 1_000.0
"""People per supervisor: the most a span of control may be."""
MAX_SECONDS = 1_000_000.0
"""Seconds: the most a time limit may be (about eleven days)."""
MAX_SEED = 2**31 - 1
"""The largest random seed (OR-Tools takes a 32-bit seed)."""
MAX_RATIO = 1_000.0
"""The most a dimensionless weight, ratio or scale may be."""


def _plain_number(value: Any) -> Any:
    """Refuse booleans, text and non-finite floats before pydantic's own number parsing."""
    kind = type(value)
    if isinstance(value, bool) or (kind.__module__ == "numpy" and kind.__name__.startswith("bool")):
        raise ValueError("expected a number, not true/false")
    if isinstance(value, str | bytes):
        raise ValueError("expected a number, not text (write it without quotes)")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("must be a finite number")
    if isinstance(value, int) and abs(value) > 10**18:
        raise ValueError("is far too large")
    return value


def counts(name: str, minimum: int = 0) -> Any:
    """A before-validator for "one count, or one per item": a whole number, or a list or mapping of them.

    Each must be a whole number from ``minimum`` to :data:`MAX_HEADCOUNT`; errors name the setting and
    the entry in plain words (a union of types would report one error per member, with code names).
    """

    def one(value: Any, where: str) -> int:
        got = f" (got {value!r})" if where else ""  # a single value is shown by the error formatter
        try:
            value = _plain_number(value)
        except ValueError as exc:
            raise ValueError(f"{name}{where}: {exc}{got}") from None
        if (isinstance(value, float) and not value.is_integer()) or not isinstance(value, int | float):
            raise ValueError(f"{name}{where} must be a whole number{got}")
        whole = int(value)
        if not minimum <= whole <= MAX_HEADCOUNT:
            raise ValueError(f"{name}{where} must be at least {minimum} and at most {MAX_HEADCOUNT:,}{got}")
        return whole

    def check(value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, Mapping):
            return {key: one(v, f" ({key})") for key, v in value.items()}
        if isinstance(value, list | tuple):
            return tuple(one(v, f" (entry {k + 1})") for k, v in enumerate(value))
        return one(value, "")

    return BeforeValidator(check)


def _argument(kind: Any, what: str) -> Any:
    from pydantic import TypeAdapter, ValidationError

    adapter = TypeAdapter(kind)

    def parse(text: str) -> Any:
        import argparse

        try:
            value = float(text) if kind is Seconds else int(text)
            return adapter.validate_python(value)
        except (ValueError, OverflowError, ValidationError):
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None

    parse.__name__ = what
    return parse


def _no_control_characters(value: str) -> str:
    if any(ord(c) < 32 or 127 <= ord(c) < 160 for c in value):
        raise ValueError("must not contain control characters (tabs, line breaks, escapes)")
    return value


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain a NUL character")
    return value


Number = Annotated[float, BeforeValidator(_plain_number), Field(allow_inf_nan=False)]
"""A finite float (not a boolean, not text); give bounds with ``Field(ge=..., le=...)``."""
Integer = Annotated[int, BeforeValidator(_plain_number)]
"""A whole number (not a boolean, not text); give bounds with ``Field(ge=..., le=...)``."""
Flag = StrictBool
"""true or false (not 1, not "yes")."""

Count = Annotated[int, BeforeValidator(_plain_number), Field(ge=0, le=MAX_HEADCOUNT)]
"""People: a headcount, floor, cap or limit, 0 to :data:`MAX_HEADCOUNT`."""
PositiveCount = Annotated[int, BeforeValidator(_plain_number), Field(ge=1, le=MAX_HEADCOUNT)]
"""People (or teams), 1 to :data:`MAX_HEADCOUNT`."""
Pay = Annotated[float, BeforeValidator(_plain_number), Field(ge=0, le=MAX_PAY, allow_inf_nan=False)]
"""Pounds a year per person, 0 to :data:`MAX_PAY`."""
Money = Annotated[float, BeforeValidator(_plain_number), Field(gt=0, le=MAX_POUNDS, allow_inf_nan=False)]
"""A budget in pounds, above 0 and at most :data:`MAX_POUNDS`."""
Rate = Annotated[float, BeforeValidator(_plain_number), Field(ge=0, le=1, allow_inf_nan=False)]
"""A share or rate, 0 to 1."""
Span = Annotated[float, BeforeValidator(_plain_number), Field(ge=1, le=MAX_SPAN, allow_inf_nan=False)]
"""A span of control (people per supervisor), 1 to :data:`MAX_SPAN`."""
Ratio = Annotated[float, BeforeValidator(_plain_number), Field(ge=0, le=MAX_RATIO, allow_inf_nan=False)]
"""A dimensionless weight or ratio, 0 to :data:`MAX_RATIO`."""
Weight = Ratio
Seconds = Annotated[float, BeforeValidator(_plain_number), Field(gt=0, le=MAX_SECONDS, allow_inf_nan=False)]
"""A time limit in seconds, above 0 and at most :data:`MAX_SECONDS`."""
Seed = Annotated[int, BeforeValidator(_plain_number), Field(ge=0, le=MAX_SEED)]
"""A random seed, 0 to :data:`MAX_SEED`."""
Name = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_no_control_characters)]
"""A name shown to people: 1 to 200 characters, no control characters."""
Note = Annotated[str, Field(max_length=500), AfterValidator(_no_control_characters)]
"""A short free text shown to people (a reason): at most 500 characters, no control characters."""
PathText = Annotated[str, Field(min_length=1, max_length=4096), AfterValidator(_no_nul)]
"""A file path as written in a scenario."""


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


seconds_argument = _argument(Seconds, f"a number of seconds above 0 and at most {MAX_SECONDS:,.0f}")
"""argparse type of ``--time-limit``: the same bounds as ``solver.time_limit``."""
seed_argument = _argument(Seed, f"a whole number from 0 to {MAX_SEED:,}")
"""argparse type of ``--seed``: the same bounds as ``solver.seed``."""
