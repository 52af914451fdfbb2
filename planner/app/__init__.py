"""The planner app (Streamlit): one package with its pages, its logic and its entry.

``streamlit run app.py`` or ``planner app`` starts it; :mod:`planner.app.main`
runs one script pass: navigation over :data:`planner.app.routes.ROUTES`, the
sidebar and the solve, then the page. The pages (:mod:`planner.app.pages`) stay
thin: what they show is computed in plain functions the tests call directly.

* :mod:`planner.app.area` -- your area (all wards, a BCU or a borough) and its figures.
* :mod:`planner.app.layers` -- map layers: values, colours and legends with units.
* :mod:`planner.app.controls` -- scenario files, sidebar settings and the changes they make.
* :mod:`planner.app.metrics` -- comparison of solved plans, gains and losses, difference tables.
* :mod:`planner.app.wardinfo` -- why a ward got what it got.
* :mod:`planner.app.uploads` -- checking uploaded boundary and crime files.
* :mod:`planner.app.exports` -- Excel, CSV, GeoPackage and scenario YAML as bytes.
* :mod:`planner.app.state`, :mod:`planner.app.sidebar`, :mod:`planner.app.view`,
  :mod:`planner.app.auth` -- the Streamlit side: session and caching, controls, shared drawing, sign-in.
"""
