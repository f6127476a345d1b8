"""Positions from devices: single or batch, idempotent by the device's id; pushed live."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from sqlalchemy.orm import Session

from wayhome.api.auth import ReaderDep, ReporterDep
from wayhome.api.deps import NowDep, SessionDep
from wayhome.api.hub import LiveHub
from wayhome.api.ingest import PositionWriterDep
from wayhome.api.routes.hazards import publish_alerts
from wayhome.api.schemas import (
    AwareDatetime,
    LastContactPublic,
    PositionBatchCreate,
    PositionBatchPublic,
    PositionCreate,
    PositionPublic,
)
from wayhome.store import (
    Actor,
    PositionReport,
    RecordedPosition,
    last_positions,
    record_positions,
)
from wayhome.store.positions import MAX_TRACK_POINTS, member_track

__all__ = [
    "create",
    "create_batch",
    "latest",
    "publish_positions",
    "record_and_publish",
    "router",
    "track",
]

router = APIRouter(prefix="/incidents/{incident_id}/positions", tags=["positions"])


def record_and_publish(
    session: Session,
    hub: LiveHub,
    incident_id: int,
    bodies: Sequence[PositionCreate],
    actor: Actor,
) -> PositionBatchPublic:
    """Store ``bodies`` for ``actor`` (each for a member they may report for), push the new
    ones and their hazard alerts live; shared by the HTTP routes and the WebSocket."""
    for body in bodies:
        actor.require_reports_for(body.member_id)
    reports = [PositionReport(**body.model_dump()) for body in bodies]
    recorded = record_positions(session, incident_id=incident_id, reports=reports)
    return publish_positions(hub, incident_id, recorded)


def publish_positions(
    hub: LiveHub, incident_id: int, recorded: Sequence[RecordedPosition]
) -> PositionBatchPublic:
    """Push the newly stored positions and their hazard alerts live; the answer to the post."""
    out = [PositionPublic.model_validate(r.position) for r in recorded]
    for r, public in zip(recorded, out, strict=True):
        if r.created:
            hub.publish(
                incident_id, {"type": "position", "position": public.model_dump(mode="json")}
            )
    publish_alerts(hub, [a for r in recorded for a in r.alerts])
    created = sum(r.created for r in recorded)
    return PositionBatchPublic(created=created, replayed=len(recorded) - created, positions=out)


@router.post("", status_code=status.HTTP_201_CREATED)
async def create(
    incident_id: int,
    body: PositionCreate,
    writer: PositionWriterDep,
    response: Response,
    actor: ReporterDep,
) -> PositionPublic:
    """Store one position; a replayed id answers 200 with the stored row.

    Stored together with the other devices' posts waiting at the time (group commit).
    """
    result = await writer.record(incident_id, [body], actor)
    if result.replayed:
        response.status_code = status.HTTP_200_OK
    return result.positions[0]


@router.post("/batch", status_code=status.HTTP_201_CREATED)
async def create_batch(
    incident_id: int, body: PositionBatchCreate, writer: PositionWriterDep, actor: ReporterDep
) -> PositionBatchPublic:
    """Store a device's queued positions at once; ids already stored are not stored again."""
    return await writer.record(incident_id, body.positions, actor)


@router.get("/latest")
def latest(
    incident_id: int, session: SessionDep, now: NowDep, actor: ReaderDep
) -> list[LastContactPublic]:
    """The newest position of each member who reported one, with the time since then."""
    return [
        LastContactPublic.model_validate(
            {
                **PositionPublic.model_validate(p).model_dump(),
                "seconds_since_contact": max(0.0, (now - p.time).total_seconds()),
            }
        )
        for p in last_positions(session, incident_id)
    ]


@router.get("/track")
def track(
    incident_id: int,
    member_id: int,
    session: SessionDep,
    actor: ReaderDep,
    since: Annotated[
        AwareDatetime | None, Query(description="Points at or after this time (paging).")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_TRACK_POINTS)] = MAX_TRACK_POINTS,
) -> list[PositionPublic]:
    """A member's track, oldest first (page on with ``since`` = the last point's time)."""
    points = member_track(
        session, incident_id=incident_id, member_id=member_id, since=since, limit=limit
    )
    return [PositionPublic.model_validate(p) for p in points]
