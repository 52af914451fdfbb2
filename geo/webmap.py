"""Ward maps for the browser: light GeoJSON, borough and BCU outlines, views, canvas outlines and a pydeck map.

The heavy part (simplifying and reprojecting ~700 polygons) is done once per
data set by :func:`base_map`. The app's map draws :func:`canvas_geometry`
(the same outlines as compact text for a 2D canvas); with a street basemap it
uses :func:`ward_map`, where each redraw only swaps the per-ward colours and
tooltips into the features. The map has no basemap by
default, so nothing is fetched from a tile server: the ward, borough and BCU
outlines are the map.

Tooltips are HTML templates filled in the browser with each ward's
properties, which come from data files (ward and borough names). Streamlit
1.60 and later HTML-escape those values (the project's floor); on an older
Streamlit the values are escaped here instead, and a template may place
``{field}`` only in element content, never inside a tag or attribute, where
escaping would not be enough (:func:`check_tooltip_template`).
"""

from __future__ import annotations

import hashlib
import html
import importlib.metadata
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pydeck as pdk
from pydeck.bindings.json_tools import default_serialize

from geo.export import dissolve_groups, to_wgs84_geojson
from geo.projection import WGS84

Bounds = tuple[float, float, float, float]
"""(west, south, east, north) in degrees."""

ALL = "All wards"


class CompactDeck(pdk.Deck):
    """A pydeck Deck whose JSON has no indentation (a third smaller to send to the browser)."""

    def to_json(self) -> str:
        """The deck as compact JSON (no indentation, no spaces after separators)."""
        return json.dumps(self, default=default_serialize, separators=(",", ":"))


@dataclass(frozen=True, eq=False)
class BaseMap:
    """What every redraw of a data set's map reuses.

    Attributes
    ----------
    wards : dict
        GeoJSON FeatureCollection (EPSG:4326) of the wards, in layer order,
        properties ``ward_code, ward_name, borough_name, bcu``.
    boroughs, bcus : dict
        Dissolved outlines (``name`` property); ``bcus`` has no features when
        the wards carry no BCU.
    bounds : dict of str -> Bounds
        Extent of all wards (key :data:`ALL`), of each borough and each BCU.
    labels : pandas.DataFrame
        ``name, lon, lat`` of a point inside each borough (for its label).
    """

    wards: dict[str, Any]
    boroughs: dict[str, Any]
    bcus: dict[str, Any]
    bounds: dict[str, Bounds]
    labels: pd.DataFrame


def _bounds_by(lonlat: gpd.GeoDataFrame, column: str) -> dict[str, Bounds]:
    out: dict[str, Bounds] = {}
    for name, rows in lonlat.groupby(column, sort=True):
        if str(name) == "":
            continue
        w, s, e, n = rows.total_bounds
        out[str(name)] = (float(w), float(s), float(e), float(n))
    return out


def _outlines(layer: gpd.GeoDataFrame, column: str, tolerance_m: float) -> dict[str, Any]:
    if (layer[column].astype(str) == "").any():
        return {"type": "FeatureCollection", "features": []}
    groups = dissolve_groups(layer, layer.set_index("ward_code")[column].astype(str), name="name")
    return to_wgs84_geojson(groups, ["name"], tolerance_m=tolerance_m, precision=5)


def base_map(layer: gpd.GeoDataFrame, *, tolerance_m: float = 20.0) -> BaseMap:
    """Build the reusable parts of a ward map from a ward layer (EPSG:27700).

    Parameters
    ----------
    layer : geopandas.GeoDataFrame
        ``ward_code, ward_name, borough_code, borough_name, bcu, geometry`` (as
        :attr:`planner.inputs.loader.Inputs.layer`).
    tolerance_m : float
        Simplification of the ward polygons, metres (outlines use 2.5 times this).
    """
    wards = to_wgs84_geojson(
        layer, ["ward_code", "ward_name", "borough_name", "bcu"], tolerance_m=tolerance_m, precision=5
    )
    lonlat = layer[["borough_name", "bcu", "geometry"]].to_crs(WGS84)
    bounds = {ALL: tuple(float(v) for v in lonlat.total_bounds)}
    bounds.update(_bounds_by(lonlat, "bcu"))
    bounds.update(_bounds_by(lonlat, "borough_name"))
    boroughs = dissolve_groups(layer, layer.set_index("ward_code")["borough_name"].astype(str), name="name")
    points = boroughs.geometry.representative_point().to_crs(WGS84)
    labels = pd.DataFrame({"name": boroughs["name"].to_numpy(), "lon": points.x.to_numpy(), "lat": points.y.to_numpy()})
    return BaseMap(
        wards=wards,
        boroughs=to_wgs84_geojson(boroughs, ["name"], tolerance_m=2.5 * tolerance_m, precision=5),
        bcus=_outlines(layer, "bcu", 2.5 * tolerance_m),
        bounds=bounds,  # type: ignore[arg-type]
        labels=labels,
    )


