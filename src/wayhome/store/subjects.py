"""The lost person: intake, the find, and reunification with the guardian named at intake.

A subject goes ``missing`` → ``found`` → ``handed_over`` (to the verified guardian) or
``transferred`` (to EMS, a hospital, law enforcement). Intake records the guardian and the
identity document checked then. Handing over checks, against the intake record, the
guardian's name and their relation to the subject (both compared ignoring case and
spacing), and then either the handover code given to the guardian at intake (kept only as
a salted hash) or the incident commander's override: a reason and the identity document
the commander checked at the handover, both logged. Every refused attempt is logged and
committed before the refusal is raised; after :data:`MAX_HANDOVER_ATTEMPTS` refusals the
code is no longer tried: only the commander's override or a transfer remains.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import NoReturn

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wayhome.access.secrets import hash_secret, new_secret, verify_secret
from wayhome.errors import ConflictError, InvalidLocationError, InvalidParameterError
from wayhome.store.errors import HandoverRefusedError, UnknownRecordError
from wayhome.store.incidents import get_incident, log_activity
from wayhome.store.models import ActivityLog, Subject
from wayhome.store.roster import get_member

__all__ = [
    "MAX_HANDOVER_ATTEMPTS",
    "MAX_ID_DOCUMENT",
    "MIN_HANDOVER_CODE",
    "SUBJECT_STATUSES",
    "create_subject",
    "get_subject",
    "hand_over",
    "list_subjects",
    "report_found",
    "transfer_subject",
]

#: A subject's statuses, in the order they happen (the last two both end the search).
SUBJECT_STATUSES = ("missing", "found", "handed_over", "transferred")
#: Refused handovers allowed per subject; after these, only a transfer remains.
MAX_HANDOVER_ATTEMPTS = 5
#: The shortest handover code accepted at intake.
MIN_HANDOVER_CODE = 6
#: The longest description of an identity document (the column's width).
MAX_ID_DOCUMENT = 200

_REFUSED = "handover_refused"


def create_subject(
    session: Session,
    *,
    incident_id: int,
    name: str,
    category: str,
    age: float | None,
    last_seen_lat: float,
    last_seen_lon: float,
    last_seen_at: datetime,
    guardian_name: str,
    guardian_relation: str,
    guardian_id_document: str,
    description: str = "",
    handover_code: str | None = None,
    actor: str = "system",
) -> tuple[Subject, str]:
    """Record the lost person and the guardian who will take them home.

    ``guardian_id_document`` says which identity document of the guardian was checked
    (e.g. ``"driver's licence TN ...0421"``); it is kept on the subject, not logged.
    Returns the subject and the handover code, in clear, this once: give it to the
    guardian; the store keeps only its hash. ``handover_code=None`` generates one.
    """
    # Imported here: wayhome.subject loads the ISRID tables (NumPy, SciPy), which the
    # server needs only at intake, not at start-up.
    from wayhome.subject import resolve_category

    get_incident(session, incident_id)
    if not name.strip():
        raise InvalidParameterError("name: give the subject's name (or a description, 'boy, 6')")
    resolved = resolve_category(category, age=age)
    _check_point(last_seen_lat, last_seen_lon, prefix="last_seen_")
    _check_aware(last_seen_at, "last_seen_at")
    if not guardian_name.strip():
        raise InvalidParameterError(
            "guardian_name: give the name of the guardian the subject will be handed to"
        )
    if not guardian_relation.strip():
        raise InvalidParameterError(
            "guardian_relation: say how the guardian is related (e.g. 'mother', 'teacher')"
        )
    id_document = _id_document(guardian_id_document, "guardian_id_document", "at intake")
    code = new_secret() if handover_code is None else handover_code.strip()
    if len(code) < MIN_HANDOVER_CODE:
        raise InvalidParameterError(
            f"handover_code: use at least {MIN_HANDOVER_CODE} characters, "
            "or leave it out to have one generated"
        )
    subject = Subject(
        incident_id=incident_id,
        name=name.strip(),
        category=resolved,
        age=age,
        description=description.strip(),
        last_seen_lat=last_seen_lat,
        last_seen_lon=last_seen_lon,
        last_seen_at=last_seen_at,
        guardian_name=" ".join(guardian_name.split()),
        guardian_relation=" ".join(guardian_relation.split()),
        guardian_id_document=id_document,
        handover_code_hash=hash_secret(code),
    )
    session.add(subject)
    session.flush()
    aged = f", age {age:g}" if age is not None else ""
    log_activity(
        session,
        incident_id=incident_id,
        actor=actor,
        kind="subject",
        text=f"subject intake: {subject.name} ({resolved}{aged}), last seen at "
        f"{last_seen_lat:.5f},{last_seen_lon:.5f} at {_clock(last_seen_at)}; "
        f"guardian: {subject.guardian_name} ({subject.guardian_relation})",
    )
    session.commit()
    return subject, code


def get_subject(session: Session, *, incident_id: int, subject_id: int) -> Subject:
    """The subject ``subject_id`` of this incident; :class:`UnknownRecordError` otherwise."""
    subject = session.get(Subject, subject_id)
    if subject is None or subject.incident_id != incident_id:
        raise UnknownRecordError(f"subject {subject_id}: no such subject in incident {incident_id}")
    return subject


def list_subjects(session: Session, incident_id: int) -> Sequence[Subject]:
    """The incident's subjects in the order of intake."""
    get_incident(session, incident_id)
    query = select(Subject).where(Subject.incident_id == incident_id).order_by(Subject.id)
    return session.scalars(query).all()


