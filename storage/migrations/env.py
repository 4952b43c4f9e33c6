"""Alembic environment: migrations run on the connection the application hands over."""

from __future__ import annotations

from alembic import context

from storage.registry import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - always called through bot.db
    raise RuntimeError("run migrations through `branchbot db upgrade`, which supplies the connection")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite needs batch mode to alter tables
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
