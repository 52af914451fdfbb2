"""A deterministic synthetic city at London scale: the planner's embedded default.

:func:`synthetic_city` builds, from one seed and in a fraction of a second, a
roughly round city of about 1,570 km² centred near E 530000 N 180000 (British
National Grid), with everything the real London inputs provide:

* **Wards**: a Voronoi tessellation of seeded points (denser towards the
  centre, like real wards, which are drawn to similar electorates), relaxed a
  little and clipped to the land.
* **A river** crosses the city from west to east like the Thames. Its tidal
  stretch (the eastern two thirds or so) is a band of water 220-650 m wide
  removed from the land, so wards on opposite banks there do not touch: there
  are no "bridge" edges. Upstream of the tidal limit the river is inside the
  ward polygons and wards across it meet, as above Teddington Lock in London;
  that is what keeps the city one connected piece.
* **Boroughs**: contiguous groups of similar ward counts, grown from spread
  seeds on the ward adjacency graph; **BCUs**: contiguous groups of boroughs,
  named by compass position like the Met's ("Central North BCU", ...).
* **Codes** in the ONS format but with an ``X`` prefix that no real code uses
  (wards ``X05000001``, boroughs ``X09000001``), alphabetical by name as ONS
  codes are; fictional, deterministic names.
* **Crime** in exactly the MPS ward-level file layout, **harm weights**,
  **population** (about 8.8 million at the default size) and the
  **borough -> BCU** table: see :mod:`geo.synthetic_crime`.

The ward count scales the area (about 2.3 km² per ward, as in London), so a
7,000-ward England-and-Wales-scale instance is a bigger city of the same
grain. Same seed, same city, byte for byte; the geometry, the grouping, the
names and the crime each draw from their own child of the seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import names as naming
from geo import synthetic_crime as sc
from geo.adjacency import islands, queen_edges, ward_arrays
from geo.boundaries import FRAME_COLUMNS, WardLayer
from geo.projection import BNG
from geo.regions import grow_regions
from planner.errors import Problems, ScenarioError

#: Centre of the synthetic city (BNG metres), near Charing Cross.
CENTRE = (530_000.0, 180_000.0)
#: Area of Greater London less the City (km²) and its ward count.
LONDON_AREA_KM2 = 1570.0
LONDON_WARDS = 680
DEFAULT_SEED = 20230401


@dataclass(frozen=True, eq=False)
class SyntheticCity:
    """Everything the planner reads for a city, generated.

    Parameters
    ----------
    layer : WardLayer
        Ward polygons, same contract as :func:`geo.boundaries.read_wards`.
    crime : pandas.DataFrame
        Monthly recorded offences in the MPS ward-level file layout.
    harm_weights : pandas.DataFrame
        ``offence, weight``: illustrative days per offence (NOT the Cambridge
        Crime Harm Index).
    population : pandas.DataFrame
        ``ward_code, population`` (int).
    borough_bcu : dict of str to str
        Borough code -> BCU name.
    seed : int
        The seed it was made from.
    water : shapely.Polygon
        The tidal river (BNG), which no ward covers: for maps and tests.
    river : shapely.LineString
        The river's centre line, west to east, including its non-tidal
        stretch (BNG).
    """

    layer: WardLayer
    crime: pd.DataFrame
    harm_weights: pd.DataFrame
    population: pd.DataFrame
    borough_bcu: dict[str, str]
    seed: int
    water: shapely.Polygon
    river: shapely.LineString


@dataclass(frozen=True)
class _Shape:
    """The land (city less the tidal river), the river and sizes."""

    land: shapely.Polygon
    water: shapely.Polygon
    river: shapely.LineString
    radius: float
    cbd: tuple[float, float]

    def north(self, xy: np.ndarray) -> np.ndarray:
        """Whether each point lies north of the river's centre line."""
        line = shapely.get_coordinates(self.river)
        return np.asarray(xy)[:, 1] > np.interp(np.asarray(xy)[:, 0], line[:, 0], line[:, 1])


# ---------------------------------------------------------------- outline and river
def _outline(rng: np.random.Generator, radius: float) -> shapely.Polygon:
    theta = np.linspace(0.0, 2 * np.pi, 361)[:-1]
    r = np.ones_like(theta)
    for k in range(2, 6):
        r += rng.uniform(0.02, 0.06) / np.sqrt(k - 1) * np.cos(k * theta + rng.uniform(0, 2 * np.pi))
    ring = np.column_stack([np.cos(theta) * r, np.sin(theta) * r])
    poly = shapely.Polygon(ring)
    ring *= radius * np.sqrt(np.pi / poly.area)  # exact target area
    return shapely.Polygon(ring + np.asarray(CENTRE))


