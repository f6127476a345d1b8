"""The live map to and from CalTopo, Google Earth and GPS units (GeoJSON, KML, KMZ, GPX).

``GET /incidents/{id}/export.{geojson|kml|kmz|gpx}`` is the incident's map now (segments
with each assignment's live status and team, clues, places, hazard zones, last-seen
points; ``?tracks=true`` adds the members' GPS tracks); ``GET .../assignments/{id}.gpx``
is one team's file for its GPS unit. ``POST /incidents/{id}/import`` takes the file itself
as the request body (at most the server's ``max_body_bytes``; larger: 413) and stores its
clues, places and, when asked, hazard zones, all or nothing
(:func:`wayhome.store.map_import.import_map_features` says how each feature is decided);
each new clue is pushed live as ``{"type": "clue", "event": "reported", ...}``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from wayhome.api.auth import PlannerDep, ReaderDep
from wayhome.api.deps import HubDep, NowDep, SessionDep
from wayhome.api.hub import LiveHub
from wayhome.api.routes.hazards import zone_public
from wayhome.api.schemas import CluePublic, MapImportPublic, PlacePublic
from wayhome.errors import InvalidParameterError
from wayhome.io.exchange import MAP_MEDIA_TYPES, map_bytes, read_map_bytes
from wayhome.store.exchange import assignment_map, incident_map
from wayhome.store.map_import import import_map_features
from wayhome.store.models import Clue

__all__ = ["EXPORT_FORMATS", "MapFormat", "export", "import_map", "router", "team_gpx"]

router = APIRouter(prefix="/incidents/{incident_id}", tags=["exchange"])

#: The map formats of ``/export.{format}`` and ``/import?format=``.
MapFormat = Literal["geojson", "kml", "kmz", "gpx"]
EXPORT_FORMATS: tuple[MapFormat, ...] = get_args(MapFormat)
_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {MAP_MEDIA_TYPES[f".{f}"]: {} for f in EXPORT_FORMATS},
        "description": "The map file.",
    }
}
#: Content-Type of an upload → its format (when ``?format=`` is not given).
_FORMAT_OF_MEDIA_TYPE = {
    **{MAP_MEDIA_TYPES[f".{f}"]: f for f in EXPORT_FORMATS},
    "application/json": "geojson",
    "application/vnd.geo+json": "geojson",
    "application/zip": "kmz",
}


def _download(body: bytes, fmt: str, filename: str) -> Response:
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(body, media_type=MAP_MEDIA_TYPES[f".{fmt}"], headers=headers)


@router.get("/export.{fmt}", response_class=Response, responses=_RESPONSES)
def export(
    incident_id: int,
    fmt: Annotated[MapFormat, Path(description="The file format.")],
    session: SessionDep,
    actor: ReaderDep,
    tracks: Annotated[bool, Query(description="Add each member's GPS track as a line.")] = False,
) -> Response:
    """The incident's live map as CalTopo GeoJSON, KML, KMZ or GPX."""
    drawn = incident_map(session, incident_id, tracks=tracks)
    body = map_bytes(drawn.features, f".{fmt}", name=drawn.name, sweeps=drawn.sweeps)
    return _download(body, fmt, f"incident-{incident_id}-map.{fmt}")


@router.get("/assignments/{assignment_id}.gpx", response_class=Response, responses=_RESPONSES)
def team_gpx(
    incident_id: int, assignment_id: int, session: SessionDep, actor: ReaderDep
) -> Response:
    """One assignment's GPX for the team's GPS: segment, meeting place, places, clues, hazards."""
    drawn = assignment_map(session, incident_id=incident_id, assignment_id=assignment_id)
    body = map_bytes(drawn.features, ".gpx", name=drawn.name, sweeps=drawn.sweeps)
    return _download(body, "gpx", f"incident-{incident_id}-assignment-{assignment_id}.gpx")


async def _upload(request: Request) -> bytes:
    """The request body (the middleware answers 413 past ``max_body_bytes``)."""
    return await request.body()


def _format(given: str | None, request: Request) -> str:
    if given is not None:
        return given
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media in _FORMAT_OF_MEDIA_TYPE:
        return _FORMAT_OF_MEDIA_TYPE[media]
    raise InvalidParameterError(
        f"format: cannot tell the file's format from Content-Type {media or '(none)'!r}; "
        f"give ?format= one of {', '.join(EXPORT_FORMATS)}"
    )


def _new_clue(hub: LiveHub, clue: Clue) -> CluePublic:
    """The clue's API view, pushed live as a reported clue (as ``POST /clues`` does)."""
    public = CluePublic.model_validate(clue)
    message = {"type": "clue", "event": "reported", "clue": public.model_dump(mode="json")}
    hub.publish(clue.incident_id, message)
    return public


_UPLOAD: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "The map file itself (not a form).",
        "content": {
            MAP_MEDIA_TYPES[f".{f}"]: {"schema": {"type": "string", "format": "binary"}}
            for f in EXPORT_FORMATS
        },
    }
}


@router.post("/import", openapi_extra=_UPLOAD)
def import_map(
    incident_id: int,
    request: Request,
    data: Annotated[bytes, Depends(_upload)],
    session: SessionDep,
    hub: HubDep,
    now: NowDep,
    actor: PlannerDep,
    format: Annotated[
        MapFormat | None,
        Query(description="The file's format; default: from its Content-Type."),
    ] = None,
    name: Annotated[
        str | None,
        Query(max_length=200, description="The file's name, for messages and the log."),
    ] = None,
    markers: Annotated[
        Literal["places", "clues", "skip"],
        Query(
            description="What markers become: places (the kind from their title, e.g. "
            "'Staging', 'RV 2', 'ICP', 'LZ', else place_kind), clues (kind item), or skip."
        ),
    ] = "places",
    place_kind: Annotated[
        Literal["staging", "rendezvous", "command_post", "helispot"] | None,
        Query(description="Kind of a marker whose title names none (else it is refused)."),
    ] = None,
    hazard_kind: Annotated[
        Literal["hostile_party", "cliff", "water", "private_land"] | None,
        Query(description="Import areas as hazard zones of this kind (else areas are skipped)."),
    ] = None,
) -> MapImportPublic:
    """Import a CalTopo GeoJSON, KML, KMZ or GPX file: all of it, or nothing (422 naming
    every refused feature)."""
    fmt = _format(format, request)
    source = name or f"upload.{fmt}"
    if not source.lower().endswith(f".{fmt}"):
        source = f"{source}.{fmt}"
    features, warnings = read_map_bytes(data, source)
    result = import_map_features(
        session,
        incident_id=incident_id,
        features=features,
        source=source,
        markers=markers,
        place_kind=place_kind,
        hazard_kind=hazard_kind,
        now=now,
        actor=actor.label,
    )
    return MapImportPublic(
        places=[PlacePublic.model_validate(p) for p in result.places],
        clues=[_new_clue(hub, c) for c in result.clues],
        hazard_zones=[zone_public(z) for z in result.hazard_zones],
        unchanged=list(result.unchanged),
        skipped=list(result.skipped),
        warnings=warnings,
    )
