"""Who is calling: bearer tokens in, :class:`~wayhome.store.Actor` out, per route.

HTTP clients send ``Authorization: Bearer <token>``; browsers opening a WebSocket (which
cannot set headers) send ``?access_token=<token>``. A route states the permission it
needs by the type of its ``actor`` parameter, e.g. ``actor: ReporterDep``; the incident
comes from the ``incident_id`` path parameter. A closed incident accepts reads only.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.requests import HTTPConnection

from wayhome.access.roles import Permission
from wayhome.api.deps import NowDep, SessionDep
from wayhome.errors import AccessDeniedError, ConflictError, NotAuthenticatedError
from wayhome.store import Actor, get_incident, incident_actor, user_for_token
from wayhome.store.models import AppUser

__all__ = [
    "AdminDep",
    "CommanderDep",
    "OperatorDep",
    "PlannerDep",
    "ReaderDep",
    "ReporterDep",
    "ReunifierDep",
    "RosterDep",
    "UserDep",
    "current_user",
    "requires",
]

_bearer = HTTPBearer(auto_error=False, description="A token from POST /auth/token")


def _token(connection: HTTPConnection, credentials: HTTPAuthorizationCredentials | None) -> str:
    if credentials is not None and credentials.credentials:
        return credentials.credentials
    token = connection.query_params.get("access_token", "")
    if token and connection.scope["type"] == "websocket":
        return token
    raise NotAuthenticatedError(
        "Authorization: send 'Bearer <token>'; get a token from POST /auth/token"
    )


def current_user(
    connection: HTTPConnection,
    session: SessionDep,
    now: NowDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)] = None,
) -> AppUser:
    """The user whose token came with the request; 401 without a valid one."""
    user = user_for_token(session, _token(connection, credentials), now=now)
    session.commit()  # TEMP release
    return user


UserDep = Annotated[AppUser, Depends(current_user)]


def _admin(user: UserDep) -> AppUser:
    if not user.is_admin:
        raise AccessDeniedError("only an agency administrator may do this")
    return user


AdminDep = Annotated[AppUser, Depends(_admin)]


def requires(permission: Permission) -> Any:
    """A dependency giving the :class:`Actor` of the request's incident, holding ``permission``.

    Anything but reading is refused (409) once the incident is closed.
    """

    def actor(
        incident_id: int,
        session: SessionDep,
        user: Annotated[AppUser, Depends(current_user)],
    ) -> Actor:
        acting = incident_actor(session, user=user, incident_id=incident_id)
        acting.require(permission)
        if permission is not Permission.READ:
            incident = get_incident(session, incident_id)
            if incident.status == "closed":
                raise ConflictError(
                    f"incident {incident_id} is closed; it can be read but not changed"
                )
        session.commit()  # TEMP release
        return acting

    return Depends(actor)


ReaderDep = Annotated[Actor, requires(Permission.READ)]
RosterDep = Annotated[Actor, requires(Permission.ROSTER)]
PlannerDep = Annotated[Actor, requires(Permission.PLAN)]
OperatorDep = Annotated[Actor, requires(Permission.OPERATE)]
ReporterDep = Annotated[Actor, requires(Permission.REPORT)]
ReunifierDep = Annotated[Actor, requires(Permission.REUNIFY)]
CommanderDep = Annotated[Actor, requires(Permission.MANAGE)]
