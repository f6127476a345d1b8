"""The watch/rest rotation for the night or the next period (OR-Tools CP-SAT).

An impossible set of rules is a 422 problem that says why in plain words, e.g.
"team 3's pair must stay together, but one of them has 0 h of duty left".
"""

from __future__ import annotations

from fastapi import APIRouter

from wayhome.api.auth import OperatorDep
from wayhome.api.deps import SessionDep
from wayhome.api.schemas import RotationCreate, RotationPublic, RotationSlotPublic
from wayhome.store.rotation import plan_incident_rotation

__all__ = ["create", "router"]

router = APIRouter(prefix="/incidents/{incident_id}/rotation", tags=["rest rotation"])


@router.post("")
def create(
    incident_id: int, body: RotationCreate, session: SessionDep, actor: OperatorDep
) -> RotationPublic:
    """Plan who stands watch when: pairs together, apart kept apart, fatigue respected."""
    planned = plan_incident_rotation(
        session,
        incident_id=incident_id,
        starts_at=body.starts_at,
        horizon_h=body.horizon_h,
        slot_h=body.slot_h,
        watch_size=body.watch_size,
        max_consecutive_h=body.max_consecutive_h,
        apart=[(a, b) for a, b in body.apart],
        duty_left_h={int(k): v for k, v in body.duty_left_h.items()},
        default_duty_left_h=body.default_duty_left_h,
        min_rest_h=body.min_rest_h,
        actor=actor.label,
    )
    names = {str(i): m.name for i, m in planned.members.items()}
    slots = [
        RotationSlotPublic(
            starts_at=start,
            hours=planned.slot_h,
            member_ids=[int(i) for i in on],
            names=[names[i] for i in on],
        )
        for start, on in zip(planned.starts, planned.rotation.slots, strict=True)
    ]
    return RotationPublic(
        slots=slots,
        hours={int(k): v for k, v in planned.rotation.hours.items()},
        optimal=planned.rotation.optimal,
    )
