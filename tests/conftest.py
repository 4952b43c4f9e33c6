"""Shared fixtures: a fresh database per test (SQLite file, or PostgreSQL), and the bot driven offline."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.app import started_offline
from bot.config import Settings, load_settings
from bot.context import BranchApplication
from bot.db import Database
from bot.demo import DemoIds, seed_demo, telegram_id_of
from bot.offline import OfflineRequest, UpdateFactory
from tests.db_templates import DatabaseTemplates, sqlite_url
from tests.pg import PostgresServer, find_bin_dir


async def study_first_agenda(session: Any, meeting_id: int) -> None:
    """Record a complete first agenda item on a meeting, so that closing it is allowed (measure 7)."""
    from bot.services.first_agenda import record_first_agenda

    await record_first_agenda(
        session,
        None,
        meeting_id,
        typed_titles=("习近平总书记重要讲话精神",),
        form="conveying",
        led_by_name="王建国",
        allow_closed=True,
    )


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL server for the session: ``TEST_POSTGRES_URL`` (from .ci/run) or one started here."""
    url = os.environ.get("TEST_POSTGRES_URL")
    if url:
        yield url
        return
    bin_dir = find_bin_dir()
    if bin_dir is None:
        if os.environ.get("REQUIRE_POSTGRES"):
            pytest.fail("REQUIRE_POSTGRES is set but no PostgreSQL binaries (initdb, pg_ctl) were found")
        pytest.skip("PostgreSQL binaries (initdb, pg_ctl) are not installed on this machine")
    server = PostgresServer(bin_dir)
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture(scope="session")
def db_templates(tmp_path_factory: pytest.TempPathFactory) -> DatabaseTemplates:
    """Migrated databases made once for the session; each test gets its own copy (migrating is the slow part)."""
    return DatabaseTemplates(tmp_path_factory.mktemp("db-templates"))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def any_db(
    request: pytest.FixtureRequest, tmp_path: Path, db_templates: DatabaseTemplates
) -> AsyncIterator[Database]:
    """A migrated, empty database on each backend (storage and service tests use this)."""
    if request.param == "sqlite":
        path = tmp_path / "test.sqlite3"
        await db_templates.sqlite_copy(path)
        database = Database(sqlite_url(path))
        yield database
        await database.dispose()
        return
    server_url = request.getfixturevalue("postgres_url")
    database = Database(await db_templates.postgres_database(server_url))
    yield database
    await database.dispose()
    await db_templates.drop_postgres_database(server_url, database.url)


# The demo's ids in each database copied with the demo already seeded (the same ids in every copy).
_seeded: dict[Database, DemoIds] = {}


@pytest.fixture
async def db(
    request: pytest.FixtureRequest, tmp_path: Path, db_templates: DatabaseTemplates
) -> AsyncIterator[Database]:
    """A migrated SQLite database in a file: empty, or with the demo organisation when the test asks for ``demo``."""
    path = tmp_path / "test.sqlite3"
    ids = await db_templates.sqlite_copy(path, with_demo="demo" in request.fixturenames)
    database = Database(sqlite_url(path))
    if ids is not None:
        _seeded[database] = ids
    yield database
    _seeded.pop(database, None)
    await database.dispose()


@pytest.fixture
async def demo(db: Database) -> DemoIds:
    """The demo organisation in the SQLite database."""
    ids = _seeded.get(db)
    if ids is not None:
        return ids
    async with db.session() as session:  # only when asked for by name at run time (request.getfixturevalue)
        return await seed_demo(session)


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings isolated from the developer's environment and .env file."""
    for name in list(os.environ):
        if name in Settings.model_fields:
            monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return load_settings(DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'test.sqlite3'}")


@dataclass
class BotHarness:
    """The real Application, offline: send updates as people, read what the bot sent, and the database."""

    application: BranchApplication
    request: OfflineRequest
    updates: UpdateFactory
    db: Database
    ids: DemoIds

    async def send(self, update: Any) -> None:
        """Process one update exactly as the running bot would."""
        await self.application.process_update(update)

    async def say(self, member_no_or_user: str | int, text: str, **kw: Any) -> list[str]:
        """A message from a demo member (by roster number) or any Telegram user id; returns the texts sent back."""
        user_id = telegram_id_of(member_no_or_user) if isinstance(member_no_or_user, str) else member_no_or_user
        before = len(self.request.calls)
        await self.send(self.updates.message(user_id, text, **kw))
        return [c.text for c in self.request.calls[before:] if c.text]

    async def press(self, member_no_or_user: str | int, data: str, **kw: Any) -> list[str]:
        """A button press; returns the texts sent back (alerts included)."""
        user_id = telegram_id_of(member_no_or_user) if isinstance(member_no_or_user, str) else member_no_or_user
        before = len(self.request.calls)
        await self.send(self.updates.callback(user_id, data, **kw))
        return [c.text for c in self.request.calls[before:] if c.text]

    async def drain_outbox(self) -> int:
        """Run the outbox worker once, as the scheduler would."""
        worker = self.application.bot_data["resources"].worker
        return int(await worker.drain(budget_seconds=2.0))


@pytest.fixture
async def bot(settings: Settings, db: Database, demo: DemoIds) -> AsyncIterator[BotHarness]:
    """The bot over the demo organisation, with no network."""
    application, request = await started_offline(settings, db)
    yield BotHarness(application, request, UpdateFactory(application.bot), db, demo)
    await application.shutdown()
    # Every message that reached "Telegram" was one it accepts (bot/outgoing.py is the boundary that ensures it).
    assert not request.invalid, request.invalid[:3]
