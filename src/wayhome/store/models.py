"""SQLAlchemy 2 models of the incident picture: incidents, roster, pairs, positions, log.

Times are stored as naive UTC and read back as aware UTC on every backend (SQLite keeps
no zone), so a position's ``time`` compares equal after a round trip.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    Uuid,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

__all__ = [
    "AccessGrant",
    "AccessToken",
    "ActivityChain",
    "ActivityLog",
    "Agency",
    "AppUser",
    "Assignment",
    "Base",
    "Clue",
    "CredentialRevocation",
    "HazardPresence",
    "HazardZone",
    "Incident",
    "IncidentRole",
    "InjuryReport",
    "Jurisdiction",
    "JurisdictionPresence",
    "LastPosition",
    "Member",
    "OperationalPeriod",
    "Place",
    "Position",
    "RevocationList",
    "RollCall",
    "RollCallAnswer",
    "SignalDelivery",
    "SignalMessage",
    "Subject",
    "Team",
    "TeamMember",
    "TrustedIssuer",
    "UTCDateTime",
    "utc_now",
]


def utc_now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as naive UTC and returned aware (UTC) on every backend."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("time: give a timezone (e.g. 2026-01-01T12:00:00Z)")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return cast(datetime, value).replace(tzinfo=UTC)


class Base(DeclarativeBase):
    """Declarative base of every wayhome table."""


class Incident(Base):
    """A search: the root every other record belongs to."""

    __tablename__ = "incident"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    #: ``open`` until closed; a closed incident takes no more changes.
    status: Mapped[str] = mapped_column(String(20), default="open", server_default="open")
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: The incident's plan directory on the server's disk (``wayhome plan --out``): the
    #: map's source (POA, segments, terrain, layers); ``None`` until a planner links one.
    plan_dir: Mapped[str | None] = mapped_column(Text, nullable=True)


class Member(Base):
    """A person on the roster of one incident."""

    __tablename__ = "member"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    #: A non-searcher, a minor or an injured person: always paired with a named protector.
    needs_protection: Mapped[bool] = mapped_column(Boolean, default=False)
    #: ICS-211 status: pending, checked_in, assigned, out_of_service, checked_out.
    status: Mapped[str] = mapped_column(String(20), default="pending", server_default="pending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    #: Qualifications, comma-separated (e.g. ``"SARTECH II, WFA"``).
    qualifications: Mapped[str] = mapped_column(Text, default="", server_default="")
    #: NIMS resource kind: ground, dog, medical, drone, mounted, command, other.
    resource_type: Mapped[str] = mapped_column(
        String(20), default="ground", server_default="ground"
    )
    #: Medical notes the team leader and medics must know (allergies, conditions).
    medical_notes: Mapped[str] = mapped_column(Text, default="", server_default="")
    #: Phone or radio call sign.
    contact: Mapped[str] = mapped_column(String(200), default="", server_default="")
    #: The agency the member belongs to (grants to an agency cover its members).
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"), nullable=True)


class Team(Base):
    """A field team: members in pairs (or trios)."""

    __tablename__ = "team"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    #: ``full``, or ``reduced`` once a member is injured.
    capability: Mapped[str] = mapped_column(String(20), default="full", server_default="full")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    #: Since when the team is overdue (no contact, or past turnaround); ``None`` when not.
    overdue_since: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    members: Mapped[list[TeamMember]] = relationship(
        lazy="selectin", order_by="(TeamMember.pair, TeamMember.id)"
    )


class TeamMember(Base):
    """One member's place in a team: the pair they belong to and whom they protect."""

    __tablename__ = "team_member"
    __table_args__ = (UniqueConstraint("team_id", "member_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    #: Index of the pair inside the team (0, 1, ...).
    pair: Mapped[int] = mapped_column(Integer)
    #: The member this one protects, if any.
    protects_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"), nullable=True)
    #: The team leader, who may answer a roll call for the members of their pair.
    leader: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: Movement order on the trail: ``lead``, ``middle`` or ``rear`` (``None``: not set).
    march: Mapped[str | None] = mapped_column(String(10), nullable=True)


class Position(Base):
    """One reported position; ``id`` is generated by the device, so replays are harmless."""

    __tablename__ = "position"
    __table_args__ = (Index("ix_position_track", "incident_id", "member_id", "time"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    time: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class LastPosition(Base):
    """The newest position of each member, kept on write so reads never scan the tracks."""

    __tablename__ = "last_position"

    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), primary_key=True)
    position_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("position.id"))
    time: Mapped[datetime] = mapped_column(UTCDateTime)


class ActivityLog(Base):
    """ICS-214 activity log: one line per state change, in order."""

    __tablename__ = "activity_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), index=True)
    time: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    actor: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(50))
    text: Mapped[str] = mapped_column(Text)
    #: Place in the incident's hash chain (1, 2, ...); ``None`` for lines written before it.
    seq: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: SHA-256 (hex) of the line before in the chain ("" for the first).
    prev_hash: Mapped[str] = mapped_column(String(64), default="", server_default="")
    #: SHA-256 (hex) over this line's fields and ``prev_hash``.
    hash: Mapped[str] = mapped_column(String(64), default="", server_default="")


