"""The incident's offline base map, drawn from its linked plan directory.

``PUT /incidents/{id}/plan`` links a plan directory (under the ``plans_root`` setting);
the map routes draw from it through :class:`wayhome.basemap.MapCache`: web-mercator
tiles of the hillshade and of the POA heat, contour lines, segments, layers and regions as
GeoJSON. Every map answer carries an ETag made from the plan's version (it changes when
``wayhome debrief`` or ``clue`` rewrites the directory) and ``Cache-Control: private``:
a client that appends ``?v=<version>`` (from ``GET .../map``) may keep the answer for good;
without it, it revalidates (``If-None-Match`` gives 304).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from starlette.requests import HTTPConnection

from wayhome.api.auth import PlannerDep, ReaderDep
from wayhome.api.deps import SessionDep, SettingsDep
from wayhome.api.schemas import MapPublic, PlanLinkCreate, PlanPublic
from wayhome.basemap import MapCache, PlanMap
from wayhome.errors import InvalidParameterError
from wayhome.store.errors import UnknownRecordError
from wayhome.store.plans import link_plan, linked_plan_dirs, plan_dir_of

__all__ = [
    "MapsDep",
    "TileSize",
    "contours",
    "get_map_cache",
    "hillshade_tile",
    "layers",
    "link",
    "map_info",
    "plan",
    "poa_tile",
    "regions",
    "router",
    "segments",
    "warm_in_background",
    "warm_linked_plans",
]

router = APIRouter(prefix="/incidents/{incident_id}", tags=["map"])

#: Cache-Control of an answer whose URL names the plan version it was drawn from.
_FOR_GOOD = "private, max-age=31536000, immutable"
#: ... and of one without it: kept, but revalidated before each use.
_REVALIDATE = "private, max-age=0, must-revalidate"
_PNG: dict[int | str, dict[str, Any]] = {
    200: {"content": {"image/png": {}}, "description": "A 256 x 256 (or 512 x 512) PNG tile."}
}
_GEOJSON: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/geo+json": {}}, "description": "A FeatureCollection."}
}


async def get_map_cache(connection: HTTPConnection) -> MapCache:
    """The app's map cache, made on first use."""
    return _map_cache_of(connection.app)


def _map_cache_of(app: FastAPI) -> MapCache:
    state = app.state
    cache: MapCache | None = getattr(state, "map_cache", None)
    if cache is None:
        cache = state.map_cache = MapCache()
    return cache


_log = logging.getLogger(__name__)


def warm_in_background(maps: MapCache, paths: Sequence[Path]) -> threading.Thread:
    """Read each plan and draw its first screen (:meth:`PlanMap.warm`) in a daemon thread,
    so the first page load does not wait for it (#6); a plan that fails is left to its
    first request (which says why)."""

    def run() -> None:
        for path in paths:
            try:
                maps.get(path).warm()
            except Exception:  # rewritten or gone meanwhile: made on demand
                _log.warning("map of plan %s not drawn ahead", path, exc_info=True)

    thread = threading.Thread(target=run, name="wayhome-map-warm", daemon=True)
    thread.start()
    return thread


def warm_linked_plans(app: FastAPI) -> threading.Thread | None:
    """At start-up: draw ahead the maps of the plans linked to open incidents (the newest
    four); None when there are none. Needs ``app.state.sessions``."""
    with app.state.sessions() as session:
        paths = linked_plan_dirs(session)
    return warm_in_background(_map_cache_of(app), paths) if paths else None


MapsDep = Annotated[MapCache, Depends(get_map_cache)]
#: A tile's side in pixels: 256 (XYZ's), or 512 for the same ground (fewer requests);
#: anything else is refused (422) by :class:`~wayhome.basemap.PlanMap`.
TileSize = int


def _plan_map(session: SessionDep, incident_id: int, maps: MapCache) -> PlanMap:
    return maps.get(plan_dir_of(session, incident_id))


def _plan_public(m: PlanMap) -> PlanPublic:
    s = m.summary()
    return PlanPublic(
        path=s.path, title=s.title, updated_at=s.updated_at, has_segments=s.has_segments,
        has_terrain=s.has_terrain, evidence=s.evidence,
    )  # fmt: skip


