"""Incident roles (ICS positions, simplified) and the permissions each one holds.

=====================  ==========================================================
role                   may
=====================  ==========================================================
incident_commander     everything, including roles, overrides and closing
operations             roster, teams, assignments, roll calls, signals, hazards,
                       injuries, rotation, reports, the find and the handover
planning               subject intake, periods, assignments, places, hazards
team_leader            report for the members of their own team(s)
searcher               report for themself
viewer                 read only
=====================  ==========================================================

"Report" covers what comes from the field: positions, roll-call answers, signal
acknowledgements, signals sent, injuries and the find.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["FIELD_ROLES", "ROLES", "Permission", "Role", "permissions_of"]


class Permission(StrEnum):
    """What a route needs; a role holds a set of these."""

    #: See the incident picture.
    READ = "read"
    #: Roles of users in the incident, overrides, closing the incident.
    MANAGE = "manage"
    #: Members, check-in, teams and pairs, march order.
    ROSTER = "roster"
    #: Subject intake, operational periods, assignments, places, hazard zones.
    PLAN = "plan"
    #: Running the field: assignment status, roll calls, signals, injuries, rotation.
    OPERATE = "operate"
    #: Reports from the field (limited to oneself or one's team for field roles).
    REPORT = "report"
    #: Handing the found subject to the verified guardian or another agency.
    REUNIFY = "reunify"


class Role(StrEnum):
    """A user's role in one incident."""

    INCIDENT_COMMANDER = "incident_commander"
    OPERATIONS = "operations"
    PLANNING = "planning"
    TEAM_LEADER = "team_leader"
    SEARCHER = "searcher"
    VIEWER = "viewer"


_P = Permission
_GRANTS: dict[Role, frozenset[Permission]] = {
    Role.INCIDENT_COMMANDER: frozenset(Permission),
    Role.OPERATIONS: frozenset({_P.READ, _P.ROSTER, _P.PLAN, _P.OPERATE, _P.REPORT, _P.REUNIFY}),
    Role.PLANNING: frozenset({_P.READ, _P.PLAN}),
    Role.TEAM_LEADER: frozenset({_P.READ, _P.REPORT}),
    Role.SEARCHER: frozenset({_P.READ, _P.REPORT}),
    Role.VIEWER: frozenset({_P.READ}),
}

#: Every role name, in rank order.
ROLES: tuple[str, ...] = tuple(r.value for r in Role)

#: Roles whose reports are limited to themself (searcher) or their team (team leader).
FIELD_ROLES = frozenset({Role.TEAM_LEADER, Role.SEARCHER})


def permissions_of(role: Role | str) -> frozenset[Permission]:
    """The permissions ``role`` holds.

    Examples
    --------
    >>> sorted(permissions_of("planning"))
    [<Permission.PLAN: 'plan'>, <Permission.READ: 'read'>]
    >>> Permission.MANAGE in permissions_of(Role.OPERATIONS)
    False
    """
    return _GRANTS[Role(role)]
