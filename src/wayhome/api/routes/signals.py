"""Signals: send a codebook signal, list them, acknowledge one; each change is pushed live."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from wayhome.api.auth import ReaderDep, ReporterDep
from wayhome.api.deps import HubDep, NowDep, SessionDep
from wayhome.api.hub import LiveHub
from wayhome.api.schemas import SignalAckCreate, SignalCreate, SignalPublic
from wayhome.ops.signals import signal_from_code
from wayhome.store import acknowledge_signal, get_signal, list_signals, record_signal
from wayhome.store.models import SignalMessage

__all__ = ["acknowledge", "create", "list_all", "read", "router"]

router = APIRouter(prefix="/incidents/{incident_id}/signals", tags=["signals"])


def _public(message: SignalMessage) -> SignalPublic:
    signal = signal_from_code(message.code)
    return SignalPublic.model_validate(
        {
            "id": message.id,
            "incident_id": message.incident_id,
            "code": message.code,
            "meaning": signal.meaning,
            "requires_ack": signal.requires_ack,
            "member_id": message.member_id,
            "team_id": message.team_id,
            "sent_at": message.sent_at,
            "deliveries": message.deliveries,
            "client_id": message.client_id,
        },
        from_attributes=True,
    )


def _publish(hub: LiveHub, event: str, message: SignalMessage) -> SignalPublic:
    public = _public(message)
    body = {"type": "signal", "event": event, "signal": public.model_dump(mode="json")}
    hub.publish(message.incident_id, body)
    return public


@router.post("", status_code=status.HTTP_201_CREATED)
def create(
    incident_id: int,
    body: SignalCreate,
    session: SessionDep,
    hub: HubDep,
    now: NowDep,
    response: Response,
    actor: ReporterDep,
) -> SignalPublic:
    """Send a signal to one member, one team, or everyone in the field.

    With a ``client_id``, a replay of the same signal answers 200 with the stored one (not
    logged or pushed again); the same id with another signal is refused (409).
    """
    sent = record_signal(
        session,
        incident_id=incident_id,
        code=body.code,
        member_id=body.member_id,
        team_id=body.team_id,
        now=now,
        actor=actor.label,
        client_id=body.client_id,
    )
    if not sent.created:
        response.status_code = status.HTTP_200_OK
        return _public(sent.signal)
    return _publish(hub, "sent", sent.signal)


@router.get("")
def list_all(incident_id: int, session: SessionDep, actor: ReaderDep) -> list[SignalPublic]:
    """The incident's signals, oldest first, with each recipient's delivery."""
    return [_public(m) for m in list_signals(session, incident_id)]


@router.get("/{signal_id}")
def read(incident_id: int, signal_id: int, session: SessionDep, actor: ReaderDep) -> SignalPublic:
    """One signal with every recipient's delivery and acknowledgement."""
    return _public(get_signal(session, incident_id=incident_id, signal_id=signal_id))


@router.post("/{signal_id}/acks")
def acknowledge(
    incident_id: int,
    signal_id: int,
    body: SignalAckCreate,
    session: SessionDep,
    hub: HubDep,
    now: NowDep,
    actor: ReporterDep,
) -> SignalPublic:
    """A recipient confirms the signal; repeats change nothing and are not pushed again."""
    actor.require_reports_for(body.member_id)
    result = acknowledge_signal(
        session,
        incident_id=incident_id,
        signal_id=signal_id,
        member_id=body.member_id,
        now=now,
        actor=actor.label,
    )
    if not result.recorded:
        return _public(result.signal)
    return _publish(hub, "acknowledged", result.signal)
