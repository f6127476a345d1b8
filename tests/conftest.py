"""Shared pytest fixtures for wayhome.

Named sample data lives in fixtures here (as in rasterio's ``conftest.py``); tests that
need only synthetic data make it in ``tmp_path`` themselves.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from fastapi.testclient import TestClient
    from sqlalchemy.orm import Session

#: The project's shared sample data: ``shared/data`` beside the repository checkout.
SHARED_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path of the shared sample data (terrain, cases, ISRID tables).

    Skips the test when the folder is missing on a developer machine; fails it in CI
    (``CI=true``), where the data is always laid beside the checkout.
    """
    if not SHARED_DATA.is_dir():
        message = f"shared data not found at {SHARED_DATA}: CI always has it"
        if os.environ.get("CI", "").strip().lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return SHARED_DATA


@pytest.fixture(scope="session", autouse=True)
def test_server_settings() -> Iterator[None]:
    """Servers built in tests hash cheaply and hand out day-long access tokens.

    Hundreds of users are made per run; the strong Argon2 profile (the default, what a
    server uses: ``tests/test_access_secrets.py`` pins it) would cost about 0.1 s per
    hash. Scripted scenes move the server's clock by hours after logging in, where a real
    client would refresh its 15-minute token; ``tests/test_api_security.py`` tests the
    default lifetimes. Servers started as subprocesses inherit the variables.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("WAYHOME_PASSWORD_HASH_PROFILE", "fast")
        patch.setenv("WAYHOME_ACCESS_TOKEN_MINUTES", str(24 * 60))
        yield


# --- The server tier: the same tests on SQLite and on PostgreSQL -----------------------

POSTGRES_ENV = "WAYHOME_TEST_POSTGRES_URL"


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """URL of a uniquely named PostgreSQL database for this test session, dropped after.

    The server in ``WAYHOME_TEST_POSTGRES_URL`` (``.ci/run`` starts one) must let its
    role create databases. Unset: skip on a developer machine, fail in CI.
    """
    admin_url = os.environ.get(POSTGRES_ENV, "").strip()
    if not admin_url:
        message = f"PostgreSQL not configured ({POSTGRES_ENV})"
        if os.environ.get("CI", "").strip().lower() == "true":
            pytest.fail(message + ": .ci/run starts one")
        pytest.skip(message)
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"wayhome_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file in ``tmp_path``, or a new PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'wayhome.db'}"
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base: str = request.getfixturevalue("postgres_database")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
        with engine.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        engine.dispose()


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    """The incident server on ``database_url``, its lifespan running (64 kB body limit).

    Requests carry the token of an agency administrator (login ``admin``), who becomes
    incident commander of every incident they open; see ``apitools.login_as`` for others.
    """
    from fastapi.testclient import TestClient

    from wayhome.api import WayhomeSettings, create_app
    from wayhome.store import create_user, issue_token
    from wayhome.store.models import utc_now

    # The background watch is off: it runs on the wall clock, tests move the server's
    # clock (``clock`` fixture) and call /escalations and /overdue-checks themselves.
    settings = WayhomeSettings(
        database_url=database_url, max_body_bytes=64 * 1024, roll_call_watch_seconds=0
    )
    with TestClient(create_app(settings)) as c:
        # Logged in as an agency administrator, who becomes commander of what they open.
        with c.app.state.sessions() as s:  # type: ignore[attr-defined]
            admin = create_user(s, login="admin", name="Agency Admin", is_admin=True)
            token = issue_token(s, user_id=admin.id, now=utc_now())
        c.headers["Authorization"] = f"Bearer {token}"
        yield c


@pytest.fixture
def incident(client: TestClient) -> int:
    """A fresh incident on ``client``; its id."""
    response = client.post("/incidents", json={"name": "Missing child"})
    assert response.status_code == 201, response.text
    created: int = response.json()["id"]
    return created


@pytest.fixture
def clock(client: TestClient) -> list[datetime]:
    """The server's clock, from 2026-06-01 14:00 UTC: set ``clock[0]`` to move time."""
    from wayhome.api.deps import get_now

    now = [datetime(2026, 6, 1, 14, 0, tzinfo=UTC)]
    client.app.dependency_overrides[get_now] = lambda: now[0]  # type: ignore[attr-defined]
    return now


@pytest.fixture
def session(database_url: str) -> Iterator[Session]:
    """A store session on a fresh database brought to the newest schema."""
    from wayhome.store import engine_from_url, session_factory, upgrade_database

    upgrade_database(database_url)
    engine = engine_from_url(database_url)
    with session_factory(engine)() as s:
        yield s
    engine.dispose()
