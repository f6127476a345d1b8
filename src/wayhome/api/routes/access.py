"""Logins, users and incident roles.

``POST /auth/token`` trades a login and password for a short-lived access token (sent as
``Authorization: Bearer``) and a refresh token; ``POST /auth/refresh`` trades the refresh
token, once, for a new pair; ``POST /auth/logout`` revokes them. Repeated failed logins
for one login or from one address get 429 for a while (``LoginLimiter``). Agency
administrators add users; an incident commander gives users roles in their incident.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request, Response, status
from sqlalchemy import select

from wayhome.api.auth import (
    AdminDep,
    CommanderDep,
    LoginLimiter,
    ReaderDep,
    UserDep,
)
from wayhome.api.deps import NowDep, SessionDep, SettingsDep
from wayhome.api.schemas import (
    LogoutCreate,
    MePublic,
    RefreshCreate,
    RoleCreate,
    RolePublic,
    TokenCreate,
    TokenPublic,
    UserCreate,
    UserPublic,
)
from wayhome.api.settings import WayhomeSettings
from wayhome.errors import AccessDeniedError, NotAuthenticatedError
from wayhome.store import (
    Actor,
    TokenPair,
    UnknownRecordError,
    authenticate,
    create_user,
    grant_role,
    list_roles,
    refresh_login,
    revoke_role,
    revoke_token,
)
from wayhome.store.models import AppUser, IncidentRole

__all__ = [
    "add_role",
    "add_user",
    "login",
    "logout",
    "me",
    "refresh",
    "remove_role",
    "roles",
    "router",
]

router = APIRouter(tags=["access"])

#: Documented answers of the login routes besides 200.
_LOGIN_ANSWERS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Wrong login or password (the same answer for both)."},
    429: {"description": "Too many failed logins; wait the seconds in Retry-After."},
}


@router.post("/auth/token", responses=_LOGIN_ANSWERS)
def login(
    body: TokenCreate, request: Request, session: SessionDep, settings: SettingsDep, now: NowDep
) -> TokenPublic:
    """Log in: an access token for ``Authorization: Bearer <token>`` and a refresh token."""
    limiter: LoginLimiter = request.app.state.login_limiter
    address = request.client.host if request.client is not None else ""
    limiter.check(body.login, address, now=now)
    try:
        user, pair = authenticate(
            session,
            login=body.login,
            password=body.password,
            now=now,
            hash_profile=settings.password_hash_profile,
            **_lifetimes(settings),
        )
    except NotAuthenticatedError:
        limiter.failed(body.login, address, now=now)
        raise
    limiter.succeeded(body.login)
    return _public(user, pair, now)


@router.post("/auth/refresh", responses={401: {"description": "Unknown, expired or used."}})
def refresh(
    body: RefreshCreate, session: SessionDep, settings: SettingsDep, now: NowDep
) -> TokenPublic:
    """Trade a refresh token for a new pair; it works once (a reused one revokes them all)."""
    user, pair = refresh_login(session, body.refresh_token, now=now, **_lifetimes(settings))
    return _public(user, pair, now)


@router.post("/auth/logout", status_code=204)
def logout(body: LogoutCreate, session: SessionDep, now: NowDep) -> Response:
    """Revoke the tokens named in the body (a login's pair); unknown ones are ignored: 204."""
    for token in (body.access_token, body.refresh_token):
        if token:
            revoke_token(session, token, now=now)
    return Response(status_code=204)


def _lifetimes(settings: WayhomeSettings) -> dict[str, timedelta]:
    return {
        "access_lifetime": timedelta(minutes=settings.access_token_minutes),
        "refresh_lifetime": timedelta(hours=settings.refresh_token_hours),
    }


def _public(user: AppUser, pair: TokenPair, now: datetime) -> TokenPublic:
    return TokenPublic(
        access_token=pair.access_token,
        expires_in=int((pair.access_expires_at - now).total_seconds()),
        refresh_token=pair.refresh_token,
        user_id=user.id,
    )


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
