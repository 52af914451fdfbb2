"""The app's modules imported in a thread while the server starts, and the gate the first script pass waits at.

:func:`start` is called by :mod:`planner.app.serve` before Streamlit's server
starts; :func:`wait` is the first thing :mod:`planner.app.main` does, so the
script never imports a module the thread is still importing (two threads
importing modules that import each other could see one half-built). Without a
warm-up thread (``streamlit run app.py``, the tests) :func:`wait` returns at
once. This module imports nothing of the planner at its top, so the gate costs
nothing.
"""

from __future__ import annotations

import importlib
import threading

#: What the first page needs: the entry (every page and the engine under it) and the emoji table Streamlit
#: reads to check the page icon.
MODULES: tuple[str, ...] = ("planner.app.main", "streamlit.emojis")

_done = threading.Event()
_done.set()
_thread: threading.Thread | None = None
_error: list[BaseException] = []


def _run(modules: tuple[str, ...]) -> None:
    try:
        for name in modules:
            importlib.import_module(name)
    except BaseException as exc:  # the script imports again and shows the error itself
        _error.append(exc)
    finally:
        _done.set()


def start(modules: tuple[str, ...] = MODULES) -> threading.Thread:
    """Import ``modules`` in a daemon thread (once per process); return the thread."""
    global _thread
    if _thread is None:
        _done.clear()
        _thread = threading.Thread(target=_run, args=(modules,), name="planner-warm-up", daemon=True)
        _thread.start()
    return _thread


def wait(timeout: float = 120.0) -> bool:
    """Wait until the warm-up thread has finished (at once when none runs, or in that thread); True if finished."""
    if threading.current_thread() is _thread:  # the thread itself importing the entry
        return True
    return _done.wait(timeout)


def failed() -> BaseException | None:
    """The error the warm-up met, if any (the script pass meets it again and reports it as usual)."""
    return _error[0] if _error else None


def reset() -> None:
    """Forget a finished warm-up, as in a process that never started one (for tests: a process warms up once)."""
    global _thread
    wait()
    _thread = None
    _error.clear()
    _done.set()