def _under_root(given: str, root: Path) -> Path:
    """``given`` (absolute, or relative to ``root``) resolved; refused unless under ``root``."""
    try:
        base = root.expanduser().resolve()
        p = Path(given).expanduser()
        resolved = (p if p.is_absolute() else base / p).resolve()
    except (OSError, ValueError, RuntimeError) as exc:
        raise InvalidParameterError(f"path: {given!r} is not a usable path ({exc})") from None
    if not resolved.is_relative_to(base):
        raise InvalidParameterError(
            f"path: {given!r} is not under the server's plans_root ({base}); put the plan "
            "directory under it, or start the server with WAYHOME_PLANS_ROOT naming a "
            "directory that holds it"
        )
    return resolved


def _cached(
    m: PlanMap, key: str, v: str | None, media_type: str, content: bytes | None
) -> Response:
    """A 200 with ``content``, or a 304 when the client holds this version already."""
    etag = f'"{m.version}-{key}"'
    headers = {"ETag": etag, "Cache-Control": _FOR_GOOD if v == m.version else _REVALIDATE}
    if content is None:
        return Response(status_code=304, headers=headers)
    return Response(content=content, media_type=media_type, headers=headers)


def _fresh(request: Request, m: PlanMap, key: str) -> bool:
    """True when the request's ``If-None-Match`` names this answer's ETag."""
    etag = f'"{m.version}-{key}"'
    tags = [t.strip() for t in request.headers.get("if-none-match", "").split(",")]
    return etag in tags or "*" in tags or f"W/{etag}" in tags


@router.put("/plan")
def link(
    incident_id: int,
    body: PlanLinkCreate,
    session: SessionDep,
    actor: PlannerDep,
    settings: SettingsDep,
    maps: MapsDep,
) -> PlanPublic:
    """Link the plan directory the incident is searched by (it must be under ``plans_root``)."""
    path = _under_root(body.path, settings.plans_root)
    linked = link_plan(session, incident_id=incident_id, path=path, actor=actor.label)
    linked_map = maps.get(linked)
    warm_in_background(maps, [linked])  # the rest of its first screen, drawn ahead
    return _plan_public(linked_map)


@router.get("/plan")
def plan(incident_id: int, session: SessionDep, actor: ReaderDep, maps: MapsDep) -> PlanPublic:
    """The linked plan: title, when it was last written, what it has (409: none linked)."""
    return _plan_public(_plan_map(session, incident_id, maps))


@router.get("/map")
def map_info(incident_id: int, session: SessionDep, actor: ReaderDep, maps: MapsDep) -> MapPublic:
    """How to set up the map: bounds, centre, zoom range, what there is, the plan version."""
    i = _plan_map(session, incident_id, maps).info()
    return MapPublic(
        bounds=i.bounds, center=i.center, crs=i.crs, cell_size_m=i.cell_size_m,
        poa_models=list(i.poa_models), has_terrain=i.has_terrain, has_segments=i.has_segments,
        has_layers=i.has_layers, contour_interval_m=i.contour_interval_m, poa_max=i.poa_max,
        poa_max_by_model=i.poa_max_by_model, min_zoom=i.min_zoom, max_zoom=i.max_zoom,
        version=i.version,
    )  # fmt: skip


def _tile_map(
    session: SessionDep, incident_id: int, maps: MapCache, z: int, x: int, y: int
) -> PlanMap:
    m = _plan_map(session, incident_id, maps)
    if not m.covers(z, x, y):
        zmin, zmax = m.zoom_range()
        raise UnknownRecordError(
            f"tile: {z}/{x}/{y} is outside the plan's map (zoom {zmin}..{zmax}, bounds "
            f"{list(m.info().bounds)}); ask for tiles over the bounds of GET "
            f"/incidents/{incident_id}/map"
        )
    return m


