"""The volunteer service's scheduled jobs (fixed ids, idempotent through the outbox's dedup keys).

Declared by the volunteer feature in bot/features.py.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.jobs import RepeatingJob
from bot.services import volunteer
from bot.services.volunteer.timing import VolunteerConfig

if TYPE_CHECKING:
    from bot.context import BranchContext

log = logging.getLogger(__name__)


async def close_forgotten_checkouts(context: BranchContext) -> None:
    """Job: close check-ins left open after an activity's end, flagged for the secretary."""
    resources = context.resources
    env = resources.env
    async with resources.db.session() as session:
        closed = await volunteer.close_forgotten_checkouts(session, env=env)
    if closed:
        log.info("closed %d forgotten volunteer check-outs", closed)


async def remind_tomorrow(context: BranchContext) -> None:
    """Job: queue the day-before reminders of tomorrow's activities."""
    resources = context.resources
    env = resources.env
    async with resources.db.session() as session:
        queued = await volunteer.queue_reminders(session, VolunteerConfig.from_settings(resources.settings), env=env)
    if queued:
        log.info("queued %d volunteer reminders", queued)


JOBS = [
    RepeatingJob("volunteer-close-checkouts", close_forgotten_checkouts, interval=timedelta(minutes=10)),
    # Every quarter of an hour, not once a day: someone who gets a place after the day's first run (a late
    # sign-up, a promotion from the waiting list) is reminded too. The dedup key keeps it once per member, and
    # reminders queued before the hour wait in the outbox for it.
    RepeatingJob("volunteer-reminders", remind_tomorrow, interval=timedelta(minutes=15), first=timedelta(seconds=5)),
]
