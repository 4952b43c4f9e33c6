"""Meetings in chat: the secretary's list and cards (answers, edits, cancelling, marking, QR codes, leave
decisions), members' answers and /my, /compliance and /attendance. The guided flows are in
:mod:`handlers.meetings_flows`, check-in and leave in :mod:`handlers.meetings_checkin`, jobs in
:mod:`bot.jobs.meetings`.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.clock import now_utc, today
from bot.context import BranchContext
from bot.errors import InvalidInput, PermissionDenied
from bot.i18n import N_
from bot.services import compliance, meeting_stats, meetings
from bot.services.access import visible_org_ids
from bot.services.compliance import PERIOD_ORDER
from bot.services.meeting_format import MeetingView, long_date, status_name
from bot.services.meeting_kinds import Period
from bot.templates import render
from handlers import meetings_checkin, meetings_flows
from handlers.common import keyboard, reply, show
from handlers.meetings_view import answers, card, pairs, percent_text, refused_in_group, settings_of
from storage import queries
from storage.meetings import CHECKED_IN
from storage.models import Member

CARD_PATTERN = re.compile(r"^mt:(\d+):(card|ls|ed|cx|cxy|mk|att|qr|qrr|ok|no)(?::(\d+))?$")
LIST_SINCE = timedelta(days=31)
LIST_PAGE = 12  # meetings per page of /meetings (buttons two to a row)
MESSAGE_LIMIT = 3900  # Telegram allows 4096 characters; leave room for markup


def _require_leader(context: BranchContext) -> None:
    actor = context.actor
    if not (actor.leads_branch or actor.is_admin):
        raise PermissionDenied(N_("Only the branch secretary (or a committee member acting for them) may do this."))


async def list_meetings(update: Update, context: BranchContext) -> None:
    """/meetings: this month's and the coming meetings of the branch (an admin: of the subtree), a page at a time."""
    await _list_page(update, context, 0)


async def list_page_button(update: Update, context: BranchContext) -> None:
    """The list's ◀ / ▶ buttons (``mtl:<page>``)."""
    assert update.callback_query is not None and update.callback_query.data is not None
    await _list_page(update, context, int(update.callback_query.data.split(":")[1]))


async def _list_page(update: Update, context: BranchContext, page: int) -> None:
    _require_leader(context)
    if await refused_in_group(update, context):
        return
    actor = context.actor
    settings = settings_of(context)
    locale = context.tr.locale
    async with context.unit() as session:
        org_ids = await visible_org_ids(session, actor)
        # One more than a page tells whether there is a next one.
        found = await meetings.branch_meetings(
            session, org_ids, since=now_utc() - LIST_SINCE, limit=LIST_PAGE + 1, offset=page * LIST_PAGE
        )
        names = {o.id: o.name for o in await meetings.meeting_orgs(session, org_ids)}
    has_next = len(found) > LIST_PAGE
    items = [
        (MeetingView.of(m, locale, settings.tz), names.get(m.org_id) if actor.is_admin else None)
        for m in found[:LIST_PAGE]
    ]
    buttons = [(f"{view.day} {view.title}", f"mt:{view.id}:card") for view, _ in items]
    nav = []
    if page > 0:
        nav.append((context.tr.gettext("◀ Earlier"), f"mtl:{page - 1}"))
    if has_next:
        nav.append((context.tr.gettext("Later ▶"), f"mtl:{page + 1}"))
    rows = [*pairs(buttons), nav, [(context.tr.gettext("➕ New meeting"), "mn:new")]]
    await show(update, render("meetings/list.html.j2", locale, items=items), keyboard(rows))


