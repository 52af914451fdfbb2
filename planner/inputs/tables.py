"""Reading larger CSV files quickly, still with the line of every record for messages.

:func:`planner.inputs.crime.read_csv_table` reads a file record by record in
Python, which is exact but takes about a second for the Census ethnicity file
(25,000 rows). :func:`read_csv_fast` parses only the columns asked for with
pandas' C reader and gives each record its line whenever that is certain: the
file has exactly one line per record (no quoted line breaks) and no record is
short of fields (its last cell is never empty). Otherwise, or if the C reader
fails, it falls back to :func:`read_csv_table`. Either way the result is a
:class:`~planner.inputs.crime.CsvTable` of stripped text cells with the
file's whole header, blank lines left out.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from planner.errors import DataError
from planner.inputs.crime import CsvTable, read_csv_table, require_columns

_OPTIONS = {"keep_default_na": False, "na_filter": False, "encoding": "utf-8-sig", "engine": "c"}


def read_csv_fast(
    path: str | Path, what: str, columns: Sequence[str], setting: str, numeric: Sequence[str] = ()
) -> CsvTable:
    """Read the ``columns`` of a CSV with line numbers (header = line 1).

    Parameters
    ----------
    path : str or Path
    what : str
        What the file is, for messages ("ethnicity file").
    columns : Sequence[str]
        The columns needed (exact names after stripping spaces).
    setting : str
        The scenario setting that names them, for the message when one is missing.
    numeric : Sequence[str]
        Columns to parse as numbers straight away when every cell is one (then
        they are float columns); otherwise they stay text for the caller to
        check and report.

    Returns
    -------
    CsvTable
        ``frame`` holds just ``columns`` (text cells, or floats for ``numeric``
        columns that parsed cleanly); ``header`` is the file's whole header.

    Raises
    ------
    DataError
        As :func:`planner.inputs.crime.read_csv_table`, and a missing column
        or no data rows (:func:`planner.inputs.crime.require_columns`).
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{what} not found: check the path and the --data-dir folder", source=str(path))
    raw = path.read_bytes()
    table = _fast(path, raw, list(columns), set(numeric))
    if table is None:
        full = read_csv_table(path, what)
        require_columns(full, columns, setting)
        return CsvTable(full.header, full.frame[list(columns)], full.lines, full.source)
    require_columns(table, columns, setting)
    return table


def _fast(path: Path, raw: bytes, columns: list[str], numeric: set[str]) -> CsvTable | None:
    """The C reader's table, or None when line numbers would not be certain."""
    try:
        first = raw[: raw.find(b"\n") if b"\n" in raw else len(raw)].decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    raw_names = next(csv.reader([first.rstrip("\r")]), [])
    header = [c.strip() for c in raw_names]
    if len(set(header)) != len(header) or "" in header or first.count('"') % 2:
        return None  # repeated names or a blank header line: the exact reader explains
    if any(c not in header for c in columns):
        return CsvTable(tuple(header), pd.DataFrame(columns=header), np.zeros(0, dtype=np.int64), str(path))
    wanted = sorted({header.index(c) for c in columns} | {len(header) - 1})
    kinds = {raw_names[k]: (float if header[k] in numeric else str) for k in wanted}
    frame = None
    for dtype in (kinds, str):  # numbers first; any cell that is not a number: all as text
        try:
            frame = pd.read_csv(path, dtype=dtype, usecols=wanted, skip_blank_lines=False, **_OPTIONS)  # type: ignore[call-overload]
            break
        except (UnicodeDecodeError, pd.errors.ParserError):
            return None
        except ValueError:
            continue
    if frame is None:
        return None
    text_lines = raw.count(b"\n") + (0 if raw.endswith(b"\n") else 1)
    if text_lines != len(frame) + 1:
        return None  # a quoted line break: count lines record by record
    frame.columns = [header[k] for k in wanted]
    text = [c for c in frame.columns if not pd.api.types.is_float_dtype(frame[c])]
    for c in text:
        frame[c] = frame[c].str.strip()
    lines = np.arange(2, len(frame) + 2, dtype=np.int64)
    empty = frame[text] == "" if text else pd.DataFrame(index=frame.index)
    blank = empty.all(axis=1).to_numpy() & (len(text) == len(frame.columns))
    if header[-1] in text and bool((empty[header[-1]].to_numpy() & ~blank).any()):
        return None  # a record may be short of fields: the exact reader names it
    if blank.any():
        frame = frame.loc[~blank].reset_index(drop=True)
        lines = lines[~blank]
    return CsvTable(tuple(header), frame[list(dict.fromkeys(columns))], lines, str(path))
