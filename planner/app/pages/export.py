"""Export page: the plan as CSV and GeoPackage, the scenario as YAML, or everything in one zip."""

from __future__ import annotations

import streamlit as st

from planner.app import state, view
from planner.app.exports import (
    borough_csv_bytes,
    bundle_zip_bytes,
    file_stem,
    gpkg_bytes,
    scenario_yaml_bytes,
    ward_csv_bytes,
)


def render() -> None:
    """Draw the page."""
    s = state.session()
    view.header("Export")
    plans = state.entries()
    if not plans:
        view.failure_box(s.failure)
        st.info("No solved plan yet.")
        st.stop()
    name = st.selectbox("Plan", list(plans), key="x_plan")
    entry = plans[name]
    plan, layer = entry.plan, entry.inputs.layer
    stem = file_stem(entry.label)
    st.caption(
        f"{plan.status.value} · {plan.totals['constable']:,} constables, {plan.totals['pcso']:,} PCSOs · "
        f"£{plan.cost_annual / 1e6:,.1f}m a year · input hash {plan.input_hash[:12]}…"
    )
    c1, c2 = st.columns(2)
    with c1:
        st.download_button(
            "Ward allocation (CSV)", data=lambda: ward_csv_bytes(plan), file_name=f"{stem}-allocation.csv",
            mime="text/csv", icon=":material/table:", width="stretch",
        )  # fmt: skip
        st.download_button(
            "Borough totals (CSV)", data=lambda: borough_csv_bytes(plan), file_name=f"{stem}-boroughs.csv",
            mime="text/csv", icon=":material/table:", width="stretch",
        )  # fmt: skip
        st.download_button(
            "Ward map (GeoPackage, for QGIS / ArcGIS)", data=lambda: gpkg_bytes(plan, layer),
            file_name=f"{stem}-allocation.gpkg", mime="application/geopackage+sqlite3", icon=":material/map:",
            width="stretch",
        )  # fmt: skip
    with c2:
        st.download_button(
            "Scenario (YAML, re-run with `planner solve`)", data=lambda: scenario_yaml_bytes(plan.scenario),
            file_name=f"{stem}.yaml", mime="application/x-yaml", icon=":material/description:",
            width="stretch",
        )  # fmt: skip
        st.download_button(
            "Everything (zip)", data=lambda: bundle_zip_bytes(plan, layer), file_name=f"{stem}.zip",
            mime="application/zip", icon=":material/folder_zip:", width="stretch", type="primary",
        )  # fmt: skip
    st.markdown(
        "The files are the same as `planner solve SCENARIO --out DIR` writes: `allocation.csv` (one row per ward), "
        "`boroughs.csv`, `summary.json` (status, gap, totals, cost, every rule checked, input hash) and "
        "`allocation.gpkg` (ward polygons in British National Grid with the plan's columns). The scenario YAML "
        "reproduces the plan: `planner solve scenario.yaml --data-dir DATA`."
    )
    if plan.scenario.rules.stability.baseline and "planner-app-" in plan.scenario.rules.stability.baseline:
        st.caption(
            "This scenario limits change against a baseline the app wrote to a temporary file; send the "
            "reference plan's allocation.csv with it and point rules.stability.baseline at that file."
        )
    with st.expander("Scenario YAML"):
        st.code(plan.scenario.to_yaml(), language="yaml")
