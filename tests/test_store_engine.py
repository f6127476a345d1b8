"""wayhome.store.engine: engines per backend and Alembic migrations (SQLite and PG)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from wayhome.store import engine_from_url, upgrade_database
from wayhome.store.engine import MIGRATIONS_DIR
from wayhome.store.models import Base


def test_upgrade_creates_every_table_and_is_idempotent(database_url: str) -> None:
    upgrade_database(database_url)
    upgrade_database(database_url)  # a second start changes nothing
    engine = engine_from_url(database_url)
    try:
        inspector = inspect(engine)
        tables = set(inspector.get_table_names())
        assert {"incident", "member", "team", "team_member", "position", "last_position"} <= tables
        assert {"activity_log", "alembic_version"} <= tables
        indexes = {i["name"]: i["column_names"] for i in inspector.get_indexes("position")}
        assert indexes["ix_position_track"] == ["incident_id", "member_id", "time"]
    finally:
        engine.dispose()


def test_sqlite_uses_wal_and_foreign_keys(tmp_path: Path) -> None:
    engine = engine_from_url(f"sqlite:///{tmp_path / 'w.db'}")
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()


def _schema_differences(url: str) -> list[tuple[Any, ...]]:
    """What Alembic's autogenerate would change to make the database match the models."""
    engine = engine_from_url(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_server_default": True})
            found = compare_metadata(context, Base.metadata)
            sqlite = conn.dialect.name == "sqlite"
    finally:
        engine.dispose()
    # Column changes come grouped in lists; tables, indexes and constraints as tuples.
    flat = [d for diff in found for d in (diff if isinstance(diff, list) else [diff])]
    return [d for d in flat if not (sqlite and _is_sqlite_empty_default_noise(d))]


def _is_sqlite_empty_default_noise(diff: tuple[Any, ...]) -> bool:
    # SQLite gives back ``DEFAULT ''`` as the SQL text "('')"; Alembic's SQLite comparison
    # strips the quotes, is left with an empty (falsy) string and reports a change from ''
    # to '' that is none. PostgreSQL compares these defaults properly: checked in full there.
    if diff[0] != "modify_default":
        return False
    reflected = str(getattr(getattr(diff[5], "arg", None), "text", "")).strip("() ")
    return reflected == "''" and getattr(diff[6], "arg", None) == ""


def test_migrations_produce_exactly_the_models_schema(database_url: str) -> None:
    upgrade_database(database_url)
    assert _schema_differences(database_url) == []


def test_the_comparison_sees_a_missing_table(database_url: str) -> None:
    # Guards the test above: a schema that differs from the models must be reported.
    upgrade_database(database_url)
    engine = engine_from_url(database_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("ALTER TABLE member DROP COLUMN contact"))
    finally:
        engine.dispose()
    [diff] = _schema_differences(database_url)
    assert (diff[0], diff[2], diff[3].name) == ("add_column", "member", "contact")


def test_downgrade_to_base_and_upgrade_again(database_url: str) -> None:
    upgrade_database(database_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["url"] = database_url
    command.downgrade(config, "base")
    engine = engine_from_url(database_url)
    try:
        assert inspect(engine).get_table_names() == ["alembic_version"]
    finally:
        engine.dispose()
    upgrade_database(database_url)
    assert _schema_differences(database_url) == []


def test_migrations_keep_the_rows_of_a_database_in_use(database_url: str) -> None:
    # Altering a table on SQLite copies it and drops the old one: with rows pointing at it
    # (deliveries at a signal, tokens at a user) that must neither fail nor lose a row.
    from datetime import UTC, datetime

    from wayhome.store import (
        Pair,
        add_member,
        create_incident,
        create_team,
        create_user,
        send_signal,
        session_factory,
        set_member_status,
    )

    upgrade_database(database_url)
    engine = engine_from_url(database_url)
    try:
        with session_factory(engine)() as session:
            incident = create_incident(session, name="In use").id
            ann, bob = (add_member(session, incident_id=incident, name=n).id for n in "AB")
            for member in (ann, bob):
                set_member_status(
                    session, incident_id=incident, member_id=member, status="checked_in"
                )
            create_team(session, incident_id=incident, name="T1", pairs=[Pair((ann, bob))])
            send_signal(session, incident_id=incident, code="two", now=datetime.now(UTC))
            create_user(session, login="ic", name="IC")
        tables = (
            "incident",
            "member",
            "team",
            "team_member",
            "signal",
            "signal_delivery",
            "app_user",
            "activity_log",
        )

        def counts() -> dict[str, int]:
            with engine.connect() as conn:
                return {
                    t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in tables
                }

        before = counts()
        assert before["signal_delivery"] == 2
    finally:
        engine.dispose()
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["url"] = database_url
    command.downgrade(config, "0006")
    upgrade_database(database_url)
    engine = engine_from_url(database_url)
    try:
        assert counts() == before
    finally:
        engine.dispose()
    assert _schema_differences(database_url) == []
