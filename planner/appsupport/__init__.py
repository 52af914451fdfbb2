"""Logic behind the planner app, without Streamlit.

The Streamlit pages (``app.py``, ``app_pages/``) stay thin: everything they
show is computed here, in plain functions that the tests call directly.

* :mod:`planner.appsupport.layers` -- map layers: values, colours and legends with units.
* :mod:`planner.appsupport.controls` -- scenario files, sidebar settings and the changes they make.
* :mod:`planner.appsupport.metrics` -- comparison of solved plans and difference tables.
* :mod:`planner.appsupport.wardinfo` -- why a ward got what it got.
* :mod:`planner.appsupport.uploads` -- checking uploaded boundary and crime files.
* :mod:`planner.appsupport.exports` -- plan CSV, GeoPackage and scenario YAML as bytes.
"""