def report_found(
    session: Session,
    *,
    incident_id: int,
    subject_id: int,
    member_id: int,
    lat: float,
    lon: float,
    condition: str,
    time: datetime,
    actor: str = "system",
) -> Subject:
    """The subject was found by ``member_id`` at ``lat, lon``: record where, when and how."""
    subject = get_subject(session, incident_id=incident_id, subject_id=subject_id)
    _require_status(subject, "missing", "reported found")
    member = get_member(session, incident_id=incident_id, member_id=member_id)
    _check_point(lat, lon)
    _check_aware(time, "time")
    if time < subject.last_seen_at:
        raise InvalidParameterError(
            f"time: {_clock(time)} is before {subject.name} was last seen "
            f"({_clock(subject.last_seen_at)}); give the time of the find"
        )
    if not condition.strip():
        raise InvalidParameterError(
            "condition: say how the subject is (e.g. 'cold, scratched, alert')"
        )
    subject.status = "found"
    subject.found_at = time
    subject.found_by_member_id = member.id
    subject.found_lat = lat
    subject.found_lon = lon
    subject.condition = condition.strip()
    log_activity(
        session,
        incident_id=incident_id,
        actor=actor,
        kind="subject",
        text=f"FOUND: {subject.name} by {member.name} at {lat:.5f},{lon:.5f} at {_clock(time)}, "
        f"condition: {subject.condition}",
    )
    session.commit()
    return subject


