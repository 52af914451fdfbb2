"""Logic behind the planner app, without Streamlit.

The Streamlit pages (``app.py``, ``app_pages/``) stay thin: everything they
show is computed here, in plain functions that the tests call directly.

* :mod:`planner.app.layers` -- map layers: values, colours and legends with units.
* :mod:`planner.app.controls` -- scenario files, sidebar settings and the changes they make.
* :mod:`planner.app.metrics` -- comparison of solved plans and difference tables.
* :mod:`planner.app.wardinfo` -- why a ward got what it got.
* :mod:`planner.app.uploads` -- checking uploaded boundary and crime files.
* :mod:`planner.app.exports` -- plan CSV, GeoPackage and scenario YAML as bytes.
"""
