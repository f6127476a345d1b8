"""Request and response schemas: ``XCreate`` comes in, ``XPublic`` goes out."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic import AwareDatetime as _ZonedDatetime

__all__ = [
    "ActivityPublic",
    "ActivityVerifyPublic",
    "AgencyCreate",
    "AgencyPublic",
    "AssignmentCreate",
    "AssignmentPublic",
    "AssignmentStatusUpdate",
    "AwareDatetime",
    "ClueApply",
    "ClueCreate",
    "CluePublic",
    "CredentialClaimsPublic",
    "CredentialVerify",
    "FoundCreate",
    "GeoJSONArea",
    "GeoJSONMultiPolygon",
    "GeoJSONPolygon",
    "GrantChangePublic",
    "GrantCreate",
    "GrantPublic",
    "HandoverCreate",
    "HazardAlertPublic",
    "HazardZoneCreate",
    "HazardZonePublic",
    "Health",
    "IncidentCreate",
    "IncidentPublic",
    "InjuryCreate",
    "InjuryPublic",
    "JurisdictionCreate",
    "JurisdictionPublic",
    "LastContactPublic",
    "LogoutCreate",
    "MapImportPublic",
    "MapPublic",
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
    "PlanLinkCreate",
    "PlanPublic",
    "PositionBatchCreate",
    "PositionBatchPublic",
    "PositionCreate",
    "PositionPublic",
    "QualificationPublic",
    "RefreshCreate",
    "RevocationListPublic",
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
    "SignedListUpload",
    "SubjectCreate",
    "SubjectCreated",
    "SubjectPublic",
    "TeamCreate",
    "TeamMemberPublic",
    "TeamPublic",
    "TokenCreate",
    "TokenPublic",
    "TransferCreate",
    "TrustListPublic",
    "TrustedIssuerPublic",
    "UserCreate",
    "UserPublic",
    "VerificationPublic",
]

_ORM = ConfigDict(from_attributes=True)


class _RequestBody(BaseModel):
    # Every XCreate/XUpdate: a field the schema does not declare is refused (422), never
    # ignored, so ``is_admin``, ``role``, ``incident_id``, ``status`` or ``id`` sent where
    # there is no such field cannot slip through (mass assignment).
    model_config = ConfigDict(extra="forbid")


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


class IncidentCreate(_RequestBody):
    name: str = Field(min_length=1, max_length=200, examples=["Missing child, Big South Fork"])


class IncidentPublic(BaseModel):
    model_config = _ORM
    id: int
    name: str
    created_at: datetime
    status: Literal["open", "closed"]
    closed_at: datetime | None


# --- Access: users, tokens, roles ------------------------------------------------------


class TokenCreate(_RequestBody):
    login: str = Field(min_length=1, max_length=100, examples=["ann.lee"])
    password: str = Field(min_length=1, max_length=200)


class TokenPublic(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    #: Seconds the access token lives; renew it with the refresh token before then.
    expires_in: int
    #: Trades once for a new pair at ``POST /auth/refresh``; never send it as a bearer.
    refresh_token: str
    user_id: int


class RefreshCreate(_RequestBody):
    refresh_token: str = Field(min_length=1, max_length=200)


class LogoutCreate(_RequestBody):
    access_token: str | None = Field(None, max_length=200, description="Revoked.")
    refresh_token: str | None = Field(None, max_length=200, description="Forgotten.")


class UserCreate(_RequestBody):
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


class RoleCreate(_RequestBody):
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


class MemberCreate(_RequestBody):
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
    agency_id: int | None = Field(None, description="Their agency; grants to it cover them.")


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
    agency_id: int | None = None


class MemberProfileUpdate(_RequestBody):
    """Fields left out (or ``null``) stay as they are."""

    qualifications: str | None = Field(None, max_length=2000)
    resource_type: _ResourceType | None = None
    medical_notes: str | None = Field(None, max_length=2000)
    contact: str | None = Field(None, max_length=200)


class MemberStatusUpdate(_RequestBody):
    status: Literal["pending", "checked_in", "assigned", "out_of_service", "checked_out"] = Field(
        description="ICS-211 check-in status; roll calls ask members checked in or assigned."
    )


class PairCreate(_RequestBody):
    member_ids: list[int] = Field(max_length=3, description="Two members (three at most).")
    protector_id: int | None = Field(
        None, description="Required when a member of the pair needs protection."
    )


class TeamCreate(_RequestBody):
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


class MarchOrderUpdate(_RequestBody):
    lead_id: int = Field(description="Walks first; not a member who needs protection.")
    rear_id: int = Field(description="Walks last; everyone else walks in the middle.")


# --- Operational periods, places, assignments --------------------------------------------


class PeriodCreate(_RequestBody):
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


class PlaceCreate(_RequestBody):
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


class AssignmentCreate(_RequestBody):
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
    area: GeoJSONArea | None = Field(
        None,
        description="The segment's outline (lon/lat): each member needs leave in every "
        "jurisdiction it touches.",
    )
    override: str = Field(
        "",
        max_length=2000,
        description="Incident commander only: why the team goes without leave (logged).",
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
    grant_override: str = ""


class AssignmentStatusUpdate(_RequestBody):
    status: Literal["planned", "in_progress", "completed", "aborted"] = Field(
        description="planned -> in_progress -> completed; planned or in_progress -> aborted."
    )
    reported_pod: float | None = Field(
        None, ge=0, le=1, description="The team's own POD estimate, given on completion."
    )


class PositionCreate(_RequestBody):
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


class PositionBatchCreate(_RequestBody):
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


class ActivityVerifyPublic(BaseModel):
    """What verifying the hash-chained activity log found (``wayhome.store.audit``)."""

    model_config = _ORM
    ok: bool = Field(description="No line edited, removed or reordered.")
    checked: int = Field(description="Lines read.")
    unchained: int = Field(description="Lines at the start written before the chain existed.")
    first_bad_seq: int | None = Field(description="Number of the first bad line.")
    first_bad_id: int | None = Field(description="Id of the stored line where it shows.")
    reason: str = Field(description="In plain words: intact, or what is wrong and where.")


class RollCallCreate(_RequestBody):
    team_id: int | None = Field(None, description="One team; everyone in the field when absent.")
    timeout_seconds: int = Field(
        300, ge=10, le=24 * 3600, description="Answers still missing then are escalated."
    )


class RollCallAnswerCreate(_RequestBody):
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


class SignalCreate(_RequestBody):
    code: str = Field(
        min_length=1, max_length=50, description="A codebook code, e.g. two, found, need_help."
    )
    member_id: int | None = Field(None, description="One member; give this or team_id or neither.")
    team_id: int | None = Field(None, description="One team; everyone in the field when neither.")
    client_id: uuid.UUID | None = Field(
        None,
        description="Generated by the sending device; a replay of the same signal returns the "
        "stored one (200), the same id with another signal is refused (409).",
    )


class SignalAckCreate(_RequestBody):
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
    client_id: uuid.UUID | None = None


class GeoJSONPolygon(BaseModel):
    type: Literal["Polygon"]
    coordinates: list[list[list[float]]] = Field(
        min_length=1, max_length=100, description="Rings of [lon, lat] positions; outer first."
    )


class GeoJSONMultiPolygon(BaseModel):
    type: Literal["MultiPolygon"]
    coordinates: list[list[list[list[float]]]] = Field(
        min_length=1, max_length=1000, description="Polygons, each rings of [lon, lat] positions."
    )


#: A GeoJSON ``Polygon`` or ``MultiPolygon`` in lon/lat.
GeoJSONArea = Annotated[GeoJSONPolygon | GeoJSONMultiPolygon, Field(discriminator="type")]


class HazardZoneCreate(_RequestBody):
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
    jurisdiction_id: int | None = Field(None, description="Kind trespass: the jurisdiction.")
    owner: str | None = Field(None, description="Kind trespass: the agency that owns it.")
    contact: str | None = Field(None, description="Kind trespass: whom to call about leave.")
    reason: str | None = Field(
        None, description="Kind trespass: entered without leave, grant N expired or revoked."
    )


class InjuryCreate(_RequestBody):
    member_id: int = Field(description="The injured member; they go out of service.")
    severity: Literal["minor", "serious", "critical"]
    treatment: str = Field(
        min_length=1, max_length=2000, examples=["ankle splinted, walking out with support"]
    )
    time: AwareDatetime | None = Field(None, description="When it happened; now when absent.")
    client_id: uuid.UUID | None = Field(
        None,
        description="Generated by the reporting device; a replay of the same report returns "
        "the stored one (200), the same id with another report is refused (409).",
    )


class InjuryPublic(BaseModel):
    model_config = _ORM
    id: int
    incident_id: int
    member_id: int
    severity: str
    treatment: str
    time: datetime
    client_id: uuid.UUID | None = None


# --- Clues -----------------------------------------------------------------------------


class ClueCreate(_RequestBody):
    id: uuid.UUID = Field(description="Generated by the device; a replay returns the stored clue.")
    kind: Literal["item", "footprint", "sighting", "dog_alert", "scent_track", "sound"]
    lat: float = Field(ge=-90, le=90, description="Where it was found (for a sound: the listener).")
    lon: float = Field(ge=-180, le=180)
    bearing_deg: float | None = Field(
        None,
        ge=0,
        lt=360,
        description="Degrees true the clue points along: needed for dog_alert, scent_track and "
        "sound, null otherwise.",
    )
    time: AwareDatetime = Field(description="When it was found.")
    note: str = Field("", max_length=2000, examples=["red fleece glove, child size, dry"])
    member_id: int | None = Field(None, description="The member who found it.")


class CluePublic(BaseModel):
    model_config = _ORM
    id: uuid.UUID
    incident_id: int
    member_id: int | None
    kind: str
    lat: float
    lon: float
    bearing_deg: float | None
    time: datetime
    note: str
    reported_by: str
    received_at: datetime
    evidence_id: str | None = Field(description="Its id in the plan's evidence log once applied.")
    applied_at: datetime | None


class ClueApply(_RequestBody):
    """How much the planner trusts the clue and how far it reaches (the CLI's defaults)."""

    confidence: float = Field(
        default=0.7, gt=0, le=1, description="Chance the clue is the subject's."
    )
    radius_m: float = Field(default=50.0, gt=0, le=10_000, description="Location uncertainty, m.")
    spread_deg: float = Field(
        default=30.0, gt=0, le=180, description="Bearing uncertainty, degrees."
    )
    range_m: float = Field(
        default=500.0,
        gt=0,
        le=50_000,
        description="Reach of a dog alert or track; a sound's carry, m.",
    )


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


class RotationCreate(_RequestBody):
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


class SubjectCreate(_RequestBody):
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
    guardian_id_document: str = Field(
        min_length=1,
        max_length=200,
        examples=["driver's licence TN ...0421"],
        description="The guardian's identity document checked at intake.",
    )
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
    guardian_id_document: str = Field(
        description="Empty unless the caller may hand over (command, operations)."
    )
    status: Literal["missing", "found", "handed_over", "transferred"]
    found_at: datetime | None
    found_by_member_id: int | None
    found_lat: float | None
    found_lon: float | None
    condition: str
    handed_over_at: datetime | None
    handed_to: str = Field(description="The verified guardian, or the receiving agency.")
    handover_override: str = Field(
        description="Why the incident commander handed over without the code (else empty)."
    )
    created_at: datetime


class SubjectCreated(SubjectPublic):
    handover_code: str = Field(
        description="Shown this once and never again: give it to the guardian now; they "
        "say it at the handover."
    )


class FoundCreate(_RequestBody):
    member_id: int = Field(description="The member who found the subject.")
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    condition: str = Field(min_length=1, max_length=2000, examples=["cold, scratched, alert"])
    time: AwareDatetime | None = Field(None, description="When found; now when absent.")


class HandoverCreate(_RequestBody):
    guardian_name: str = Field(min_length=1, max_length=200, description="As on their ID.")
    guardian_relation: str = Field(min_length=1, max_length=100, examples=["mother"])
    code: str | None = Field(
        None, min_length=1, max_length=100, description="The code given at intake."
    )
    override: str | None = Field(
        None,
        max_length=2000,
        description="Instead of the code, the incident commander only: why the subject is "
        "handed over without it (logged).",
    )
    id_document_checked: str | None = Field(
        None,
        max_length=200,
        examples=["driver's licence TN ...0421"],
        description="With an override: the guardian's identity document the incident "
        "commander checked at the handover.",
    )


class TransferCreate(_RequestBody):
    to: str = Field(min_length=1, max_length=200, examples=["County EMS Medic 4"])
    reason: str = Field(min_length=1, max_length=2000, examples=["hypothermia, needs hospital"])


# --- Trust across agencies: agencies, jurisdictions, grants ------------------------------

_Activity = Literal["foot", "vehicle", "aircraft", "drone", "camp", "dogs"]


class AgencyCreate(_RequestBody):
    name: str = Field(min_length=1, max_length=200, examples=["Harlan Ridge Hunting Club"])
    kind: Literal[
        "sar_team", "law_enforcement", "land_manager", "tribal_nation", "private_landowner", "other"
    ] = "other"
    contact: str = Field("", max_length=200, examples=["J. Harlan, +1 555 0199"])


class AgencyPublic(BaseModel):
    model_config = _ORM
    id: int
    name: str
    kind: str
    contact: str
    created_at: datetime


class JurisdictionCreate(_RequestBody):
    agency_id: int = Field(description="The agency that owns or manages the land.")
    name: str = Field(min_length=1, max_length=200, examples=["Harlan Ridge club land"])
    contact: str = Field("", max_length=200, description="Whom to call about leave there.")
    geometry: GeoJSONArea


class JurisdictionPublic(BaseModel):
    id: int
    agency_id: int
    owner: str = Field(description="The owning agency's name.")
    name: str
    contact: str = Field(description="Whom to call about leave (the agency's when not set).")
    geometry: GeoJSONArea
    created_at: datetime


class GrantCreate(_RequestBody):
    jurisdiction_id: int
    agency_id: int | None = Field(None, description="Grantee: exactly one of agency, team, member.")
    team_id: int | None = None
    member_id: int | None = None
    activities: list[_Activity] = Field(min_length=1, max_length=6, examples=[["foot", "dogs"]])
    starts_at: AwareDatetime | None = Field(None, description="Now when absent.")
    expires_at: AwareDatetime | None = Field(
        None, description="When the leave ends; or give until_incident_closes."
    )
    until_incident_closes: bool = False
    conditions: str = Field("", max_length=5000, examples=["stay on the fire roads; no dogs"])
    granted_by: str = Field(
        min_length=1, max_length=200, description="Who gave leave for the owner, as they said it."
    )


class GrantPublic(BaseModel):
    id: int
    incident_id: int
    jurisdiction_id: int
    agency_id: int | None
    team_id: int | None
    member_id: int | None
    activities: list[str]
    starts_at: datetime
    expires_at: datetime | None
    until_incident_closes: bool
    conditions: str
    granted_by: str
    created_at: datetime
    revoked_at: datetime | None
    revoked_by: str
    warned_at: datetime | None
    expired_alerted_at: datetime | None
    status: Literal["pending", "active", "expired", "revoked", "ended"]


class GrantChangePublic(BaseModel):
    event: Literal["expiring", "expired", "revoked"]
    grant: GrantPublic
    jurisdiction_name: str
    alerts: list[HazardAlertPublic] = Field(
        description="Trespass alerts: members inside whose leave just ended."
    )


# --- member credentials (#7) ---------------------------------------------------------------


class CredentialVerify(_RequestBody):
    credential: str = Field(
        min_length=1,
        max_length=4400,
        description="The credential text from the QR code.",
        examples=["WH1:NCFOXN:F2R9ODEA..."],
    )


class QualificationPublic(BaseModel):
    name: str
    expires: date | None
    expired: bool = Field(description="Past its expiry: it does not count, the rest does.")


class CredentialClaimsPublic(BaseModel):
    credential_id: str
    member_id: str
    name: str
    agency: str
    roles: list[str]
    qualifications: list[QualificationPublic]
    issued: datetime
    valid_until: datetime


class VerificationPublic(BaseModel):
    valid: bool
    code: Literal[
        "valid",
        "malformed",
        "altered",
        "unknown_issuer",
        "untrusted_key",
        "wrong_agency",
        "revoked",
        "not_yet_valid",
        "expired",
    ]
    reason: str = Field(description="Why, in plain words.")
    claims: CredentialClaimsPublic | None = Field(
        description="What the credential says; only when its signature was checked."
    )
    key_id: str | None
    issuer: str | None = Field(description="The agency the trust list gives the key to.")
    expired_qualifications: list[str]
    revocation_version: int | None
    revocation_age_seconds: float | None
    revocation_note: str = Field(examples=["revocation list 3 days old (version 12)"])


class SignedListUpload(_RequestBody):
    signed: str = Field(
        min_length=1,
        max_length=2_000_000,
        description="The signed list file (trust.cbor, rl.cbor), base64.",
    )


class TrustedIssuerPublic(BaseModel):
    agency: str
    key_id: str
    public_key: str = Field(
        "",
        description="The raw 32-byte Ed25519 key, base64url without padding: a device keeps "
        "it to check credentials offline.",
    )


class TrustListPublic(BaseModel):
    version: int = Field(description="Version of the newest trust list loaded (0: none).")
    issuers: list[TrustedIssuerPublic]


class RevocationListPublic(BaseModel):
    key_id: str
    version: int
    issued: datetime
    revoked: int = Field(description="How many credentials of this key are revoked.")
    revoked_ids: list[str] = Field(
        default_factory=list,
        description="The revoked credential ids: a device keeps them to check offline.",
    )


class PlanLinkCreate(_RequestBody):
    path: str = Field(
        min_length=1,
        max_length=4096,
        description="The plan directory (the --out of wayhome plan) on the server's disk: "
        "absolute, or relative to the server's plans_root, and under it.",
        examples=["demo-plan/period-2"],
    )


class PlanPublic(BaseModel):
    path: str
    title: str
    updated_at: datetime = Field(description="When the plan directory was last written.")
    has_segments: bool
    has_terrain: bool
    evidence: int = Field(description="Active entries in the plan's evidence log.")


class MapPublic(BaseModel):
    bounds: tuple[float, float, float, float] = Field(
        description="[west, south, east, north], WGS 84 degrees."
    )
    center: tuple[float, float] = Field(description="[lon, lat] of the last-seen point (IPP).")
    crs: str = Field(description="The plan grid's CRS.", examples=["EPSG:32616"])
    cell_size_m: float
    poa_models: list[str] = Field(examples=[["posterior", "prior"]])
    has_terrain: bool
    has_segments: bool
    has_layers: bool
    contour_interval_m: float | None
    poa_max: float = Field(description="Largest cell probability of the current map.")
    poa_max_by_model: dict[str, float]
    min_zoom: int = Field(description="Lowest zoom with tiles.")
    max_zoom: int = Field(description="Highest zoom with tiles (a cell 8 pixels wide).")
    version: str = Field(description="Changes whenever the plan directory is rewritten.")


class MapImportPublic(BaseModel):
    """What ``POST /incidents/{id}/import`` stored (new records only) and why it left the
    rest."""

    places: list[PlacePublic]
    clues: list[CluePublic]
    hazard_zones: list[HazardZonePublic]
    unchanged: list[str] = Field(description="Features already in the incident (not stored twice).")
    skipped: list[str] = Field(description="Features not imported, each with the reason.")
    warnings: list[str] = Field(description="What the file reader left out (folders, ...).")
