"""The incident store: SQLAlchemy models, service functions and Alembic migrations.

SQL lives here and nowhere else. Functions take an explicit :class:`~sqlalchemy.orm.Session`
(one unit of work per call, committed before they return); engines are built by the
caller from its settings with :func:`engine_from_url`.
"""

from __future__ import annotations

from wayhome.store.engine import engine_from_url, session_factory, upgrade_database
from wayhome.store.errors import PairRuleError, UnknownRecordError
from wayhome.store.incidents import (
    create_incident,
    get_incident,
    list_activity,
    list_incidents,
    log_activity,
)
from wayhome.store.positions import (
    PositionReport,
    RecordedPosition,
    last_positions,
    record_positions,
)
from wayhome.store.roster import (
    Pair,
    add_member,
    check_pairs,
    create_team,
    get_member,
    list_members,
    team_members,
)

__all__ = [
    "Pair",
    "PairRuleError",
    "PositionReport",
    "RecordedPosition",
    "UnknownRecordError",
    "add_member",
    "check_pairs",
    "create_incident",
    "create_team",
    "engine_from_url",
    "get_incident",
    "get_member",
    "last_positions",
    "list_activity",
    "list_incidents",
    "list_members",
    "log_activity",
    "record_positions",
    "session_factory",
    "team_members",
    "upgrade_database",
]
