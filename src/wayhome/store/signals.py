"""Signals: send a codebook signal to a member, a team or everyone; track acknowledgements.

Each recipient gets one delivery row. Everyone means every member in the field (checked
in or assigned); a member or a team is addressed whatever their status. Acknowledging
twice changes nothing. Sending and each acknowledgement write one activity-log line.

A device may give its own ``client_id`` for a signal (a phone's offline queue does), so a
signal sent twice after a dead spot is stored once: the same id with the same content
comes back as stored (:attr:`SentSignal.created` is ``False``, nothing is logged); the
same id with other content is refused as a :class:`~wayhome.errors.ConflictError`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from wayhome.errors import InvalidParameterError
from wayhome.ops.signals import signal_from_code
from wayhome.store.errors import UnknownRecordError, require_same_replay
from wayhome.store.incidents import get_incident, log_activity
from wayhome.store.models import Member, SignalDelivery, SignalMessage, TeamMember
from wayhome.store.roster import FIELD_STATUSES, get_member, get_team

__all__ = [
    "RecordedAck",
    "SentSignal",
    "acknowledge_signal",
    "get_signal",
    "list_signals",
    "record_signal",
    "send_signal",
]


@dataclass(frozen=True, slots=True)
class RecordedAck:
    """A signal after an acknowledgement, and whether this call recorded it."""

    signal: SignalMessage
    recorded: bool


@dataclass(frozen=True, slots=True)
class SentSignal:
    """A stored signal and whether this call stored it (``False``: a replay of its client id)."""

    signal: SignalMessage
    created: bool


def _recipients(
    session: Session, incident_id: int, member_id: int | None, team_id: int | None
) -> tuple[str, Sequence[Member]]:
    if member_id is not None and team_id is not None:
        raise InvalidParameterError("member_id, team_id: address one member or one team, not both")
    if member_id is not None:
        member = get_member(session, incident_id=incident_id, member_id=member_id)
        return member.name, [member]
    query = select(Member).where(Member.incident_id == incident_id)
    if team_id is not None:
        team = get_team(session, incident_id=incident_id, team_id=team_id)
        query = query.join(TeamMember, TeamMember.member_id == Member.id).where(
            TeamMember.team_id == team_id
        )
        return f"team {team.name}", session.scalars(query.order_by(Member.id)).all()
    query = query.where(Member.status.in_(FIELD_STATUSES))
    return "everyone in the field", session.scalars(query.order_by(Member.id)).all()


def send_signal(
    session: Session,
    *,
    incident_id: int,
    code: str,
    now: datetime,
    member_id: int | None = None,
    team_id: int | None = None,
    actor: str = "system",
    client_id: uuid.UUID | None = None,
) -> SignalMessage:
    """Send ``code`` to one member, one team, or (neither given) everyone in the field.

    See :func:`record_signal`; this gives the signal alone.
    """
    return record_signal(
        session,
        incident_id=incident_id,
        code=code,
        now=now,
        member_id=member_id,
        team_id=team_id,
        actor=actor,
        client_id=client_id,
    ).signal


def _find_by_client_id(
    session: Session, incident_id: int, client_id: uuid.UUID
) -> SignalMessage | None:
    query = select(SignalMessage).where(
        SignalMessage.incident_id == incident_id, SignalMessage.client_id == client_id
    )
    return session.scalars(query).one_or_none()


def _check_replay(
    stored: SignalMessage, client_id: uuid.UUID, sent: dict[str, object]
) -> SentSignal:
    require_same_replay(
        stored,
        sent,
        stored_as=f"client_id: signal {stored.id} was sent with client id {client_id} and",
        fix="a replay repeats the signal exactly, a new signal needs a new id",
    )
    return SentSignal(stored, created=False)


def record_signal(
    session: Session,
    *,
    incident_id: int,
    code: str,
    now: datetime,
    member_id: int | None = None,
    team_id: int | None = None,
    actor: str = "system",
    client_id: uuid.UUID | None = None,
) -> SentSignal:
    """Send ``code`` to one member, one team, or (neither given) everyone in the field.

    Parameters
    ----------
    session : Session
        The unit of work (committed before return).
    incident_id : int
        The incident.
    code : str
        A codebook code (:func:`wayhome.ops.signals.signal_codebook`).
    now : datetime
        When it is sent.
    member_id, team_id : int, optional
        The addressee: one member or one team; everyone in the field when neither.
    actor : str
        Who sent it, for the activity log.
    client_id : uuid.UUID, optional
        The sending device's id for this signal: a replay of it is stored once.

    Returns
    -------
    SentSignal
        The signal with its deliveries; ``created`` is ``False`` for a replay of
        ``client_id`` (nothing new is stored, logged or delivered).

    Raises
    ------
    ConflictError
        ``client_id`` was used for a signal with another code or addressee.
    InvalidParameterError
        An unknown code, both addressees, or nobody to signal.
    UnknownRecordError
        No such incident, member or team.
    """
    get_incident(session, incident_id)
    signal = signal_from_code(code)
    sent: dict[str, object] = {"code": code, "member_id": member_id, "team_id": team_id}
    for attempt in range(2):
        if client_id is not None:
            stored = _find_by_client_id(session, incident_id, client_id)
            if stored is not None:
                return _check_replay(stored, client_id, sent)
        scope, recipients = _recipients(session, incident_id, member_id, team_id)
        if not recipients:
            raise InvalidParameterError(
                f"team_id: nobody of {scope} to signal; check members in or name a member"
            )
        try:
            message = SignalMessage(
                incident_id=incident_id,
                code=code,
                member_id=member_id,
                team_id=team_id,
                sent_at=now,
                actor=actor,
                client_id=client_id,
            )
            session.add(message)
            session.flush()
            session.add_all(
                SignalDelivery(signal_id=message.id, member_id=m.id) for m in recipients
            )
            ack = ", acknowledgement required" if signal.requires_ack else ""
            log_activity(
                session,
                incident_id=incident_id,
                actor=actor,
                kind="signal",
                text=f"signal {message.id} {code!r} ({signal.meaning}) sent to {scope}: "
                f"{len(recipients)} recipient{'s' if len(recipients) != 1 else ''}{ack}",
            )
            session.commit()
        except IntegrityError:
            # Another request stored this client id meanwhile: look again, it is a replay now.
            session.rollback()
            if attempt or client_id is None:
                raise
            continue
        session.refresh(message, ["deliveries"])
        return SentSignal(message, created=True)
    raise AssertionError("unreachable")  # pragma: no cover


def get_signal(session: Session, *, incident_id: int, signal_id: int) -> SignalMessage:
    """The signal ``signal_id`` of this incident; :class:`UnknownRecordError` otherwise."""
    message = session.get(SignalMessage, signal_id)
    if message is None or message.incident_id != incident_id:
        raise UnknownRecordError(f"signal {signal_id}: no such signal in incident {incident_id}")
    return message


def list_signals(session: Session, incident_id: int) -> Sequence[SignalMessage]:
    """The incident's signals, oldest first."""
    get_incident(session, incident_id)
    query = select(SignalMessage).where(SignalMessage.incident_id == incident_id)
    return session.scalars(query.order_by(SignalMessage.id)).all()


