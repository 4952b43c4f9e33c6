"""The scheduler's jobs. Each has a fixed id and is idempotent: running it twice, or in two processes,
does nothing the second time, because what it produces goes through the outbox's dedup key.

Each feature lists its jobs in ``bot/jobs/<feature>.py`` (a ``JOBS`` list) and declares them in bot/features.py;
:func:`bot.app.schedule_jobs` registers them with the JobQueue.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import time, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.context import BranchApplication, BranchContext

JobCallback = Callable[["BranchContext"], Coroutine[Any, Any, None]]

log = logging.getLogger(__name__)


def stops_quietly(callback: JobCallback) -> JobCallback:
    """A job cut short because the bot is stopping ends with one line, not a traceback: every job is idempotent,
    so the next run (or the next start's catch-up) does what this one did not."""

    @functools.wraps(callback)
    async def run(context: BranchContext) -> None:
        try:
            await callback(context)
        except asyncio.CancelledError:
            log.info("job %s stopped by shutdown; its next run takes over", getattr(callback, "__name__", callback))

    return run


@dataclass(frozen=True)
class DailyJob:
    """Runs every day at a local time read from the settings; ``catch_up`` also runs it once at start-up,
    so a bot that was down at the hour still does the day's work (the job itself decides what is late)."""

    id: str
    callback: JobCallback
    at: Callable[[Settings], time]
    catch_up: bool = True
    # How late (seconds) a run may still start when the process was busy or asleep at the time; None: however
    # late (once), for a job that itself decides what is too late.
    misfire_grace_time: int | None = 300

    def schedule(self, application: BranchApplication) -> None:
        """Register with the JobQueue under the fixed id."""
        job_queue = application.job_queue
        assert job_queue is not None
        resources = application.bot_data["resources"]
        local_time = self.at(resources.settings).replace(tzinfo=resources.env.tz)
        job_queue.run_daily(
            stops_quietly(self.callback),
            time=local_time,
            name=self.id,
            job_kwargs={
                "id": self.id,
                "replace_existing": True,
                "misfire_grace_time": self.misfire_grace_time,
                "coalesce": True,
            },
        )
        if self.catch_up:
            job_queue.run_once(
                stops_quietly(self.callback),
                when=timedelta(seconds=1),
                name=f"{self.id}:catch-up",
                job_kwargs={"id": f"{self.id}:catch-up", "replace_existing": True},
            )


@dataclass(frozen=True)
class RepeatingJob:
    """Runs every ``interval``."""

    id: str
    callback: JobCallback
    interval: timedelta
    first: timedelta = timedelta(seconds=5)

    def schedule(self, application: BranchApplication) -> None:
        """Register with the JobQueue under the fixed id."""
        job_queue = application.job_queue
        assert job_queue is not None
        job_queue.run_repeating(
            stops_quietly(self.callback),
            interval=self.interval,
            first=self.first,
            name=self.id,
            job_kwargs={"id": self.id, "replace_existing": True, "max_instances": 1, "coalesce": True},
        )