def _river(rng: np.random.Generator, radius: float) -> tuple[np.ndarray, float]:
    """Centre line of the river (x west to east, y meandering) and its tidal limit x."""
    cx, cy = CENTRE
    x = np.linspace(cx - 1.5 * radius, cx + 1.5 * radius, 600)
    rel = (x - cx) / radius
    y = cy + radius * (
        rng.uniform(-0.12, -0.02)
        + rng.uniform(0.05, 0.09) * np.sin(2 * np.pi * rel / rng.uniform(0.9, 1.2) + rng.uniform(0, 2 * np.pi))
        + rng.uniform(0.015, 0.03) * np.sin(2 * np.pi * rel / rng.uniform(0.4, 0.5) + rng.uniform(0, 2 * np.pi))
    )
    return np.column_stack([x, y]), cx - rng.uniform(0.5, 0.6) * radius


def _water(line: np.ndarray, tidal_from: float, radius: float) -> shapely.Polygon:
    """The tidal river as a band, widening downstream (220 m to 650 m at London scale)."""
    pts = line[line[:, 0] >= tidal_from]
    t = (pts[:, 0] - pts[0, 0]) / (pts[-1, 0] - pts[0, 0])
    width = (220.0 + 430.0 * t) * min(1.0, radius / 22_360.0)
    tangent = np.gradient(pts, axis=0)
    tangent /= np.hypot(*tangent.T)[:, None]
    normal = np.column_stack([-tangent[:, 1], tangent[:, 0]])
    left = pts + normal * width[:, None] / 2
    right = pts - normal * width[:, None] / 2
    return shapely.make_valid(shapely.Polygon(np.vstack([left, right[::-1]])))


