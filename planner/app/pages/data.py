"""Data page: what the plan is built on, the data folder, and uploads (boundaries, crime, scenario)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from planner.app import state, view
from planner.app.uploads import (
    BOUNDARY_TYPES,
    CRIME_TYPES,
    MAX_BOUNDARY_BYTES,
    MAX_CRIME_BYTES,
    MB,
    BoundaryColumns,
    check_boundaries,
    check_crime,
    check_match,
    uploaded_scenario,
)
from planner.errors import PlannerError
from planner.scenario import scenario_from_dict
from planner.scenario.yamlsafe import load_yaml_text
from planner.textsafe import markdown_text

ss = st.session_state


def render() -> None:  # noqa: C901
    """Draw the page."""
    s = state.session()
    LONDON_FILES = (
        "london_wards_2022_bng.gpkg",
        "borough_bcu.csv",
        "mps_ward_crime_2024_2026.csv",
        "harm_weights_cchi_subgroup.csv",
        "london_ward_population_census2021_derived.csv",
    )
    view.header("Data")

    # ------------------------------------------------------------------ what is used now
    inputs = s.current.inputs if s.current else s.inputs
    if inputs is not None:
        w = inputs.wards
        months = inputs.geography.crime.months
        top = st.columns(4)
        top[0].metric("Wards", f"{w.n_wards:,}")
        top[1].metric("Boroughs", f"{w.n_boroughs:,}")
        top[2].metric("BCUs", f"{len({b for b in w.borough_bcu if b}):,}")
        top[3].metric(
            "Crime months", f"{len(months)}", f"{months[0]}–{months[-1]}" if months else None, delta_color="off"
        )
        with st.expander("What the data readers noted", expanded=False):
            for note in w.notes:
                st.markdown(f"- {markdown_text(note)}")

    # ------------------------------------------------------------------ data folder
    def _use_folder() -> None:
        path = ss.d_folder.strip()
        if not path:
            s.data_dir = None
        elif Path(path).expanduser().is_dir():
            s.data_dir = str(Path(path).expanduser().resolve())
        else:
            ss.d_folder_error = f"{path} is not a folder on this machine"
            return
        ss.d_folder_error = None
        s.solved_key = None

    def _open(key: str) -> None:
        s.start = key
        s.solved_key = None

    st.markdown("#### Data folder")
    st.caption(
        "The embedded demo city needs no files. For real London, give the folder with the public data files "
        "(or start the app with `PLANNER_DATA_DIR=/path/to/data`)."
    )
    if "d_folder" not in ss:
        ss.d_folder = s.data_dir or ""
    c1, c2 = st.columns([4, 1], vertical_alignment="bottom")
    c1.text_input("Data folder", key="d_folder", placeholder="/path/to/shared/data")
    c2.button("Use this folder", on_click=_use_folder, width="stretch")
    if ss.get("d_folder_error"):
        st.error(markdown_text(ss.d_folder_error))
    if s.data_dir:
        present = {f: (Path(s.data_dir) / f).is_file() for f in LONDON_FILES}
        st.dataframe(
            [{"file": f, "found": "yes" if ok else "no"} for f, ok in present.items()],
            hide_index=True,
            width="content",
        )
        london = state.SCENARIO_DIR / "london-2022.yaml"
        if all(present.values()) and london.is_file() and s.start != str(london):
            st.button(
                "Plan on real London (london-2022.yaml)", on_click=_open, args=(str(london),), type="primary",
                icon=":material/location_city:",
            )  # fmt: skip

    # ------------------------------------------------------------------ uploads
    st.markdown("#### Upload your own wards and crime")
    st.caption(
        f"A ward boundary file (.{', .'.join(BOUNDARY_TYPES)}; a shapefile as .zip; up to "
        f"{MAX_BOUNDARY_BYTES // MB} MB) and an MPS-format ward crime CSV (MajorText, MinorText, WardName, WardCode, "
        f"LookUp_BoroughName, then one column per month YYYYMM; up to {MAX_CRIME_BYTES // MB} MB). Both are checked "
        "with the planner's own readers; the plan then uses plain offence counts for harm and no population."
    )
    u1, u2 = st.columns(2)
    bfile = u1.file_uploader(
        "Ward boundaries", type=list(BOUNDARY_TYPES), key="d_bounds", max_upload_size=MAX_BOUNDARY_BYTES // MB
    )
    cfile = u2.file_uploader("Crime CSV", type=list(CRIME_TYPES), key="d_crime", max_upload_size=MAX_CRIME_BYTES // MB)
    with st.expander("Columns of the boundary file"):
        k1, k2, k3, k4, k5 = st.columns(5)
        cols = BoundaryColumns(
            ward_code=k1.text_input("Ward code", "WD22CD", key="d_wc"),
            ward_name=k2.text_input("Ward name", "WD22NM", key="d_wn"),
            borough_code=k3.text_input("Borough code", "LAD22CD", key="d_bc"),
            borough_name=k4.text_input("Borough name", "LAD22NM", key="d_bn"),
            layer=k5.text_input("Layer (GeoPackage)", "", key="d_layer") or None,
        )
    bcu_table = None
    has_bcu = bool(s.data_dir) and (Path(str(s.data_dir)) / "borough_bcu.csv").is_file()
    if has_bcu and st.checkbox("Label BCUs with borough_bcu.csv from the data folder", value=True, key="d_use_bcu"):
        bcu_table = str(Path(str(s.data_dir)) / "borough_bcu.csv")
    pressed = st.button("Check the files", disabled=bfile is None or cfile is None, key="d_check")
    if pressed and bfile is not None and cfile is not None:
        folder = Path(s.workdir) / "uploads"
        ss.d_result = (
            check_boundaries(bfile.name, bfile.getvalue(), folder, cols, bcu_table),
            check_crime(cfile.name, cfile.getvalue(), folder),
        )
    result = ss.get("d_result")
    if result is not None:
        b, cr = result
        for check, what in ((b, "Boundaries"), (cr, "Crime")):
            if check.ok:
                st.success(f"**{what}:** {markdown_text(check.summary)}")
                for note in check.notes:
                    st.caption(markdown_text(note))
            else:
                st.error(f"**{what}: not usable.**\n\n" + "\n".join(f"- {markdown_text(p)}" for p in check.problems))
        if b.ok and cr.ok:
            problems, notes = check_match(b, cr)
            for p in problems:
                st.error(markdown_text(p))
            for n in notes:
                st.caption(markdown_text(n))
            if not problems and s.current is not None:
                try:
                    sc = uploaded_scenario(
                        s.current.scenario, b, cr, cols, bcu_table, base_wards=s.current.plan.wards.n_wards
                    )
                except (PlannerError, ValueError) as exc:
                    st.error(markdown_text(exc))
                else:
                    s.extra["uploaded"] = (sc, None)
                    st.button(
                        "Plan on the uploaded data", on_click=_open, args=("session:uploaded",), type="primary",
                        icon=":material/upload:",
                    )  # fmt: skip

    # ------------------------------------------------------------------ scenario file
    st.markdown("#### Open a scenario file")
    yfile = st.file_uploader("Scenario (YAML)", type=["yaml", "yml"], key="d_yaml", max_upload_size=1)
    if yfile is not None:
        data = yfile.getvalue()
        try:
            if len(data) > MB:
                raise PlannerError(f"{yfile.name}: over the 1 MB limit for scenario files")
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError:
                raise PlannerError(f"{yfile.name}: not a UTF-8 text file") from None
            sc = scenario_from_dict(load_yaml_text(text, yfile.name), source=yfile.name)
        except PlannerError as exc:
            st.error(markdown_text(exc))
        else:
            s.extra[sc.name] = (sc, str(state.SCENARIO_DIR))
            st.success(f"Scenario {markdown_text(repr(sc.name))} read; it is now in the sidebar's list.")
            st.button("Plan it now", on_click=_open, args=(f"session:{sc.name}",), key="d_open_yaml")