def hand_over(
    session: Session,
    *,
    incident_id: int,
    subject_id: int,
    guardian_name: str,
    guardian_relation: str,
    code: str | None = None,
    now: datetime,
    override: str | None = None,
    id_document_checked: str | None = None,
    actor: str = "system",
) -> Subject:
    """Hand the found subject to their guardian: name and relation, then code or override.

    The guardian's name and relation must match the intake record, and then either
    ``code`` the code given at intake, or ``override`` the incident commander's reason for
    handing over without it, with ``id_document_checked``: the identity document the
    commander checked at the handover. Only the incident commander may override; the
    caller checks that (the API asks for ``Permission.MANAGE``). The reason is kept in
    ``Subject.handover_override`` and logged with the document, by ``actor``, at ``now``.

    A mismatch is logged and committed, then :class:`HandoverRefusedError` names the
    fields that did not match (never the stored values). After
    :data:`MAX_HANDOVER_ATTEMPTS` refusals every further attempt with a code is refused
    unchecked; the commander's override is still checked and may hand over.
    """
    subject = get_subject(session, incident_id=incident_id, subject_id=subject_id)
    _require_status(subject, "found", "handed over")
    _check_aware(now, "now")
    why, checked = _override(code, override, id_document_checked)
    refused = _refusals(session, subject)
    if why is None and refused >= MAX_HANDOVER_ATTEMPTS:
        _log_refusal(
            session, subject, actor, f"locked after {MAX_HANDOVER_ATTEMPTS} refused attempts"
        )
        raise HandoverRefusedError(
            f"subject {subject.id}: handover locked after {MAX_HANDOVER_ATTEMPTS} refused "
            f"attempts; {_LOCKED}",
            fields=(),
        )
    checks = [
        ("guardian_name", _same(guardian_name, subject.guardian_name)),
        ("guardian_relation", _same(guardian_relation, subject.guardian_relation)),
    ]
    if why is None:
        checks.append(("code", verify_secret((code or "").strip(), subject.handover_code_hash)))
    mismatched = [field for field, ok in checks if not ok]
    if mismatched:
        _refuse(session, subject, actor, mismatched, refused, override=why is not None)
    subject.status = "handed_over"
    subject.handed_over_at = now
    subject.handed_to = subject.guardian_name
    verified = (
        f"handed over: {subject.name} to {subject.guardian_name} "
        f"({subject.guardian_relation}) at {_clock(now)}; "
    )
    if why is None:
        text = verified + "identity verified: name, relation, handover code"
    else:
        subject.handover_override = why
        text = (
            verified + "identity verified: name, relation; handed over WITHOUT the code on "
            f"the incident commander's override: {why}; ID checked: {checked}"
        )
    log_activity(session, incident_id=incident_id, actor=actor, kind="subject", text=text)
    session.commit()
    return subject


def transfer_subject(
    session: Session,
    *,
    incident_id: int,
    subject_id: int,
    to: str,
    reason: str,
    now: datetime,
    actor: str = "system",
) -> Subject:
    """Transfer the found subject to another agency (EMS, hospital, law enforcement)."""
    subject = get_subject(session, incident_id=incident_id, subject_id=subject_id)
    _require_status(subject, "found", "transferred")
    _check_aware(now, "now")
    if not to.strip():
        raise InvalidParameterError("to: name who takes the subject (e.g. 'County EMS Medic 4')")
    if not reason.strip():
        raise InvalidParameterError("reason: say why the subject is transferred")
    subject.status = "transferred"
    subject.handed_over_at = now
    subject.handed_to = " ".join(to.split())
    log_activity(
        session,
        incident_id=incident_id,
        actor=actor,
        kind="subject",
        text=f"transferred: {subject.name} to {subject.handed_to} at {_clock(now)}; "
        f"reason: {reason.strip()}",
    )
    session.commit()
    return subject


def _require_status(subject: Subject, status: str, action: str) -> None:
    if subject.status != status:
        raise ConflictError(
            f"subject {subject.id}: {subject.name} is {subject.status.replace('_', ' ')}, "
            f"not {status}; only a {status} subject can be {action}"
        )


#: What remains once the code may no longer be tried.
_LOCKED = (
    "the incident commander must override (giving the reason and the ID checked) "
    "or transfer the subject instead"
)


def _override(
    code: str | None, override: str | None, id_document_checked: str | None
) -> tuple[str | None, str]:
    """The override's reason (``None``: the code is used) and the ID document checked."""
    if override is None:
        if code is None:
            raise InvalidParameterError(
                "code: give the handover code the guardian was given at intake (or, as "
                "incident commander, an override with its reason and the ID document checked)"
            )
        if id_document_checked is not None:
            raise InvalidParameterError(
                "id_document_checked: goes with an override only; leave it out with the code"
            )
        return None, ""
    if code is not None:
        raise InvalidParameterError(
            "code, override: give the guardian's code or the incident commander's override, "
            "not both"
        )
    why = " ".join(override.split())
    if not why:
        raise InvalidParameterError(
            "override: give the reason for handing over without the code "
            "(e.g. 'guardian lost the code; identity confirmed by the sheriff's deputy')"
        )
    checked = _id_document(id_document_checked or "", "id_document_checked", "at the handover")
    return why, checked