async def on_button(update: Update, context: BranchContext) -> None:
    """Every ``mt:<meeting>:<action>[:<member>]`` button outside the guided flows; rights are re-checked."""
    query = update.callback_query
    assert query is not None and query.data is not None
    match = CARD_PATTERN.match(query.data)
    if match is None:
        await query.answer()
        return
    meeting_id, action, arg = int(match[1]), match[2], match[3]
    if action == "att":
        await meetings_checkin.attend(update, context, meeting_id)
    elif action == "qr":
        await meetings_checkin.show_qr(update, context, meeting_id)
    elif action == "qrr":
        await meetings_checkin.refresh_qr(update, context, meeting_id)
    elif action in ("ok", "no") and arg is not None:
        await _decide(update, context, meeting_id, int(arg), approve=action == "ok")
    elif action in ("mk", "cxy", "card", "ls", "ed", "cx") and await refused_in_group(update, context):
        return  # the card, its answers and marks show names and leave reasons: private chat only
    elif action == "mk":
        await _mark(update, context, meeting_id, int(arg) if arg else None)
    elif action == "cxy":
        await _cancel(update, context, meeting_id)
    else:
        await _card_view(update, context, meeting_id, action)


async def _card_view(update: Update, context: BranchContext, meeting_id: int, action: str) -> None:
    """The card itself, its answers list, the edit menu and the cancel confirmation."""
    query = update.callback_query
    assert query is not None
    settings = settings_of(context)
    tr = context.tr
    async with context.unit() as session:
        meeting = await meetings.meeting_for_leader(session, context.actor, meeting_id)
        if action == "ls":
            text, markup = await answers(session, meeting, tr.locale, settings)
        else:
            text, markup = await card(session, meeting, tr.locale, settings, context.resources.meeting_hooks)
        if action in ("ed", "cx"):
            meetings.require_editable(meeting)
    if action == "ed":
        markup = keyboard(
            [
                [
                    (tr.gettext("📅 Date and time"), f"mt:{meeting_id}:ed:when"),
                    (tr.gettext("⏱ End time"), f"mt:{meeting_id}:ed:end"),
                ],
                [
                    (tr.gettext("📍 Place"), f"mt:{meeting_id}:ed:place"),
                    (tr.gettext("📝 Topic"), f"mt:{meeting_id}:ed:topic"),
                ],
                [(tr.gettext("« Back"), f"mt:{meeting_id}:card")],
            ]
        )
    elif action == "cx":
        text += "\n\n" + tr.gettext("Cancel this meeting? Everyone who got the notice will be told.")
        markup = keyboard(
            [
                [
                    (tr.gettext("🚫 Yes, cancel it"), f"mt:{meeting_id}:cxy"),
                    (tr.gettext("« Back"), f"mt:{meeting_id}:card"),
                ]
            ]
        )
    await query.answer()
    await _edit_or_send(update, text, markup)


async def _edit_or_send(update: Update, text: str, markup: object) -> None:
    query = update.callback_query
    assert query is not None and query.message is not None
    if getattr(query.message, "photo", None):  # a QR photo: answer with a new message instead
        await query.get_bot().send_message(query.message.chat.id, text, reply_markup=markup)  # type: ignore[arg-type]
    else:
        await query.edit_message_text(text, reply_markup=markup)  # type: ignore[arg-type]


async def _cancel(update: Update, context: BranchContext, meeting_id: int) -> None:
    query = update.callback_query
    assert query is not None
    settings = settings_of(context)
    async with context.unit() as session:
        meeting = await meetings.cancel_meeting(session, context.actor, meeting_id, settings=settings)
        text, markup = await card(session, meeting, context.tr.locale, settings, context.resources.meeting_hooks)
    await query.answer(context.tr.gettext("Cancelled; members have been told."))
    await _edit_or_send(update, text, markup)


async def _decide(update: Update, context: BranchContext, meeting_id: int, member_id: int, *, approve: bool) -> None:
    query = update.callback_query
    assert query is not None
    settings = settings_of(context)
    async with context.unit() as session:
        member, _row = await meetings.decide_leave(
            session, context.actor, meeting_id, member_id, approve, settings=settings
        )
        meeting = await meetings.get_meeting(session, meeting_id)
        text, markup = await answers(session, meeting, context.tr.locale, settings)
    done = (
        context.tr.gettext("Leave approved for %(name)s.", name=member.name)
        if approve
        else context.tr.gettext("Leave refused for %(name)s; they have been told.", name=member.name)
    )
    await query.answer(done)
    await _edit_or_send(update, text, markup)


