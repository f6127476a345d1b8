"""wayhome.store.subjects and close_incident: intake, the find, reunification, close-out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from wayhome.access.secrets import verify_secret
from wayhome.errors import (
    AccessDeniedError,
    ConflictError,
    InvalidIntakeError,
    InvalidLocationError,
    InvalidParameterError,
    UnknownCategoryError,
)
from wayhome.store import (
    MAX_HANDOVER_ATTEMPTS,
    HandoverRefusedError,
    UnknownRecordError,
    add_member,
    close_incident,
    create_incident,
    create_subject,
    get_incident,
    get_subject,
    hand_over,
    list_activity,
    list_subjects,
    report_found,
    set_member_status,
    transfer_subject,
)
from wayhome.store.models import Subject

T0 = datetime(2026, 6, 1, 14, 0, tzinfo=UTC)
LAST_SEEN = T0 - timedelta(hours=3)
CODE = "otter-47"


def _intake(session: Session, incident_id: int, **changes: Any) -> tuple[Subject, str]:
    """Lily Moore, 6, whose mother Jane Moore holds the code ``CODE``."""
    fields: dict[str, Any] = {
        "name": "Lily Moore",
        "category": "child",
        "age": 6,
        "last_seen_lat": 36.58,
        "last_seen_lon": -84.25,
        "last_seen_at": LAST_SEEN,
        "guardian_name": "Jane  Moore",
        "guardian_relation": "Mother",
        "guardian_id_document": "driver's licence  TN ...0421",
        "handover_code": CODE,
        **changes,
    }
    return create_subject(session, incident_id=incident_id, **fields)


def _found(session: Session) -> tuple[int, int, int]:
    """An incident with searcher Ada (checked in) who found Lily; (incident, subject, Ada)."""
    incident = create_incident(session, name="Missing child").id
    ada = add_member(session, incident_id=incident, name="Ada").id
    set_member_status(session, incident_id=incident, member_id=ada, status="checked_in")
    subject, _ = _intake(session, incident)
    report_found(
        session,
        incident_id=incident,
        subject_id=subject.id,
        member_id=ada,
        lat=36.59,
        lon=-84.26,
        condition="cold, scratched, alert",
        time=T0,
        actor="Ada (searcher)",
    )
    return incident, subject.id, ada


def _texts(session: Session, incident_id: int) -> list[str]:
    return [line.text for line in list_activity(session, incident_id)]


def test_intake_returns_the_code_once_and_stores_only_its_hash(session: Session) -> None:
    incident = create_incident(session, name="Missing child").id
    subject, code = _intake(session, incident, handover_code=None, description=" red coat ")
    assert len(code) == 8
    assert subject.category == "child_4_6"  # "child" resolved with the age
    assert subject.handover_code_hash != code and code not in subject.handover_code_hash
    assert verify_secret(code, subject.handover_code_hash)
    assert (subject.status, subject.description) == ("missing", "red coat")
    assert subject.guardian_name == "Jane Moore"  # spacing collapsed
    assert subject.guardian_id_document == "driver's licence TN ...0421"
    assert subject.handover_override == ""
    given, kept = _intake(session, incident, name="Tom Moore", age=9)
    assert kept == CODE and verify_secret(CODE, given.handover_code_hash)
    assert [s.name for s in list_subjects(session, incident)] == ["Lily Moore", "Tom Moore"]
    assert get_subject(session, incident_id=incident, subject_id=given.id) is given
    intake = [t for t in _texts(session, incident) if t.startswith("subject intake:")]
    assert intake[0] == (
        "subject intake: Lily Moore (child_4_6, age 6), last seen at 36.58000,-84.25000 "
        "at 11:00Z; guardian: Jane Moore (Mother)"
    )
    assert all(code not in t and CODE not in t for t in _texts(session, incident))


@pytest.mark.parametrize(
    ("changes", "error", "words"),
    [
        ({"category": "wizard"}, UnknownCategoryError, "valid: "),
        ({"age": None}, InvalidIntakeError, "age"),
        ({"last_seen_lat": 136.58}, InvalidLocationError, "last_seen_lat: 136.58"),
        ({"last_seen_lon": 200.0}, InvalidLocationError, "last_seen_lon"),
        ({"guardian_name": "  "}, InvalidParameterError, "guardian_name"),
        ({"guardian_relation": ""}, InvalidParameterError, "guardian_relation"),
        ({"guardian_id_document": " "}, InvalidParameterError, "guardian_id_document: say"),
        ({"guardian_id_document": "x" * 201}, InvalidParameterError, "at most 200"),
        ({"handover_code": "abc12"}, InvalidParameterError, "handover_code: use at least 6"),
        ({"name": " "}, InvalidParameterError, "name"),
        ({"last_seen_at": datetime(2026, 6, 1, 11)}, InvalidParameterError, "timezone"),
    ],
)
def test_bad_intake_is_refused_naming_the_field(
    session: Session, changes: dict[str, Any], error: type[Exception], words: str
) -> None:
    incident = create_incident(session, name="Missing child").id
    with pytest.raises(error, match=words):
        _intake(session, incident, **changes)
    assert list_subjects(session, incident) == []


def test_unknown_subject_or_member_is_an_unknown_record(session: Session) -> None:
    incident = create_incident(session, name="Missing child").id
    other = create_incident(session, name="Other").id
    subject, _ = _intake(session, incident)
    with pytest.raises(UnknownRecordError, match=f"subject {subject.id}"):
        get_subject(session, incident_id=other, subject_id=subject.id)
    found: dict[str, Any] = {"lat": 36.5, "lon": -84.2, "condition": "alert", "time": T0}
    with pytest.raises(UnknownRecordError, match="member 999"):
        report_found(session, incident_id=incident, subject_id=subject.id, member_id=999, **found)
    assert get_subject(session, incident_id=incident, subject_id=subject.id).status == "missing"


def test_found_only_once_and_not_before_last_seen(session: Session) -> None:
    incident, subject, ada = _found(session)
    found = get_subject(session, incident_id=incident, subject_id=subject)
    assert (found.status, found.found_by_member_id, found.found_at) == ("found", ada, T0)
    assert (found.found_lat, found.found_lon) == (36.59, -84.26)
    again: dict[str, Any] = {"lat": 36.5, "lon": -84.2, "condition": "alert", "time": T0}
    with pytest.raises(ConflictError, match="is found, not missing"):
        report_found(session, incident_id=incident, subject_id=subject, member_id=ada, **again)
    assert _texts(session, incident)[-1] == (
        "FOUND: Lily Moore by Ada at 36.59000,-84.26000 at 14:00Z, "
        "condition: cold, scratched, alert"
    )
    early, _ = _intake(session, incident, name="Tom")
    with pytest.raises(InvalidParameterError, match="before Tom was last seen"):
        report_found(
            session,
            incident_id=incident,
            subject_id=early.id,
            member_id=ada,
            lat=36.5,
            lon=-84.2,
            condition="alert",
            time=LAST_SEEN - timedelta(minutes=1),
        )


def test_a_wrong_code_is_refused_logged_and_the_subject_stays_found(session: Session) -> None:
    incident, subject, _ = _found(session)
    with pytest.raises(HandoverRefusedError) as refused:
        hand_over(
            session,
            incident_id=incident,
            subject_id=subject,
            guardian_name="Jane Moore",
            guardian_relation="mother",
            code="otter-48",
            now=T0,
            actor="Ben (operations)",
        )
    assert isinstance(refused.value, AccessDeniedError)  # the API answers 403
    assert refused.value.fields == ("code",)
    message = str(refused.value)
    assert message.startswith("code: did not match the intake record")
    assert CODE not in message and "4 attempts left" in message
    session.expire_all()  # what was committed, not what the session holds
    assert get_subject(session, incident_id=incident, subject_id=subject).status == "found"
    [line] = [a for a in list_activity(session, incident) if a.kind == "handover_refused"]
    assert (line.actor, line.text) == (
        "Ben (operations)",
        f"subject {subject} (Lily Moore): handover refused: code did not match the intake record "
        f"(attempt 1 of {MAX_HANDOVER_ATTEMPTS})",
    )
    with pytest.raises(HandoverRefusedError) as both:
        hand_over(
            session,
            incident_id=incident,
            subject_id=subject,
            guardian_name="John Moore",
            guardian_relation="father",
            code=CODE,
            now=T0,
        )
    assert both.value.fields == ("guardian_name", "guardian_relation")
    assert "Jane" not in str(both.value) and "Mother" not in str(both.value)


def test_matching_details_hand_over_ignoring_case_and_spacing(session: Session) -> None:
    incident, subject, _ = _found(session)
    done = hand_over(
        session,
        incident_id=incident,
        subject_id=subject,
        guardian_name="  jane   MOORE ",
        guardian_relation="MOTHER",
        code=f" {CODE} ",
        now=T0 + timedelta(minutes=40),
        actor="Ben (operations)",
    )
    assert (done.status, done.handed_to) == ("handed_over", "Jane Moore")
    assert done.handed_over_at == T0 + timedelta(minutes=40)
    assert _texts(session, incident)[-1] == (
        "handed over: Lily Moore to Jane Moore (Mother) at 14:40Z; "
        "identity verified: name, relation, handover code"
    )
    with pytest.raises(ConflictError, match="is handed over, not found"):
        transfer_subject(
            session, incident_id=incident, subject_id=subject, to="EMS", reason="x", now=T0
        )


def test_a_missing_subject_cannot_be_handed_over(session: Session) -> None:
    incident = create_incident(session, name="Missing child").id
    subject, code = _intake(session, incident)
    with pytest.raises(ConflictError, match="is missing, not found"):
        hand_over(
            session,
            incident_id=incident,
            subject_id=subject.id,
            guardian_name="Jane Moore",
            guardian_relation="Mother",
            code=code,
            now=T0,
        )


def test_after_five_refusals_only_a_transfer_remains(session: Session) -> None:
    incident, subject, _ = _found(session)
    details: dict[str, Any] = {"guardian_name": "Jane Moore", "guardian_relation": "Mother"}
    for attempt in range(1, MAX_HANDOVER_ATTEMPTS + 1):
        with pytest.raises(HandoverRefusedError, match="code") as refused:
            hand_over(
                session,
                incident_id=incident,
                subject_id=subject,
                code=f"guess-{attempt}",
                now=T0,
                **details,
            )
    assert "no attempts left: the incident commander must override" in str(refused.value)
    with pytest.raises(HandoverRefusedError, match=r"must override .* or transfer") as locked:
        hand_over(session, incident_id=incident, subject_id=subject, code=CODE, now=T0, **details)
    assert locked.value.fields == ()  # the right code is not even checked
    assert get_subject(session, incident_id=incident, subject_id=subject).status == "found"
    done = transfer_subject(
        session,
        incident_id=incident,
        subject_id=subject,
        to="Sheriff's Office",
        reason="guardian could not be verified",
        now=T0 + timedelta(hours=1),
        actor="Agency Admin (incident_commander)",
    )
    assert (done.status, done.handed_to) == ("transferred", "Sheriff's Office")
    log = _texts(session, incident)
    assert sum("handover refused" in t for t in log) == MAX_HANDOVER_ATTEMPTS + 1
    assert log[-2].endswith("handover refused: locked after 5 refused attempts")
    assert log[-1] == (
        "transferred: Lily Moore to Sheriff's Office at 15:00Z; "
        "reason: guardian could not be verified"
    )


def test_refusals_are_counted_per_subject(session: Session) -> None:
    incident, lily, ada = _found(session)
    tom, tom_code = _intake(session, incident, name="Tom Moore", age=9, handover_code=None)
    report_found(
        session,
        incident_id=incident,
        subject_id=tom.id,
        member_id=ada,
        lat=36.5,
        lon=-84.2,
        condition="fine",
        time=T0,
    )
    details: dict[str, Any] = {
        "guardian_name": "Jane Moore",
        "guardian_relation": "Mother",
        "now": T0,
    }
    for _ in range(MAX_HANDOVER_ATTEMPTS):
        with pytest.raises(HandoverRefusedError):
            hand_over(session, incident_id=incident, subject_id=lily, code="nope-nope", **details)
    done = hand_over(session, incident_id=incident, subject_id=tom.id, code=tom_code, **details)
    assert done.status == "handed_over"


def test_transfer_needs_a_receiver_and_a_reason(session: Session) -> None:
    incident, subject, _ = _found(session)
    with pytest.raises(InvalidParameterError, match="to: "):
        transfer_subject(
            session, incident_id=incident, subject_id=subject, to=" ", reason="x", now=T0
        )
    with pytest.raises(InvalidParameterError, match="reason: "):
        transfer_subject(
            session, incident_id=incident, subject_id=subject, to="EMS", reason="", now=T0
        )
    assert get_subject(session, incident_id=incident, subject_id=subject).status == "found"


def test_close_waits_for_checkout_and_reunification(session: Session) -> None:
    incident, subject, ada = _found(session)
    add_member(session, incident_id=incident, name="Never came")  # pending: does not block
    with pytest.raises(ConflictError) as refused:
        close_incident(session, incident_id=incident, now=T0, actor="IC")
    message = str(refused.value)
    assert "1 member not checked out: Ada (checked_in)" in message
    assert "subject not handed over or transferred: Lily Moore (found)" in message
    assert "Never came" not in message
    set_member_status(session, incident_id=incident, member_id=ada, status="checked_out")
    with pytest.raises(ConflictError, match=r"Lily Moore \(found\)") as still:
        close_incident(session, incident_id=incident, now=T0, actor="IC")
    assert "member" not in str(still.value)
    hand_over(
        session,
        incident_id=incident,
        subject_id=subject,
        guardian_name="Jane Moore",
        guardian_relation="mother",
        code=CODE,
        now=T0,
        actor="Ben (operations)",
    )
    closed = close_incident(session, incident_id=incident, now=T0 + timedelta(hours=2), actor="IC")
    assert (closed.status, closed.closed_at) == ("closed", T0 + timedelta(hours=2))
    with pytest.raises(ConflictError, match="already closed at 2026-06-01 16:00Z"):
        close_incident(session, incident_id=incident, now=T0, actor="IC")
    story = [t for t in _texts(session, incident) if not t.startswith(("member added", "Ada:"))]
    assert story == [
        "incident opened: Missing child",
        "subject intake: Lily Moore (child_4_6, age 6), last seen at 36.58000,-84.25000 at "
        "11:00Z; guardian: Jane Moore (Mother)",
        "FOUND: Lily Moore by Ada at 36.59000,-84.26000 at 14:00Z, condition: cold, scratched, "
        "alert",
        "handed over: Lily Moore to Jane Moore (Mother) at 14:00Z; identity verified: name, "
        "relation, handover code",
        "incident closed: Missing child; Lily Moore handed over to Jane Moore; "
        "roster: 1 checked out, 1 never checked in",
    ]


def test_close_without_a_subject_suspends_the_search(session: Session) -> None:
    incident = create_incident(session, name="Overdue hiker").id
    ids = [add_member(session, incident_id=incident, name=f"M{i:02d}").id for i in range(12)]
    for m in ids:
        set_member_status(session, incident_id=incident, member_id=m, status="assigned")
    with pytest.raises(ConflictError) as refused:
        close_incident(session, incident_id=incident, now=T0)
    message = str(refused.value)
    assert "12 members not checked out: M00 (assigned), " in message
    assert "M09 (assigned) and 2 more; check them out first" in message
    assert "M10" not in message and "subject" not in message
    for m in ids:
        set_member_status(session, incident_id=incident, member_id=m, status="checked_out")
    close_incident(session, incident_id=incident, now=T0)
    assert get_incident(session, incident).status == "closed"
    assert _texts(session, incident)[-1] == (
        "incident closed: Overdue hiker; search suspended, no subject recorded; "
        "roster: 12 checked out, 0 never checked in"
    )


def test_a_missing_subject_holds_the_incident_open(session: Session) -> None:
    incident = create_incident(session, name="Missing child").id
    _intake(session, incident)
    with pytest.raises(ConflictError, match=r"Lily Moore \(missing\)"):
        close_incident(session, incident_id=incident, now=T0)
    assert get_incident(session, incident).status == "open"


# --- The incident commander's override -------------------------------------------------

OVERRIDE: dict[str, Any] = {
    "guardian_name": "Jane Moore",
    "guardian_relation": "mother",
    "override": "guardian lost the code; known to the deputy",
    "id_document_checked": "passport  GB ...7731",
}


def test_the_commanders_override_hands_over_without_the_code_and_is_logged(
    session: Session,
) -> None:
    incident, subject, _ = _found(session)
    hand_over(
        session,
        incident_id=incident,
        subject_id=subject,
        now=T0 + timedelta(minutes=5),
        actor="Agency Admin (incident_commander)",
        **OVERRIDE,
    )
    session.expire_all()  # what was committed
    done = get_subject(session, incident_id=incident, subject_id=subject)
    assert (done.status, done.handed_to) == ("handed_over", "Jane Moore")
    assert done.handover_override == "guardian lost the code; known to the deputy"
    [line] = [a for a in list_activity(session, incident) if a.text.startswith("handed over")]
    assert line.actor == "Agency Admin (incident_commander)"
    assert line.text == (
        "handed over: Lily Moore to Jane Moore (Mother) at 14:05Z; identity verified: name, "
        "relation; handed over WITHOUT the code on the incident commander's override: "
        "guardian lost the code; known to the deputy; ID checked: passport GB ...7731"
    )


def test_the_override_still_checks_the_guardians_name_and_relation(session: Session) -> None:
    incident, subject, _ = _found(session)
    with pytest.raises(HandoverRefusedError) as refused:
        hand_over(
            session,
            incident_id=incident,
            subject_id=subject,
            now=T0,
            actor="IC",
            **{**OVERRIDE, "guardian_name": "June Moore"},
        )
    assert refused.value.fields == ("guardian_name",)
    assert "also on the incident commander's override" in str(refused.value)
    session.expire_all()
    found = get_subject(session, incident_id=incident, subject_id=subject)
    assert (found.status, found.handover_override) == ("found", "")
    assert _texts(session, incident)[-1] == (
        f"subject {subject} (Lily Moore): handover refused: guardian_name did not match the "
        "intake record (on the incident commander's override)"
    )


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"override": "  "}, "override: give the reason"),
        ({"override": ""}, "override: give the reason"),
        ({"id_document_checked": None}, "id_document_checked: say which identity document"),
        ({"id_document_checked": " "}, "id_document_checked: say which identity document"),
        ({"code": CODE}, "code, override: give the guardian's code or"),
        ({"override": None, "id_document_checked": None}, "code: give the handover code"),
        ({"override": None, "code": CODE}, "id_document_checked: goes with an override only"),
    ],
)
def test_a_bad_override_is_refused_naming_the_field_and_nothing_is_written(
    session: Session, changes: dict[str, Any], words: str
) -> None:
    incident, subject, _ = _found(session)
    before = _texts(session, incident)
    with pytest.raises(InvalidParameterError, match=words):
        hand_over(
            session, incident_id=incident, subject_id=subject, now=T0, **{**OVERRIDE, **changes}
        )
    session.expire_all()
    assert get_subject(session, incident_id=incident, subject_id=subject).status == "found"
    assert _texts(session, incident) == before


def test_the_lockout_does_not_block_the_commanders_override(session: Session) -> None:
    incident, subject, _ = _found(session)
    details: dict[str, Any] = {"guardian_name": "Jane Moore", "guardian_relation": "Mother"}
    for attempt in range(MAX_HANDOVER_ATTEMPTS + 1):
        with pytest.raises(HandoverRefusedError):
            hand_over(
                session,
                incident_id=incident,
                subject_id=subject,
                code=f"guess-{attempt}",
                now=T0,
                **details,
            )
    done = hand_over(session, incident_id=incident, subject_id=subject, now=T0, **OVERRIDE)
    assert (done.status, done.handover_override) == ("handed_over", OVERRIDE["override"])
    assert "WITHOUT the code" in _texts(session, incident)[-1]