def _largest(geom: shapely.Geometry) -> shapely.Polygon:
    parts = [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon"]
    return max(parts, key=lambda p: p.area)


def _shape(rng: np.random.Generator, radius: float) -> _Shape:
    city = _outline(rng, radius)
    line, tidal_from = _river(rng, radius)
    water = _water(line, tidal_from, radius)
    land = _largest(shapely.difference(city, water))
    cx = CENTRE[0] - 0.02 * radius
    river_y = float(np.interp(cx, line[:, 0], line[:, 1]))
    cbd = (cx, river_y + min(1500.0, 0.1 * radius))
    water = _largest(shapely.intersection(water, city))
    return _Shape(land=land, water=water, river=shapely.LineString(line), radius=radius, cbd=cbd)


# ---------------------------------------------------------------- wards
def _density(xy: np.ndarray, radius: float) -> np.ndarray:
    """Relative ward density: about three times denser in the centre than at the edge."""
    d = np.hypot(*(xy - np.asarray(CENTRE)).T)
    return 0.35 + np.exp(-d / (0.4 * radius))


def _sample(rng: np.random.Generator, region: shapely.Polygon, k: int, radius: float) -> np.ndarray:
    xmin, ymin, xmax, ymax = region.bounds
    shapely.prepare(region)
    found: list[np.ndarray] = []
    have = 0
    while have < k:
        xy = rng.uniform((xmin, ymin), (xmax, ymax), size=(4 * k + 16, 2))
        keep = shapely.contains_xy(region, xy[:, 0], xy[:, 1])
        keep &= rng.uniform(0, 1.35, size=len(xy)) < _density(xy, radius)
        found.append(xy[keep])
        have += int(keep.sum())
    return np.vstack(found)[:k]


def _voronoi(pts: np.ndarray, region: shapely.Polygon) -> np.ndarray:
    if len(pts) == 1:
        return np.array([region], dtype=object)
    vor = shapely.voronoi_polygons(shapely.MultiPoint(pts), extend_to=region, ordered=True)
    cells = np.asarray(shapely.get_parts(vor), dtype=object)
    shapely.prepare(region)
    edge = ~shapely.contains_properly(region, cells)  # only cells at the coast or river need clipping
    cells[edge] = shapely.intersection(cells[edge], region)
    return cells


def _relax(pts: np.ndarray, shape: _Shape, steps: int = 2) -> np.ndarray:
    """Half-step Lloyd relaxation: evens out slivers but keeps the density gradient.

    A point only moves if it stays on land and on its own bank.
    """
    side = shape.north(pts)
    for _ in range(steps):
        cells = _voronoi(pts, shape.land)
        cent = shapely.get_coordinates(shapely.centroid(cells))
        if len(cent) != len(pts):
            break
        moved = pts + 0.5 * (cent - pts)
        ok = shapely.contains_xy(shape.land, moved[:, 0], moved[:, 1]) & (shape.north(moved) == side)
        pts = np.where(ok[:, None], moved, pts)
    return pts


def _single_parts(cells: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """One polygon per cell: the part holding its point; other parts go to a neighbour."""
    main = np.empty(len(cells), dtype=object)
    orphans: list[shapely.Polygon] = []
    for i, cell in enumerate(cells):
        parts = [p for p in shapely.get_parts(cell) if p.geom_type == "Polygon" and p.area > 0]
        if len(parts) == 1:
            main[i] = parts[0]
            continue
        holds = [p for p in parts if p.covers(shapely.Point(pts[i]))]
        keep = holds[0] if holds else max(parts, key=lambda p: p.area)
        main[i] = keep
        orphans.extend(p for p in parts if p is not keep)
    if orphans:
        tree = shapely.STRtree(main)
        for piece in orphans:
            near = tree.query(piece, predicate="intersects")
            shared = [shapely.intersection(piece.boundary, main[j]).length for j in near]
            if shared and max(shared) > 0:
                j = int(near[int(np.argmax(shared))])
                main[j] = _largest(shapely.union(main[j], piece))
    return main


def _tessellate(rng: np.random.Generator, shape: _Shape, n: int) -> np.ndarray:
    """One Voronoi diagram over the whole land, so neighbours share exact vertices.

    A cell reaching across the tidal river is cut by the water; the part on
    the far bank joins the far-bank neighbour it shares most boundary with.
    """
    pts = _relax(_sample(rng, shape.land, n, shape.radius), shape)
    return _single_parts(_voronoi(pts, shape.land), pts)


# ---------------------------------------------------------------- grouping and labels
def _group_edges(edges: np.ndarray, group: np.ndarray) -> np.ndarray:
    pairs = np.sort(group[edges], axis=1)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    return np.unique(pairs, axis=0) if len(pairs) else np.zeros((0, 2), dtype=np.int64)


def _check_sizes(seed: int, wards: int, boroughs: int, bcus: int) -> None:
    found = Problems("synthetic city", ScenarioError)
    if not 0 <= seed <= 2**63 - 1:
        found.add(f"seed must be a whole number from 0 to 2**63-1, got {seed}")
    if wards < 4:
        found.add(f"wards: a synthetic city needs at least 4 wards, got {wards}")
    if boroughs < 1 or bcus < 1:
        found.add(f"boroughs and bcus must be at least 1, got {boroughs} and {bcus}")
    if boroughs > wards:
        found.add(f"boroughs ({boroughs}) is more than wards ({wards}): every borough needs a ward")
    if bcus > boroughs:
        found.add(f"bcus ({bcus}) is more than boroughs ({boroughs}): every BCU needs a borough")
    if boroughs > len(naming.compounds()) // 2:
        found.add(f"boroughs: at most {len(naming.compounds()) // 2}, got {boroughs}")
    found.raise_if_any()


def synthetic_city(
    seed: int = DEFAULT_SEED,
    boroughs: int = 32,
    wards: int = LONDON_WARDS,
    bcus: int = 12,
) -> SyntheticCity:
    """Generate a deterministic synthetic city at London scale.

    Parameters
    ----------
    seed : int
        Seed of everything; the same seed gives the same city.
    boroughs : int
        Number of boroughs (contiguous groups of wards).
    wards : int
        Number of wards (at least 4); the area is ``1570 km² x wards / 680``.
    bcus : int
        Number of Basic Command Units (contiguous groups of boroughs).

    Returns
    -------
    SyntheticCity

    Raises
    ------
    planner.errors.ScenarioError
        Unless ``4 <= wards``, ``1 <= bcus <= boroughs <= wards`` and ``seed >= 0``, naming each size at fault.
    """
    _check_sizes(seed, wards, boroughs, bcus)
    geo_rng, group_rng, name_rng, crime_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(4))
    radius = float(np.sqrt(LONDON_AREA_KM2 * 1e6 * wards / LONDON_WARDS / np.pi))
    shape = _shape(geo_rng, radius)
    cells = gpd.GeoDataFrame(geometry=gpd.GeoSeries(_tessellate(geo_rng, shape, wards), crs=BNG))
    edges = queen_edges(cells)
    alone = islands(edges, wards)
    if alone:  # cannot happen for a tessellation of connected land; guard anyway
        raise RuntimeError(f"synthetic city seed {seed}: wards {alone} have no neighbour")
    arrays = ward_arrays(cells)
    xy = np.column_stack([arrays["x"], arrays["y"]])

    borough = grow_regions(edges, xy, boroughs, group_rng)
    b_xy = np.array([xy[borough == b].mean(axis=0) for b in range(boroughs)])
    b_size = np.bincount(borough, minlength=boroughs).astype(float)
    bcu = grow_regions(_group_edges(edges, borough), b_xy, bcus, group_rng, size=b_size)
    bcu_xy = np.array([np.average(b_xy[bcu == u], axis=0, weights=b_size[bcu == u]) for u in range(bcus)])

    layer = _layer(cells, borough, bcu, bcu_xy, shape, name_rng, seed)
    return _with_crime(layer, shape, crime_rng, seed)


def _layer(
    cells: gpd.GeoDataFrame,
    borough: np.ndarray,
    bcu: np.ndarray,
    bcu_xy: np.ndarray,
    shape: _Shape,
    rng: np.random.Generator,
    seed: int,
) -> WardLayer:
    b_names = np.array(naming.borough_names(len(bcu), rng), dtype=object)
    w_names = np.array(naming.ward_names(len(cells), rng), dtype=object)
    u_names = np.array(naming.bcu_names(bcu_xy, CENTRE, shape.radius), dtype=object)
    b_rank = np.empty(len(b_names), dtype=np.int64)
    b_rank[np.argsort(b_names.astype(str), kind="stable")] = np.arange(len(b_names))
    b_codes = np.array([f"X09{r + 1:06d}" for r in b_rank], dtype=object)
    order = np.lexsort((w_names.astype(str), b_codes[borough].astype(str)))
    w_codes = np.empty(len(cells), dtype=object)
    w_codes[order] = [f"X05{i + 1:06d}" for i in range(len(cells))]
    frame = pd.DataFrame(
        {
            "ward_code": w_codes,
            "ward_name": w_names,
            "borough_code": b_codes[borough],
            "borough_name": b_names[borough],
            "bcu": u_names[bcu[borough]],
        }
    ).astype(str)
    out = gpd.GeoDataFrame(frame, geometry=cells.geometry.to_numpy(), crs=BNG)
    out = out.sort_values(["borough_code", "ward_code"]).reset_index(drop=True)
    note = (
        f"synthetic city (seed {seed}): {len(out)} wards, {len(b_names)} boroughs, "
        f"{len(u_names)} BCUs; fictional names, codes X05/X09"
    )
    return WardLayer(frame=out[list(FRAME_COLUMNS)], notes=(note,))


def _with_crime(layer: WardLayer, shape: _Shape, rng: np.random.Generator, seed: int) -> SyntheticCity:
    frame = layer.frame
    arrays = ward_arrays(frame)
    xy = np.column_stack([arrays["x"], arrays["y"]])
    pop = sc.population(len(frame), rng)
    spots = sc.hotspots(xy, arrays["area_km2"], shape.cbd, CENTRE, shape.radius, rng)
    lam = sc.rates(pop.astype(float), spots, rng)
    crime = sc.crime_table(
        lam,
        frame["ward_code"].to_numpy(dtype=str),
        frame["ward_name"].to_numpy(dtype=str),
        frame["borough_name"].to_numpy(dtype=str),
        rng,
    )
    bcu_of = frame.drop_duplicates("borough_code").set_index("borough_code")["bcu"]
    return SyntheticCity(
        layer=layer,
        crime=crime,
        harm_weights=sc.harm_weights(),
        population=pd.DataFrame({"ward_code": frame["ward_code"].to_numpy(dtype=str), "population": pop}),
        borough_bcu={str(k): str(v) for k, v in sorted(bcu_of.items())},
        seed=seed,
        water=shape.water,
        river=shape.river,
    )
