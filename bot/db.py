"""The database: engine, one session per unit of work, and migrations."""

from __future__ import annotations

import ast
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import ORMExecuteState, Session

from storage.base import BUSY_TIMEOUT_MS
from storage.core import watch_roster_changes

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "storage" / "migrations"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL for concurrent readers, foreign keys on, and wait (not fail) when another writer holds the lock."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def create_engine(url: str) -> AsyncEngine:
    """An async engine for ``url``; a SQLite file's folder is created if missing."""
    parsed = make_url(url)
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": BUSY_TIMEOUT_MS / 1000}
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
        """Apply all migrations (idempotent). A database already at the heads costs one query, not Alembic's
        import (0.4 s of every start and command otherwise)."""
        async with self.engine.begin() as connection:
            if await connection.run_sync(_at_heads):
                return
            await connection.run_sync(_upgrade_on, "heads")

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()


_REVISION_LINE = re.compile(r"^(revision|down_revision|depends_on)\s*(?::[^=\n]*)?=\s*(.+?)\s*$", re.MULTILINE)


def _names(value: object) -> list[str] | None:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, tuple | list) and all(isinstance(v, str) for v in value):
        return list(value)
    return None


@cache
def migration_heads() -> frozenset[str] | None:
    """What ``alembic_version`` holds when every migration of ``storage/migrations`` is applied: the heads, less
    those another head depends on. Read from the files' ``revision``, ``down_revision`` and ``depends_on`` lines
    without Alembic; None when a file does not say them plainly (then Alembic decides)."""
    before: dict[str, list[str]] = {}  # revision -> the revisions it comes after (parents and dependencies)
    parents: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        found = dict(_REVISION_LINE.findall(path.read_text("utf-8")))
        try:
            revision = ast.literal_eval(found["revision"])
            down = _names(ast.literal_eval(found["down_revision"]))
            depends = _names(ast.literal_eval(found.get("depends_on", "None")))
        except (KeyError, ValueError, SyntaxError):
            return None
        if not isinstance(revision, str) or down is None or depends is None:
            return None
        before[revision] = down + depends
        parents.update(down)
    if not before or not {r for after in before.values() for r in after} <= set(before):
        return None
    heads = set(before) - parents
    covered: set[str] = set()
    stack = [r for head in heads for r in before[head]]
    while stack:
        revision = stack.pop()
        if revision not in covered:
            covered.add(revision)
            stack.extend(before[revision])
    return frozenset(heads - covered)


def _at_heads(connection: Connection) -> bool:
    """Whether the database's migrations are exactly the heads (nothing to apply)."""
    heads = migration_heads()
    if heads is None or not inspect(connection).has_table("alembic_version"):
        return False
    return set(connection.execute(text("SELECT version_num FROM alembic_version")).scalars()) == heads


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic configuration pointing at ``storage/migrations`` (no alembic.ini needed)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def _upgrade_on(connection: Connection, target: str) -> None:
    from alembic import command

    command.upgrade(alembic_config(connection), target)
