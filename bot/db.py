"""The database: engine, one session per unit of work, and migrations."""

from __future__ import annotations

import ast
import asyncio
import logging
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Connection, Engine, event, inspect, text
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.pool import QueuePool

from storage.base import BUSY_TIMEOUT_MS
from storage.core import watch_roster_changes

if TYPE_CHECKING:
    from alembic.config import Config

T = TypeVar("T")

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "storage" / "migrations"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL for concurrent readers, foreign keys on, and wait (not fail) when another writer holds the lock."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def create_engine(url: str, **options: Any) -> AsyncEngine:
    """An async engine for ``url`` (``options``: the pool's, say); a SQLite file's folder is created if missing."""
    parsed = make_url(url)
    kwargs: dict[str, Any] = dict(options)
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


# How long a read on the event loop's thread may wait for a lock before the update reads the usual way. In WAL
# mode a reader waits only in rare moments (a checkpoint restarting the log, a crashed writer's recovery).
LOOP_READ_BUSY_MS = 50


# How long closing the database waits for sessions still at work (see Database.dispose).
DISPOSE_WAIT_SECONDS = 2.0


class Database:
    """Owns the engine; hands out one session per unit of work (one update, one job run, one CLI call)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_engine(url)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False, sync_session_class=_TrackedSession)
        self._loop_reads: Engine | None = None
        self._side: async_sessionmaker[AsyncSession] | None = None
        self._side_engine: AsyncEngine | None = None
        parsed = make_url(url)
        # A SQLite file (not in memory): other connections to it see the same database.
        self._sqlite_file = parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:")

    def read_on_loop(self, read: Callable[[Connection], T]) -> T | None:
        """Run ``read`` (one short indexed read) on a read-only connection in the event loop's own thread; None
        when the database is not a SQLite file, or the file is busy (then read through a session as usual).

        Every update reads the person's flow state before its handlers run. Through the async engine that is a
        session and six trips to aiosqlite's thread (cursor, execute, fetch, close, commit, the pool's reset),
        about 1 ms of a /help's 2; here it is one sqlite3 call of about 0.1 ms. A WAL reader does not wait for
        writers, so the loop is not held; :data:`LOOP_READ_BUSY_MS` bounds the rare wait."""
        if not self._sqlite_file:
            return None
        if self._loop_reads is None:
            self._loop_reads = _loop_read_engine(self.url)
        try:
            with self._loop_reads.connect() as connection:
                return read(connection)
        except OperationalError:  # locked or busy: the caller reads the usual way
            return None

    def read_orm_on_loop(self, read: Callable[[Session], T]) -> T | None:
        """:meth:`read_on_loop` through an ORM session: the objects ``read`` returns come detached, for the caller to
        merge into its own session (``merge(…, load=False)``: no statement)."""

        def in_session(connection: Connection) -> T:
            with Session(bind=connection) as session:
                found = read(session)
                session.expunge_all()
                return found

        return self.read_on_loop(in_session)

    @property
    def side_sessionmaker(self) -> async_sessionmaker[AsyncSession]:
        """Sessions on a connection of their own, outside the pool: for a writer that updates wait for (the check-in
        batches, bot/checkin_batches.py), which must not wait for a connection those updates hold. An in-memory
        SQLite database has only the one engine."""
        if self._side is None:
            if self.dialect == "sqlite" and not self._sqlite_file:
                self._side = self.sessionmaker
            else:
                self._side_engine = create_engine(self.url, pool_size=1, max_overflow=0)
                self._side = async_sessionmaker(
                    self._side_engine, expire_on_commit=False, sync_session_class=_TrackedSession
                )
        return self._side

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
        """Close every pooled connection, after waiting (at most :data:`DISPOSE_WAIT_SECONDS`) for the sessions
        still at work, such as a job that shutdown cut short and that is rolling back: the engine closes only the
        connections in its pool, and one given back later would be left open for the garbage collector."""
        if self._loop_reads is not None:
            self._loop_reads.dispose()
            self._loop_reads = None
        pool = self.engine.pool
        if isinstance(pool, QueuePool) and pool.checkedout():
            loop = asyncio.get_running_loop()
            deadline = loop.time() + DISPOSE_WAIT_SECONDS
            while pool.checkedout() and loop.time() < deadline:  # noqa: ASYNC110 - the pool has no event to await
                await asyncio.sleep(0.01)
            if pool.checkedout():
                log.warning("closing the database with %d connection(s) still in use", pool.checkedout())
        await self.engine.dispose()
        if self._side_engine is not None:
            await self._side_engine.dispose()
            self._side_engine, self._side = None, None


def _loop_read_engine(url: str) -> Engine:
    """A synchronous engine on the same SQLite file (the standard library's driver), read-only."""
    parsed = make_url(url).set(drivername="sqlite")
    engine = create_sync_engine(parsed, connect_args={"timeout": LOOP_READ_BUSY_MS / 1000})

    @event.listens_for(engine, "connect")
    def _read_only(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA query_only=ON")  # this connection never writes
        cursor.execute(f"PRAGMA busy_timeout={LOOP_READ_BUSY_MS}")
        cursor.close()

    return engine


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
