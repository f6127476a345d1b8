"""The night's watch/rest rotation of an incident's roster (:mod:`wayhome.ops.rotation`).

Who stands watch: members checked in or assigned (the injured are out of service). Pairs
come from the teams (a trio stays together as two linked pairs); members who need
protection are flagged; fatigue is the duty each member has left.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from wayhome.errors import InvalidParameterError
from wayhome.ops.rotation import Person, Rotation, RotationRules, plan_rotation
from wayhome.store.incidents import get_incident, log_activity
from wayhome.store.models import Member, Team, TeamMember
from wayhome.store.roster import FIELD_STATUSES

__all__ = ["IncidentRotation", "plan_incident_rotation"]


@dataclass(frozen=True, slots=True)
class IncidentRotation:
    """A rotation with its clock: slot ``i`` runs from ``starts[i]`` for ``slot_h`` hours."""

    rotation: Rotation
    starts: tuple[datetime, ...]
    slot_h: float
    members: Mapping[int, Member]


def plan_incident_rotation(
    session: Session,
    *,
    incident_id: int,
    starts_at: datetime,
    horizon_h: float,
    slot_h: float,
    watch_size: int,
    max_consecutive_h: float | None = None,
    apart: Sequence[tuple[int, int]] = (),
    duty_left_h: Mapping[int, float] | None = None,
    default_duty_left_h: float = 12.0,
    min_rest_h: float = 4.0,
    time_limit_s: float = 5.0,
    actor: str = "system",
) -> IncidentRotation:
    """Plan the watch for the members in the field and log it.

    ``duty_left_h`` gives the hours a member may still work (fatigue carried from the
    day); others get ``default_duty_left_h``. Infeasible rules raise
    :class:`~wayhome.ops.rotation.RotationInfeasibleError` with the reason in plain words.
    """
    get_incident(session, incident_id)
    members = {
        m.id: m
        for m in session.scalars(
            select(Member)
            .where(Member.incident_id == incident_id, Member.status.in_(FIELD_STATUSES))
            .order_by(Member.id)
        )
    }
    if not members:
        raise InvalidParameterError(
            "roster: nobody is checked in; check members in before planning the watch"
        )
    duty = dict(duty_left_h or {})
    if unknown := sorted(set(duty) - set(members)):
        raise InvalidParameterError(
            f"duty_left_h: members {unknown} are not checked in or assigned in this incident"
        )
    if unknown := sorted({m for pair in apart for m in pair} - set(members)):
        raise InvalidParameterError(
            f"apart: members {unknown} are not checked in or assigned in this incident"
        )
    people = [
        Person(
            str(m.id),
            m.name,
            duty_left_h=duty.get(m.id, default_duty_left_h),
            min_rest_h=min_rest_h,
            protected=m.needs_protection,
        )
        for m in members.values()
    ]
    rules = RotationRules(
        slot_h=slot_h,
        horizon_h=horizon_h,
        watch_size=watch_size,
        pairs=tuple(_pairs(session, incident_id, set(members))),
        apart=tuple((str(a), str(b)) for a, b in apart),
        max_consecutive_h=max_consecutive_h if max_consecutive_h is not None else float("inf"),
    )
    rotation = plan_rotation(people, rules, time_limit_s=time_limit_s)
    starts = tuple(starts_at + timedelta(hours=i * slot_h) for i in range(rules.n_slots))
    busiest = max(rotation.hours.values(), default=0.0)
    log_activity(
        session,
        incident_id=incident_id,
        actor=actor,
        kind="rotation",
        text=(
            f"rest rotation planned from {starts_at:%H:%M} UTC for {horizon_h:g} h: "
            f"{watch_size} on watch per {slot_h:g} h slot, {len(people)} people, "
            f"longest duty {busiest:g} h"
        ),
    )
    session.commit()
    return IncidentRotation(rotation=rotation, starts=starts, slot_h=slot_h, members=members)


def _pairs(session: Session, incident_id: int, present: set[int]) -> list[tuple[str, str]]:
    """Pairs of the incident's teams among ``present`` members (a trio: two linked pairs)."""
    rows = session.execute(
        select(TeamMember.team_id, TeamMember.pair, TeamMember.member_id)
        .join(Team, Team.id == TeamMember.team_id)
        .where(Team.incident_id == incident_id)
        .order_by(TeamMember.team_id, TeamMember.pair, TeamMember.id)
    ).all()
    groups: dict[tuple[int, int], list[int]] = {}
    for team_id, pair, member_id in rows:
        if member_id in present:
            groups.setdefault((team_id, pair), []).append(member_id)
    out: list[tuple[str, str]] = []
    seen: set[int] = set()
    for ids in groups.values():
        ids = [i for i in ids if i not in seen]  # a member in two teams keeps the first pair
        seen |= set(ids)
        out += [(str(a), str(b)) for a, b in itertools.pairwise(ids)]
    return out
