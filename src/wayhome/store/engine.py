"""Engines and schema upgrades: SQLite (WAL) embedded, PostgreSQL by URL.

Nothing here runs at import; the API and CLI call these with the URL from their settings.

SQLite settings, and why they are safe:

- ``journal_mode=WAL``: readers never wait for the writer and the writer never waits for
  readers; a commit is an append to the ``-wal`` file.
- ``synchronous=NORMAL``: in WAL mode SQLite then syncs the WAL to disk at checkpoints,
  not at every commit. The database stays consistent whatever happens. A committed
  transaction is in the operating system's file cache when ``COMMIT`` returns, so it
  survives the server process being killed (``kill -9``, an out-of-memory kill, a crash:
  ``tests/test_api_crash.py`` checks that every acknowledged position is there after
  ``SIGKILL``); only a power cut or kernel crash can lose the last commits before the
  next checkpoint. ``FULL`` would close that gap at the price of an ``fsync`` per commit.
- One writer at a time per engine, queued on a Python lock (:class:`_OneWriterConnection`):
  SQLite allows one writing transaction per database, and a connection that finds the
  write lock taken waits in SQLite's busy handler, which sleeps 1, 2, 5, 10, ... ms
  between tries, so concurrent requests would wait for sleeps rather than for each
  other. Reads take no lock. Writers from other engines or processes (the CLI) still
  meet the busy handler, for up to ``busy_timeout``.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any, ClassVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

__all__ = ["MIGRATIONS_DIR", "engine_from_url", "session_factory", "upgrade_database"]

#: Alembic's script directory (``env.py`` and ``versions/``).
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def _is_sqlite(url: str) -> bool:
    return url.split(":", 1)[0].split("+", 1)[0] == "sqlite"


#: How long a SQLite writer waits for the write lock before "database is locked".
_BUSY_TIMEOUT_S = 5.0
#: SQLite page cache per connection (KiB) and memory-mapped I/O size (bytes).
_CACHE_KIB = 32 * 1024
_MMAP_BYTES = 256 * 1024 * 1024
#: Statements that never take SQLite's write lock outside a transaction.
_READS = ("SELECT", "PRAGMA", "EXPLAIN")


def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    # WAL lets viewers read while devices write; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={int(_BUSY_TIMEOUT_S * 1000)}")
    # A million stored positions make the position indexes ~100 MB; SQLite's default page
    # cache (2 MB per connection) then misses on most inserts (random client ids). Reads
    # through a shared memory map, and a larger cache per connection, keep writes flat.
    cursor.execute(f"PRAGMA cache_size=-{_CACHE_KIB}")
    cursor.execute(f"PRAGMA mmap_size={_MMAP_BYTES}")
    cursor.close()


class _OneWriterConnection(sqlite3.Connection):
    """A pysqlite connection that holds its engine's writer lock while it writes.

    The lock is taken before the first statement that is not a read (the one before
    which pysqlite opens the transaction) and given back when the transaction ends:
    commit, rollback, close, or a statement that ran without opening one (DDL).
    Subclassed once per engine (:func:`_one_writer_class`), which sets ``writer``.
    """

    writer: ClassVar[threading.Lock]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.writing = False

    def cursor(self, factory: Any = None) -> Any:
        """A cursor that takes the writer lock when it writes (``factory`` is not used)."""
        return super().cursor(_OneWriterCursor)

    def before(self, sql: str) -> None:
        """Take the writer lock before a statement that writes."""
        if self.writing or sql.lstrip()[:7].upper().startswith(_READS):
            return
        if not self.writer.acquire(timeout=_BUSY_TIMEOUT_S):
            raise sqlite3.OperationalError("database is locked")
        self.writing = True

    def after(self) -> None:
        """Give the lock back once no transaction is open."""
        if self.writing and not self.in_transaction:
            self.writing = False
            self.writer.release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.after()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.after()

    def close(self) -> None:
        try:
            super().close()
        finally:
            if self.writing:
                self.writing = False
                self.writer.release()


class _OneWriterCursor(sqlite3.Cursor):
    """A cursor asking its :class:`_OneWriterConnection` for the lock before writing."""

    def execute(self, sql: str, parameters: Any = (), /) -> Any:
        connection: _OneWriterConnection = self.connection  # type: ignore[assignment]
        connection.before(sql)
        try:
            return super().execute(sql, parameters)
        finally:
            connection.after()

    def executemany(self, sql: str, seq_of_parameters: Any, /) -> Any:
        connection: _OneWriterConnection = self.connection  # type: ignore[assignment]
        connection.before(sql)
        try:
            return super().executemany(sql, seq_of_parameters)
        finally:
            connection.after()


def _one_writer_class() -> type[_OneWriterConnection]:
    """A connection class with a writer lock of its own (one per engine)."""
    return type("OneWriterConnection", (_OneWriterConnection,), {"writer": threading.Lock()})


def engine_from_url(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys, cross-thread use, one writer.

    Examples
    --------
    >>> engine = engine_from_url("sqlite://")
    >>> with engine.connect() as conn:
    ...     conn.exec_driver_sql("PRAGMA foreign_keys").scalar()
    1
    >>> engine.dispose()
    """
    if _is_sqlite(url):
        connect_args = {
            "check_same_thread": False,
            "factory": _one_writer_class(),
            **kwargs.pop("connect_args", {}),
        }
        engine = create_engine(url, connect_args=connect_args, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions bound to ``engine`` whose objects stay readable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


def upgrade_database(url: str) -> None:
    """Bring the database at ``url`` to the newest schema (``alembic upgrade head``)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # Passed as an attribute, not an ini option: URLs may hold '%' (configparser syntax).
    config.attributes["url"] = url
    command.upgrade(config, "head")