def acknowledge_signal(
    session: Session,
    *,
    incident_id: int,
    signal_id: int,
    member_id: int,
    now: datetime,
    actor: str | None = None,
) -> RecordedAck:
    """The recipient ``member_id`` confirms the signal; a repeat is not recorded again.

    ``actor`` names who sent the acknowledgement for the log; by default the recipient.
    """
    message = get_signal(session, incident_id=incident_id, signal_id=signal_id)
    delivery = next((d for d in message.deliveries if d.member_id == member_id), None)
    if delivery is None:
        raise UnknownRecordError(
            f"member_id: member {member_id} is not a recipient of signal {signal_id}"
        )
    changed = session.execute(
        update(SignalDelivery)
        .where(SignalDelivery.id == delivery.id, SignalDelivery.status != "acknowledged")
        .values(status="acknowledged", acknowledged_at=now)
    )
    if not changed.rowcount:  # type: ignore[attr-defined]
        session.commit()  # nothing was written: a repeated acknowledgement
        return RecordedAck(message, recorded=False)
    member = get_member(session, incident_id=incident_id, member_id=member_id)
    log_activity(
        session,
        incident_id=incident_id,
        actor=actor or member.name,
        kind="signal",
        text=f"signal {signal_id} {message.code!r}: {member.name} acknowledged",
    )
    session.commit()
    session.refresh(message, ["deliveries"])
    return RecordedAck(message, recorded=True)
