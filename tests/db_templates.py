"""Migrated databases made once per test session and copied per test, instead of migrating every test's database.

SQLite: two closed, checkpointed files (empty, and with the demo organisation seeded) copied byte for byte.
PostgreSQL: one migrated template database that ``CREATE DATABASE … TEMPLATE`` clones on the server.
A copy is exactly what migrating (and seeding) a new database gives, so each test still has its own database.
"""

from __future__ import annotations

import shutil
import sqlite3
import uuid
from pathlib import Path

from sqlalchemy.ext.asyncio import create_async_engine

from bot.db import Database
from bot.demo import DemoIds, seed_demo


def sqlite_url(path: Path) -> str:
    """The application's URL for a SQLite file."""
    return f"sqlite+aiosqlite:///{path}"


def _checkpoint(path: Path) -> None:
    """Fold the write-ahead log into the file and remove it, so the file alone is the whole database."""
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


class DatabaseTemplates:
    """Builds each template on first use (a session that needs no PostgreSQL never starts it)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._sqlite_empty: Path | None = None
        self._sqlite_demo: Path | None = None
        self._demo_ids: DemoIds | None = None
        self._postgres: dict[str, str] = {}  # server URL -> the template clause of CREATE DATABASE

    async def _build_sqlite(self) -> None:
        empty = self.root / "empty.sqlite3"
        database = Database(sqlite_url(empty))
        await database.upgrade()
        await database.dispose()
        _checkpoint(empty)
        seeded = self.root / "demo.sqlite3"
        shutil.copyfile(empty, seeded)
        database = Database(sqlite_url(seeded))
        async with database.session() as session:
            self._demo_ids = await seed_demo(session)
        await database.dispose()
        _checkpoint(seeded)
        self._sqlite_empty, self._sqlite_demo = empty, seeded

    async def sqlite_copy(self, target: Path, *, with_demo: bool = False) -> DemoIds | None:
        """Write a migrated database (with the demo organisation if asked) to ``target``; the demo's ids or None."""
        if self._sqlite_empty is None:
            await self._build_sqlite()
        source = self._sqlite_demo if with_demo else self._sqlite_empty
        assert source is not None
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        return self._demo_ids if with_demo else None

    async def postgres_database(self, server_url: str) -> str:
        """A new, migrated, empty database on the server (cloned from the template); returns its URL."""
        base = server_url.rsplit("/", 1)[0]
        name = f"t_{uuid.uuid4().hex[:12]}"
        engine = create_async_engine(server_url, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as connection:
                if server_url not in self._postgres:
                    template = f"tmpl_{uuid.uuid4().hex[:12]}"
                    await connection.exec_driver_sql(f'CREATE DATABASE "{template}"')
                    migrated = Database(f"{base}/{template}")
                    await migrated.upgrade()
                    await migrated.dispose()  # a template must have no open connections to be cloned
                    version = int((await connection.exec_driver_sql("SHOW server_version_num")).scalar_one())
                    # PostgreSQL 15 logs a clone in the WAL by default; copying the files is quicker for small ones.
                    strategy = " STRATEGY FILE_COPY" if version >= 150000 else ""
                    self._postgres[server_url] = f'TEMPLATE "{template}"{strategy}'
                await connection.exec_driver_sql(f'CREATE DATABASE "{name}" {self._postgres[server_url]}')
        finally:
            await engine.dispose()
        return f"{base}/{name}"

    @staticmethod
    async def drop_postgres_database(server_url: str, url: str) -> None:
        """Drop a test's database (its connections closed first), so a session's databases do not pile up."""
        name = url.rsplit("/", 1)[1]
        engine = create_async_engine(server_url, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as connection:
                await connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await engine.dispose()
