"""The ledger's scheduled job: the monthly digest, prepared at 06:00 on the 1st and delivered from 09:00.

Idempotent: each recipient's digest is an outbox row keyed ``digest:<member>:<YYYY-MM>``, so a second run (a
restart, a second replica) builds and queues nothing.
"""

from __future__ import annotations

import logging
from datetime import time
from pathlib import Path
from typing import TYPE_CHECKING

from bot.jobs import DailyJob

if TYPE_CHECKING:
    from bot.context import BranchContext

log = logging.getLogger(__name__)


async def monthly_digest(context: BranchContext) -> None:
    """Job: on the 1st, queue last month's digest of every secretary and administrator who wants it."""
    from bot.services.ledger.digest import queue_digests

    resources = context.resources
    settings = resources.settings
    local = resources.env.today()
    if local.day != 1:
        return
    queued = await queue_digests(resources.db, local, Path(settings.LEDGER_DIR), env=resources.env)
    if queued:
        log.info("queued %d monthly digests", queued)


JOBS = [DailyJob("ledger-monthly-digest", monthly_digest, at=lambda settings: time(6, 0))]
