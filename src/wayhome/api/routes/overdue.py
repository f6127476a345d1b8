"""Overdue teams: which are overdue now, and a check on demand (the watch also runs it)."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter

from wayhome.api.auth import OperatorDep, ReaderDep
from wayhome.api.deps import HubDep, NowDep, SessionDep, SettingsDep
from wayhome.api.schemas import OverdueChangePublic, OverdueTeamPublic
from wayhome.api.watch import check_overdue_and_publish
from wayhome.store import list_overdue

__all__ = ["check", "list_all", "router"]

router = APIRouter(prefix="/incidents/{incident_id}", tags=["overdue teams"])


@router.get("/overdue")
def list_all(
    incident_id: int,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    actor: ReaderDep,
) -> list[OverdueTeamPublic]:
    """The teams marked overdue, since when, and why (no contact, past turnaround)."""
    teams = list_overdue(
        session, incident_id, now=now, no_contact=timedelta(minutes=settings.overdue_minutes)
    )
    return [
        OverdueTeamPublic(
            id=t.team_id,
            incident_id=t.incident_id,
            name=t.team_name,
            reason=t.reason,
            since=t.since,
        )
        for t in teams
    ]


@router.post("/overdue-checks")
def check(
    incident_id: int,
    session: SessionDep,
    hub: HubDep,
    settings: SettingsDep,
    now: NowDep,
    actor: OperatorDep,
) -> list[OverdueChangePublic]:
    """Check the incident's teams now; the alerts raised and cleared (each pushed live)."""
    return check_overdue_and_publish(
        session,
        hub,
        now=now,
        incident_id=incident_id,
        no_contact=timedelta(minutes=settings.overdue_minutes),
    )
