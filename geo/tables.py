"""Reading the small CSV lookup tables that go with boundaries (borough to BCU, ward crosswalks)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from planner.errors import DataError
from planner.files import read_bytes


def read_text_csv(path: str | Path, required: Sequence[str]) -> pd.DataFrame:
    """Read a CSV as text (no NA guessing), requiring the given columns.

    Raises
    ------
    planner.errors.DataError
        For a missing, empty or unparsable file, one that is not an ordinary file (a pipe, a device),
        or a missing column (naming the available ones).
    """
    source = str(path)
    data = read_bytes(
        Path(path), "file", missing="file not found; check the path (relative paths are relative to --data-dir)"
    )
    try:
        table = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)
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
