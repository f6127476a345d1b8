"""Who is calling: bearer tokens in, :class:`~wayhome.store.Actor` out, per route.

HTTP clients send ``Authorization: Bearer <token>``; browsers opening a WebSocket (which
cannot set headers) send ``?access_token=<token>``. A route states the permission it
needs by the type of its ``actor`` parameter, e.g. ``actor: ReporterDep``; the incident
comes from the ``incident_id`` path parameter. A closed incident accepts reads only.

Only access tokens are accepted here; a refresh token only buys new tokens at
``POST /auth/refresh``. Who holds a token, and each holder's role in an incident, are
remembered for a few seconds (:class:`AuthCache`): a phone posting its position every
second would otherwise cost four lookups per position before anything is stored. An
expired token is never accepted from the cache.

Failed logins are counted per login name and per client address (:class:`LoginLimiter`).
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta
from itertools import chain
from typing import Annotated, Any

from fastapi import Depends, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from wayhome.access.roles import Permission
from wayhome.access.secrets import token_digest
from wayhome.api.deps import NowDep, SessionDep
from wayhome.errors import AccessDeniedError, ConflictError, NotAuthenticatedError
from wayhome.store import Actor, get_incident, get_user, incident_actor, token_holder
from wayhome.store.models import AccessToken, AppUser, Incident, IncidentRole, TeamMember

__all__ = [
    "AdminDep",
    "AuthCache",
    "CommanderDep",
    "LoginLimiter",
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

#: Rows whose change can change who may do what: a write to any of them empties the cache.
_ACCESS_ROWS = (AccessToken, AppUser, IncidentRole, TeamMember, Incident)
_STALE = "wayhome_auth_stale"


class AuthCache:
    """Token holders and incident actors, remembered for ``ttl_seconds`` (0: not at all).

    Trade-off: a hit skips the token, user, role and incident lookups, so an entry may be
    up to ``ttl_seconds`` old (each lives a random 50-100 % of it, so entries made in the
    same second do not all expire together). Within this process it is never stale:
    :meth:`watch` makes every commit that wrote a token, user, role, team membership (a
    team leader's reach) or incident (its status) through the app's sessions empty the
    cache, so revoking a token or role and closing the incident act at once, as before. A
    change made by another process on the same database (the CLI, a second server) is
    seen when the entry expires. Token expiry is checked on every hit against the
    request's clock.

    A lookup that began before such a commit cannot store its (old) answer after it: each
    load notes the cache's generation first and stores only if no commit bumped it since.
    """

    #: Entries kept at most; past that the cache starts afresh.
    max_entries = 10_000

    def __init__(self, *, ttl_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._generation = 0
        self._holders: dict[str, tuple[float, int, datetime]] = {}
        self._actors: dict[tuple[int, int], tuple[float, Actor, bool]] = {}

    def watch(self, sessions: sessionmaker[Session]) -> None:
        """Empty the cache whenever a session of ``sessions`` commits a change to access."""
        event.listen(sessions, "after_flush", self._after_flush)
        event.listen(sessions, "do_orm_execute", self._on_execute)
        event.listen(sessions, "after_commit", self._after_commit)

    def clear(self) -> None:
        """Forget everything; lookups in flight will not store their answers."""
        with self._lock:
            self._generation += 1
            self._holders.clear()
            self._actors.clear()

    def user_id(self, token: str, *, now: datetime) -> int | None:
        """The remembered holder of ``token``, if still valid; ``None``: look it up."""
        with self._lock:
            entry = self._holders.get(token_digest(token))
        if entry is None or entry[0] <= self._clock() or entry[2] <= now:
            return None
        return entry[1]

    def load_user_id(self, session: Session, token: str, *, now: datetime) -> int:
        """Look the holder of ``token`` up (401 if none), remember and return their id."""
        generation = self._generation
        user, expires_at = token_holder(session, token, now=now)
        session.commit()  # end the read: no pooled connection is held between dependencies
        self._store(generation, self._holders, token_digest(token), (user.id, expires_at))
        return user.id

    def actor(self, user_id: int, incident_id: int) -> tuple[Actor, bool] | None:
        """The remembered actor and whether the incident is closed; ``None``: look it up."""
        with self._lock:
            entry = self._actors.get((user_id, incident_id))
        if entry is None or entry[0] <= self._clock():
            return None
        return entry[1], entry[2]

    def load_actor(self, session: Session, user_id: int, incident_id: int) -> tuple[Actor, bool]:
        """Look the user's role in the incident up (403/404), remember and return it."""
        generation = self._generation
        acting = incident_actor(session, user=get_user(session, user_id), incident_id=incident_id)
        closed = get_incident(session, incident_id).status == "closed"
        session.commit()  # end the read: no pooled connection is held between dependencies
        self._store(generation, self._actors, (user_id, incident_id), (acting, closed))
        return acting, closed

    def _store(self, generation: int, entries: dict[Any, Any], key: Any, value: Any) -> None:
        if self._ttl <= 0:
            return
        with self._lock:
            if generation != self._generation:
                return
            if len(self._holders) + len(self._actors) >= self.max_entries:
                self._holders.clear()
                self._actors.clear()
            entries[key] = (self._clock() + self._ttl * (1.0 - random.random() / 2), *value)

    def _after_flush(self, session: Session, flush_context: Any) -> None:
        changed = chain(session.new, session.dirty, session.deleted)
        if any(isinstance(row, _ACCESS_ROWS) for row in changed):
            session.info[_STALE] = True

    def _on_execute(self, state: ORMExecuteState) -> None:
        mapper = state.bind_mapper
        if not state.is_select and mapper is not None and issubclass(mapper.class_, _ACCESS_ROWS):
            state.session.info[_STALE] = True

    def _after_commit(self, session: Session) -> None:
        if session.info.pop(_STALE, False):
            self.clear()


class LoginLimiter:
    """Failed logins per login name and per client address, over a sliding window.

    After ``per_login`` failures for one login name, or ``per_address`` from one address,
    within ``window``, :meth:`check` refuses further attempts (429, with the seconds until
    the oldest counted failure leaves the window) before any password is checked. Unknown
    login names are counted like known ones, so a refusal says nothing about who exists.
    A successful login clears its name's count (not its address's).

    Kept in this process's memory: a restart forgets it, and servers sharing a database
    count apart. Behind a reverse proxy every client has the proxy's address; raise
    ``per_address`` there. At most :attr:`max_keys` names and addresses are tracked.
    """

    #: Names and addresses tracked at most; past that, those with no recent failure go.
    max_keys = 10_000

    def __init__(self, *, per_login: int, per_address: int, window: timedelta) -> None:
        self._limits = {"login": per_login, "address": per_address}
        self._window = window
        self._lock = threading.Lock()
        self._failures: dict[tuple[str, str], deque[datetime]] = {}

    def check(self, login: str, address: str, *, now: datetime) -> None:
        """Raise a 429 :class:`HTTPException` (with ``Retry-After``) if either is locked out."""
        wait = 0.0
        with self._lock:
            for key in self._keys(login, address):
                failures = self._recent(key, now)
                limit = self._limits[key[0]]
                if failures is not None and len(failures) >= limit:
                    until = failures[-limit] + self._window
                    wait = max(wait, (until - now).total_seconds())
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            raise HTTPException(
                429,
                f"login: too many failed logins for this login or from this address; "
                f"try again in {seconds} s",
                headers={"Retry-After": str(seconds)},
            )

    def failed(self, login: str, address: str, *, now: datetime) -> None:
        """Count a failed login for the name and the address."""
        with self._lock:
            if len(self._failures) >= self.max_keys:
                self._forget_old(now)
            for key in self._keys(login, address):
                self._failures.setdefault(key, deque()).append(now)

    def succeeded(self, login: str) -> None:
        """Clear the name's failures after a successful login."""
        with self._lock:
            self._failures.pop(("login", _login_key(login)), None)

    def _keys(self, login: str, address: str) -> tuple[tuple[str, str], ...]:
        return ("login", _login_key(login)), ("address", address)

    def _recent(self, key: tuple[str, str], now: datetime) -> deque[datetime] | None:
        failures = self._failures.get(key)
        while failures and failures[0] <= now - self._window:
            failures.popleft()
        if failures is not None and not failures:
            del self._failures[key]
            return None
        return failures

    def _forget_old(self, now: datetime) -> None:
        for key in list(self._failures):
            self._recent(key, now)
        if len(self._failures) >= self.max_keys:
            self._failures.clear()


def _login_key(login: str) -> str:
    """A login name as the store compares it (trimmed, lower case)."""
    return login.strip().lower()


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


def _cache(connection: HTTPConnection) -> AuthCache:
    cache: AuthCache = connection.app.state.auth_cache
    return cache


async def _user_id(
    connection: HTTPConnection,
    session: SessionDep,
    now: NowDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)] = None,
) -> int:
    """The id of the user whose token came with the request; 401 without a valid one.

    Async, so a remembered token costs no trip to the thread pool.
    """
    token, cache = _token(connection, credentials), _cache(connection)
    found = cache.user_id(token, now=now)
    if found is None:
        found = await run_in_threadpool(cache.load_user_id, session, token, now=now)
    return found


