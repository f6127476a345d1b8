"""Roster and teams: members, and teams built from pairs under the rule "nobody goes alone".

The rules, checked before anything is stored:

- ``nobody-goes-alone``: every member of a team is in a pair (or trio) of at least two,
  and in only one;
- ``protected-member-needs-protector``: a member who needs protection (a non-searcher, a
  minor, an injured person) is in a pair that names a protector, who is another member
  of that pair and does not need protection themself.

On the trail a team walks in a movement order (:func:`set_march_order`): one member
leads, one walks at the rear, everyone else in the middle; under the rule
``protected-member-in-middle`` a member who needs protection is never lead or rear.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from wayhome.errors import InvalidParameterError
from wayhome.store.errors import PairRuleError, UnknownRecordError
from wayhome.store.incidents import get_incident, log_activity
from wayhome.store.models import Agency, Member, Team, TeamMember

__all__ = [
    "FIELD_STATUSES",
    "MAX_PAIR_SIZE",
    "MEMBER_STATUSES",
    "RESOURCE_TYPES",
    "Pair",
    "add_member",
    "check_pairs",
    "create_team",
    "get_member",
    "get_team",
    "list_members",
    "list_teams",
    "set_march_order",
    "set_member_status",
    "team_members",
    "update_member_profile",
]

#: ICS-211 check-in statuses, in the order a member usually goes through them.
MEMBER_STATUSES = ("pending", "checked_in", "assigned", "out_of_service", "checked_out")
#: Statuses of members who are in the field: roll calls expect an answer from them.
FIELD_STATUSES = frozenset({"checked_in", "assigned"})

#: A pair, or a trio when the numbers are odd.
MAX_PAIR_SIZE = 3

#: NIMS-style kinds of resource a member is (a dog handler, a medic, a drone pilot, ...).
RESOURCE_TYPES = ("ground", "dog", "medical", "drone", "mounted", "water", "command", "other")

#: The longest contact (phone, call sign) the store keeps.
_CONTACT_LENGTH = 200


@dataclass(frozen=True, slots=True)
class Pair:
    """Members who go together; ``protector_id`` names who protects a protected member."""

    member_ids: tuple[int, ...]
    protector_id: int | None = None


def add_member(
    session: Session,
    *,
    incident_id: int,
    name: str,
    needs_protection: bool = False,
    qualifications: str = "",
    resource_type: str = "ground",
    medical_notes: str = "",
    contact: str = "",
    agency_id: int | None = None,
    actor: str = "system",
) -> Member:
    """Put a person on the incident's roster and log it.

    The profile (qualifications, resource type, medical notes, contact) may be given now
    or later with :func:`update_member_profile`; medical notes never go into the log.
    ``agency_id`` is the agency they belong to (grants to it cover them).
    """
    get_incident(session, incident_id)
    if not name.strip():
        raise InvalidParameterError("name: give the member's name")
    _check_profile(resource_type=resource_type, contact=contact)
    if agency_id is not None and session.get(Agency, agency_id) is None:
        raise UnknownRecordError(f"agency_id: no agency {agency_id}; add the agency first")
    member = Member(
        incident_id=incident_id,
        name=name.strip(),
        needs_protection=needs_protection,
        qualifications=qualifications.strip(),
        resource_type=resource_type,
        medical_notes=medical_notes.strip(),
        contact=contact.strip(),
        agency_id=agency_id,
    )
    session.add(member)
    session.flush()
    flag = " (needs protection)" if needs_protection else ""
    if resource_type != "ground":
        flag += f" ({resource_type})"
    log_activity(
        session,
        incident_id=incident_id,
        actor=actor,
        kind="roster",
        text=f"member added: {member.name}{flag}",
    )
    session.commit()
    return member


def _check_profile(*, resource_type: str | None, contact: str | None) -> None:
    if resource_type is not None and resource_type not in RESOURCE_TYPES:
        raise InvalidParameterError(
            f"resource_type: {resource_type!r} is not a resource type; "
            f"use one of {', '.join(RESOURCE_TYPES)}"
        )
    if contact is not None and len(contact.strip()) > _CONTACT_LENGTH:
        raise InvalidParameterError(
            f"contact: {len(contact.strip())} characters; give a phone number or call sign "
            f"of at most {_CONTACT_LENGTH}"
        )


def update_member_profile(
    session: Session,
    *,
    incident_id: int,
    member_id: int,
    qualifications: str | None = None,
    resource_type: str | None = None,
    medical_notes: str | None = None,
    contact: str | None = None,
    actor: str = "system",
) -> Member:
    """Change a member's profile; ``None`` leaves a field as it is. Logged when it changes.

    The log names what changed; it repeats qualifications and resource type but never
    the medical notes or the contact, which only some roles may read.
    """
    _check_profile(resource_type=resource_type, contact=contact)
    member = get_member(session, incident_id=incident_id, member_id=member_id)
    changes: list[str] = []
    if qualifications is not None and qualifications.strip() != member.qualifications:
        member.qualifications = qualifications.strip()
        changes.append(f"qualifications {member.qualifications!r}")
    if resource_type is not None and resource_type != member.resource_type:
        changes.append(f"resource type {member.resource_type} -> {resource_type}")
        member.resource_type = resource_type
    if medical_notes is not None and medical_notes.strip() != member.medical_notes:
        member.medical_notes = medical_notes.strip()
        changes.append("medical notes")
    if contact is not None and contact.strip() != member.contact:
        member.contact = contact.strip()
        changes.append("contact")
    if changes:
        log_activity(
            session,
            incident_id=incident_id,
            actor=actor,
            kind="roster",
            text=f"{member.name}: profile updated ({', '.join(changes)})",
        )
    session.commit()
    return member


def get_member(session: Session, *, incident_id: int, member_id: int) -> Member:
    """The member ``member_id`` of this incident; :class:`UnknownRecordError` otherwise."""
    member = session.get(Member, member_id)
    if member is None or member.incident_id != incident_id:
        raise UnknownRecordError(f"member {member_id}: not on the roster of incident {incident_id}")
    return member


def set_member_status(
    session: Session, *, incident_id: int, member_id: int, status: str, actor: str = "system"
) -> Member:
    """Check a member in or out (ICS-211 status) and log the change."""
    if status not in MEMBER_STATUSES:
        raise InvalidParameterError(
            f"status: {status!r} is not a check-in status; use one of {', '.join(MEMBER_STATUSES)}"
        )
    member = get_member(session, incident_id=incident_id, member_id=member_id)
    if member.status != status:
        log_activity(
            session,
            incident_id=incident_id,
            actor=actor,
            kind="check_in",
            text=f"{member.name}: {member.status} -> {status}",
        )
        member.status = status
    session.commit()
    return member


def list_members(session: Session, incident_id: int) -> Sequence[Member]:
    """The incident's roster in the order people were added."""
    get_incident(session, incident_id)
    query = select(Member).where(Member.incident_id == incident_id).order_by(Member.id)
    return session.scalars(query).all()


