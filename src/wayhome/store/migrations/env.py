"""Alembic environment: the URL comes from ``upgrade_database`` (``config.attributes``)."""

from __future__ import annotations

from alembic import context

from wayhome.errors import WayhomeError
from wayhome.store.engine import engine_from_url
from wayhome.store.models import Base

config = context.config
url: str = config.attributes.get("url") or config.get_main_option("sqlalchemy.url") or ""

if context.is_offline_mode():
    context.configure(url=url, target_metadata=Base.metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    engine = engine_from_url(url)
    try:
        with engine.connect() as connection:
            sqlite = connection.dialect.name == "sqlite"
            if sqlite:
                # SQLite alters a table by copying it to a new one and dropping the old:
                # with foreign keys enforced, dropping a table other rows point at fails.
                # SQLite's own procedure: keys off (outside a transaction), migrate, then
                # check every key before carrying on.
                connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
                connection.commit()
            context.configure(
                connection=connection, target_metadata=Base.metadata, render_as_batch=sqlite
            )
            with context.begin_transaction():
                context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()
                if broken:
                    raise WayhomeError(f"migration left broken foreign keys: {broken[:5]}")
    finally:
        engine.dispose()
