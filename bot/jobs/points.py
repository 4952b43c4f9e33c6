"""The points feature's scheduled job: at year end each branch secretary is offered the democratic appraisal
sheet (民主评议党员) of their members' points, once a year (the outbox's dedup key)."""

from __future__ import annotations

import logging
from datetime import date, time
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import today
from bot.i18n import translator
from bot.jobs import DailyJob
from bot.services import outbox
from storage import points as store

if TYPE_CHECKING:
    from bot.context import BranchContext

log = logging.getLogger(__name__)
SHEET_FROM = (12, 20)  # from 20 December the year's sheet is offered (appraisals are held at year end)


async def offer_appraisal_sheets(session: AsyncSession, day: date, default_locale: str) -> int:
    """Queue one notice per secretary with the button that sends the sheet; returns how many were added."""
    if (day.month, day.day) < SHEET_FROM:
        return 0
    rows = await store.branch_secretaries_on_telegram(session)
    added = 0
    for member in rows:
        assert member.telegram_id is not None
        tr = translator(member.language or default_locale)
        text = tr.gettext(
            "The year is ending: here is each member's points for %(year)d, as a sheet for the democratic "
            "appraisal of members (民主评议党员).",
            year=day.year,
        )
        button = tr.gettext("Send me the sheet")
        added += await outbox.enqueue(
            session,
            dedup_key=f"points:sheet:{day.year}:{member.id}",
            chat_id=member.telegram_id,
            member_id=member.id,
            kind="points",
            text=text,
            reply_markup=outbox.inline_keyboard([[(button, f"pt:sheet:{day.year}")]]),
        )
    return added


async def appraisal_sheet_job(context: BranchContext) -> None:
    """Job: from 20 December, offer each secretary the year's appraisal sheet (once)."""
    resources = context.resources
    async with resources.db.session() as session:
        added = await offer_appraisal_sheets(session, today(resources.settings.tz), resources.settings.DEFAULT_LOCALE)
    if added:
        log.info("offered %d appraisal sheets", added)


JOBS = [DailyJob("points-appraisal-sheets", appraisal_sheet_job, at=lambda settings: time(9, 30))]
