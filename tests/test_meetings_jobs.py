"""The meetings' scheduled jobs: registered once with fixed ids, and idempotent when they run."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine

from bot import features
from bot.app import schedule_jobs
from bot.context import BranchContext
from bot.jobs import meetings as meetings_jobs
from tests.conftest import BotHarness
from tests.meetings_helpers import outbox_rows, schedule

TZ = ZoneInfo("Asia/Shanghai")
IDS = {meetings_jobs.REMINDERS_JOB_ID, meetings_jobs.NUDGE_JOB_ID, meetings_jobs.LIVE_QR_JOB_ID}


async def test_jobs_are_registered_once_with_fixed_ids(bot: BotHarness) -> None:
    assert sorted(job.id for job in features.jobs() if job.id in IDS) == sorted(IDS)
    schedule_jobs(bot.application)
    job_queue = bot.application.job_queue
    assert job_queue is not None
    for job_id in IDS:
        assert len(job_queue.get_jobs_by_name(job_id)) == 1


async def test_the_reminder_and_nudge_jobs_queue_once(bot: BotHarness) -> None:
    settings = bot.application.bot_data["resources"].settings
    start = datetime(2026, 12, 15, 14, 30, tzinfo=TZ)
    with time_machine.travel(datetime(2026, 12, 10, 9, 0, tzinfo=TZ), tick=False):
        meeting_id = await schedule(bot.db, settings, branch_id=bot.ids.branch_a, starts_at=start)
    context = BranchContext(bot.application)
    with time_machine.travel(start - timedelta(minutes=40), tick=False):
        await meetings_jobs.reminders(context)
        await meetings_jobs.reminders(context)
    assert len(await outbox_rows(bot.db, f"mt:{meeting_id}:remind-hour:")) == 5
    with time_machine.travel(datetime.combine(date(2026, 12, 28), meetings_jobs.NUDGE_TIME, tzinfo=TZ), tick=False):
        await meetings_jobs.nudges(context)
        await meetings_jobs.nudges(context)
    nudges = await outbox_rows(bot.db, "mt-nudge:")
    assert len(nudges) == 9 and len({r.dedup_key for r in nudges}) == 9
