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

from geo.adjacency import components, islands, queen_edges, split_groups, ward_arrays
from geo.boundaries import WardLayer, read_borough_bcu, read_wards
from geo.crosswalk import apportion, area_crosswalk, lookup_crosswalk, reweight_crosswalk
from geo.export import dissolve_groups, plan_layer, to_wgs84_geojson, write_layers
from geo.projection import BNG, WGS84, to_bng
from geo.synthetic import SyntheticCity, synthetic_city

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
