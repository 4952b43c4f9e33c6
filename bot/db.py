"""The database: engine, one session per unit of work, and migrations."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import ORMExecuteState, Session

from storage.core import watch_roster_changes

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "storage" / "migrations"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL for concurrent readers, foreign keys on, and wait (not fail) when another writer holds the lock."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def create_engine(url: str) -> AsyncEngine:
    """An async engine for ``url``; a SQLite file's folder is created if missing."""
    parsed = make_url(url)
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": 15}
    else:
        kwargs["pool_pre_ping"] = True
    engine = create_async_engine(url, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


# Whether a unit of work that changed something has committed in the current task (one update is one task, and
# the pre-check resets it): the error handler then knows whether "nothing was saved" is true.
saved_in_this_update: ContextVar[bool] = ContextVar("saved_in_this_update", default=False)


class _TrackedSession(Session):
    """A session that notes in ``info`` whether it wrote anything (ORM flushes or DML statements)."""


@event.listens_for(_TrackedSession, "after_flush")
def _flushed(session: Session, _context: Any) -> None:
    session.info["wrote"] = True


@event.listens_for(_TrackedSession, "do_orm_execute")
def _executed(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info["wrote"] = True


# A change to the roster writes the roster's version in the same transaction (the caller cache's check).
watch_roster_changes(_TrackedSession)


class Database:
    """Owns the engine; hands out one session per unit of work (one update, one job run, one CLI call)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_engine(url)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False, sync_session_class=_TrackedSession)

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session that commits once at the end, or rolls back if the block raises."""
        async with self.sessionmaker() as session:
            try:
                yield session
                await session.commit()
                if session.sync_session.info.get("wrote"):
                    saved_in_this_update.set(True)
            except BaseException:
                await session.rollback()
                raise

    async def upgrade(self) -> None:
        """Apply all migrations (idempotent)."""
        async with self.engine.begin() as connection:
            await connection.run_sync(_upgrade_on, "heads")

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic configuration pointing at ``storage/migrations`` (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def _upgrade_on(connection: Connection, target: str) -> None:
    command.upgrade(alembic_config(connection), target)
