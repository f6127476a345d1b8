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
