"""The core's scheduled job: the members' command menus, at start-up and nightly (to pick up roster imports)."""

from __future__ import annotations

import logging
from datetime import time
from typing import TYPE_CHECKING

from bot.jobs import DailyJob
from bot.menus import sync_member_menus

if TYPE_CHECKING:
    from bot.context import BranchContext

log = logging.getLogger(__name__)


async def menus_job(context: BranchContext) -> None:
    """Job: publish per-role menus (at start-up, then nightly to pick up roster imports)."""
    resources = context.resources
    queued = await sync_member_menus(resources.db, resources.menu, resources.settings.DEFAULT_LOCALE)
    if queued:
        log.info("queued %d command menus", queued)


JOBS = [DailyJob("menus-sync", menus_job, at=lambda settings: time(4, 0))]
