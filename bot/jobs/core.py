"""The core's scheduled job: the members' command menus, nightly (to pick up roster imports).

Not at start-up: a member's menu is queued when it changes (binding, a new language: bot.menus), and the night's
sync queues only the menus whose digest changed, at the outbox's lowest priority."""

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
    """Job: queue the per-role menus that changed (nightly, to pick up roster imports)."""
    resources = context.resources
    queued = await sync_member_menus(resources.db, resources.menu, resources.settings.DEFAULT_LOCALE)
    if queued:
        log.info("queued %d command menus", queued)


JOBS = [DailyJob("menus-sync", menus_job, at=lambda settings: time(4, 0), catch_up=False)]
