"""An up-to-date database is recognised without Alembic (every start and command), an older one still upgraded."""

from __future__ import annotations

from typing import Any

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import text

import bot.db
from bot.db import Database, alembic_config, migration_heads


async def test_the_heads_read_from_the_files_are_what_alembic_stores(any_db: Database) -> None:
    heads = migration_heads()
    assert heads is not None and heads <= set(ScriptDirectory.from_config(alembic_config()).get_heads())
    async with any_db.engine.connect() as connection:
        versions = set((await connection.execute(text("SELECT version_num FROM alembic_version"))).scalars())
    assert versions == heads


async def test_an_up_to_date_database_is_not_handed_to_alembic(
    any_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_args: Any) -> None:
        raise AssertionError("Alembic ran on an up-to-date database")

    monkeypatch.setattr(bot.db, "_upgrade_on", refuse)
    await any_db.upgrade()


async def test_a_database_one_migration_behind_is_upgraded(any_db: Database) -> None:
    async with any_db.engine.begin() as connection:
        await connection.run_sync(lambda c: command.downgrade(alembic_config(c), "0014_received_updates@-1"))
    await any_db.upgrade()
    async with any_db.engine.connect() as connection:
        versions = set((await connection.execute(text("SELECT version_num FROM alembic_version"))).scalars())
    assert versions == migration_heads()
