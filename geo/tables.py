"""Reading the small CSV lookup tables that go with boundaries (borough to BCU, ward crosswalks)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from planner.errors import DataError


def read_text_csv(path: str | Path, required: Sequence[str]) -> pd.DataFrame:
    """Read a CSV as text (no NA guessing), requiring the given columns.

    Raises
    ------
    planner.errors.DataError
        For a missing, empty or unparsable file, or a missing column (naming the available ones).
    """
    source = str(path)
    if not Path(path).is_file():
        raise DataError("file not found; check the path (relative paths are relative to --data-dir)", source)
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError as exc:
        raise DataError("is empty; expected a CSV with a header row", source) from exc
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot be parsed as CSV ({exc})", source) from exc
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise DataError(
            f"column {' and '.join(map(repr, missing))} not found; available columns: "
            + ", ".join(map(str, table.columns)),
            source,
        )
    return table
