"""Users, bearer tokens and incident roles.

A user logs in with a password (or holds a token issued to a device) and has at most one
role per incident; a searcher's or team leader's role names their member on the roster, so
their reports can be limited to themself or their team.

A login gives a pair of tokens (:class:`TokenPair`): a short-lived *access* token sent with
every request, and a *refresh* token (a shift long) that :func:`refresh_login` trades for
a new pair, once: the refresh token it took is revoked, and presenting a used one again
(someone copied it) revokes every token of that login (its chain of refreshes); the user's
other logins and devices carry on.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import cast

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.orm import Session

from wayhome.access.roles import FIELD_ROLES, ROLES, Permission, Role, permissions_of
from wayhome.access.secrets import (
    HashProfile,
    hash_secret,
    needs_rehash,
    new_secret,
    new_token,
    token_digest,
    verify_secret,
)
from wayhome.errors import (
    AccessDeniedError,
    ConflictError,
    InvalidParameterError,
    NotAuthenticatedError,
)
from wayhome.store.errors import UnknownRecordError
from wayhome.store.incidents import get_incident, log_activity
from wayhome.store.models import AccessToken, AppUser, IncidentRole, TeamMember
from wayhome.store.roster import get_member

__all__ = [
    "DEFAULT_ACCESS_LIFETIME",
    "DEFAULT_REFRESH_LIFETIME",
    "DEFAULT_TOKEN_LIFETIME",
    "Actor",
    "TokenPair",
    "authenticate",
    "count_users",
    "create_user",
    "ensure_admin",
    "get_user",
    "grant_role",
    "incident_actor",
    "issue_token",
    "list_roles",
    "refresh_login",
    "revoke_role",
    "revoke_token",
    "revoke_user_tokens",
    "token_holder",
    "user_for_token",
    "user_incident_ids",
]

#: How long a token issued to a device lives unless told otherwise: one week (a long
#: search, offline phones). Logins get a :class:`TokenPair` instead.
DEFAULT_TOKEN_LIFETIME = timedelta(days=7)
#: How long a login's access token lives: 15 minutes (a stolen one is soon useless).
DEFAULT_ACCESS_LIFETIME = timedelta(minutes=15)
#: How long a login's refresh token lives: 12 hours, about a shift.
DEFAULT_REFRESH_LIFETIME = timedelta(hours=12)


@dataclass(frozen=True, slots=True)
class TokenPair:
    """What a login (or a refresh) gives: an access token and the refresh token for the next."""

    access_token: str
    access_expires_at: datetime
    refresh_token: str
    refresh_expires_at: datetime


@dataclass(frozen=True, slots=True)
class Actor:
    """A user acting in one incident: their role, permissions and whom they may report for.

    ``reports_for`` is ``None`` when the role may report for anyone (command roles);
    otherwise the member ids a field role may speak for (themself, or their team).
    """

    user_id: int
    login: str
    name: str
    incident_id: int
    role: str
    member_id: int | None
    permissions: frozenset[Permission]
    reports_for: frozenset[int] | None

    @property
    def label(self) -> str:
        """How the activity log names this actor: ``"Ann Lee (operations)"``."""
        return f"{self.name} ({self.role})"

    def require(self, permission: Permission) -> None:
        """Raise :class:`AccessDeniedError` unless the role holds ``permission``."""
        if permission not in self.permissions:
            raise AccessDeniedError(
                f"role {self.role!r} may not {permission.value} in incident {self.incident_id}; "
                "ask the incident commander for a role that may"
            )

    def require_reports_for(self, member_id: int) -> None:
        """Raise :class:`AccessDeniedError` if this field role may not speak for ``member_id``."""
        if self.reports_for is not None and member_id not in self.reports_for:
            whom = "yourself" if self.role == Role.SEARCHER else "the members of your team"
            raise AccessDeniedError(
                f"member_id: as {self.role} you report only for {whom}, not member {member_id}"
            )


def count_users(session: Session) -> int:
    """How many users the server has (0 on a fresh install)."""
    return session.scalar(select(func.count()).select_from(AppUser)) or 0


def create_user(
    session: Session,
    *,
    login: str,
    name: str,
    password: str | None = None,
    is_admin: bool = False,
    hash_profile: HashProfile = "strong",
) -> AppUser:
    """Add a user; ``password=None`` makes a token-only user (a device).

    The password is stored as an Argon2id hash of ``hash_profile`` (``"fast"``: tests only).
    """
    login = login.strip().lower()
    if not login or len(login) > 100 or not all(c.isalnum() or c in "._-@" for c in login):
        raise InvalidParameterError("login: use 1-100 letters, digits or . _ - @ (e.g. 'ann.lee')")
    if not name.strip():
        raise InvalidParameterError("name: give the user's name")
    if password is not None and len(password) < 8:
        raise InvalidParameterError("password: use at least 8 characters")
    if session.scalar(select(AppUser.id).where(AppUser.login == login)) is not None:
        raise ConflictError(f"login: {login!r} is taken; pick another")
    user = AppUser(
        login=login,
        name=name.strip(),
        password_hash=hash_secret(password, profile=hash_profile) if password is not None else "",
        is_admin=is_admin,
    )
    session.add(user)
    session.commit()
    return user


def ensure_admin(
    session: Session, *, login: str = "admin", hash_profile: HashProfile = "strong"
) -> str | None:
    """On a server with no users, add the administrator ``login``; its new password.

    ``None`` when users exist already (nothing is changed). The password is random and
    shown once; it is stored only as a hash.
    """
    if count_users(session):
        return None
    password = new_secret(12)
    create_user(
        session,
        login=login,
        name="Agency administrator",
        password=password,
        is_admin=True,
        hash_profile=hash_profile,
    )
    return password


def get_user(session: Session, user_id: int) -> AppUser:
    """The user ``user_id``; :class:`UnknownRecordError` when there is none."""
    user = session.get(AppUser, user_id)
    if user is None:
        raise UnknownRecordError(f"user {user_id}: no such user")
    return user


def issue_token(
    session: Session,
    *,
    user_id: int,
    now: datetime,
    lifetime: timedelta = DEFAULT_TOKEN_LIFETIME,
    kind: str = "access",
) -> str:
    """A new bearer token for ``user_id``, valid for ``lifetime``; only its hash is stored.

    ``kind`` is ``"access"`` (sent with requests) or ``"refresh"`` (for :func:`refresh_login`).
    """
    get_user(session, user_id)
    token = _add_token(session, user_id=user_id, now=now, lifetime=lifetime, kind=kind)
    session.commit()
    return token


def authenticate(
    session: Session,
    *,
    login: str,
    password: str,
    now: datetime,
    access_lifetime: timedelta = DEFAULT_ACCESS_LIFETIME,
    refresh_lifetime: timedelta = DEFAULT_REFRESH_LIFETIME,
    hash_profile: HashProfile = "strong",
) -> tuple[AppUser, TokenPair]:
    """Check ``login``/``password``; the user and a new :class:`TokenPair`.

    :class:`NotAuthenticatedError` with the same message, after the same work, for an
    unknown login, a token-only user and a wrong password (no account probing). A password
    hash of another profile, or an old scrypt one, is replaced by one of ``hash_profile``.
    """
    user = session.scalar(select(AppUser).where(AppUser.login == login.strip().lower()))
    stored = user.password_hash if user is not None and user.password_hash else ""
    if not verify_secret(password, stored or _decoy(hash_profile)) or user is None or not stored:
        raise NotAuthenticatedError("login or password is wrong; check both and try again")
    if needs_rehash(stored, profile=hash_profile):
        user.password_hash = hash_secret(password, profile=hash_profile)
    chain = secrets.token_hex(16)
    pair = _add_pair(session, user.id, now, access_lifetime, refresh_lifetime, chain)
    session.commit()
    return user, pair


def refresh_login(
    session: Session,
    refresh_token: str,
    *,
    now: datetime,
    access_lifetime: timedelta = DEFAULT_ACCESS_LIFETIME,
    refresh_lifetime: timedelta = DEFAULT_REFRESH_LIFETIME,
) -> tuple[AppUser, TokenPair]:
    """Trade ``refresh_token`` for a new :class:`TokenPair`; the one traded is revoked.

    A refresh token works once. Presenting one that was used already means two parties
    hold it (a copied phone, a leaked log): every token of that login (the chain of
    refreshes since the password was given) is revoked, and both must log in again; the
    user's other logins and devices carry on. :class:`NotAuthenticatedError` for that, and
    for an unknown, expired or non-refresh token.
    """
    row = session.scalar(
        select(AccessToken).where(AccessToken.token_hash == token_digest(refresh_token))
    )
    if row is None or row.kind != "refresh":
        raise NotAuthenticatedError("refresh_token: unknown; log in again at /auth/token")
    if row.revoked_at is None and row.expires_at <= now:
        raise NotAuthenticatedError("refresh_token: expired; log in again at /auth/token")
    user_id, chain = row.user_id, row.login_chain
    # Claim it in one statement: of two requests racing with the same token, one wins.
    claim = update(AccessToken).where(AccessToken.id == row.id, AccessToken.revoked_at.is_(None))
    claimed = cast(CursorResult[None], session.execute(claim.values(revoked_at=now))).rowcount
    if claimed != 1:
        if chain is None:  # a refresh token issued on its own: no login to narrow it to
            revoke_user_tokens(session, user_id=user_id, now=now)
        else:
            _revoke_chain(session, chain=chain, now=now)
        raise NotAuthenticatedError(
            "refresh_token: already used, so it may have been copied; every token of this "
            "login is revoked: log in again at /auth/token"
        )
    pair = _add_pair(session, user_id, now, access_lifetime, refresh_lifetime, chain)
    session.commit()
    return get_user(session, user_id), pair


def user_for_token(session: Session, token: str, *, now: datetime) -> AppUser:
    """The user holding access ``token``; :class:`NotAuthenticatedError` if not valid now."""
    return token_holder(session, token, now=now)[0]


def token_holder(session: Session, token: str, *, now: datetime) -> tuple[AppUser, datetime]:
    """The user holding access ``token`` and when it expires (for callers that remember it).

    :class:`NotAuthenticatedError` if the token is unknown, expired, revoked or a refresh
    token (those only buy new tokens).
    """
    row = session.scalar(select(AccessToken).where(AccessToken.token_hash == token_digest(token)))
    if row is None or row.revoked_at is not None:
        raise NotAuthenticatedError("token: unknown or revoked; log in again at /auth/token")
    if row.kind != "access":
        raise NotAuthenticatedError(
            "token: a refresh token is not an access token; trade it at POST /auth/refresh"
        )
    if row.expires_at <= now:
        raise NotAuthenticatedError(
            "token: expired; get a new one at POST /auth/refresh or log in at /auth/token"
        )
    return get_user(session, row.user_id), row.expires_at


def revoke_token(session: Session, token: str, *, now: datetime) -> None:
    """Revoke ``token`` at once (a lost phone); unknown tokens are ignored.

    A refresh token is forgotten rather than marked revoked, so presenting it later is an
    unknown token, not the reuse :func:`refresh_login` punishes.
    """
    row = session.scalar(select(AccessToken).where(AccessToken.token_hash == token_digest(token)))
    if row is None or row.revoked_at is not None:
        return
    if row.kind == "refresh":
        session.delete(row)
    else:
        row.revoked_at = now
    session.commit()


def revoke_user_tokens(session: Session, *, user_id: int, now: datetime) -> int:
    """Revoke every live token of ``user_id`` (logins and devices); how many there were."""
    live = update(AccessToken).where(
        AccessToken.user_id == user_id,
        AccessToken.revoked_at.is_(None),
        AccessToken.expires_at > now,
    )
    revoked = cast(CursorResult[None], session.execute(live.values(revoked_at=now))).rowcount
    session.commit()
    return revoked


def _revoke_chain(session: Session, *, chain: str, now: datetime) -> None:
    """Revoke every live token of one login chain (committed)."""
    live = update(AccessToken).where(
        AccessToken.login_chain == chain,
        AccessToken.revoked_at.is_(None),
        AccessToken.expires_at > now,
    )
    session.execute(live.values(revoked_at=now))
    session.commit()


def _add_token(
    session: Session,
    *,
    user_id: int,
    now: datetime,
    lifetime: timedelta,
    kind: str,
    chain: str | None = None,
) -> str:
    """Add (not commit) a new token of ``kind``; the token (only its hash is stored)."""
    if kind not in ("access", "refresh"):
        raise InvalidParameterError(f"kind: {kind!r} is not a token kind; use access or refresh")
    token = new_token()
    session.add(
        AccessToken(
            user_id=user_id,
            token_hash=token_digest(token),
            created_at=now,
            expires_at=now + lifetime,
            kind=kind,
            login_chain=chain,
        )
    )
    return token


def _add_pair(
    session: Session,
    user_id: int,
    now: datetime,
    access: timedelta,
    refresh: timedelta,
    chain: str | None,
) -> TokenPair:
    """Add (not commit) an access and a refresh token of login ``chain`` for ``user_id``."""
    return TokenPair(
        access_token=_add_token(
            session, user_id=user_id, now=now, lifetime=access, kind="access", chain=chain
        ),
        access_expires_at=now + access,
        refresh_token=_add_token(
            session, user_id=user_id, now=now, lifetime=refresh, kind="refresh", chain=chain
        ),
        refresh_expires_at=now + refresh,
    )


@cache
def _decoy(profile: HashProfile) -> str:
    """A hash nobody's password matches: checked for unknown logins, so they take as long."""
    return hash_secret(new_token(), profile=profile)


