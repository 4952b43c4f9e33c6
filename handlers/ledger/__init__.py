"""Ledgers in chat: /ledger (a period by buttons or typed, the .xlsx as a document), /charts (PNG pictures),
/digest on|off, and the meeting card's "record (.docx)" button.

Documents and pictures with members' names go to the private chat only; in a group the bot answers with a
button to the private chat. Files are built in a worker thread (see bot.services.ledger.export), so the bot
keeps answering others meanwhile.
"""

from __future__ import annotations

import asyncio
import html
import tempfile
from pathlib import Path
from typing import Any

from telegram import InputFile, Update
from telegram.constants import ChatType
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot import date_style
from bot.context import BranchContext
from bot.errors import InvalidInput
from bot.i18n import N_
from bot.services.ledger.buttons import ChartButton, ChartKind, LedgerButton, LedgerChoice, RecordButton
from bot.services.ledger.charts import KINDS
from bot.services.ledger.period import PRESETS, LedgerPeriod, org_by_ref, org_for, parse_period, preset
from handlers.common import keyboard, leaders_only, refuse_in_group, reply
from storage.models import OrgKind

MAX_UPLOAD = 50 * 1024 * 1024  # a bot may upload at most 50 MB
PRESET_LABELS = {
    "this_month": N_("This month"),
    "last_month": N_("Last month"),
    "this_quarter": N_("This quarter"),
    "this_year": N_("This year"),
}
CHART_LABELS = {
    "attendance": N_("Attendance by month"),
    "meetings": N_("Meetings held vs required"),
    "first-agenda": N_("First agenda by branch"),
    "service": N_("Volunteer hours by month"),
}


async def _private(update: Update, context: BranchContext) -> bool:
    """Ledgers name members: only in the private chat. In a group, a button to it."""
    chat = update.effective_chat
    if chat is not None and chat.type == ChatType.PRIVATE:
        return True
    await refuse_in_group(
        update, context, context.tr.gettext("Ledgers name members, so I send them only in our private chat.")
    )
    return False


@leaders_only
async def ledger_command(update: Update, context: BranchContext) -> None:
    """``/ledger`` → period buttons; ``/ledger CODE`` for an organisation of an administrator's subtree;
    ``/ledger [CODE] YYYY-MM-DD YYYY-MM-DD`` → the ledger of a typed period at once."""
    if not await _private(update, context):
        return
    args = list(context.args or [])
    tr = context.tr
    async with context.unit() as session:
        ref = args.pop(0) if args and len(args) != 2 else None
        org = await org_by_ref(session, ref) if ref else None
        if org is None:
            from storage.models import Organisation

            org = await session.get(Organisation, context.actor.org_id)
        assert org is not None
        org = await org_for(session, context.actor, org)
    if len(args) == 2:
        await _send_ledger(update, context, org.id, parse_period(args[0], args[1], context.resources.env.today()))
        return
    buttons = [(tr.gettext(PRESET_LABELS[p]), LedgerButton(org=org.id, choice=LedgerChoice(p)).pack()) for p in PRESETS]
    typed = LedgerButton(org=org.id, choice=LedgerChoice.TYPED).pack()
    rows = [buttons[:2], buttons[2:], [(tr.gettext("Type the dates"), typed)]]
    await reply(update, tr.gettext("Ledger of %(org)s: which period?", org=org.name), reply_markup=keyboard(rows))


async def ledger_button(update: Update, context: BranchContext) -> None:
    """A period button of /ledger (callback data re-checked against the caller's reach)."""
    query = update.callback_query
    assert query is not None
    button = LedgerButton.parse(query.data)
    if context.caller.actor is None or not await _private(update, context):
        return
    org_id, choice = button.org, button.choice
    if choice is LedgerChoice.TYPED:
        await query.answer()
        async with context.unit() as session:
            org = await org_for(session, context.actor, await org_by_ref(session, str(org_id)))
        # One's own organisation needs no code (/ledger reads it from the caller); another one's code goes first.
        if org.id == context.actor.org_id:
            hint = context.tr.gettext(
                "Send the period as two dates (at most 3 years), for example:\n"
                "<code>/ledger 2026-01-01 2026-03-31</code>"
            )
        else:
            hint = context.tr.gettext(
                "Send the period as the code and two dates (at most 3 years), for example:\n"
                "<code>/ledger %(code)s 2026-01-01 2026-03-31</code>",
                code=html.escape(org.code),
            )
        await reply(update, hint)
        return
    await query.answer(context.tr.gettext("Preparing the ledger…"))
    await _send_ledger(update, context, org_id, preset(choice, context.resources.env.today()))


