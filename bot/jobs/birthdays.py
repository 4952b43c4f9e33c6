"""The political-birthday job: one :class:`~bot.jobs.DailyJob` at ``BIRTHDAY_HOUR`` (local), caught up at start-up.

Each step runs in its own unit of work, so a failure in the month's lists cannot cost anyone their greeting.
Every step is idempotent through the outbox's dedup keys: the job firing twice, a restart, or two replicas
running it at once queue each message once.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, time
from typing import TYPE_CHECKING

from sqlalchemy.exc import DBAPIError

from bot.clock import now_utc
from bot.config import Settings
from bot.db import Database
from bot.environment import ServiceEnv
from bot.jobs import DailyJob
from bot.services import birthdays
from bot.services.birthdays import RunReport

if TYPE_CHECKING:
    from bot.context import BranchContext

log = logging.getLogger(__name__)

BIRTHDAYS_JOB_ID = "birthdays-daily"
ATTEMPTS = 3

STEPS = (
    (birthdays.GREETINGS_JOB, birthdays.run_greetings),
    (birthdays.MONTH_JOB, birthdays.run_month_lists),
    (birthdays.THEME_JOB, birthdays.run_theme_reminders),
)


async def run_birthdays(
    db: Database, settings: Settings, env: ServiceEnv, now: datetime | None = None
) -> dict[str, RunReport]:
    """Run every step for the local day of ``now``; a step that fails is logged and the next still runs."""
    now = now or now_utc()
    reports: dict[str, RunReport] = {}
    for name, step in STEPS:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                async with db.session() as session:
                    reports[name] = await step(session, env=env, hour=settings.BIRTHDAY_HOUR, now=now)
                break
            except DBAPIError as exc:
                # Another process wrote at the same moment (SQLite "database is locked", a PostgreSQL
                # serialization failure): the step is idempotent, so run it again on fresh data.
                if attempt == ATTEMPTS:
                    log.exception("political birthdays: the %s step failed %d times", name, attempt)
                else:
                    log.warning("political birthdays: the %s step will be retried: %s", name, exc.orig)
                    await asyncio.sleep(0.2 * attempt)
            except Exception:
                log.exception("political birthdays: the %s step failed; the other steps still run", name)
                break
    greetings = reports.get(birthdays.GREETINGS_JOB)
    if greetings is not None and greetings.ran:
        log.info("political birthdays of %s: %d message(s) queued", greetings.day, greetings.queued)
    return reports


async def birthdays_job(context: BranchContext) -> None:
    """Job: today's greetings, the first-of-month lists and the theme-day reminders."""
    await run_birthdays(context.resources.db, context.resources.settings, context.resources.env)


def _at(settings: Settings) -> time:
    return time(settings.BIRTHDAY_HOUR)


# A machine asleep at the hour still runs the job when it wakes, however late: the greetings step itself sends only
# the current local day's, so a wake-up after midnight greets nobody late.
BIRTHDAYS_JOB = DailyJob(BIRTHDAYS_JOB_ID, birthdays_job, at=_at, catch_up=True, misfire_grace_time=None)
JOBS = [BIRTHDAYS_JOB]
