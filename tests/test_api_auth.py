"""wayhome.api.auth.AuthCache: what it remembers, for how long, and what empties it.

The routes' behaviour with the cache on (a revoked role or a closed incident acts at the
very next request) is tested through the API in ``test_api_access.py``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from wayhome.api import auth
from wayhome.api.auth import AuthCache
from wayhome.errors import NotAuthenticatedError
from wayhome.store import (
    PositionReport,
    add_member,
    create_incident,
    create_user,
    engine_from_url,
    grant_role,
    incident_actor,
    issue_token,
    list_roles,
    record_positions,
    revoke_role,
    revoke_token,
    session_factory,
    upgrade_database,
)
from wayhome.store.models import utc_now

NOW = utc_now()


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    upgrade_database(database_url)
    engine = engine_from_url(database_url)
    yield session_factory(engine)
    engine.dispose()


@pytest.fixture
def scene(sessions: sessionmaker[Session]) -> tuple[int, int, str]:
    """(incident, user holding the viewer role there, the user's token)."""
    with sessions() as s:
        incident = create_incident(s, name="x").id
        user = create_user(s, login="ann", name="Ann").id
        grant_role(s, incident_id=incident, user_id=user, role="viewer")
        return incident, user, issue_token(s, user_id=user, now=NOW)


def test_remembered_until_the_ttl_then_looked_up_again(
    sessions: sessionmaker[Session], scene: tuple[int, int, str]
) -> None:
    incident, user, token = scene
    clock = [100.0]
    cache = AuthCache(ttl_seconds=10, clock=lambda: clock[0])
    with sessions() as s:
        assert cache.user_id(token, now=NOW) is None
        assert cache.load_user_id(s, token, now=NOW) == user
        acting, closed = cache.load_actor(s, user, incident)
    assert not closed
    assert cache.user_id(token, now=NOW) == user
    assert cache.actor(user, incident) == (acting, False) and acting.role == "viewer"
    # Revoked through sessions the cache does not watch (another process): not seen yet...
    with sessions() as s:
        revoke_token(s, token, now=NOW)
    clock[0] += 4.9  # every entry lives at least half the TTL
    assert cache.user_id(token, now=NOW) == user
    clock[0] += 5.2  # ...and at most the TTL
    assert cache.user_id(token, now=NOW) is None
    assert cache.actor(user, incident) is None
    with sessions() as s, pytest.raises(NotAuthenticatedError, match="revoked"):
        cache.load_user_id(s, token, now=NOW)


def test_token_expiry_is_checked_on_every_hit(
    sessions: sessionmaker[Session], scene: tuple[int, int, str]
) -> None:
    _, user, token = scene
    cache = AuthCache(ttl_seconds=60)
    with sessions() as s:
        cache.load_user_id(s, token, now=NOW)
    assert cache.user_id(token, now=NOW + timedelta(days=6)) == user
    assert cache.user_id(token, now=NOW + timedelta(days=7)) is None  # the token's lifetime


def test_a_commit_changing_access_empties_it_and_positions_do_not(
    sessions: sessionmaker[Session], scene: tuple[int, int, str]
) -> None:
    incident, user, token = scene
    cache = AuthCache(ttl_seconds=60)
    cache.watch(sessions)
    with sessions() as s:
        cache.load_user_id(s, token, now=NOW)
        cache.load_actor(s, user, incident)
        member = add_member(s, incident_id=incident, name="Bob").id
        report = PositionReport(id=uuid.uuid4(), member_id=member, lat=1.0, lon=1.0, time=NOW)
        record_positions(s, incident_id=incident, reports=[report])
    # Roster and position writes leave it alone (they come every second)...
    assert cache.user_id(token, now=NOW) == user
    assert cache.actor(user, incident) is not None
    # ...a role taken away empties it at once.
    with sessions() as s:
        [grant] = list_roles(s, incident)
        revoke_role(s, incident_id=incident, role_id=grant.id)
    assert cache.actor(user, incident) is None
    assert cache.user_id(token, now=NOW) is None


def test_a_lookup_overtaken_by_a_change_is_not_remembered(
    sessions: sessionmaker[Session], scene: tuple[int, int, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    incident, user, _ = scene
    cache = AuthCache(ttl_seconds=60)
    looked_up = incident_actor

    def overtaken(*args: object, **kwargs: object) -> object:
        found = looked_up(*args, **kwargs)  # type: ignore[arg-type]
        cache.clear()  # another request commits a role change meanwhile
        return found

    monkeypatch.setattr(auth, "incident_actor", overtaken)
    with sessions() as s:
        acting, _ = cache.load_actor(s, user, incident)
    assert acting.role == "viewer"  # this request still gets its answer...
    assert cache.actor(user, incident) is None  # ...but it is not kept


def test_ttl_zero_remembers_nothing(
    sessions: sessionmaker[Session], scene: tuple[int, int, str]
) -> None:
    incident, user, token = scene
    cache = AuthCache(ttl_seconds=0)
    with sessions() as s:
        assert cache.load_user_id(s, token, now=NOW) == user
        cache.load_actor(s, user, incident)
    assert cache.user_id(token, now=NOW) is None
    assert cache.actor(user, incident) is None