def view_for(bounds: Bounds, width_px: int = 900, height_px: int = 600, padding: float = 0.08) -> dict[str, float]:
    """Centre and zoom (deck.gl's 512-pixel world at zoom 0) that fit ``bounds`` in a map of that size."""
    west, south, east, north = bounds

    def merc(lat: float) -> float:
        lat = max(min(lat, 85.0), -85.0)
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    fx = max(east - west, 1e-6) / 360.0
    fy = max(merc(north) - merc(south), 1e-6) / (2 * math.pi)
    usable = 1.0 - 2 * padding
    zoom = math.log2(min(width_px * usable / (512 * fx), height_px * usable / (512 * fy)))
    mid_y = (merc(north) + merc(south)) / 2
    lat = math.degrees(2 * math.atan(math.exp(mid_y)) - math.pi / 2)
    return {"latitude": lat, "longitude": (west + east) / 2, "zoom": max(0.0, min(zoom, 16.0))}


STREAMLIT_ESCAPES_FROM = (1, 60)
"""First Streamlit release that HTML-escapes values interpolated into pydeck tooltips."""

_IN_TAG = re.compile(r"<[^>]*\{[^}]*\}[^>]*>")


def streamlit_escapes_tooltips() -> bool:
    """Whether the installed Streamlit HTML-escapes the values it puts into a pydeck tooltip."""
    try:
        version = importlib.metadata.version("streamlit")
    except importlib.metadata.PackageNotFoundError:
        return False
    parts = tuple(int(p) for p in re.findall(r"\d+", version)[:2])
    return parts >= STREAMLIT_ESCAPES_FROM


def check_tooltip_template(template: str) -> str:
    """Return ``template`` if every ``{field}`` sits in element content; raise ValueError otherwise.

    Escaping protects text between tags; a value inside a tag (an attribute,
    a URL, a style) could still break out, so templates must not do that.
    """
    if _IN_TAG.search(template):
        raise ValueError(f"tooltip template puts a {{field}} inside a tag: {template!r}")
    return template


def _escaped(props: dict[str, Any]) -> dict[str, Any]:
    return {k: html.escape(v, quote=True) if isinstance(v, str) else v for k, v in props.items()}


def _with_properties(
    base: dict[str, Any], extra: Sequence[dict[str, Any]], keep: np.ndarray | None, escape: bool = False
) -> dict[str, Any]:
    feats = base["features"]
    idx = range(len(feats)) if keep is None else [int(i) for i in np.flatnonzero(keep)]
    clean = _escaped if escape else dict
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": feats[i]["geometry"],
                "properties": clean({**feats[i]["properties"], **extra[i]}),
            }
            for i in idx
        ],
    }


