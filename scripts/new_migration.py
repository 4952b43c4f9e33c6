"""Generate a migration from the models: ``python scripts/new_migration.py "message" REV_ID DOWN_REVISION``.

Each feature's migrations form their own branch off the foundation (``down_revision`` names the revision
they need), so features grow in parallel; ``branchbot db upgrade`` applies every head.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

# This checkout's packages, not whichever one the virtualenv was installed from (worktrees share a venv).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from alembic import command

from bot.db import Database, alembic_config


async def main(message: str, rev_id: str, head: str) -> None:
    """Upgrade a scratch SQLite database to every head, then autogenerate the difference to the models."""
    with tempfile.TemporaryDirectory() as scratch:
        db = Database(f"sqlite+aiosqlite:///{Path(scratch) / 'gen.sqlite3'}")
        async with db.engine.begin() as connection:
            await connection.run_sync(lambda c: command.upgrade(alembic_config(c), "heads"))
            await connection.run_sync(
                lambda c: command.revision(
                    alembic_config(c), message=message, autogenerate=True, rev_id=rev_id, head=head
                )
            )
        await db.dispose()


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3]))