def current_user(session: SessionDep, user_id: Annotated[int, Depends(_user_id)]) -> AppUser:
    """The user whose token came with the request; 401 without a valid one."""
    return get_user(session, user_id)


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

    async def actor(
        incident_id: int,
        connection: HTTPConnection,
        session: SessionDep,
        user_id: Annotated[int, Depends(_user_id)],
    ) -> Actor:
        cache = _cache(connection)
        found = cache.actor(user_id, incident_id)
        if found is None:
            found = await run_in_threadpool(cache.load_actor, session, user_id, incident_id)
        acting, closed = found
        acting.require(permission)
        if permission is not Permission.READ and closed:
            raise ConflictError(f"incident {incident_id} is closed; it can be read but not changed")
        return acting

    return Depends(actor)


ReaderDep = Annotated[Actor, requires(Permission.READ)]
RosterDep = Annotated[Actor, requires(Permission.ROSTER)]
PlannerDep = Annotated[Actor, requires(Permission.PLAN)]
OperatorDep = Annotated[Actor, requires(Permission.OPERATE)]
ReporterDep = Annotated[Actor, requires(Permission.REPORT)]
ReunifierDep = Annotated[Actor, requires(Permission.REUNIFY)]
CommanderDep = Annotated[Actor, requires(Permission.MANAGE)]