async def _mark(update: Update, context: BranchContext, meeting_id: int, member_id: int | None) -> None:
    """Mark present a member who has no phone (or forgot it): the list of those not yet checked in."""
    query = update.callback_query
    assert query is not None
    tr = context.tr
    name: str | None = None
    async with context.unit() as session:
        if member_id is not None:
            member, _row = await meetings.mark_attendance(session, context.actor, meeting_id, member_id, "present")
            name = member.name
        meeting = await meetings.meeting_for_leader(session, context.actor, meeting_id)
        meetings.require_editable(meeting)
        rows = await meetings.attendance_rows(session, meeting_id)
    buttons = [
        (f"{m.name} · {status_name(a.status, tr.locale)}", f"mt:{meeting_id}:mk:{m.id}")
        for m, a in rows
        if a.status not in CHECKED_IN
    ]
    text = tr.gettext("Tap the members who are here but could not check in themselves:")
    if not buttons:
        text = tr.gettext("Everyone expected has checked in.")
    markup = keyboard([*pairs(buttons), [(tr.gettext("« Back"), f"mt:{meeting_id}:card")]])
    await query.answer(tr.gettext("Marked present: %(name)s.", name=name) if name else None)
    await _edit_or_send(update, text, markup)


# --- members ------------------------------------------------------------------------------------------------


async def my_meetings(update: Update, context: BranchContext) -> None:
    """/my: the member's coming meetings (with answer buttons) and this year's record."""
    actor = context.actor
    settings = settings_of(context)
    locale = context.tr.locale
    now = now_utc()
    year = meeting_stats.period_range(Period.YEAR, today(settings.tz))
    async with context.unit() as session:
        member = await session.get(Member, actor.member_id)
        upcoming = await meetings.upcoming_for_member(session, actor.member_id, now)
        history = await meeting_stats.member_history(session, actor.member_id, *year.utc_bounds(settings.tz))
    rate = meeting_stats.rate_of([a.status for _, a in history])
    tr = context.tr
    rows: list[list[tuple[str, str]]] = []
    for meeting, row in upcoming:
        if meeting.starts_at > now and row.status in ("no_answer", "attending", "leave_requested"):
            view = MeetingView.of(meeting, locale, settings.tz)
            label = f"{view.day} {view.title}"
            answer = [(tr.gettext("🙋 Leave: %(meeting)s", meeting=label), f"mt:{meeting.id}:lv")]
            if row.status != "attending":
                answer.insert(0, (tr.gettext("✅ Attend: %(meeting)s", meeting=label), f"mt:{meeting.id}:att"))
            rows.append(answer)
    text = render(
        "meetings/my.html.j2",
        locale,
        member_name=member.name if member else actor.name,
        upcoming=[(MeetingView.of(m, locale, settings.tz), status_name(a.status, locale)) for m, a in upcoming],
        history=[(MeetingView.of(m, locale, settings.tz), status_name(a.status, locale)) for m, a in history],
        rate=rate,
    )
    await reply(update, text, reply_markup=keyboard(rows[:5]) if rows else None)


# --- compliance and attendance ------------------------------------------------------------------------------

PERIOD_LABELS = {
    Period.MONTH: N_("This month (%(key)s)"),
    Period.QUARTER: N_("This quarter (%(key)s)"),
    Period.YEAR: N_("This year (%(key)s)"),
}


async def compliance_command(update: Update, context: BranchContext) -> None:
    """/compliance: held / required of every kind and tag this month, quarter and year; an administrator gets
    the gaps of every branch of the subtree, with a button per branch for its full table."""
    await _compliance(update, context, None)


async def compliance_branch(update: Update, context: BranchContext) -> None:
    """The button of one branch under an administrator's summary: that branch's full table."""
    query = update.callback_query
    assert query is not None and query.data is not None
    await _compliance(update, context, int(query.data.split(":")[1]))