def grant_role(
    session: Session,
    *,
    incident_id: int,
    user_id: int,
    role: str,
    member_id: int | None = None,
    actor: str = "system",
) -> IncidentRole:
    """Give ``user_id`` ``role`` in the incident (replacing a role they had); logged.

    Field roles (team leader, searcher) must name the user's member on the roster.
    """
    get_incident(session, incident_id)
    user = get_user(session, user_id)
    if role not in ROLES:
        raise InvalidParameterError(f"role: {role!r} is not a role; use one of {', '.join(ROLES)}")
    if member_id is not None:
        get_member(session, incident_id=incident_id, member_id=member_id)
    elif Role(role) in FIELD_ROLES:
        raise InvalidParameterError(
            f"member_id: a {role} reports for a member on the roster; give their member id"
        )
    grant = session.scalar(
        select(IncidentRole).where(
            IncidentRole.incident_id == incident_id, IncidentRole.user_id == user_id
        )
    )
    if grant is None:
        grant = IncidentRole(incident_id=incident_id, user_id=user_id, role=role)
        session.add(grant)
    grant.role = role
    grant.member_id = member_id
    log_activity(
        session,
        incident_id=incident_id,
        actor=actor,
        kind="access",
        text=f"{user.name} ({user.login}) is now {role}",
    )
    session.commit()
    return grant