@router.get("/map/tiles/hillshade/{z}/{x}/{y}.png", response_class=Response, responses=_PNG)
def hillshade_tile(
    incident_id: int,
    z: int,
    x: int,
    y: int,
    request: Request,
    session: SessionDep,
    actor: ReaderDep,
    maps: MapsDep,
    v: str | None = None,
    size: TileSize = 256,
) -> Response:
    """Shaded relief of the plan's terrain (transparent outside the DEM; 404 without one);
    ``size=512``: the same ground in a 512 px tile (MapLibre ``tileSize: 512``)."""
    m = _tile_map(session, incident_id, maps, z, x, y)
    if m.state.elevation is None:
        raise UnknownRecordError(
            f"tile: incident {incident_id}'s plan has no terrain.tif, so no hillshade; "
            "plan with a DEM (GET .../map says has_terrain)"
        )
    key = f"hillshade-{z}-{x}-{y}" + ("" if size == 256 else f"@{size}")
    body = None if _fresh(request, m, key) else m.hillshade_tile(z, x, y, size)
    return _cached(m, key, v, "image/png", body)


@router.get("/map/tiles/poa/{z}/{x}/{y}.png", response_class=Response, responses=_PNG)
def poa_tile(
    incident_id: int,
    z: int,
    x: int,
    y: int,
    request: Request,
    session: SessionDep,
    actor: ReaderDep,
    maps: MapsDep,
    model: Literal["posterior", "prior"] = "posterior",
    v: str | None = None,
    size: TileSize = 256,
) -> Response:
    """POA heat of the current map (``posterior``) or the prior; ramp in
    :mod:`wayhome.basemap.tiles` (YlOrRd, log scale over 3 decades below the map's peak);
    ``size=512``: the same ground in a 512 px tile."""
    m = _tile_map(session, incident_id, maps, z, x, y)
    key = f"poa-{model}-{z}-{x}-{y}" + ("" if size == 256 else f"@{size}")
    body = None if _fresh(request, m, key) else m.poa_tile(model, z, x, y, size)
    return _cached(m, key, v, "image/png", body)


def _geojson(
    request: Request,
    session: SessionDep,
    incident_id: int,
    maps: MapCache,
    v: str | None,
    name: Literal["contours", "segments", "layers", "regions"],
) -> Response:
    m = _plan_map(session, incident_id, maps)
    make = {
        "contours": m.contours_geojson,
        "segments": m.segments_geojson,
        "layers": m.layers_geojson,
        "regions": m.regions_geojson,
    }[name]
    body = None if _fresh(request, m, name) else make()
    return _cached(m, name, v, "application/geo+json", body)


@router.get("/map/contours.geojson", response_class=Response, responses=_GEOJSON)
def contours(
    incident_id: int,
    request: Request,
    session: SessionDep,
    actor: ReaderDep,
    maps: MapsDep,
    v: str | None = None,
) -> Response:
    """Contour lines (``elevation_m``, ``index``: every 5th), interval from the relief."""
    return _geojson(request, session, incident_id, maps, v, "contours")


@router.get("/map/segments.geojson", response_class=Response, responses=_GEOJSON)
def segments(
    incident_id: int,
    request: Request,
    session: SessionDep,
    actor: ReaderDep,
    maps: MapsDep,
    v: str | None = None,
) -> Response:
    """Segments (``id``, ``label``, current ``poa``, ``pod_cumulative``, ``area_km2``)."""
    return _geojson(request, session, incident_id, maps, v, "segments")


@router.get("/map/layers.geojson", response_class=Response, responses=_GEOJSON)
def layers(
    incident_id: int,
    request: Request,
    session: SessionDep,
    actor: ReaderDep,
    maps: MapsDep,
    v: str | None = None,
) -> Response:
    """Trails, streams, roads, barriers and the rest, each with ``kind`` and ``name``."""
    return _geojson(request, session, incident_id, maps, v, "layers")


@router.get("/map/regions.geojson", response_class=Response, responses=_GEOJSON)
def regions(
    incident_id: int,
    request: Request,
    session: SessionDep,
    actor: ReaderDep,
    maps: MapsDep,
    v: str | None = None,
) -> Response:
    """The 25/50/75/95 % probability regions of the current map."""
    return _geojson(request, session, incident_id, maps, v, "regions")
