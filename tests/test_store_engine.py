"""wayhome.store.engine: engines per backend and Alembic migrations."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect

from wayhome.store import engine_from_url, upgrade_database


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