def list_roles(session: Session, incident_id: int) -> Sequence[IncidentRole]:
    """Every user's role in the incident, in the order they were granted."""
    get_incident(session, incident_id)
    query = (
        select(IncidentRole)
        .where(IncidentRole.incident_id == incident_id)
        .order_by(IncidentRole.id)
    )
    return session.scalars(query).all()


def revoke_role(session: Session, *, incident_id: int, role_id: int, actor: str = "system") -> None:
    """Take a user's role in the incident away; logged."""
    grant = session.get(IncidentRole, role_id)
    if grant is None or grant.incident_id != incident_id:
        raise UnknownRecordError(f"role {role_id}: no such role grant in incident {incident_id}")
    user = get_user(session, grant.user_id)
    session.delete(grant)
    log_activity(
        session,
        incident_id=incident_id,
        actor=actor,
        kind="access",
        text=f"{user.name} ({user.login}) no longer has a role ({grant.role})",
    )
    session.commit()


def user_incident_ids(session: Session, user_id: int) -> set[int]:
    """The incidents in which ``user_id`` has a role."""
    query = select(IncidentRole.incident_id).where(IncidentRole.user_id == user_id)
    return set(session.scalars(query))


def incident_actor(session: Session, *, user: AppUser, incident_id: int) -> Actor:
    """``user`` acting in ``incident_id``; :class:`AccessDeniedError` if they have no role there.

    An unknown incident raises :class:`UnknownRecordError` only for admins; others get
    :class:`AccessDeniedError` either way, so incident ids cannot be probed.
    """
    grant = session.scalar(
        select(IncidentRole).where(
            IncidentRole.incident_id == incident_id, IncidentRole.user_id == user.id
        )
    )
    if grant is None:
        if user.is_admin:
            get_incident(session, incident_id)
        raise AccessDeniedError(
            f"incident {incident_id}: you have no role in this incident; "
            "ask its incident commander to add you"
        )
    role = Role(grant.role)
    reports_for: frozenset[int] | None = None
    if role is Role.SEARCHER:
        reports_for = frozenset({grant.member_id} if grant.member_id is not None else ())
    elif role is Role.TEAM_LEADER:
        reports_for = frozenset(_team_mates(session, grant.member_id))
    return Actor(
        user_id=user.id,
        login=user.login,
        name=user.name,
        incident_id=incident_id,
        role=role.value,
        member_id=grant.member_id,
        permissions=permissions_of(role),
        reports_for=reports_for,
    )


def _team_mates(session: Session, member_id: int | None) -> set[int]:
    """``member_id`` and everyone in a team with them."""
    if member_id is None:
        return set()
    teams = select(TeamMember.team_id).where(TeamMember.member_id == member_id)
    query = select(TeamMember.member_id).where(TeamMember.team_id.in_(teams))
    return {member_id, *session.scalars(query)}