class ActivityChain(Base):
    """The head of an incident's hash-chained activity log: its last line's number and hash.

    Appending updates this row first, so appends to one incident's chain are serialised
    (a row lock on PostgreSQL, the write lock on SQLite) and the chain never forks.
    """

    __tablename__ = "activity_chain"

    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    head_hash: Mapped[str] = mapped_column(String(64), default="")


class RollCall(Base):
    """A personnel accountability report (PAR) asked of the incident or of one team."""

    __tablename__ = "roll_call"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), index=True)
    #: The team asked, or ``None`` for everyone in the field.
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"), nullable=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Answers missing at this time are escalated.
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(200))
    answers: Mapped[list[RollCallAnswer]] = relationship(
        lazy="selectin", order_by="RollCallAnswer.member_id"
    )


class RollCallAnswer(Base):
    """One expected member's answer to a roll call: pending, answered or escalated."""

    __tablename__ = "roll_call_answer"
    __table_args__ = (UniqueConstraint("roll_call_id", "member_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    roll_call_id: Mapped[int] = mapped_column(ForeignKey("roll_call.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    #: ``pending`` until answered; ``escalated`` once overdue (a late answer still counts).
    status: Mapped[str] = mapped_column(String(20), default="pending")
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: Who answered: the member, or their team leader for them.
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("member.id"), nullable=True)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class SignalMessage(Base):
    """A codebook signal sent to one member, one team or everyone in the incident."""

    __tablename__ = "signal"
    __table_args__ = (UniqueConstraint("incident_id", "client_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), index=True)
    code: Mapped[str] = mapped_column(String(50))
    #: The addressee: one member, one team, or neither for everyone in the field.
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"), nullable=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"), nullable=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(200))
    #: The sending device's id for this signal (replays from an offline queue are harmless).
    client_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    deliveries: Mapped[list[SignalDelivery]] = relationship(
        lazy="selectin", order_by="SignalDelivery.member_id"
    )


class SignalDelivery(Base):
    """One recipient of a signal: ``delivered`` until they acknowledge it."""

    __tablename__ = "signal_delivery"
    __table_args__ = (UniqueConstraint("signal_id", "member_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    signal_id: Mapped[int] = mapped_column(ForeignKey("signal.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    status: Mapped[str] = mapped_column(String(20), default="delivered")
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class HazardZone(Base):
    """A hazard zone of an incident: a GeoJSON polygon (lon/lat) with a kind and a name."""

    __tablename__ = "hazard_zone"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    #: hostile_party, cliff, water or private_land.
    kind: Mapped[str] = mapped_column(String(20))
    #: The GeoJSON ``Polygon`` geometry as JSON text (portable across backends).
    geometry: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class HazardPresence(Base):
    """Whether a member is inside a zone now; an alert is raised only on entering."""

    __tablename__ = "hazard_presence"

    zone_id: Mapped[int] = mapped_column(ForeignKey("hazard_zone.id"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), primary_key=True)
    inside: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The time of the position that last changed ``inside``.
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class InjuryReport(Base):
    """An injury to a member: severity, treatment given, and when it happened."""

    __tablename__ = "injury_report"
    __table_args__ = (UniqueConstraint("incident_id", "client_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    #: minor, serious or critical.
    severity: Mapped[str] = mapped_column(String(20))
    treatment: Mapped[str] = mapped_column(Text)
    time: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(200))
    #: The reporting device's id for this report (replays from an offline queue are harmless).
    client_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)


class OperationalPeriod(Base):
    """An operational period (ICS): numbered, with its times and objectives."""

    __tablename__ = "operational_period"
    __table_args__ = (UniqueConstraint("incident_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    objectives: Mapped[str] = mapped_column(Text, default="", server_default="")


class Subject(Base):
    """The lost person: intake fields, the guardian named at intake, and the outcome.

    ``status`` goes ``missing`` → ``found`` → ``handed_over`` (to the verified guardian) or
    ``transferred`` (to EMS, hospital, law enforcement). The handover code given to the
    guardian at intake is stored only as a salted hash.
    """

    __tablename__ = "subject"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(50))
    age: Mapped[float | None] = mapped_column(Float, nullable=True)
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    last_seen_lat: Mapped[float] = mapped_column(Float)
    last_seen_lon: Mapped[float] = mapped_column(Float)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    guardian_name: Mapped[str] = mapped_column(String(200))
    guardian_relation: Mapped[str] = mapped_column(String(100))
    handover_code_hash: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="missing", server_default="missing")
    found_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    found_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"), nullable=True)
    found_lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    found_lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    #: Condition when found (e.g. ``"cold, scratched, alert"``).
    condition: Mapped[str] = mapped_column(Text, default="", server_default="")
    handed_over_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: Who took the subject: the verified guardian's name, or the receiving agency.
    handed_to: Mapped[str] = mapped_column(String(200), default="", server_default="")
    #: The identity document checked at intake (e.g. "driver's licence, TN, last 4: 0421").
    guardian_id_document: Mapped[str] = mapped_column(String(200), default="", server_default="")
    #: Why the incident commander handed over without the code (empty when the code was used).
    handover_override: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class Place(Base):
    """A named point of the incident: staging area, rendezvous point, command post, helispot."""

    __tablename__ = "place"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)


class Assignment(Base):
    """A task for a team: a search segment (by the plan's segment id) in one period."""

    __tablename__ = "assignment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), index=True)
    period_id: Mapped[int | None] = mapped_column(
        ForeignKey("operational_period.id"), nullable=True
    )
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"), index=True)
    #: The segment's id in the plan directory's ``segments.geojson`` (e.g. ``"A3"``).
    segment: Mapped[str] = mapped_column(String(50))
    #: planned, in_progress, completed or aborted.
    status: Mapped[str] = mapped_column(String(20), default="planned", server_default="planned")
    instructions: Mapped[str] = mapped_column(Text, default="", server_default="")
    rendezvous_id: Mapped[int | None] = mapped_column(ForeignKey("place.id"), nullable=True)
    #: The time the team must turn back; past it and not completed, the team is overdue.
    turnaround_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: The team's own estimate of its probability of detection, reported at debrief.
    reported_pod: Mapped[float | None] = mapped_column(Float, nullable=True)
    #: Why the incident commander assigned the team without leave in a jurisdiction.
    grant_override: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class AppUser(Base):
    """A person who logs in to the server (not the roster: that is :class:`Member`)."""

    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    login: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    #: ``scrypt$n$r$p$salt$hash`` (hex); empty for token-only users (devices).
    password_hash: Mapped[str] = mapped_column(String(300), default="", server_default="")
    #: An agency administrator: may add users and open incidents.
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class AccessToken(Base):
    """A bearer token; only its SHA-256 is stored."""

    __tablename__ = "access_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: ``access`` (short-lived, sent with requests) or ``refresh`` (trades for a new pair).
    kind: Mapped[str] = mapped_column(String(10), default="access", server_default="access")
    #: The login this token descends from (set at login, kept by every refresh): a reused
    #: refresh token revokes that login's tokens, not the user's other devices.
    login_chain: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)


class IncidentRole(Base):
    """A user's role in one incident, optionally tied to their member on the roster."""

    __tablename__ = "incident_role"
    __table_args__ = (UniqueConstraint("incident_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    #: incident_commander, planning, operations, team_leader, searcher or viewer.
    role: Mapped[str] = mapped_column(String(30))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"), nullable=True)


class Agency(Base):
    """An organisation: a SAR team, a county, a national forest, a tribal nation, a landowner."""

    __tablename__ = "agency"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    #: sar_team, law_enforcement, land_manager, tribal_nation, private_landowner, other.
    kind: Mapped[str] = mapped_column(String(40), default="other", server_default="other")
    contact: Mapped[str] = mapped_column(String(200), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class Jurisdiction(Base):
    """Land an agency owns or manages: a GeoJSON (Multi)Polygon in lon/lat."""

    __tablename__ = "jurisdiction"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    contact: Mapped[str] = mapped_column(String(200), default="", server_default="")
    #: GeoJSON geometry as JSON text (portable across backends).
    geometry: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class AccessGrant(Base):
    """Leave to operate in a jurisdiction during one incident, given by its owner.

    The grantee is exactly one of an agency, a team or a member. ``expires_at`` ends it at
    a time; ``until_incident_closes`` ends it with the incident; revoking ends it at once.
    """

    __tablename__ = "access_grant"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), index=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdiction.id"), index=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"), nullable=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"), nullable=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"), nullable=True)
    #: Comma-separated: foot, vehicle, aircraft, drone, camp, dogs.
    activities: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    until_incident_closes: Mapped[bool] = mapped_column(Boolean, default=False)
    conditions: Mapped[str] = mapped_column(Text, default="", server_default="")
    #: Who gave leave for the owner (name and role), as they said it.
    granted_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_by: Mapped[str] = mapped_column(String(200), default="", server_default="")
    #: When the "expires soon" alert went out (once).
    warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: When the "expired" alert went out (once).
    expired_alerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class JurisdictionPresence(Base):
    """Whether a member is inside a jurisdiction without leave; a trespass alert on entering."""

    __tablename__ = "jurisdiction_presence"

    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdiction.id"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), primary_key=True)
    inside: Mapped[bool] = mapped_column(Boolean, default=False)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TrustedIssuer(Base):
    """A key this install trusts to sign member credentials (from a signed trust list)."""

    __tablename__ = "trusted_issuer"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_id: Mapped[str] = mapped_column(String(100), unique=True)
    agency_name: Mapped[str] = mapped_column(String(200))
    #: The raw Ed25519 public key, base64url without padding.
    public_key: Mapped[str] = mapped_column(String(100))
    #: Version of the trust list it came from (0: added by hand).
    list_version: Mapped[int] = mapped_column(Integer, default=0)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class RevocationList(Base):
    """The newest revocation list held for one issuer key: its version and times."""

    __tablename__ = "revocation_list"

    key_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Clue(Base):
    """A clue reported from the field; ``id`` is generated by the device (replays are harmless).

    Stored as reported; a planner applies it to the plan (a Bayesian update in the plan
    directory's evidence log), which records the evidence id here.
    """

    __tablename__ = "clue"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), index=True)
    #: The member who found it (``None`` when reported by someone off the roster).
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"), nullable=True)
    #: item, footprint, sighting, dog_alert, scent_track or sound.
    kind: Mapped[str] = mapped_column(String(20))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    #: Direction (degrees true) for a dog alert, scent track or sound; ``None`` otherwise.
    bearing_deg: Mapped[float | None] = mapped_column(Float, nullable=True)
    #: When it was found (device time).
    time: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    reported_by: Mapped[str] = mapped_column(String(200))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    #: The evidence id in the plan directory's log once applied (e.g. ``"C3"``).
    evidence_id: Mapped[str | None] = mapped_column(String(20), nullable=True)
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class CredentialRevocation(Base):
    """A revoked credential id of one issuer key."""

    __tablename__ = "credential_revocation"
    __table_args__ = (UniqueConstraint("key_id", "credential_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_id: Mapped[str] = mapped_column(String(100), index=True)
    credential_id: Mapped[str] = mapped_column(String(100))
    revoked_at: Mapped[datetime] = mapped_column(UTCDateTime)
