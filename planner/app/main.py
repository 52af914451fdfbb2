"""The app's entry: navigation over the routes, sign-in, the sidebar and the solve for every page.

``streamlit run app.py`` (the root ``app.py`` calls :func:`main`) or
``planner app`` starts it. The sidebar (scenario controls) and the solve
happen here for every page; the pages only draw.
"""

from __future__ import annotations

from planner.app import warmup

warmup.wait()  # ``planner app`` imports the modules below in a thread while the browser loads: wait for it first

import streamlit as st  # noqa: E402

from planner.app import auth, routes, sidebar, state  # noqa: E402

PAGE_CSS = "<style>[data-testid='stMainBlockContainer']{padding-top:2.5rem}</style>"


def main() -> None:
    """Run one script pass of the app."""
    page = st.navigation(routes.pages(), position="top")
    # Pages have no Material icons and the favicon is an emoji (drawn locally): a Material favicon would make the
    # browser fetch it from fonts.gstatic.com, and the app fetches nothing from outside.
    st.set_page_config(page_title=f"{page.title} · Neighbourhood policing planner", page_icon="🚓", layout="wide")
    auth.require_login()
    st.html(PAGE_CSS)
    choice = sidebar.render()
    state.update(choice)
    sidebar.status(choice)
    page.run()


if __name__ == "__main__":  # ``streamlit run planner/app/main.py`` (what ``planner app`` does)
    main()
