"""The points feature's scheduled job: at year end each branch secretary is offered the democratic appraisal
sheet (民主评议党员) of their members' points, once a year (the outbox's dedup key)."""

from __future__ import annotations

import logging
from datetime import date, time, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from bot.environment import ServiceEnv
from bot.i18n import N_
from bot.jobs import DailyJob, RepeatingJob
from bot.services.notifier import Message, Notifier
from bot.services.points.buttons import PointsAction, PointsButton
from storage import points as store

if TYPE_CHECKING:
    from bot.context import BranchContext

log = logging.getLogger(__name__)
SHEET_FROM = (12, 20)  # from 20 December the year's sheet is offered (appraisals are held at year end)
SHEET_OFFER = N_(
    "The year is ending: here is each member's points for %(year)d, as a sheet for the democratic appraisal of members."
)


async def offer_appraisal_sheets(session: AsyncSession, day: date, *, env: ServiceEnv) -> int:
    """Queue one notice per secretary with the button that sends the sheet; returns how many were added."""
    if (day.month, day.day) < SHEET_FROM:
        return 0
    offer = Message(
        msgid=SHEET_OFFER,
        params={"year": day.year},
        buttons=lambda r: [[(r.gettext("Send me the sheet"), PointsButton(action=PointsAction.SHEET, year=day.year))]],
    )
    secretaries = await store.branch_secretaries_on_telegram(session)
    sent = await Notifier(session, env).tell(secretaries, offer, key=f"points:sheet:{day.year}", kind="points")
    return sent.queued


async def appraisal_sheet_job(context: BranchContext) -> None:
    """Job: from 20 December, offer each secretary the year's appraisal sheet (once)."""
    resources = context.resources
    async with resources.db.session() as session:
        env = resources.env
        added = await offer_appraisal_sheets(session, env.today(), env=env)
    if added:
        log.info("offered %d appraisal sheets", added)


async def tallies_job(context: BranchContext) -> None:
    """Job: build the attendance tallies of the months just closed and of the branches a correction touched
    (bot/services/points/tallies.py); three statements when nothing is to do."""
    from bot.services.points import tallies

    resources = context.resources
    env = resources.env
    done: set[tuple[int, int]] = set()  # (year, branch) built in this run: not again in it
    while True:  # a few dozen branches per transaction (see tallies.BRANCHES_PER_CALL)
        now = env.now()  # before the records are read: a write after it makes the build unusable
        async with resources.db.session() as session:
            built = await tallies.refresh(session, env.today(), env.tz, now, skip=done)
        if not built:
            break
        done.update(built)
    if done:
        log.info("tallied the attendance of %d branch-years for points", len(done))


JOBS: list[DailyJob | RepeatingJob] = [
    DailyJob("points-appraisal-sheets", appraisal_sheet_job, at=lambda settings: time(9, 30)),
    # Hourly: a correction of a past month is counted live (the same points, only slower) until its branch is
    # tallied again; the first run a minute after start-up, not in the way of the first updates.
    RepeatingJob("points-tallies", tallies_job, interval=timedelta(hours=1), first=timedelta(minutes=1)),
]