def _id_document(text: str, field: str, when: str) -> str:
    """The description of an identity document, spacing collapsed; refused when blank."""
    document = " ".join(text.split())
    if not document:
        raise InvalidParameterError(
            f"{field}: say which identity document of the guardian was checked {when} "
            '(e.g. "driver\'s licence TN ...0421")'
        )
    if len(document) > MAX_ID_DOCUMENT:
        raise InvalidParameterError(
            f"{field}: {len(document)} characters; describe the document in at most "
            f"{MAX_ID_DOCUMENT}"
        )
    return document


def _refuse(
    session: Session,
    subject: Subject,
    actor: str,
    mismatched: list[str],
    refused: int,
    *,
    override: bool,
) -> NoReturn:
    """Log and commit the refused handover, then raise :class:`HandoverRefusedError`."""
    fields = ", ".join(mismatched)
    if override:
        _log_refusal(
            session,
            subject,
            actor,
            f"{fields} did not match the intake record (on the incident commander's override)",
        )
        raise HandoverRefusedError(
            f"{fields}: did not match the intake record; handover refused, also on the "
            "incident commander's override. Check the guardian's identity",
            fields=tuple(mismatched),
        )
    attempt = refused + 1
    _log_refusal(
        session,
        subject,
        actor,
        f"{fields} did not match the intake record (attempt {attempt} of {MAX_HANDOVER_ATTEMPTS})",
    )
    left = MAX_HANDOVER_ATTEMPTS - attempt
    then = (
        f"{left} attempt{'s' if left != 1 else ''} left" if left else f"no attempts left: {_LOCKED}"
    )
    raise HandoverRefusedError(
        f"{fields}: did not match the intake record; handover refused ({then}). Check the "
        "guardian's identity and the code they were given at intake",
        fields=tuple(mismatched),
    )


def _log_refusal(session: Session, subject: Subject, actor: str, why: str) -> None:
    """Log and commit a refused handover (the refusal is raised after; the line stays)."""
    log_activity(
        session,
        incident_id=subject.incident_id,
        actor=actor,
        kind=_REFUSED,
        # _refusals counts a subject's refusals by this "subject <id> (" prefix.
        text=f"subject {subject.id} ({subject.name}): handover refused: {why}",
    )
    session.commit()


def _refusals(session: Session, subject: Subject) -> int:
    """How many handovers of ``subject`` were refused (counted in the activity log)."""
    query = select(func.count()).where(
        ActivityLog.incident_id == subject.incident_id,
        ActivityLog.kind == _REFUSED,
        ActivityLog.text.startswith(f"subject {subject.id} (", autoescape=True),
    )
    return session.scalar(query) or 0


def _same(given: str, stored: str) -> bool:
    """Equal ignoring case and runs of whitespace."""
    return " ".join(given.split()).casefold() == " ".join(stored.split()).casefold()


def _check_point(lat: float, lon: float, *, prefix: str = "") -> None:
    if not -90.0 <= lat <= 90.0:
        raise InvalidLocationError(
            f"{prefix}lat: {lat} is outside -90..90 (latitude and longitude swapped?)"
        )
    if not -180.0 <= lon <= 180.0:
        raise InvalidLocationError(f"{prefix}lon: {lon} is outside -180..180")


def _check_aware(time: datetime, name: str) -> None:
    if time.tzinfo is None:
        raise InvalidParameterError(f"{name}: give a timezone, e.g. 2026-06-01T14:03:00Z")


def _clock(time: datetime) -> str:
    return f"{time.astimezone(UTC):%H:%M}Z"
