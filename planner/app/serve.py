"""Start the app server with the planner already loading while the browser loads Streamlit's page.

``planner app`` runs ``python -m planner.app.serve run ENTRY FLAGS...``: this
module starts, once the server listens, one thread that imports the app (every page and the engine under
it, about a second and a half of Python imports) and then hands the process to
Streamlit's own command line, unchanged. The browser spends that time fetching
and starting Streamlit's front end, so the first page's script finds the
planner imported instead of importing it then. The app's first script pass
waits for the thread (:func:`planner.app.warmup.wait`), so the two threads
never import the same modules at once. ``streamlit run app.py`` skips all this
and works the same, a little slower to its first page.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from planner.app import warmup


def _start_when_listening() -> None:
    """Start the warm-up once the server listens (before, it would slow the server's own start down)."""
    from streamlit.web import bootstrap

    on_start = getattr(bootstrap, "_on_server_start", None)
    if on_start is None:  # another Streamlit: warm up at once, the server starts a little later
        warmup.start()
        return

    def started(server: Any) -> None:
        warmup.start()
        on_start(server)

    bootstrap._on_server_start = started  # noqa: SLF001 - Streamlit has no public hook for 'server started'


def main(argv: Sequence[str] | None = None) -> None:
    """Run Streamlit's command line with ``argv`` (default: this process's), the planner warming up meanwhile."""
    args = list(sys.argv[1:] if argv is None else argv)
    _start_when_listening()
    from streamlit.web import cli

    sys.argv = ["streamlit", *args]
    cli.main(prog_name="streamlit")


if __name__ == "__main__":
    main()
