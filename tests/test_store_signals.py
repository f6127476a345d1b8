"""wayhome.store.signals: sending codebook signals and acknowledging them (SQLite and PG)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wayhome.errors import InvalidParameterError, UnknownSignalError
from wayhome.store import (
    Pair,
    UnknownRecordError,
    acknowledge_signal,
    add_member,
    create_incident,
    create_team,
    get_signal,
    list_activity,
    list_signals,
    send_signal,
    set_member_status,
)
from wayhome.store.models import SignalDelivery, SignalMessage

T0 = datetime(2026, 6, 1, 14, 0, tzinfo=UTC)


def _team(
    session: Session, incident_id: int, names: list[str], status: str
) -> tuple[int, list[int]]:
    """A team of ``names`` in pairs, each member set to ``status``."""
    ids = [add_member(session, incident_id=incident_id, name=n).id for n in names]
    for m in ids:
        set_member_status(session, incident_id=incident_id, member_id=m, status=status)
    pairs = [Pair(tuple(ids[i : i + 2])) for i in range(0, len(ids), 2)]
    return create_team(session, incident_id=incident_id, name=names[0], pairs=pairs).id, ids


def _signal_log(session: Session, incident_id: int) -> list[str]:
    return [a.text for a in list_activity(session, incident_id) if a.kind == "signal"]


def _count(session: Session, table: type[SignalMessage] | type[SignalDelivery]) -> int:
    return session.scalar(select(func.count()).select_from(table)) or 0


def test_a_team_signal_is_delivered_to_each_member_and_acknowledged_once(
    session: Session,
) -> None:
    incident = create_incident(session, name="x").id
    team, (ada, ben) = _team(session, incident, ["Ada", "Ben"], "assigned")
    sent = send_signal(
        session,
        incident_id=incident,
        code="return_to_rendezvous",
        team_id=team,
        now=T0,
        actor="ops",
    )
    assert (sent.code, sent.team_id, sent.member_id, sent.sent_at) == (
        "return_to_rendezvous",
        team,
        None,
        T0,
    )
    assert [(d.member_id, d.status) for d in sent.deliveries] == [
        (ada, "delivered"),
        (ben, "delivered"),
    ]
    later = T0 + timedelta(minutes=2)
    first = acknowledge_signal(
        session, incident_id=incident, signal_id=sent.id, member_id=ben, now=later
    )
    again = acknowledge_signal(
        session,
        incident_id=incident,
        signal_id=sent.id,
        member_id=ben,
        now=later + timedelta(minutes=1),
    )
    assert (first.recorded, again.recorded) == (True, False)
    acks = {d.member_id: (d.status, d.acknowledged_at) for d in again.signal.deliveries}
    assert acks == {ada: ("delivered", None), ben: ("acknowledged", later)}  # the first stands
    assert _signal_log(session, incident) == [
        f"signal {sent.id} 'return_to_rendezvous' (stop searching and return to the rendezvous "
        "point) sent to team Ada: 2 recipients, acknowledgement required",
        f"signal {sent.id} 'return_to_rendezvous': Ben acknowledged",
    ]
    assert list_activity(session, incident)[-2].actor == "ops"
    assert list_activity(session, incident)[-1].actor == "Ben"


def test_everyone_means_the_field_and_one_member_whatever_their_status(
    session: Session,
) -> None:
    incident = create_incident(session, name="x").id
    _, (ada, ben) = _team(session, incident, ["Ada", "Ben"], "checked_in")
    _, (cora, dev) = _team(session, incident, ["Cora", "Dev"], "assigned")
    resting = add_member(session, incident_id=incident, name="Eve").id
    set_member_status(session, incident_id=incident, member_id=resting, status="out_of_service")
    everyone = send_signal(session, incident_id=incident, code="two", now=T0)
    assert [d.member_id for d in everyone.deliveries] == [ada, ben, cora, dev]
    one = send_signal(session, incident_id=incident, code="found", member_id=resting, now=T0)
    assert [d.member_id for d in one.deliveries] == [resting]
    log = _signal_log(session, incident)
    assert log[0] == f"signal {everyone.id} 'two' (no) sent to everyone in the field: 4 recipients"
    assert log[1].startswith(
        f"signal {one.id} 'found' (the subject is found; hold position and await "
        "instructions) sent to Eve: 1 recipient"
    )
    assert log[1].endswith("acknowledgement required")
    assert len(log) == 2
    assert [s.id for s in list_signals(session, incident)] == [everyone.id, one.id]
    assert get_signal(session, incident_id=incident, signal_id=one.id).member_id == resting


def test_send_refusals_store_nothing(session: Session) -> None:
    incident = create_incident(session, name="x").id
    lone = add_member(session, incident_id=incident, name="Pending").id  # not in the field
    with pytest.raises(InvalidParameterError, match="nobody of everyone in the field"):
        send_signal(session, incident_id=incident, code="two", now=T0)
    team, (ada, _) = _team(session, incident, ["Ada", "Ben"], "checked_in")
    with pytest.raises(UnknownSignalError, match="'wave' is not a signal; use one of two, yes"):
        send_signal(session, incident_id=incident, code="wave", now=T0)
    with pytest.raises(InvalidParameterError, match="member_id, team_id: address one"):
        send_signal(session, incident_id=incident, code="two", member_id=ada, team_id=team, now=T0)
    with pytest.raises(UnknownRecordError, match="team 999"):
        send_signal(session, incident_id=incident, code="two", team_id=999, now=T0)
    other = create_incident(session, name="y").id
    with pytest.raises(UnknownRecordError, match=f"member {lone}: not on the roster"):
        send_signal(session, incident_id=other, code="two", member_id=lone, now=T0)
    with pytest.raises(UnknownRecordError, match="incident 999"):
        send_signal(session, incident_id=999, code="two", now=T0)
    session.rollback()
    assert (_count(session, SignalMessage), _count(session, SignalDelivery)) == (0, 0)
    assert _signal_log(session, incident) == []


def test_acknowledge_refusals(session: Session) -> None:
    incident = create_incident(session, name="x").id
    _, (ada, ben) = _team(session, incident, ["Ada", "Ben"], "checked_in")
    sent = send_signal(session, incident_id=incident, code="hazard", member_id=ada, now=T0)
    with pytest.raises(UnknownRecordError, match=f"member {ben} is not a recipient"):
        acknowledge_signal(session, incident_id=incident, signal_id=sent.id, member_id=ben, now=T0)
    other = create_incident(session, name="y").id
    with pytest.raises(UnknownRecordError, match=f"signal {sent.id}: no such signal"):
        acknowledge_signal(session, incident_id=other, signal_id=sent.id, member_id=ada, now=T0)
    with pytest.raises(UnknownRecordError, match="incident 999"):
        list_signals(session, 999)
    stored = get_signal(session, incident_id=incident, signal_id=sent.id)
    assert [d.status for d in stored.deliveries] == ["delivered"]
    assert len(_signal_log(session, incident)) == 1  # only the sending
