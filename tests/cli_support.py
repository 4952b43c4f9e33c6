"""The CLI tests' common set-up: a fresh SQLite database seeded in-process, the CLI pointed at it through the
environment (nothing from the machine's own settings), and the clock held at one moment."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TypeVar

import pytest
import time_machine
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.db import Database

T = TypeVar("T")


@contextmanager
def seeded_cli_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: Callable[[AsyncSession], Awaitable[T]], now: datetime
) -> Iterator[tuple[str, T]]:
    """``(url, what seed returned)``, with DATABASE_URL set to the database and the clock at ``now``."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", url)

    async def run_seed() -> T:
        db = Database(url)
        await db.upgrade()
        async with db.session() as session:
            seeded = await seed(session)
        await db.dispose()
        return seeded

    seeded = asyncio.run(run_seed())
    with time_machine.travel(now, tick=False):
        yield url, seeded