async def _send_ledger(update: Update, context: BranchContext, org_id: int, period: LedgerPeriod) -> None:
    from bot.services.ledger.export import export_ledger, export_ledger_in_worker

    chat = update.effective_chat
    assert chat is not None
    tz = context.resources.env.tz
    with tempfile.TemporaryDirectory() as folder:
        async with context.unit() as session:
            org = await org_by_ref(session, str(org_id))
            out = Path(folder) / f"台账-{org.code}-{period.key}.xlsx"
            if org.kind == OrgKind.BRANCH:  # a few statements: read here, built in a thread (the caller checked)
                written = await export_ledger(session, context.actor, org, period, tz, out)
            else:  # the caller checked here; the worker reads and writes
                org = await org_for(session, context.actor, org)
        if org.kind != OrgKind.BRANCH:  # a unit's or the city's: seconds of work, away from the event loop
            written = await export_ledger_in_worker(context.resources.db.url, org, period, tz, out)
        content = await asyncio.to_thread(out.read_bytes)
        if len(content) > MAX_UPLOAD:
            raise InvalidInput(N_("This ledger is over 50 MB, more than a bot may send; choose a shorter period."))
        # One sheet a line, with its number of rows (a phone's width holds one).
        sheets = [context.tr.gettext("%(sheet)s (%(rows)d)", sheet=name, rows=rows) for name, rows in written.sheets]
        caption = context.tr.gettext(
            "Ledger of %(org)s, %(period)s:\n%(sheets)s",
            org=org.name,
            # The file is Chinese paperwork (period.label); the caption reads in the reader's language.
            period=date_style.days(period.start, period.end, context.tr.locale, year=True),
            sheets="\n".join(sheets),
        )
        await context.bot.send_document(chat.id, InputFile(content, filename=out.name), caption=caption[:1024])


@leaders_only
async def charts_command(update: Update, context: BranchContext) -> None:
    """``/charts [CODE]``: one button per chart (this year, of the caller's branch or subtree)."""
    if not await _private(update, context):
        return
    tr = context.tr
    async with context.unit() as session:
        ref = context.args[0] if context.args else str(context.actor.org_id)
        org = await org_by_ref(session, ref)
        org = await org_for(session, context.actor, org)
    buttons = [(tr.gettext(CHART_LABELS[k]), ChartButton(org=org.id, kind=ChartKind(k)).pack()) for k in KINDS]
    rows = [buttons[:2], buttons[2:]]
    await reply(update, tr.gettext("Charts of %(org)s, this year:", org=org.name), reply_markup=keyboard(rows))


async def chart_button(update: Update, context: BranchContext) -> None:
    """A chart button: the picture, drawn in a worker thread."""
    from bot.services.ledger.export import chart_png

    query = update.callback_query
    assert query is not None
    button = ChartButton.parse(query.data)
    if context.caller.actor is None or not await _private(update, context):
        return
    await query.answer()
    env = context.resources.env
    local = env.today()
    period = LedgerPeriod(local.replace(month=1, day=1), local.replace(month=12, day=31))
    async with context.unit() as session:
        org = await org_by_ref(session, str(button.org))
        png = await chart_png(session, context.actor, org, button.kind.value, period, env.tz)
    chat = update.effective_chat
    assert chat is not None
    caption = f"{org.name} · {context.tr.gettext(CHART_LABELS[button.kind.value])}"
    await context.bot.send_photo(chat.id, InputFile(png, filename=f"{button.kind.value}.png"), caption=caption)


@leaders_only
async def digest_command(update: Update, context: BranchContext) -> None:
    """``/digest off`` / ``/digest on`` / ``/digest`` (say whether it is on)."""
    from bot.services.ledger.digest import digest_enabled, set_digest

    tr = context.tr
    word = (context.args or [""])[0].lower()
    async with context.unit() as session:
        if word in ("off", "关", "关闭"):
            await set_digest(session, context.actor.member_id, False)
        elif word in ("on", "开", "开启"):
            await set_digest(session, context.actor.member_id, True)
        elif word:
            raise InvalidInput(N_("Write /digest off or /digest on."))
        enabled = await digest_enabled(session, context.actor.member_id)
    # The session has committed: only now is the choice confirmed.
    if enabled:
        text = tr.gettext(
            "The monthly digest is on: on the 1st at 09:00 you get last month's ledger. /digest off stops it."
        )
    else:
        text = tr.gettext("The monthly digest is off. /digest on starts it again.")
    await reply(update, text)


async def record_button(update: Update, context: BranchContext) -> None:
    """The meeting's record as a Word document, in the private chat (rights re-checked)."""
    from bot.services.ledger.export import meeting_record

    query = update.callback_query
    assert query is not None
    button = RecordButton.parse(query.data)
    if context.caller.actor is None or not await _private(update, context):
        return
    await query.answer()
    chat = update.effective_chat
    assert chat is not None
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / f"会议记录-{button.meeting}.docx"
        async with context.unit() as session:
            await meeting_record(session, context.actor, button.meeting, context.resources.env.tz, out)
        content = await asyncio.to_thread(out.read_bytes)
        await context.bot.send_document(chat.id, InputFile(content, filename=out.name))


HANDLERS: list[BaseHandler[Any, Any, Any]] = [
    CommandHandler("ledger", ledger_command),
    CommandHandler("charts", charts_command),
    CommandHandler("digest", digest_command),
    CallbackQueryHandler(ledger_button, pattern=LedgerButton.pattern()),
    CallbackQueryHandler(chart_button, pattern=ChartButton.pattern()),
    CallbackQueryHandler(record_button, pattern=RecordButton.pattern()),
]
