"""Neighbourhood policing planner: the Streamlit app.

Run with ``streamlit run app.py`` (or ``planner app``). Everything lives in
the :mod:`planner.app` package; this file only starts it. Set
``PLANNER_DATA_DIR`` to the real data folder to plan on London's wards.
"""

from planner.app.main import main

main()
