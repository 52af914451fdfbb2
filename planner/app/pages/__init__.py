"""The app's pages: one module per page, each with a ``render()`` that draws it.

Routes are in :mod:`planner.app.routes`.
"""
