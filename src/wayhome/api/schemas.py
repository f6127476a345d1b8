"""Request and response schemas: ``XCreate`` comes in, ``XPublic`` goes out."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic import AwareDatetime as _ZonedDatetime

__all__ = [
    "ActivityPublic",
    "AssignmentCreate",
    "AssignmentPublic",
    "AssignmentStatusUpdate",
    "AwareDatetime",
    "FoundCreate",
    "GeoJSONPolygon",
    "HandoverCreate",
    "HazardAlertPublic",
    "HazardZoneCreate",
    "HazardZonePublic",
    "Health",
    "IncidentCreate",
    "IncidentPublic",
    "InjuryCreate",
    "InjuryPublic",
    "LastContactPublic",
    "MarchOrderUpdate",
    "MePublic",
    "MemberCreate",
    "MemberProfileUpdate",
    "MemberPublic",
    "MemberStatusUpdate",
    "OverdueChangePublic",
    "OverdueTeamPublic",
    "PairCreate",
    "PeriodCreate",
    "PeriodPublic",
    "PlaceCreate",
    "PlacePublic",
    "PositionBatchCreate",
    "PositionBatchPublic",
    "PositionCreate",
    "PositionPublic",
    "RoleCreate",
    "RolePublic",
    "RollCallAnswerCreate",
    "RollCallAnswerPublic",
    "RollCallCreate",
    "RollCallPublic",
    "RotationCreate",
    "RotationPublic",
    "RotationSlotPublic",
    "SignalAckCreate",
    "SignalCreate",
    "SignalDeliveryPublic",
    "SignalPublic",
    "SubjectCreate",
    "SubjectCreated",
    "SubjectPublic",
    "TeamCreate",
    "TeamMemberPublic",
    "TeamPublic",
    "TokenCreate",
    "TokenPublic",
    "TransferCreate",
    "UserCreate",
    "UserPublic",
]

_ORM = ConfigDict(from_attributes=True)


def _in_utc_range(value: datetime) -> datetime:
    # The store keeps UTC: year 1 at +14:00 or year 9999 at -14:00 has no UTC time.
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise ValueError("no UTC time for this; give a time between years 1 and 9999") from None
    return value


#: A time with its zone, one that the store can keep (as UTC).
AwareDatetime = Annotated[_ZonedDatetime, AfterValidator(_in_utc_range)]


class Health(BaseModel):
    """``GET /health``."""

    status: str
    database: str


class IncidentCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200, examples=["Missing child, Big South Fork"])


class IncidentPublic(BaseModel):
    model_config = _ORM
    id: int
    name: str
    created_at: datetime
    status: Literal["open", "closed"]
    closed_at: datetime | None


# --- Access: users, tokens, roles ------------------------------------------------------


class TokenCreate(BaseModel):
    login: str = Field(min_length=1, max_length=100, examples=["ann.lee"])
    password: str = Field(min_length=1, max_length=200)


class TokenPublic(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    user_id: int


class UserCreate(BaseModel):
    login: str = Field(min_length=1, max_length=100, examples=["ann.lee"])
    name: str = Field(min_length=1, max_length=200)
    password: str | None = Field(
        None, min_length=8, max_length=200, description="None: a token-only user (a device)."
    )
    is_admin: bool = Field(
        False, description="An agency administrator: adds users, opens incidents."
    )


class UserPublic(BaseModel):
    model_config = _ORM
    id: int
    login: str
    name: str
    is_admin: bool


class RoleCreate(BaseModel):
    login: str = Field(min_length=1, max_length=100, description="The user to give the role.")
    role: Literal[
        "incident_commander", "operations", "planning", "team_leader", "searcher", "viewer"
    ]
    member_id: int | None = Field(
        None, description="The user's member on the roster (required for field roles)."
    )


class RolePublic(BaseModel):
    model_config = _ORM
    id: int
    incident_id: int
    user_id: int
    role: str
    member_id: int | None


class MePublic(BaseModel):
    user: UserPublic
    roles: list[RolePublic]


_ResourceType = Literal["ground", "dog", "medical", "drone", "mounted", "water", "command", "other"]


class MemberCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    needs_protection: bool = Field(
        False, description="A non-searcher, a minor or an injured person: needs a named protector."
    )
    qualifications: str = Field("", max_length=2000, examples=["SARTECH II, WFA"])
    resource_type: _ResourceType = Field("ground", description="What kind of resource they are.")
    medical_notes: str = Field(
        "",
        max_length=2000,
        description="Confidential: shown to command, operations, the member and their team "
        "leader only.",
    )
    contact: str = Field("", max_length=200, examples=["+1 555 0100, radio SAR-12"])


class MemberPublic(BaseModel):
    """Build with ``routes.members.member_public``, which hides the medical notes."""

    model_config = _ORM
    id: int
    incident_id: int
    name: str
    needs_protection: bool
    status: str
    qualifications: str
    resource_type: str
    medical_notes: str = Field(
        description="Empty unless the caller may read them (command, operations, the member, "
        "their team leader)."
    )
    contact: str


class MemberProfileUpdate(BaseModel):
    """Fields left out (or ``null``) stay as they are."""

    qualifications: str | None = Field(None, max_length=2000)
    resource_type: _ResourceType | None = None
    medical_notes: str | None = Field(None, max_length=2000)
    contact: str | None = Field(None, max_length=200)


class MemberStatusUpdate(BaseModel):
    status: Literal["pending", "checked_in", "assigned", "out_of_service", "checked_out"] = Field(
        description="ICS-211 check-in status; roll calls ask members checked in or assigned."
    )


class PairCreate(BaseModel):
    member_ids: list[int] = Field(max_length=3, description="Two members (three at most).")
    protector_id: int | None = Field(
        None, description="Required when a member of the pair needs protection."
    )


class TeamCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    pairs: list[PairCreate] = Field(max_length=100)
    leader_id: int | None = Field(
        None, description="The team leader; may answer roll calls for the members of their pair."
    )


class TeamMemberPublic(BaseModel):
    model_config = _ORM
    member_id: int
    pair: int
    protects_id: int | None
    leader: bool
    march: Literal["lead", "middle", "rear"] | None = Field(
        description="Movement order on the trail; null until set."
    )


class TeamPublic(BaseModel):
    model_config = _ORM
    id: int
    incident_id: int
    name: str
    capability: Literal["full", "reduced"] = Field(
        description="``reduced`` once one of its members is injured."
    )
    members: list[TeamMemberPublic]


class MarchOrderUpdate(BaseModel):
    lead_id: int = Field(description="Walks first; not a member who needs protection.")
    rear_id: int = Field(description="Walks last; everyone else walks in the middle.")


# --- Operational periods, places, assignments --------------------------------------------


class PeriodCreate(BaseModel):
    starts_at: AwareDatetime
    ends_at: AwareDatetime = Field(description="After starts_at; periods must not overlap.")
    objectives: str = Field("", max_length=5000, examples=["Hasty search of trails and creeks"])
    number: int | None = Field(None, ge=1, le=10000, description="The next free one when absent.")


class PeriodPublic(BaseModel):
    model_config = _ORM
    id: int
    incident_id: int
    number: int
    starts_at: datetime
    ends_at: datetime
    objectives: str


class PlaceCreate(BaseModel):
    kind: Literal["staging", "rendezvous", "command_post", "helispot"]
    name: str = Field(min_length=1, max_length=200, examples=["Trailhead lot"])
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class PlacePublic(BaseModel):
    model_config = _ORM
    id: int
    incident_id: int
    kind: str
    name: str
    lat: float
    lon: float


class AssignmentCreate(BaseModel):
    team_id: int
    segment: str = Field(
        min_length=1, max_length=50, examples=["A3"], description="The plan's segment id."
    )
    period_id: int | None = None
    instructions: str = Field("", max_length=5000)
    rendezvous_id: int | None = Field(None, description="A place of kind rendezvous or staging.")
    turnaround_at: AwareDatetime | None = Field(
        None, description="When the team must turn back; past it, the team is overdue."
    )


class AssignmentPublic(BaseModel):
    model_config = _ORM
    id: int
    incident_id: int
    period_id: int | None
    team_id: int
    segment: str
    status: Literal["planned", "in_progress", "completed", "aborted"]
    instructions: str
    rendezvous_id: int | None
    turnaround_at: datetime | None
    started_at: datetime | None
    completed_at: datetime | None
    reported_pod: float | None
    created_at: datetime


class AssignmentStatusUpdate(BaseModel):
    status: Literal["planned", "in_progress", "completed", "aborted"] = Field(
        description="planned -> in_progress -> completed; planned or in_progress -> aborted."
    )
    reported_pod: float | None = Field(
        None, ge=0, le=1, description="The team's own POD estimate, given on completion."
    )


class PositionCreate(BaseModel):
    id: uuid.UUID = Field(description="Generated by the device; a replay returns the stored row.")
    member_id: int
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    time: AwareDatetime


class PositionPublic(BaseModel):
    model_config = _ORM
    id: uuid.UUID
    incident_id: int
    member_id: int
    lat: float
    lon: float
    time: datetime
    received_at: datetime


class LastContactPublic(PositionPublic):
    seconds_since_contact: float = Field(
        description="Seconds from this position's time to the server's clock (0 if ahead)."
    )


class PositionBatchCreate(BaseModel):
    positions: list[PositionCreate] = Field(min_length=1, max_length=1000)


class PositionBatchPublic(BaseModel):
    created: int
    replayed: int
    positions: list[PositionPublic]


class ActivityPublic(BaseModel):
    model_config = _ORM
    id: int
    time: datetime
    actor: str
    kind: str
    text: str


class RollCallCreate(BaseModel):
    team_id: int | None = Field(None, description="One team; everyone in the field when absent.")
    timeout_seconds: int = Field(
        300, ge=10, le=24 * 3600, description="Answers still missing then are escalated."
    )


class RollCallAnswerCreate(BaseModel):
    member_id: int = Field(description="The member who is accounted for.")
    by_member_id: int | None = Field(
        None, description="Who answers: the member (default) or the team leader of their pair."
    )


class RollCallAnswerPublic(BaseModel):
    model_config = _ORM
    member_id: int
    status: Literal["pending", "answered", "escalated"]
    answered_at: datetime | None
    answered_by: int | None
    escalated_at: datetime | None


class RollCallPublic(BaseModel):
    model_config = _ORM
    id: int
    incident_id: int
    team_id: int | None
    started_at: datetime
    due_at: datetime
    answers: list[RollCallAnswerPublic]


class SignalCreate(BaseModel):
    code: str = Field(
        min_length=1, max_length=50, description="A codebook code, e.g. two, found, need_help."
    )
    member_id: int | None = Field(None, description="One member; give this or team_id or neither.")
    team_id: int | None = Field(None, description="One team; everyone in the field when neither.")


class SignalAckCreate(BaseModel):
    member_id: int = Field(description="The recipient confirming the signal.")


class SignalDeliveryPublic(BaseModel):
    model_config = _ORM
    member_id: int
    status: Literal["delivered", "acknowledged"]
    acknowledged_at: datetime | None


class SignalPublic(BaseModel):
    model_config = _ORM
    id: int
    incident_id: int
    code: str
    meaning: str
    requires_ack: bool
    member_id: int | None
    team_id: int | None
    sent_at: datetime
    deliveries: list[SignalDeliveryPublic]


class GeoJSONPolygon(BaseModel):
    type: Literal["Polygon"]
    coordinates: list[list[list[float]]] = Field(
        min_length=1, max_length=100, description="Rings of [lon, lat] positions; outer first."
    )


class HazardZoneCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200, examples=["East Ridge hunting zone"])
    kind: Literal["hostile_party", "cliff", "water", "private_land"]
    geometry: GeoJSONPolygon


class HazardZonePublic(BaseModel):
    id: int
    incident_id: int
    name: str
    kind: str
    geometry: GeoJSONPolygon
    created_at: datetime


class HazardAlertPublic(BaseModel):
    zone_id: int
    zone_name: str
    kind: str
    member_id: int
    member_name: str
    position_id: uuid.UUID
    lat: float
    lon: float
    time: datetime


class InjuryCreate(BaseModel):
    member_id: int = Field(description="The injured member; they go out of service.")
    severity: Literal["minor", "serious", "critical"]
    treatment: str = Field(
        min_length=1, max_length=2000, examples=["ankle splinted, walking out with support"]
    )
    time: AwareDatetime | None = Field(None, description="When it happened; now when absent.")


class InjuryPublic(BaseModel):
    model_config = _ORM
    id: int
    incident_id: int
    member_id: int
    severity: str
    treatment: str
    time: datetime


# --- Overdue teams ---------------------------------------------------------------------


class OverdueTeamPublic(BaseModel):
    id: int = Field(description="The team's id.")
    incident_id: int
    name: str
    reason: str = Field(examples=["no contact for 34 min", "past turnaround 17:00 UTC"])
    since: datetime = Field(description="When the team was found overdue.")


class OverdueChangePublic(BaseModel):
    event: Literal["raised", "cleared"]
    team: OverdueTeamPublic


# --- Rest rotation ---------------------------------------------------------------------


class RotationCreate(BaseModel):
    starts_at: AwareDatetime = Field(description="When the first watch slot begins.")
    horizon_h: float = Field(gt=0, le=72, examples=[12.0], description="Hours to plan.")
    slot_h: float = Field(gt=0, le=24, examples=[1.0], description="Length of a watch slot.")
    watch_size: int = Field(ge=1, le=100, examples=[4], description="People on watch per slot.")
    max_consecutive_h: float | None = Field(
        None, gt=0, le=72, description="Longest stretch on watch in a row (none: no limit)."
    )
    min_rest_h: float = Field(4.0, ge=0, le=72, description="Hours off after each stretch.")
    default_duty_left_h: float = Field(
        12.0, ge=0, le=72, description="Duty hours left for members not in duty_left_h."
    )
    duty_left_h: dict[int, float] = Field(
        default_factory=dict,
        description="Member id -> hours they may still work (fatigue carried from the day).",
    )
    apart: list[tuple[int, int]] = Field(
        default_factory=list, max_length=200, description="Member ids never on the same watch."
    )


class RotationSlotPublic(BaseModel):
    starts_at: datetime
    hours: float
    member_ids: list[int]
    names: list[str]


class RotationPublic(BaseModel):
    slots: list[RotationSlotPublic]
    hours: dict[int, float] = Field(description="Hours on watch per member id.")
    optimal: bool


# --- The subject: intake, the find, reunification ----------------------------------------


class SubjectCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200, examples=["Lily Moore"])
    category: str = Field(
        min_length=1, max_length=50, examples=["child"], description="ISRID category (or 'child')."
    )
    age: float | None = Field(None, ge=0, le=120, description="Years; 'child' needs it.")
    description: str = Field("", max_length=2000, examples=["red raincoat, blue boots"])
    last_seen_lat: float = Field(ge=-90, le=90)
    last_seen_lon: float = Field(ge=-180, le=180)
    last_seen_at: AwareDatetime
    guardian_name: str = Field(
        min_length=1, max_length=200, description="Who the subject is handed to."
    )
    guardian_relation: str = Field(min_length=1, max_length=100, examples=["mother"])
    handover_code: str | None = Field(
        None,
        min_length=6,
        max_length=100,
        description="A code only the guardian knows; generated when absent.",
    )


class SubjectPublic(BaseModel):
    model_config = _ORM
    id: int
    incident_id: int
    name: str
    category: str
    age: float | None
    description: str
    last_seen_lat: float
    last_seen_lon: float
    last_seen_at: datetime
    guardian_name: str
    guardian_relation: str
    status: Literal["missing", "found", "handed_over", "transferred"]
    found_at: datetime | None
    found_by_member_id: int | None
    found_lat: float | None
    found_lon: float | None
    condition: str
    handed_over_at: datetime | None
    handed_to: str = Field(description="The verified guardian, or the receiving agency.")
    created_at: datetime


class SubjectCreated(SubjectPublic):
    handover_code: str = Field(
        description="Shown this once and never again: give it to the guardian now; they "
        "say it at the handover."
    )


class FoundCreate(BaseModel):
    member_id: int = Field(description="The member who found the subject.")
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    condition: str = Field(min_length=1, max_length=2000, examples=["cold, scratched, alert"])
    time: AwareDatetime | None = Field(None, description="When found; now when absent.")


class HandoverCreate(BaseModel):
    guardian_name: str = Field(min_length=1, max_length=200, description="As on their ID.")
    guardian_relation: str = Field(min_length=1, max_length=100, examples=["mother"])
    code: str = Field(min_length=1, max_length=100, description="The code given at intake.")


class TransferCreate(BaseModel):
    to: str = Field(min_length=1, max_length=200, examples=["County EMS Medic 4"])
    reason: str = Field(min_length=1, max_length=2000, examples=["hypothermia, needs hospital"])