def ward_map(
    base: BaseMap,
    fill: np.ndarray,
    fields: Sequence[dict[str, str]],
    *,
    view: dict[str, float],
    selected: int | None = None,
    show_boroughs: bool = True,
    show_bcus: bool = True,
    show_labels: bool = False,
    basemap: bool = False,
    value_text: Sequence[str] | None = None,
    layer_label: str = "",
    tooltip_html: str = "<b>{ward_name}</b><br/>{value}",
) -> CompactDeck:
    """A pydeck map of the wards coloured by ``fill``, with outlines and a hover tooltip.

    Parameters
    ----------
    base : BaseMap
    fill : (W, 4) uint8
        RGBA per ward, in layer order.
    fields : sequence of dict
        Per ward, the text fields the hover ``tooltip_html`` template refers to.
    view : dict
        ``latitude, longitude, zoom`` (see :func:`view_for`).
    selected : int, optional
        Ward to outline as selected.
    show_boroughs, show_bcus, show_labels : bool
        Borough outlines, BCU outlines, borough names.
    basemap : bool
        Draw CARTO's light street basemap under the wards (fetches tiles from
        CARTO's servers); off by default.
    value_text : sequence of str, optional
        The layer's value per ward as text (tooltip ``{value}``).
    layer_label : str
        Name of the layer (tooltip ``{layer}``).
    tooltip_html : str
        Hover template; ``{name}`` is replaced by the ward's property ``name`` (HTML-escaped: by
        Streamlit from 1.60, here on older releases); placeholders only in element content.
    """
    check_tooltip_template(tooltip_html)
    escape = not streamlit_escapes_tooltips()
    n = len(base.wards["features"])
    texts = value_text if value_text is not None else [""] * n
    extra = [
        {**fields[i], "fill": [int(c) for c in fill[i]], "value": texts[i], "layer": layer_label} for i in range(n)
    ]
    layers = [
        pdk.Layer(
            "GeoJsonLayer",
            data=_with_properties(base.wards, extra, None, escape),
            id="wards",
            pickable=True,
            auto_highlight=True,
            highlight_color=[255, 255, 255, 90],
            filled=True,
            # No ward outlines: a stroked GeoJSON layer of several hundred polygons stops clicks from selecting
            # (deck.gl picks the outline sub-layer; Streamlit then sends no selection), and outlines double the
            # drawing work. Wards are told apart by their colours and the hover highlight; boroughs and BCUs
            # keep their outlines (separate, not pickable).
            stroked=False,
            get_fill_color="properties.fill",
        )
    ]
    if show_boroughs and base.boroughs["features"]:
        layers.append(_outline_layer("boroughs", base.boroughs, [60, 60, 60, 220], 1.2))
    if show_bcus and base.bcus["features"]:
        layers.append(_outline_layer("bcus", base.bcus, [20, 20, 20, 255], 3.0))
    if selected is not None and 0 <= selected < n:
        keep = np.zeros(n, dtype=bool)
        keep[selected] = True
        layers.append(
            pdk.Layer(
                "GeoJsonLayer",
                data=_with_properties(base.wards, extra, keep),
                id="selected",
                pickable=False,
                filled=False,
                stroked=True,
                get_line_color=[0, 200, 255, 255],
                line_width_min_pixels=4,
            )
        )
    if show_labels:
        layers.append(
            pdk.Layer(
                "TextLayer",
                data=base.labels.to_dict(orient="records"),
                id="labels",
                get_position=["lon", "lat"],
                get_text="name",
                get_size=12,
                get_color=[20, 20, 20, 230],
                outline_width=2,
                outline_color=[255, 255, 255, 230],
                font_settings={"sdf": True},
                pickable=False,
            )
        )
    tooltip = {
        "html": tooltip_html,
        "style": {"fontSize": "12px", "maxWidth": "340px", "backgroundColor": "#1f2430", "color": "white"},
    }
    # No basemap: map_provider=None and the default style sentinel tell Streamlit to fetch nothing.
    style: dict[str, Any] = {"map_provider": "carto", "map_style": "light"} if basemap else {"map_provider": None}
    return CompactDeck(
        layers=layers,
        initial_view_state=pdk.ViewState(pitch=0, bearing=0, **view),
        tooltip=tooltip,
        **style,
    )


def _outline_layer(layer_id: str, data: dict[str, Any], colour: list[int], width_px: float) -> pdk.Layer:
    return pdk.Layer(
        "GeoJsonLayer",
        data=data,
        id=layer_id,
        pickable=False,
        filled=False,
        stroked=True,
        get_line_color=colour,
        line_width_min_pixels=width_px,
        get_line_width=1,
    )


# --- the ward map drawn on a 2D canvas (no WebGL): geometry as compact text, sent with the colours -------------

CANVAS_UNITS = 100_000.0
"""Canvas map coordinates per degree of latitude (1e5: about 1.1 m, finer than the simplified outlines)."""