async def _compliance(update: Update, context: BranchContext, branch_id: int | None) -> None:
    settings = settings_of(context)
    tr = context.tr
    day = today(settings.tz)
    async with context.unit() as session:
        overview = await compliance.compliance_overview(
            session, context.actor, day, settings=settings, branch_id=branch_id
        )
    if len(overview) == 1:
        branch, items = overview[0]
        sections = []
        for period in PERIOD_ORDER:
            of_period = [(i, long_date(i.due, tr.locale)) for i in items if i.period.period is period]
            if of_period:
                label = tr.gettext(PERIOD_LABELS[period], key=of_period[0][0].period.key)
                sections.append((label, of_period))
        await reply(update, render("meetings/compliance.html.j2", tr.locale, branch=branch.name, sections=sections))
        return
    rows = [(branch.name, [tr.gettext(i.name) for i in items if not i.ok]) for branch, items in overview]
    if not rows:
        await reply(update, tr.gettext("No branches to show."))
        return
    gaps = [branch for branch, items in overview if not all(i.ok for i in items)]
    buttons = [(f"⚠️ {b.name}", f"mcp:{b.id}") for b in gaps[:MAX_BRANCH_BUTTONS]]
    text = render("meetings/compliance_summary.html.j2", tr.locale, count=len(rows), rows=rows)
    await _reply_long(update, text, keyboard(pairs(buttons)) if buttons else None)


MAX_BRANCH_BUTTONS = 40


async def _reply_long(update: Update, text: str, markup: Any = None) -> None:
    """Send a long text in pieces at line breaks, under Telegram's limit; the buttons go with the last piece."""
    piece = ""
    for line in text.split("\n"):
        if len(piece) + len(line) + 1 > MESSAGE_LIMIT and piece:
            await reply(update, piece)
            piece = ""
        piece = f"{piece}\n{line}" if piece else line
    if piece:
        await reply(update, piece, reply_markup=markup)


async def attendance_command(update: Update, context: BranchContext) -> None:
    """/attendance [month|quarter|year]: attendance rates per meeting and per member (admins: per branch)."""
    _require_leader(context)
    if await refused_in_group(update, context):
        return
    settings = settings_of(context)
    tr = context.tr
    pr = meeting_stats.parse_period(context.args[0] if context.args else None, today(settings.tz))
    period = tr.gettext(PERIOD_LABELS[pr.period], key=pr.key)
    bounds = pr.utc_bounds(settings.tz)
    async with context.unit() as session:
        branches = await queries.branches_in(session, await visible_org_ids(session, context.actor))
        results = [(b, await meeting_stats.branch_rates(session, b.id, *bounds)) for b in branches]
    if not results:
        raise InvalidInput(N_("No branches to show."))
    if len(results) == 1:
        branch, rates = results[0]
        views = [(MeetingView.of(m, tr.locale, settings.tz), r) for m, r in rates.per_meeting]
        text = render(
            "meetings/attendance.html.j2",
            tr.locale,
            branch=branch.name,
            period=period,
            rates=rates,
            meetings=views,
            pct=percent_text,
        )
    else:
        rows = [(b.name, r) for b, r in results]
        text = render("meetings/attendance.html.j2", tr.locale, rows=rows, period=period, pct=percent_text)
    await _reply_long(update, text)


# Conversations first: the check-in deep link (/start ck_…) must be seen before core's plain /start.
CONVERSATIONS: list[BaseHandler[Any, Any, Any]] = [
    meetings_checkin.CHECKIN_CONVERSATION,
    meetings_checkin.LEAVE_CONVERSATION,
    meetings_flows.NEW_CONVERSATION,
    meetings_flows.EDIT_CONVERSATION,
    meetings_flows.GEO_CONVERSATION,
    meetings_flows.CLOSE_CONVERSATION,
]

HANDLERS: list[BaseHandler[Any, Any, Any]] = [
    *CONVERSATIONS,
    CommandHandler("meetings", list_meetings),
    CommandHandler("my", my_meetings),
    CommandHandler("compliance", compliance_command),
    CommandHandler("attendance", attendance_command),
    CallbackQueryHandler(on_button, pattern=r"^mt:\d+:"),
    CallbackQueryHandler(list_page_button, pattern=r"^mtl:\d{1,4}$"),
    CallbackQueryHandler(compliance_branch, pattern=r"^mcp:\d+$"),
    meetings_flows.STALE_BUTTONS,
]
