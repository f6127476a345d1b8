"""Hazard zones: draw one, list them; entering one raises a live ``hazard`` alert."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, status

from wayhome.api.auth import PlannerDep, ReaderDep
from wayhome.api.deps import SessionDep
from wayhome.api.hub import LiveHub
from wayhome.api.schemas import HazardAlertPublic, HazardZoneCreate, HazardZonePublic
from wayhome.store import (
    HazardAlert,
    TrespassAlert,
    add_hazard_zone,
    get_hazard_zone,
    list_hazard_zones,
)
from wayhome.store.models import HazardZone

__all__ = [
    "create",
    "hazard_alert_public",
    "list_all",
    "publish_alerts",
    "read",
    "router",
    "zone_public",
]

router = APIRouter(prefix="/incidents/{incident_id}/hazards", tags=["hazards"])


def zone_public(zone: HazardZone) -> HazardZonePublic:
    """A hazard zone's API view (its GeoJSON geometry parsed)."""
    return HazardZonePublic(
        id=zone.id,
        incident_id=zone.incident_id,
        name=zone.name,
        kind=zone.kind,
        geometry=json.loads(zone.geometry),
        created_at=zone.created_at,
    )


def hazard_alert_public(alert: HazardAlert) -> HazardAlertPublic:
    """The API view of an alert; a trespass (kind ``trespass``: inside a jurisdiction
    without leave) also names the jurisdiction, its owner, whom to call, and why now."""
    trespass: dict[str, Any] = {}
    if isinstance(alert, TrespassAlert):
        trespass = {
            "jurisdiction_id": alert.jurisdiction.id,
            "owner": alert.agency.name,
            "contact": alert.jurisdiction.contact or alert.agency.contact,
            "reason": alert.reason,
        }
    return HazardAlertPublic(
        zone_id=alert.zone.id,
        zone_name=alert.zone.name,
        kind=alert.zone.kind,
        member_id=alert.member.id,
        member_name=alert.member.name,
        position_id=alert.position.id,
        lat=alert.position.lat,
        lon=alert.position.lon,
        time=alert.position.time,
        **trespass,
    )


def publish_alerts(hub: LiveHub, alerts: Sequence[HazardAlert]) -> None:
    """Send ``{"type": "hazard", "event": "entered", "alert": {...}}`` for each alert."""
    for alert in alerts:
        public = hazard_alert_public(alert)
        message = {"type": "hazard", "event": "entered", "alert": public.model_dump(mode="json")}
        hub.publish(alert.zone.incident_id, message)


@router.post("", status_code=status.HTTP_201_CREATED)
def create(
    incident_id: int, body: HazardZoneCreate, session: SessionDep, actor: PlannerDep
) -> HazardZonePublic:
    """Draw a hazard zone (GeoJSON polygon in lon/lat); members entering it raise an alert."""
    zone = add_hazard_zone(
        session,
        incident_id=incident_id,
        name=body.name,
        kind=body.kind,
        geometry=body.geometry.model_dump(),
        actor=actor.label,
    )
    return zone_public(zone)


@router.get("")
def list_all(incident_id: int, session: SessionDep, actor: ReaderDep) -> list[HazardZonePublic]:
    """The incident's hazard zones, oldest first."""
    return [zone_public(z) for z in list_hazard_zones(session, incident_id)]


@router.get("/{zone_id}")
def read(incident_id: int, zone_id: int, session: SessionDep, actor: ReaderDep) -> HazardZonePublic:
    """One hazard zone."""
    return zone_public(get_hazard_zone(session, incident_id=incident_id, zone_id=zone_id))
