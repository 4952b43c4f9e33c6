"""The first agenda item's (第一议题) scheduled job: the nudge about dispatched materials still unstudied."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.jobs import DailyJob
from bot.services import first_agenda as fa

if TYPE_CHECKING:
    from bot.context import BranchContext


async def nudge_job(context: BranchContext) -> None:
    """Job: remind each secretary once of a dispatched material still unstudied after the configured days."""
    resources = context.resources
    async with resources.db.session() as session:
        await fa.nudge_unstudied(session, days=resources.settings.FIRST_AGENDA_NUDGE_DAYS, env=resources.env)


NUDGE_JOB = DailyJob(fa.NUDGE_JOB_ID, nudge_job, lambda settings: fa.NUDGE_LOCAL_TIME)
JOBS = [NUDGE_JOB]