@dataclass(frozen=True)
class CanvasGeometry:
    """A base map's outlines as compact text for the canvas map (:mod:`planner.app.wardmap`).

    Coordinates are whole numbers in a local plane: ``x = (lon - lon0) * cos(lat_mid) * CANVAS_UNITS``,
    ``y = (lat - lat0) * CANVAS_UNITS`` (equal scale both ways at the middle latitude, as a web map looks
    there). A shape is its rings separated by ``;``; a ring is ``x,y`` of its first point then the
    differences to each next point, all comma-separated; shapes are separated by ``|``.

    Attributes
    ----------
    wards : str
        One shape per ward, in layer order.
    boroughs, bcus : str
        One shape per borough and per BCU (outlines; empty when there are none).
    labels : list of [str, int, int]
        Borough name and the point its label is drawn at.
    codes : list of str
        Ward codes, in layer order (what a click on a ward reports).
    lon0, lat0, kx : float
        The plane: origin and the cosine of the middle latitude.
    digest : str
        A short hash of the wards' text: the browser keeps parsed shapes under it.
    """

    wards: str
    boroughs: str
    bcus: str
    labels: list[tuple[str, int, int]]
    codes: list[str]
    lon0: float
    lat0: float
    kx: float
    digest: str

    def plane(self, bounds: Bounds) -> list[int]:
        """``[x0, y0, x1, y1]`` of ``bounds`` (degrees) in the canvas plane."""
        west, south, east, north = bounds
        x0, y0 = self._xy(west, south)
        x1, y1 = self._xy(east, north)
        return [x0, y0, x1, y1]

    def _xy(self, lon: float, lat: float) -> tuple[int, int]:
        return round((lon - self.lon0) * self.kx * CANVAS_UNITS), round((lat - self.lat0) * CANVAS_UNITS)


def _rings(geometry: dict[str, Any]) -> list[list[list[float]]]:
    kind = geometry.get("type")
    if kind == "Polygon":
        return list(geometry["coordinates"])
    if kind == "MultiPolygon":
        return [ring for poly in geometry["coordinates"] for ring in poly]
    if kind == "LineString":
        return [geometry["coordinates"]]
    if kind == "MultiLineString":
        return list(geometry["coordinates"])
    return []


def _shape_text(geometry: dict[str, Any] | None, lon0: float, lat0: float, kx: float) -> str:
    parts = []
    for ring in _rings(geometry or {}):
        xy = np.asarray(ring, dtype=float)[:, :2]
        if len(xy) < 2:
            continue
        q = np.rint(np.column_stack(((xy[:, 0] - lon0) * kx, xy[:, 1] - lat0)) * CANVAS_UNITS).astype(np.int64)
        q[1:] = np.diff(q, axis=0)
        parts.append(",".join(map(str, q.ravel().tolist())))
    return ";".join(parts)


def _collection_text(collection: dict[str, Any], lon0: float, lat0: float, kx: float) -> str:
    return "|".join(_shape_text(f.get("geometry"), lon0, lat0, kx) for f in collection["features"])


def canvas_geometry(base: BaseMap) -> CanvasGeometry:
    """The outlines of ``base`` as :class:`CanvasGeometry` (about 30 ms for London's 679 wards)."""
    west, south, _east, north = base.bounds[ALL]
    lon0, lat0 = float(west), float(south)
    kx = math.cos(math.radians((south + north) / 2))
    wards = _collection_text(base.wards, lon0, lat0, kx)
    lon = base.labels["lon"].to_numpy(dtype=float)
    lat = base.labels["lat"].to_numpy(dtype=float)
    xs = np.rint((lon - lon0) * kx * CANVAS_UNITS).astype(np.int64).tolist()
    ys = np.rint((lat - lat0) * CANVAS_UNITS).astype(np.int64).tolist()
    labels = [(str(n), x, y) for n, x, y in zip(base.labels["name"], xs, ys)]
    return CanvasGeometry(
        wards=wards,
        boroughs=_collection_text(base.boroughs, lon0, lat0, kx),
        bcus=_collection_text(base.bcus, lon0, lat0, kx),
        labels=labels,
        codes=[str(f["properties"].get("ward_code", "")) for f in base.wards["features"]],
        lon0=lon0,
        lat0=lat0,
        kx=kx,
        digest=hashlib.sha256(wards.encode()).hexdigest()[:16],
    )
