"""Named places: staging areas, rendezvous points, command posts, helispots."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, status

from wayhome.api.auth import PlannerDep, ReaderDep
from wayhome.api.deps import SessionDep
from wayhome.api.schemas import PlaceCreate, PlacePublic
from wayhome.store import add_place, get_place, list_places

__all__ = ["create", "list_all", "read", "router"]

router = APIRouter(prefix="/incidents/{incident_id}/places", tags=["places"])


@router.post("", status_code=status.HTTP_201_CREATED)
def create(
    incident_id: int, body: PlaceCreate, session: SessionDep, actor: PlannerDep
) -> PlacePublic:
    """Mark a named place (WGS 84 degrees)."""
    place = add_place(
        session,
        incident_id=incident_id,
        kind=body.kind,
        name=body.name,
        lat=body.lat,
        lon=body.lon,
        actor=actor.label,
    )
    return PlacePublic.model_validate(place)


@router.get("")
def list_all(
    incident_id: int,
    session: SessionDep,
    actor: ReaderDep,
    kind: Literal["staging", "rendezvous", "command_post", "helispot"] | None = None,
) -> list[PlacePublic]:
    """The incident's places, only those of ``kind`` when given, in the order they were added."""
    return [PlacePublic.model_validate(p) for p in list_places(session, incident_id, kind=kind)]


@router.get("/{place_id}")
def read(incident_id: int, place_id: int, session: SessionDep, actor: ReaderDep) -> PlacePublic:
    """One place."""
    return PlacePublic.model_validate(
        get_place(session, incident_id=incident_id, place_id=place_id)
    )