def check_pairs(pairs: Sequence[Pair], *, protected: set[int]) -> None:
    """Raise :class:`PairRuleError` naming the first pairing rule ``pairs`` break.

    ``protected`` holds the ids of members who need protection.

    Examples
    --------
    >>> check_pairs([Pair((1, 2)), Pair((3, 4), protector_id=4)], protected={3})
    >>> check_pairs([Pair((1,))], protected=set())
    Traceback (most recent call last):
    ...
    wayhome.store.errors.PairRuleError: pairs[0]: member 1 would go alone; ...
    """
    if not pairs:
        raise PairRuleError("pairs: a team needs at least one pair", rule="nobody-goes-alone")
    seen: set[int] = set()
    for i, pair in enumerate(pairs):
        ids = pair.member_ids
        if len(set(ids)) < 2:
            raise PairRuleError(
                f"pairs[{i}]: member {ids[0] if ids else '?'} would go alone; "
                "nobody goes alone: give every member a buddy",
                rule="nobody-goes-alone",
            )
        if len(set(ids)) != len(ids) or len(ids) > MAX_PAIR_SIZE:
            raise InvalidParameterError(
                f"pairs[{i}]: {len(ids)} members; a pair has 2 different members (3 at most)"
            )
        if twice := seen & set(ids):
            raise PairRuleError(
                f"pairs[{i}]: member {min(twice)} is already in another pair; one pair per member",
                rule="nobody-goes-alone",
            )
        seen |= set(ids)
        _check_protection(i, pair, protected)


def _check_protection(i: int, pair: Pair, protected: set[int]) -> None:
    needing = [m for m in pair.member_ids if m in protected]
    rule = "protected-member-needs-protector"
    if pair.protector_id is not None and pair.protector_id not in pair.member_ids:
        raise PairRuleError(
            f"pairs[{i}].protector_id: member {pair.protector_id} is not in this pair; "
            "the protector goes with the member they protect",
            rule=rule,
        )
    if not needing:
        return
    if pair.protector_id is None:
        raise PairRuleError(
            f"pairs[{i}]: member {needing[0]} needs protection; name a protector "
            "(protector_id) from the same pair",
            rule=rule,
        )
    if pair.protector_id in protected:
        raise PairRuleError(
            f"pairs[{i}].protector_id: member {pair.protector_id} needs protection themself; "
            "name a searcher as protector",
            rule=rule,
        )


