"""Geography at the edge: boundaries, projection, adjacency, crosswalks.

Only this package (and the Streamlit app) imports geopandas. It turns
GeoDataFrames into the plain arrays and graphs the planner core works on.

Public API
----------
- :func:`to_bng` (:mod:`geo.projection`): require a CRS, reproject to EPSG:27700.
- :func:`read_wards`, :class:`WardLayer`, :func:`read_borough_bcu`
  (:mod:`geo.boundaries`): checked, repaired, labelled ward polygons.
- :func:`queen_edges`, :func:`islands`, :func:`components`, :func:`split_groups`,
  :func:`ward_arrays` (:mod:`geo.adjacency`): adjacency and measurements in BNG.
- :func:`area_crosswalk`, :func:`lookup_crosswalk`, :func:`reweight_crosswalk`,
  :func:`apportion` (:mod:`geo.crosswalk`): move per-ward figures between ward vintages.
- :func:`synthetic_city`, :class:`SyntheticCity` (:mod:`geo.synthetic`): the
  deterministic London-scale synthetic city (the embedded default data).
- :func:`write_layers`, :func:`plan_layer`, :func:`dissolve_groups`,
  :func:`to_wgs84_geojson` (:mod:`geo.export`): GeoPackage and web-map output.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from geo.adjacency import components, islands, queen_edges, split_groups, ward_arrays
    from geo.boundaries import WardLayer, read_borough_bcu, read_wards
    from geo.crosswalk import apportion, area_crosswalk, lookup_crosswalk, reweight_crosswalk
    from geo.export import dissolve_groups, plan_layer, to_wgs84_geojson, write_layers
    from geo.projection import BNG, WGS84, to_bng
    from geo.synthetic import SyntheticCity, synthetic_city

#: Public name -> the module it lives in; imported on first use, so ``import geo.export`` does not also load
#: the synthetic city's generator (scipy.optimize).
_LAZY: dict[str, str] = {
    **dict.fromkeys(("components", "islands", "queen_edges", "split_groups", "ward_arrays"), "geo.adjacency"),
    **dict.fromkeys(("WardLayer", "read_borough_bcu", "read_wards"), "geo.boundaries"),
    **dict.fromkeys(("apportion", "area_crosswalk", "lookup_crosswalk", "reweight_crosswalk"), "geo.crosswalk"),
    **dict.fromkeys(("dissolve_groups", "plan_layer", "to_wgs84_geojson", "write_layers"), "geo.export"),
    **dict.fromkeys(("BNG", "WGS84", "to_bng"), "geo.projection"),
    **dict.fromkeys(("SyntheticCity", "synthetic_city"), "geo.synthetic"),
}

__all__ = [
    "BNG",
    "WGS84",
    "SyntheticCity",
    "WardLayer",
    "apportion",
    "area_crosswalk",
    "components",
    "dissolve_groups",
    "islands",
    "lookup_crosswalk",
    "plan_layer",
    "queen_edges",
    "read_borough_bcu",
    "read_wards",
    "reweight_crosswalk",
    "split_groups",
    "synthetic_city",
    "to_bng",
    "to_wgs84_geojson",
    "ward_arrays",
    "write_layers",
]


def __getattr__(name: str) -> Any:
    """Import a public name on first use."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'geo' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
