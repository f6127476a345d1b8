"""Logins, users and incident roles.

``POST /auth/token`` trades a login and password for a bearer token; agency
administrators add users; an incident commander gives users roles in their incident.
"""

from __future__ import annotations

from fastapi import APIRouter, Response, status
from sqlalchemy import select

from wayhome.api.auth import AdminDep, CommanderDep, ReaderDep, UserDep
from wayhome.api.deps import NowDep, SessionDep
from wayhome.api.schemas import (
    MePublic,
    RoleCreate,
    RolePublic,
    TokenCreate,
    TokenPublic,
    UserCreate,
    UserPublic,
)
from wayhome.errors import AccessDeniedError
from wayhome.store import (
    Actor,
    UnknownRecordError,
    authenticate,
    create_user,
    grant_role,
    list_roles,
    revoke_role,
)
from wayhome.store.models import AppUser, IncidentRole

__all__ = ["add_role", "add_user", "login", "me", "remove_role", "roles", "router"]

router = APIRouter(tags=["access"])


@router.post("/auth/token")
def login(body: TokenCreate, session: SessionDep, now: NowDep) -> TokenPublic:
    """Log in: a bearer token for ``Authorization: Bearer <token>`` (401 if wrong)."""
    user, token = authenticate(session, login=body.login, password=body.password, now=now)
    return TokenPublic(access_token=token, user_id=user.id)


@router.get("/auth/me")
def me(session: SessionDep, user: UserDep) -> MePublic:
    """Who you are and your role in each incident."""
    grants = session.scalars(
        select(IncidentRole).where(IncidentRole.user_id == user.id).order_by(IncidentRole.id)
    ).all()
    return MePublic(
        user=UserPublic.model_validate(user),
        roles=[RolePublic.model_validate(g) for g in grants],
    )


@router.post("/users", status_code=status.HTTP_201_CREATED)
def add_user(body: UserCreate, session: SessionDep, admin: AdminDep) -> UserPublic:
    """Add a user (agency administrators only); 409 if the login is taken."""
    user = create_user(
        session, login=body.login, name=body.name, password=body.password, is_admin=body.is_admin
    )
    return UserPublic.model_validate(user)


@router.get("/incidents/{incident_id}/roles")
def roles(incident_id: int, session: SessionDep, actor: ReaderDep) -> list[RolePublic]:
    """Who has which role in the incident."""
    return [RolePublic.model_validate(g) for g in list_roles(session, incident_id)]


@router.post("/incidents/{incident_id}/roles", status_code=status.HTTP_201_CREATED)
def add_role(
    incident_id: int, body: RoleCreate, session: SessionDep, actor: CommanderDep
) -> RolePublic:
    """Give a user a role in the incident (replacing any they had); logged."""
    user = session.scalar(select(AppUser).where(AppUser.login == body.login.strip().lower()))
    if user is None:
        raise UnknownRecordError(f"login: no user {body.login!r}; an administrator adds users")
    _not_own(actor, user.id)
    grant = grant_role(
        session,
        incident_id=incident_id,
        user_id=user.id,
        role=body.role,
        member_id=body.member_id,
        actor=actor.label,
    )
    return RolePublic.model_validate(grant)


@router.delete("/incidents/{incident_id}/roles/{role_id}", status_code=204)
def remove_role(
    incident_id: int, role_id: int, session: SessionDep, actor: CommanderDep
) -> Response:
    """Take a role away; the user loses access to the incident at once."""
    grant = session.get(IncidentRole, role_id)
    if grant is not None and grant.incident_id == incident_id:
        _not_own(actor, grant.user_id)
    revoke_role(session, incident_id=incident_id, role_id=role_id, actor=actor.label)
    return Response(status_code=204)


def _not_own(actor: Actor, user_id: int) -> None:
    """Nobody changes their own role: the incident never loses its commander by mistake."""
    if user_id == actor.user_id:
        raise AccessDeniedError(
            "login: you may not change your own role; another incident commander may"
        )
