"""Neighbourhood policing planner: the Streamlit app (routes only).

Run with ``streamlit run app.py``. The sidebar (scenario controls) and the
solve happen here for every page; the pages in ``app_pages/`` only draw.
Set ``PLANNER_DATA_DIR`` to the real data folder to plan on London's wards.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app_pages import auth, sidebar, state  # noqa: E402

PAGES = [
    st.Page("app_pages/map.py", title="Map", default=True),
    st.Page("app_pages/plan.py", title="Plan"),
    st.Page("app_pages/compare.py", title="Compare"),
    st.Page("app_pages/explain.py", title="Explain"),
    st.Page("app_pages/data.py", title="Data"),
    st.Page("app_pages/export.py", title="Export"),
]

page = st.navigation(PAGES, position="top")
# Pages have no Material icons and the favicon is an emoji (drawn locally): a Material favicon would make the
# browser fetch it from fonts.gstatic.com, and the app fetches nothing from outside.
st.set_page_config(page_title=f"{page.title} · Neighbourhood policing planner", page_icon="🚓", layout="wide")
auth.require_login()
st.html("<style>[data-testid='stMainBlockContainer']{padding-top:2.5rem}</style>")
choice = sidebar.render()
state.update(choice)
sidebar.status(choice)
page.run()
