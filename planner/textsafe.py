r"""Text that came from a file, made safe for where it goes: spreadsheets, terminals, HTML, Markdown.

Ward, borough and scenario names are data: they come from boundary files,
crime files and scenarios that anyone may hand the planner. This module is the
one place that neutralises them on the way out:

* **spreadsheet cells** (:func:`cell_text`, :func:`safe_frame`): a text cell
  that starts with ``= + - @``, a tab or a carriage return (or their
  full-width forms) is read as a formula by Excel, LibreOffice and Google
  Sheets (``=HYPERLINK(...)``, DDE payloads); such cells get a leading
  apostrophe in CSV files, the usual defence (OWASP, "CSV injection"), and are
  stored as typed text with Excel's quote prefix in XLSX workbooks
  (:func:`xlsx_text`), never as formulas;
* **terminals** (:func:`terminal_text`): control characters (escape sequences
  that recolour or rewrite the screen, carriage returns that overwrite a line,
  bidirectional overrides that reorder it) are shown as visible escapes such
  as ``\x1b``;
* **HTML** (:func:`html_text`) and **Markdown** (:func:`markdown_text`): markup
  characters are escaped so a name is shown, never interpreted (no tags,
  links, images or colour directives).

Numbers are never touched: only ``str`` values are rewritten.
"""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # numpy and pandas only where frames are made safe: the command line starts without them
    import numpy as np
    import pandas as pd

__all__ = [
    "FORMULA_START",
    "cell_text",
    "html_text",
    "is_formula_like",
    "markdown_text",
    "safe_frame",
    "terminal_text",
    "xlsx_text",
]

FORMULA_START: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
"""First characters that make a spreadsheet read a text cell as a formula (with their full-width forms)."""

# C0 controls except tab and newline, DEL, C1 controls, bidirectional embeddings, overrides and isolates,
# and the Unicode line and paragraph separators.
_TERMINAL_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
# Characters an XLSX file cannot hold at all (openpyxl refuses them): C0 controls except tab, newline, CR.
_XLSX_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~:$=])")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_text(text: object) -> str:
    r"""``text`` with every control character shown as a visible escape (``\x1b``, ``\u202e``).

    Tabs and newlines are kept: messages are laid out with them.

    Examples
    --------
    >>> terminal_text("Ward\x1b[2J one")
    'Ward\\x1b[2J one'
    """
    return _TERMINAL_UNSAFE.sub(_escape, str(text))


def is_formula_like(value: object) -> bool:
    """Whether a spreadsheet would read ``value`` (a ``str``) as a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_START)


def cell_text(value: Any) -> Any:
    r"""A CSV cell: text that a spreadsheet would run as a formula gets a leading apostrophe.

    Examples
    --------
    >>> cell_text('=HYPERLINK("http://x","y")')
    '\'=HYPERLINK("http://x","y")'
    >>> cell_text(-3.5)
    -3.5
    """
    return "'" + value if is_formula_like(value) else value


def xlsx_text(value: str) -> str:
    r"""Text an XLSX cell can hold: characters the format forbids shown as escapes (``\x01``)."""
    return _XLSX_ILLEGAL.sub(_escape, value)


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame whose text cells and column names cannot act as spreadsheet formulas.

    Only ``str`` values change (see :func:`cell_text`); numbers, missing
    values and the index are left as they are. ``frame`` itself is never
    changed; when nothing needs neutralising it is returned as it is (the
    check is vectorised: a streamed export calls this on every chunk).
    """
    out = frame
    for name in frame.columns:
        col = frame[name]
        textual = col.dtype == object or str(col.dtype) in ("string", "str")
        if textual and _formula_mask(col).any():
            if out is frame:
                out = frame.copy()
            out[name] = col.map(cell_text).astype(col.dtype)
    if any(is_formula_like(c) for c in out.columns):
        out = out.copy() if out is frame else out
        out.columns = [cell_text(c) for c in out.columns]
    return out


def _formula_mask(col: pd.Series) -> np.ndarray:
    """Which cells of a text column a spreadsheet would read as formulas."""
    import numpy as np

    try:
        return np.asarray(col.str.startswith(FORMULA_START, na=False), dtype=bool)
    except (AttributeError, TypeError):  # an object column holding no text at all
        return np.asarray(col.map(is_formula_like), dtype=bool)


def html_text(value: object) -> str:
    """``value`` as HTML text: ``& < > " '`` escaped, control characters shown as escapes."""
    return html.escape(terminal_text(value), quote=True)


def markdown_text(value: object) -> str:
    r"""``value`` as literal Markdown text: markup characters backslash-escaped, controls shown as escapes.

    Escapes what Streamlit's Markdown would otherwise interpret: emphasis,
    links and images (``[]()!``), HTML (``<>``), headings and lists
    (``# + - .``), tables (``|``), colour and icon directives (``:red[...]``),
    LaTeX (``$``) and code (````` `` `````).

    Examples
    --------
    >>> markdown_text("![x](http://example.org/p.png)")
    '\\!\\[x\\]\\(http\\://example\\.org/p\\.png\\)'
    """
    return _MARKDOWN_SPECIAL.sub(r"\\\1", terminal_text(value).replace("\n", " "))
