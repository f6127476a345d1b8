"""Agencies, their jurisdictions, and grants of leave to operate there during an incident.

Administrators add agencies and jurisdictions (they belong to the install); the
incident commander records the leave an owner gave and revokes it; operations may run
the grant check now (the watch also runs it), which warns before expiry and alerts
anyone still inside once leave has ended.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query, status
from sqlalchemy.orm import Session

from wayhome.api.auth import AdminDep, CommanderDep, OperatorDep, ReaderDep, UserDep
from wayhome.api.deps import HubDep, NowDep, SessionDep, SettingsDep
from wayhome.api.schemas import (
    AgencyCreate,
    AgencyPublic,
    GrantChangePublic,
    GrantCreate,
    GrantPublic,
    JurisdictionCreate,
    JurisdictionPublic,
)
from wayhome.api.watch import check_grants_and_publish, grant_public, publish_grant_change
from wayhome.errors import InvalidParameterError
from wayhome.store import (
    add_agency,
    add_jurisdiction,
    get_agency,
    grant_access,
    incident_jurisdictions,
    list_agencies,
    list_grants,
    list_jurisdictions,
    revoke_grant,
)
from wayhome.store.models import Agency, Jurisdiction

__all__ = [
    "check",
    "create_agency",
    "create_grant",
    "create_jurisdiction",
    "list_agencies_all",
    "list_grants_all",
    "list_incident_jurisdictions",
    "list_jurisdictions_all",
    "revoke",
    "router",
]

router = APIRouter(tags=["jurisdictions"])


def _public(jurisdiction: Jurisdiction, agency: Agency) -> JurisdictionPublic:
    return JurisdictionPublic.model_validate(
        {
            "id": jurisdiction.id,
            "agency_id": agency.id,
            "owner": agency.name,
            "name": jurisdiction.name,
            "contact": jurisdiction.contact or agency.contact,
            "geometry": json.loads(jurisdiction.geometry),
            "created_at": jurisdiction.created_at,
        }
    )


def _publics(session: Session, rows: Sequence[Jurisdiction]) -> list[JurisdictionPublic]:
    agencies: Mapping[int, Agency] = {a.id: a for a in list_agencies(session)}
    return [_public(j, agencies[j.agency_id]) for j in rows]


@router.post("/agencies", status_code=status.HTTP_201_CREATED)
def create_agency(body: AgencyCreate, session: SessionDep, user: AdminDep) -> AgencyPublic:
    """Add an agency: a SAR team, a county, a national forest, a tribal nation, a landowner."""
    agency = add_agency(session, name=body.name, kind=body.kind, contact=body.contact)
    return AgencyPublic.model_validate(agency)


@router.get("/agencies")
def list_agencies_all(session: SessionDep, user: UserDep) -> list[AgencyPublic]:
    """Every agency, in the order they were added."""
    return [AgencyPublic.model_validate(a) for a in list_agencies(session)]


@router.post("/jurisdictions", status_code=status.HTTP_201_CREATED)
def create_jurisdiction(
    body: JurisdictionCreate, session: SessionDep, user: AdminDep
) -> JurisdictionPublic:
    """Add land an agency owns or manages (GeoJSON Polygon or MultiPolygon in lon/lat)."""
    jurisdiction = add_jurisdiction(
        session,
        agency_id=body.agency_id,
        name=body.name,
        contact=body.contact,
        geometry=body.geometry.model_dump(),
    )
    return _public(jurisdiction, get_agency(session, jurisdiction.agency_id))


@router.get("/jurisdictions")
def list_jurisdictions_all(
    session: SessionDep, user: UserDep, agency_id: int | None = None
) -> list[JurisdictionPublic]:
    """Every jurisdiction (of one agency), in the order they were added."""
    return _publics(session, list_jurisdictions(session, agency_id=agency_id))


def _bbox(text: str | None) -> list[float] | None:
    if text is None:
        return None
    try:
        return [float(v) for v in text.split(",")]
    except ValueError:
        raise InvalidParameterError(
            f"bbox: {text!r} is not four numbers; give min lon, min lat, max lon, max lat"
        ) from None


@router.get("/incidents/{incident_id}/jurisdictions")
def list_incident_jurisdictions(
    incident_id: int,
    session: SessionDep,
    actor: ReaderDep,
    bbox: Annotated[
        str | None,
        Query(
            description="min lon, min lat, max lon, max lat; without it, the jurisdictions "
            "holding the incident's known points (last seen, places, last positions) or "
            "named by its grants.",
            examples=["-84.32,36.52,-84.25,36.57"],
        ),
    ] = None,
) -> list[JurisdictionPublic]:
    """The jurisdictions the search touches: whose leave the teams need there."""
    rows = incident_jurisdictions(session, incident_id=incident_id, bbox=_bbox(bbox))
    return _publics(session, rows)


@router.post("/incidents/{incident_id}/grants", status_code=status.HTTP_201_CREATED)
def create_grant(
    incident_id: int, body: GrantCreate, session: SessionDep, now: NowDep, actor: CommanderDep
) -> GrantPublic:
    """Record leave the owner gave: to an agency, a team or a member, for some activities,
    until a time or until the incident closes, on conditions."""
    grant = grant_access(
        session,
        incident_id=incident_id,
        jurisdiction_id=body.jurisdiction_id,
        agency_id=body.agency_id,
        team_id=body.team_id,
        member_id=body.member_id,
        activities=body.activities,
        starts_at=now if body.starts_at is None else body.starts_at,
        expires_at=body.expires_at,
        until_incident_closes=body.until_incident_closes,
        conditions=body.conditions,
        granted_by=body.granted_by,
        actor=actor.label,
    )
    return grant_public(session, grant, now=now)


@router.get("/incidents/{incident_id}/grants")
def list_grants_all(
    incident_id: int,
    session: SessionDep,
    now: NowDep,
    actor: ReaderDep,
    jurisdiction_id: int | None = None,
) -> list[GrantPublic]:
    """The incident's grants (in one jurisdiction), each with its status now."""
    rows = list_grants(session, incident_id, jurisdiction_id=jurisdiction_id)
    return [grant_public(session, g, now=now) for g in rows]


@router.post("/incidents/{incident_id}/grants/{grant_id}/revoke")
def revoke(
    incident_id: int,
    grant_id: int,
    session: SessionDep,
    hub: HubDep,
    now: NowDep,
    actor: CommanderDep,
) -> GrantChangePublic:
    """Revoke leave at once; members it covered who are inside are alerted (pushed live)."""
    change = revoke_grant(
        session, incident_id=incident_id, grant_id=grant_id, now=now, actor=actor.label
    )
    return publish_grant_change(session, hub, change, now=now)


@router.post("/incidents/{incident_id}/grant-checks")
def check(
    incident_id: int,
    session: SessionDep,
    hub: HubDep,
    settings: SettingsDep,
    now: NowDep,
    actor: OperatorDep,
) -> list[GrantChangePublic]:
    """Check the incident's grants now: warnings before expiry, expiries and the trespass
    alerts they raise (each pushed live)."""
    return check_grants_and_publish(
        session,
        hub,
        now=now,
        incident_id=incident_id,
        warn_before=timedelta(minutes=settings.grant_warning_minutes),
    )
