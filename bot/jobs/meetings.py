"""The meetings' scheduled jobs (:data:`JOBS`, declared by the meetings feature in bot/features.py).

- ``meetings-reminders`` (every minute): reminders the day before and an hour before, and the "check-in is
  open" message in the group. Idempotent through the outbox's dedup keys.
- ``meetings-compliance-nudge`` (daily, 09:00 local, with catch-up at start): tells the leaders what a closing
  period still lacks, once per branch and period.
- ``meetings-live-qr`` (every 15 s): redraws live check-in QR codes with the current 30-second token. Two
  replicas redrawing the same photo do no harm: the token depends only on the slot.
"""

from __future__ import annotations

import logging
from datetime import time, timedelta

from telegram import InputMediaPhoto
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.clock import now_utc
from bot.context import BranchContext
from bot.jobs import DailyJob, RepeatingJob
from bot.services import meetings, tokens
from bot.services.meetings import checkin, compliance
from storage.meetings import MeetingQrDisplay, MeetingStatus, forget_qr_displays, qr_displays

log = logging.getLogger(__name__)

REMINDERS_JOB_ID = "meetings-reminders"
NUDGE_JOB_ID = "meetings-compliance-nudge"
LIVE_QR_JOB_ID = "meetings-live-qr"
NUDGE_TIME = time(9, 0)
LIVE_QR_LEAD = timedelta(minutes=2)  # start redrawing a little before check-in opens


async def reminders(context: BranchContext) -> None:
    """Job: queue the reminders and check-in announcements that are due."""
    resources = context.resources
    async with resources.db.session() as session:
        queued = await meetings.send_due_reminders(session, env=resources.env, settings=resources.settings)
    if queued:
        log.info("queued %d meeting reminders", queued)


async def nudges(context: BranchContext) -> None:
    """Job: nudge leaders about gaps in periods that close soon."""
    env, settings = context.resources.env, context.resources.settings
    async with context.resources.db.session() as session:
        queued = await compliance.send_nudges(session, env.today(), env=env, days=settings.COMPLIANCE_NUDGE_DAYS)
    if queued:
        log.info("queued %d compliance nudges", queued)


async def refresh_live_qr(context: BranchContext) -> None:
    """Job: redraw each live QR photo whose slot is out of date; forget those of finished meetings."""
    from handlers.meetings.checkin import qr_image

    now = now_utc()
    slot = tokens.current_slot()
    settings = context.resources.settings
    async with context.resources.db.session() as session:
        rows = await qr_displays(session)
        finished = [d.id for d, m in rows if m.status != MeetingStatus.SCHEDULED or m.ends_at < now]
        await forget_qr_displays(session, finished)
        due = [
            (d, m)
            for d, m in rows
            if d.id not in finished and d.slot != slot and now >= meetings.checkin_window(m, settings)[0] - LIVE_QR_LEAD
        ]
        links = {
            m.id: (await checkin.checkin_link(session, m, context.resources.bot_username, live=True))[0] for _, m in due
        }
    gone: list[int] = []
    redrawn: list[int] = []
    for display, meeting in due:
        png, caption, buttons = await qr_image(context, meeting, display.locale, links[meeting.id])
        try:
            await context.bot.edit_message_media(
                InputMediaPhoto(png, caption=caption),
                chat_id=display.chat_id,
                message_id=display.message_id,
                reply_markup=buttons,
            )
            redrawn.append(display.id)
        except BadRequest as exc:
            if "not modified" in str(exc).lower():
                redrawn.append(display.id)
            else:  # deleted, too old to edit, chat gone: stop redrawing it
                gone.append(display.id)
        except Forbidden:
            gone.append(display.id)
        except TelegramError:
            log.warning("could not redraw live QR %s", display.id, exc_info=True)
    if gone or redrawn:
        async with context.resources.db.session() as session:
            await forget_qr_displays(session, gone)
            for display_id in redrawn:
                fresh = await session.get(MeetingQrDisplay, display_id)
                if fresh is not None:
                    fresh.slot = slot


JOBS: list[DailyJob | RepeatingJob] = [
    RepeatingJob(REMINDERS_JOB_ID, reminders, interval=timedelta(minutes=1), first=timedelta(seconds=10)),
    DailyJob(NUDGE_JOB_ID, nudges, at=lambda settings: NUDGE_TIME),
    RepeatingJob(LIVE_QR_JOB_ID, refresh_live_qr, interval=timedelta(seconds=15), first=timedelta(seconds=3)),
]
