"""The plan an incident is searched by: a plan directory linked to the incident record.

The planning commands (``wayhome plan``, ``segment``, ``assign``, ``debrief``, ``clue``) keep
writing the plan directory; the server reads it (the map, clues applied to the plan) through
the same library functions. The link is a path on the server's own disk.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from wayhome.errors import ConflictError, InvalidParameterError
from wayhome.store.incidents import get_incident, log_activity
from wayhome.store.models import Incident

__all__ = ["link_plan", "linked_plan_dirs", "plan_dir_of"]


def link_plan(session: Session, *, incident_id: int, path: Path | str, actor: str) -> Path:
    """Link the plan directory ``path`` to the incident (replacing any earlier link); logged.

    The directory is read in full first (:func:`wayhome.io.plan_dir.read_plan_dir`), so a
    link always points at a plan that opened when it was made.

    Raises
    ------
    InvalidParameterError
        ``path`` is not a plan directory (the reason names the file).
    UnknownRecordError
        No such incident.
    """
    from wayhome.errors import WayhomeError
    from wayhome.io.plan_dir import read_plan_dir

    incident = get_incident(session, incident_id)
    resolved = Path(path).expanduser().resolve()
    if not resolved.is_dir():
        raise InvalidParameterError(
            f"path: {str(path)!r} is not a directory; give a plan directory "
            "(the --out of wayhome plan)"
        )
    try:
        state = read_plan_dir(resolved)
    except WayhomeError as exc:
        raise InvalidParameterError(f"path: {resolved} is not a readable plan: {exc}") from exc
    incident.plan_dir = str(resolved)
    log_activity(
        session,
        incident_id=incident_id,
        actor=actor,
        kind="plan",
        text=f"plan linked: {state.title()} ({resolved.name})",
    )
    session.commit()
    return resolved


def plan_dir_of(session: Session, incident_id: int) -> Path:
    """The incident's linked plan directory.

    Raises
    ------
    ConflictError
        No plan is linked yet (or the directory is gone).
    UnknownRecordError
        No such incident.
    """
    incident = get_incident(session, incident_id)
    if incident.plan_dir is None:
        raise ConflictError(
            f"incident {incident_id} has no plan linked: a planner links one with "
            f"PUT /incidents/{incident_id}/plan"
        )
    path = Path(incident.plan_dir)
    if not path.is_dir():
        raise ConflictError(
            f"incident {incident_id}'s plan directory {path} is gone: link the plan again"
        )
    return path


def linked_plan_dirs(session: Session, *, limit: int = 4) -> list[Path]:
    """The plan directories linked to open incidents, the newest incident's first.

    At most ``limit``, each once; directories gone from disk are left out. What the server
    draws the maps of when it starts (:func:`wayhome.api.routes.map.warm_linked_plans`).
    """
    rows = session.scalars(
        select(Incident.plan_dir)
        .where(Incident.plan_dir.is_not(None), Incident.status != "closed")
        .order_by(Incident.id.desc())
    )
    found: list[Path] = []
    for raw in rows:
        path = Path(str(raw))
        if path not in found and path.is_dir():
            found.append(path)
        if len(found) >= limit:
            break
    return found
