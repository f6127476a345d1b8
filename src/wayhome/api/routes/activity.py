"""The incident's activity log (ICS-214): read it, verify its hash chain, export it."""

from __future__ import annotations

from fastapi import APIRouter, Response

from wayhome.api.auth import ReaderDep
from wayhome.api.deps import SessionDep
from wayhome.api.schemas import ActivityPublic, ActivityVerifyPublic
from wayhome.store import list_activity
from wayhome.store.audit import export_log, export_to_jsonl, verify_incident

__all__ = ["NDJSON", "export", "list_all", "router", "verify"]

router = APIRouter(prefix="/incidents/{incident_id}/activity", tags=["activity log"])

#: Media type of the JSON Lines export.
NDJSON = "application/x-ndjson"


@router.get("")
def list_all(incident_id: int, session: SessionDep, actor: ReaderDep) -> list[ActivityPublic]:
    """Every state change of the incident, in order."""
    return [ActivityPublic.model_validate(a) for a in list_activity(session, incident_id)]


@router.get("/verify")
def verify(incident_id: int, session: SessionDep, actor: ReaderDep) -> ActivityVerifyPublic:
    """Check that no line of the log was edited, removed or reordered since it was written."""
    return ActivityVerifyPublic.model_validate(verify_incident(session, incident_id))


@router.get(
    "/export",
    response_class=Response,
    responses={200: {"content": {NDJSON: {}}, "description": "The log, chain head last."}},
)
def export(incident_id: int, session: SessionDep, actor: ReaderDep) -> Response:
    """The log as JSON Lines, one line per record, ending with the chain's head.

    Keep it elsewhere; ``wayhome audit verify --file`` checks it later on its own.
    """
    body = export_to_jsonl(export_log(session, incident_id))
    filename = f"incident-{incident_id}-activity.jsonl"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(body, media_type=NDJSON, headers=headers)
