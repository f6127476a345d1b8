"""The incident store: SQLAlchemy models, service functions and Alembic migrations.

SQL lives here and nowhere else. Functions take an explicit :class:`~sqlalchemy.orm.Session`
(one unit of work per call, committed before they return); engines are built by the
caller from its settings with :func:`engine_from_url`.
"""

from __future__ import annotations

from wayhome.store.engine import engine_from_url, session_factory, upgrade_database
from wayhome.store.errors import PairRuleError, UnknownRecordError
from wayhome.store.hazards import (
    HazardAlert,
    add_hazard_zone,
    get_hazard_zone,
    list_hazard_zones,
    track_hazards,
)
from wayhome.store.incidents import (
    create_incident,
    get_incident,
    list_activity,
    list_incidents,
    log_activity,
)
from wayhome.store.injuries import INJURY_SEVERITIES, list_injuries, report_injury
from wayhome.store.positions import (
    PositionReport,
    RecordedPosition,
    last_positions,
    record_positions,
)
from wayhome.store.roll_calls import (
    RecordedAnswer,
    acknowledge_roll_call,
    escalate_overdue,
    get_roll_call,
    list_roll_calls,
    start_roll_call,
)
from wayhome.store.roster import (
    FIELD_STATUSES,
    MEMBER_STATUSES,
    Pair,
    add_member,
    check_pairs,
    create_team,
    get_member,
    get_team,
    list_members,
    set_member_status,
    team_members,
)
from wayhome.store.signals import (
    RecordedAck,
    acknowledge_signal,
    get_signal,
    list_signals,
    send_signal,
)
from wayhome.store.users import (
    Actor,
    authenticate,
    count_users,
    create_user,
    get_user,
    grant_role,
    incident_actor,
    issue_token,
    list_roles,
    revoke_role,
    revoke_token,
    user_for_token,
    user_incident_ids,
)

__all__ = [
    "FIELD_STATUSES",
    "INJURY_SEVERITIES",
    "MEMBER_STATUSES",
    "Actor",
    "HazardAlert",
    "Pair",
    "PairRuleError",
    "PositionReport",
    "RecordedAck",
    "RecordedAnswer",
    "RecordedPosition",
    "UnknownRecordError",
    "acknowledge_roll_call",
    "acknowledge_signal",
    "add_hazard_zone",
    "add_member",
    "authenticate",
    "check_pairs",
    "count_users",
    "create_incident",
    "create_team",
    "create_user",
    "engine_from_url",
    "escalate_overdue",
    "get_hazard_zone",
    "get_incident",
    "get_member",
    "get_roll_call",
    "get_signal",
    "get_team",
    "get_user",
    "grant_role",
    "incident_actor",
    "issue_token",
    "last_positions",
    "list_activity",
    "list_hazard_zones",
    "list_incidents",
    "list_injuries",
    "list_members",
    "list_roles",
    "list_roll_calls",
    "list_signals",
    "log_activity",
    "record_positions",
    "report_injury",
    "revoke_role",
    "revoke_token",
    "send_signal",
    "session_factory",
    "set_member_status",
    "start_roll_call",
    "team_members",
    "track_hazards",
    "upgrade_database",
    "user_for_token",
    "user_incident_ids",
]