def create_team(
    session: Session,
    *,
    incident_id: int,
    name: str,
    pairs: Sequence[Pair],
    leader_id: int | None = None,
    actor: str = "system",
) -> Team:
    """Form a team from ``pairs`` once the pairing rules hold; nothing is stored otherwise.

    ``leader_id`` names the team leader, who may answer roll calls for their pair.
    """
    get_incident(session, incident_id)
    members = {
        m: get_member(session, incident_id=incident_id, member_id=m)
        for pair in pairs
        for m in pair.member_ids
    }
    check_pairs(pairs, protected={m.id for m in members.values() if m.needs_protection})
    if leader_id is not None and leader_id not in members:
        raise InvalidParameterError(
            f"leader_id: member {leader_id} is not in this team; the leader is one of its members"
        )
    team = Team(incident_id=incident_id, name=name.strip() or "team")
    session.add(team)
    session.flush()
    for index, pair in enumerate(pairs):
        for member_id in pair.member_ids:
            protects = _protected_by(member_id, pair, members)
            session.add(
                TeamMember(
                    team_id=team.id,
                    member_id=member_id,
                    pair=index,
                    protects_id=protects,
                    leader=member_id == leader_id,
                )
            )
    names = "; ".join(" + ".join(members[m].name for m in pair.member_ids) for pair in pairs)
    log_activity(
        session,
        incident_id=incident_id,
        actor=actor,
        kind="team",
        text=f"team {team.name} formed: {names}",
    )
    session.commit()
    return team


def _protected_by(member_id: int, pair: Pair, members: dict[int, Member]) -> int | None:
    if pair.protector_id != member_id:
        return None
    return next((m for m in pair.member_ids if members[m].needs_protection), None)


def get_team(session: Session, *, incident_id: int, team_id: int) -> Team:
    """The team ``team_id`` of this incident; :class:`UnknownRecordError` otherwise."""
    team = session.get(Team, team_id)
    if team is None or team.incident_id != incident_id:
        raise UnknownRecordError(f"team {team_id}: no such team in incident {incident_id}")
    return team


def list_teams(session: Session, incident_id: int) -> Sequence[Team]:
    """The incident's teams in the order they were formed."""
    get_incident(session, incident_id)
    return session.scalars(
        select(Team).where(Team.incident_id == incident_id).order_by(Team.id)
    ).all()


def set_march_order(
    session: Session,
    *,
    incident_id: int,
    team_id: int,
    lead_id: int,
    rear_id: int,
    actor: str = "system",
) -> Team:
    """Set the team's movement order: ``lead_id`` first, ``rear_id`` last, the rest between.

    Lead and rear are two different members of the team. A member who needs protection
    never leads, and in a team of three or more walks in the middle (in a pair they walk
    behind their protector): breaking this is a :class:`PairRuleError` with the rule
    ``protected-member-in-middle``. Nothing is stored on refusal.
    """
    team = get_team(session, incident_id=incident_id, team_id=team_id)
    rows = {tm.member_id: tm for tm in team.members}
    for field, member_id in (("lead_id", lead_id), ("rear_id", rear_id)):
        if member_id not in rows:
            raise InvalidParameterError(
                f"{field}: member {member_id} is not in team {team.name}; give one of its "
                f"members ({', '.join(str(m) for m in rows)})"
            )
    if lead_id == rear_id:
        raise InvalidParameterError(
            f"rear_id: member {rear_id} already leads; lead and rear are two different members"
        )
    members = {m: get_member(session, incident_id=incident_id, member_id=m) for m in rows}
    ends = (
        (("lead_id", lead_id), ("rear_id", rear_id)) if len(rows) > 2 else (("lead_id", lead_id),)
    )
    for field, member_id in ends:
        if members[member_id].needs_protection:
            where = "behind their protector" if len(rows) == 2 else "in the middle"
            raise PairRuleError(
                f"{field}: {members[member_id].name} (member {member_id}) needs protection; "
                f"the vulnerable walk {where}: put a searcher at the "
                f"{'lead' if field == 'lead_id' else 'lead and the rear'}",
                rule="protected-member-in-middle",
            )
    for member_id, row in rows.items():
        row.march = {lead_id: "lead", rear_id: "rear"}.get(member_id, "middle")
    middle = ", ".join(members[m].name for m in rows if m not in (lead_id, rear_id))
    log_activity(
        session,
        incident_id=incident_id,
        actor=actor,
        kind="team",
        text=f"team {team.name} march order: lead {members[lead_id].name}, "
        f"middle {middle or 'nobody'}, rear {members[rear_id].name}",
    )
    session.commit()
    return team


def team_members(session: Session, team_id: int) -> Sequence[TeamMember]:
    """The team's members with their pair index and whom they protect."""
    query = (
        select(TeamMember)
        .where(TeamMember.team_id == team_id)
        .order_by(TeamMember.pair, TeamMember.id)
    )
    return session.scalars(query).all()
