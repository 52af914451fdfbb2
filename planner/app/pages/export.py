"""Export page: the plan as Excel (units in every header), CSV, GeoPackage, the scenario as YAML, or all in a zip.

Every file is made when the page is drawn (once per plan, kept in the session), so a file that cannot be made
is named with the reason on the page and its button is disabled: a download never fails without a word.
"""

from __future__ import annotations

import streamlit as st

from planner.app import state, view
from planner.app.exports import (
    Prepared,
    borough_csv_bytes,
    bundle_zip_bytes,
    file_stem,
    gpkg_bytes,
    prepare,
    scenario_yaml_bytes,
    ward_csv_bytes,
    xlsx_bytes,
)
from planner.report.plain import money, status_words

ss = st.session_state
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _files(entry: state.Entry) -> dict[str, Prepared]:
    """The downloads of a plan, made once and kept (keyed by the plan's input hash)."""
    plan, layer = entry.plan, entry.inputs.layer
    cache: dict[str, dict[str, Prepared]] = ss.setdefault("x_files", {})
    key = plan.input_hash
    if key not in cache:
        ctx = state.context(plan.scenario, entry.inputs)
        stem = file_stem(entry.label)
        xlsx = prepare(f"{stem}.xlsx", lambda: xlsx_bytes(plan, ctx.months, ctx.harm_unit))
        cache[key] = {
            "xlsx": xlsx,
            "wards": prepare(f"{stem}-allocation.csv", lambda: ward_csv_bytes(plan)),
            "boroughs": prepare(f"{stem}-boroughs.csv", lambda: borough_csv_bytes(plan)),
            "gpkg": prepare(f"{stem}-allocation.gpkg", lambda: gpkg_bytes(plan, layer)),
            "yaml": prepare(f"{stem}.yaml", lambda: scenario_yaml_bytes(plan.scenario)),
            "zip": prepare(f"{stem}.zip", lambda: bundle_zip_bytes(plan, layer, xlsx.data)),
        }
        while len(cache) > 8:
            cache.pop(next(iter(cache)))
    return cache[key]


def _button(item: Prepared, label: str, mime: str, icon: str, primary: bool = False) -> None:
    if item.error is not None:
        st.error(item.error, icon=":material/error:")
    st.download_button(
        label, data=item.data or b"", file_name=item.name, mime=mime, icon=icon, width="stretch",
        disabled=item.data is None, type="primary" if primary else "secondary",
    )  # fmt: skip


def render() -> None:
    """Draw the page."""
    s = state.session()
    view.header("Export", "The plan as files to send on: Excel, CSV, a GIS map layer, the scenario, or all at once.")
    plans = state.entries()
    if not plans:
        view.failure_box(s.failure)
        st.info("No solved plan yet.")
        st.stop()
    name = st.selectbox("Plan", list(plans), key="x_plan")
    entry = plans[name]
    plan = entry.plan
    st.caption(
        f"{status_words(plan.status)} · {plan.totals['constable']:,} constables, {plan.totals['pcso']:,} PCSOs · "
        f"{money(plan.cost_annual)} a year · input hash {plan.input_hash[:12]}… · every ward and borough of the plan"
    )
    with st.spinner("Making the files…"):
        files = _files(entry)
    c1, c2 = st.columns(2)
    with c1:
        _button(files["xlsx"], "Plan (Excel: summary, boroughs, wards, with units)", XLSX, ":material/table_view:")
        _button(files["wards"], "Ward allocation (CSV)", "text/csv", ":material/table:")
        _button(files["boroughs"], "Borough totals (CSV)", "text/csv", ":material/table:")
    with c2:
        _button(files["gpkg"], "Ward map (GeoPackage, for QGIS / ArcGIS)", "application/geopackage+sqlite3",
                ":material/map:")  # fmt: skip
        _button(files["yaml"], "Scenario (YAML, re-run with `planner solve`)", "application/x-yaml",
                ":material/description:")  # fmt: skip
        _button(files["zip"], "Everything (zip)", "application/zip", ":material/folder_zip:", primary=True)
    st.markdown(
        "The Excel file has a Summary, a Boroughs and a Wards sheet; every column says its unit (people, £ a year, "
        "offences a year). The CSV and GeoPackage files are those `planner solve SCENARIO --out DIR` writes: "
        "`allocation.csv` (one row per ward; its `demand` and `harm` are totals over the crime window, not a "
        "year), `boroughs.csv` (`cost` in £ a year), `summary.json` (status, gap, totals, cost, every rule "
        "checked, input hash) and `allocation.gpkg` (ward polygons in British National Grid with the plan's "
        "columns). The scenario YAML reproduces the plan: `planner solve scenario.yaml --data-dir DATA`."
    )
    if plan.scenario.data.current and "planner-app-" in (plan.scenario.data.current.path or ""):
        st.caption(
            "This scenario limits change against a current deployment the app wrote to a temporary file; send the "
            "reference plan's allocation.csv with it and point data.current at that file."
        )
    with st.expander("Scenario YAML"):
        st.code(plan.scenario.to_yaml(), language="yaml")
