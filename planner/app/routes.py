"""The app's routes: which pages exist, in menu order, and how a page links to another.

A new page is one module in :mod:`planner.app.pages` with a ``render()``
function, plus one :class:`Route` line in :data:`ROUTES`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import streamlit as st

from planner.app.pages import compare, data, equity, explain, export, plan, priorities, today
from planner.app.pages import map as map_page


@dataclass(frozen=True)
class Route:
    """One page of the app.

    Attributes
    ----------
    path : str
        Its URL path (``/compare``); the default page is served at ``/`` too.
    title : str
        Its name in the top menu and the browser tab.
    render : callable
        Draws the page.
    default : bool
        The page the app opens on.
    """

    path: str
    title: str
    render: Callable[[], None]
    default: bool = False


ROUTES: tuple[Route, ...] = (
    Route("map", "Map", map_page.render, default=True),
    Route("plan", "Plan", plan.render),
    Route("compare", "Compare", compare.render),
    Route("today", "From today", today.render),
    Route("equity", "Equity", equity.render),
    Route("priorities", "Priorities", priorities.render),
    Route("explain", "Explain", explain.render),
    Route("data", "Data", data.render),
    Route("export", "Export", export.render),
)

_PAGES: dict[str, Any] = {}


def pages() -> list[Any]:
    """The ``st.Page`` of every route (made once per process; Streamlit keys pages by URL path)."""
    if not _PAGES:
        for r in ROUTES:
            _PAGES[r.path] = st.Page(r.render, title=r.title, url_path=r.path, default=r.default)
    return [_PAGES[r.path] for r in ROUTES]


def link(path: str, label: str, icon: str | None = None) -> None:
    """A link to the page at ``path`` (one of :data:`ROUTES`)."""
    pages()
    st.page_link(_PAGES[path], label=label, icon=icon)
