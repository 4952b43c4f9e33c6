"""Meetings in chat: the secretary's list and cards (answers, edits, cancelling, marking, QR codes, leave
decisions), members' answers and /my, /compliance and /attendance. The guided flows are in
:mod:`handlers.meetings.flows`, check-in and leave in :mod:`handlers.meetings.checkin`, jobs in
:mod:`bot.jobs.meetings`.
"""

from __future__ import annotations

from datetime import timedelta

from telegram import Update

from bot.clock import now_utc
from bot.context import BranchContext
from bot.errors import InvalidInput, PermissionDenied
from bot.i18n import N_
from bot.screens import private
from bot.services import meetings
from bot.services.access import visible_org_ids
from bot.services.kinds_of_meeting import Period
from bot.services.meetings import compliance, stats
from bot.services.meetings.buttons import (
    ComplianceBranch,
    EditField,
    MeetingAction,
    MeetingButton,
    MeetingEditButton,
    MeetingListPage,
    NewMeetingButton,
    NewStep,
    meeting_button,
)
from bot.services.meetings.compliance import PERIOD_ORDER
from bot.services.meetings.format import MeetingLine, MeetingView, long_date, period_text, status_name
from bot.templates import render
from handlers.common import SUMMARY_LINES, keyboard, lowest_first, pairs, reply, show
from handlers.meetings.checkin import attend, refresh_qr, show_qr
from handlers.meetings.view import answers, card, env_of, percent_text
from storage.meetings import CHECKED_IN, member_history
from storage.models import Member

# The card and the screens under it (names, reasons, marks): their templates and texts are private screens,
# which the send boundary (bot/outgoing.py) keeps out of groups.
CARD_ACTIONS = frozenset(
    {
        MeetingAction.CARD,
        MeetingAction.ANSWERS,
        MeetingAction.EDIT,
        MeetingAction.CANCEL,
        MeetingAction.CANCEL_YES,
        MeetingAction.MARK,
        MeetingAction.APPROVE,  # the leave decision answers with the list of answers and reasons
        MeetingAction.REFUSE,
    }
)
MARK_WHY = "the names of the members not yet checked in, on the buttons"
LIST_SINCE = timedelta(days=31)
LIST_PAGE = 8  # meetings per page of /meetings (two lines each, buttons two to a row: it fits a phone)


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
    await _list_page(update, context, MeetingListPage.parse(update.callback_query.data).page)


async def _list_page(update: Update, context: BranchContext, page: int) -> None:
    _require_leader(context)
    actor = context.actor
    env = env_of(context)
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
        (MeetingView.of(m, locale, env.tz), names.get(m.org_id) if actor.is_admin else None) for m in found[:LIST_PAGE]
    ]
    buttons = [(f"{view.day} {view.title}", meeting_button(view.id, MeetingAction.CARD)) for view, _ in items]
    nav = []
    if page > 0:
        nav.append((context.tr.gettext("◀ Earlier"), MeetingListPage(page=page - 1).pack()))
    if has_next:
        nav.append((context.tr.gettext("Later ▶"), MeetingListPage(page=page + 1).pack()))
    rows = [*pairs(buttons), nav, [(context.tr.gettext("➕ New meeting"), NewMeetingButton(step=NewStep.NEW).pack())]]
    await show(update, render("meetings/list.html.j2", locale, items=items), keyboard(rows))


async def on_button(update: Update, context: BranchContext) -> None:
    """Every meeting button (:class:`MeetingButton`) outside the guided flows; rights are re-checked."""
    query = update.callback_query
    assert query is not None
    button = MeetingButton.parse(query.data)  # forged or stale data: a quiet refusal
    meeting_id, action, member_id = button.meeting, button.action, button.member
    if action == MeetingAction.ATTEND:
        await attend(update, context, meeting_id)
    elif action == MeetingAction.QR:
        await show_qr(update, context, meeting_id)
    elif action == MeetingAction.QR_RENEW:
        await refresh_qr(update, context, meeting_id)
    elif action not in CARD_ACTIONS:
        await query.answer()  # a flow's button whose flow did not take it (e.g. pressed by someone else)
    elif action in (MeetingAction.APPROVE, MeetingAction.REFUSE):
        if member_id is None:
            await query.answer()
        else:
            await _decide(update, context, meeting_id, member_id, approve=action == MeetingAction.APPROVE)
    elif action == MeetingAction.MARK:
        await _mark(update, context, meeting_id, member_id)
    elif action == MeetingAction.CANCEL_YES:
        await _cancel(update, context, meeting_id)
    else:
        await _card_view(update, context, meeting_id, action)


async def _card_view(update: Update, context: BranchContext, meeting_id: int, action: MeetingAction) -> None:
    """The card itself, its answers list, the edit menu and the cancel confirmation."""
    query = update.callback_query
    assert query is not None
    env = env_of(context)
    tr = context.tr
    async with context.unit() as session:
        meeting = await meetings.meeting_for_leader(session, context.actor, meeting_id)
        if action == MeetingAction.ANSWERS:
            text, markup = await answers(session, meeting, tr.locale, env)
        else:
            text, markup = await card(session, meeting, tr.locale, env, context.resources.meeting_hooks)
        if action in (MeetingAction.EDIT, MeetingAction.CANCEL):
            meetings.require_editable(meeting)
    if action == MeetingAction.EDIT:
        markup = keyboard(
            [
                [
                    (
                        tr.gettext("📅 Date and time"),
                        MeetingEditButton(meeting=meeting_id, field=EditField.WHEN).pack(),
                    ),
                    (tr.gettext("⏱ End time"), MeetingEditButton(meeting=meeting_id, field=EditField.END).pack()),
                ],
                [
                    (tr.gettext("📍 Place"), MeetingEditButton(meeting=meeting_id, field=EditField.PLACE).pack()),
                    (tr.gettext("📝 Topic"), MeetingEditButton(meeting=meeting_id, field=EditField.TOPIC).pack()),
                ],
                [(tr.gettext("« Back"), meeting_button(meeting_id, MeetingAction.CARD))],
            ]
        )
    elif action == MeetingAction.CANCEL:
        text += "\n\n" + tr.gettext("Cancel this meeting? Everyone who got the notice will be told.")
        markup = keyboard(
            [
                [
                    (
                        tr.gettext("🚫 Yes, cancel it"),
                        meeting_button(meeting_id, MeetingAction.CANCEL_YES),
                    ),
                    (tr.gettext("« Back"), meeting_button(meeting_id, MeetingAction.CARD)),
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
    env = env_of(context)
    async with context.unit() as session:
        meeting = await meetings.cancel_meeting(session, context.actor, meeting_id, env=env)
        text, markup = await card(session, meeting, context.tr.locale, env, context.resources.meeting_hooks)
    await query.answer(context.tr.gettext("Cancelled; members have been told."))
    await _edit_or_send(update, text, markup)


async def _decide(update: Update, context: BranchContext, meeting_id: int, member_id: int, *, approve: bool) -> None:
    query = update.callback_query
    assert query is not None
    env = env_of(context)
    async with context.unit() as session:
        member, _row = await meetings.decide_leave(session, context.actor, meeting_id, member_id, approve, env=env)
        meeting = await meetings.get_meeting(session, meeting_id)
        text, markup = await answers(session, meeting, context.tr.locale, env)
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
        (
            f"{m.name} · {status_name(a.status, tr.locale)}",
            meeting_button(meeting_id, MeetingAction.MARK, m.id),
        )
        for m, a in rows
        if a.status not in CHECKED_IN
    ]
    text = private(tr.gettext("Tap the members who are here but could not check in themselves:"), MARK_WHY)
    if not buttons:
        text = private(tr.gettext("Everyone expected has checked in."), MARK_WHY)
    markup = keyboard([*pairs(buttons), [(tr.gettext("« Back"), meeting_button(meeting_id, MeetingAction.CARD))]])
    await query.answer(tr.gettext("Marked present: %(name)s.", name=name) if name else None)
    await _edit_or_send(update, text, markup)


# --- members ------------------------------------------------------------------------------------------------


async def my_meetings(update: Update, context: BranchContext) -> None:
    """/my: the member's coming meetings (with answer buttons) and this year's record."""
    actor = context.actor
    env = env_of(context)
    locale = context.tr.locale
    now = now_utc()
    year = stats.period_range(Period.YEAR, env.today())
    async with context.unit() as session:
        member = await session.get(Member, actor.member_id)
        upcoming = await meetings.upcoming_for_member(session, actor.member_id, now)
        history = await member_history(session, actor.member_id, *year.utc_bounds(env.tz))
    rate = stats.rate_of([a.status for _, a in history])
    tr = context.tr
    rows: list[list[tuple[str, str]]] = []
    for meeting, row in upcoming:
        if meeting.starts_at > now and row.status in ("no_answer", "attending", "leave_requested"):
            view = MeetingView.of(meeting, locale, env.tz)
            label = f"{view.day} {view.title}"
            answer = [
                (
                    tr.gettext("🙋 Leave: %(meeting)s", meeting=label),
                    meeting_button(meeting.id, MeetingAction.LEAVE),
                )
            ]
            if row.status != "attending":
                answer.insert(
                    0,
                    (
                        tr.gettext("✅ Attend: %(meeting)s", meeting=label),
                        meeting_button(meeting.id, MeetingAction.ATTEND),
                    ),
                )
            rows.append(answer)
    text = render(
        "meetings/my.html.j2",
        locale,
        member_name=member.name if member else actor.name,
        upcoming=[(MeetingView.of(m, locale, env.tz), status_name(a.status, locale)) for m, a in upcoming],
        history=[(MeetingView.of(m, locale, env.tz), status_name(a.status, locale)) for m, a in history],
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
    await _compliance(update, context, ComplianceBranch.parse(query.data).branch)


async def _compliance(update: Update, context: BranchContext, branch_id: int | None) -> None:
    env = env_of(context)
    tr = context.tr
    day = env.today()
    async with context.unit() as session:
        overview = await compliance.compliance_overview(session, context.actor, day, env=env, branch_id=branch_id)
    if len(overview) == 1:
        branch, items = overview[0]
        sections = []
        for period in PERIOD_ORDER:
            # The period's last day is said once, beside its label; an item due earlier (the theme Party day)
            # says its own date (one line each fits a phone).
            of_period = [
                (i, long_date(i.due, tr.locale) if i.due != i.period.end else None)
                for i in items
                if i.period.period is period
            ]
            if of_period:
                first = of_period[0][0].period
                label = tr.gettext(PERIOD_LABELS[period], key=period_text(first.start, period, tr.locale))
                open_items = any(not i.ok for i, _due in of_period)
                sections.append((label, long_date(first.end, tr.locale) if open_items else None, of_period))
        await reply(update, render("meetings/compliance.html.j2", tr.locale, branch=branch.name, sections=sections))
        return
    if not overview:
        await reply(update, tr.gettext("No branches to show."))
        return
    # One summary screen for a city: gap counts per branch, worst first; the full tables behind the buttons.
    gaps = [(branch, sum(1 for i in items if not i.ok)) for branch, items in overview]
    worst, more = lowest_first([pair for pair in gaps if pair[1]], key=lambda pair: (-pair[1], pair[0].name))
    text = render(
        "meetings/compliance_summary.html.j2",
        tr.locale,
        count=len(overview),
        rows=[(branch.name, count) for branch, count in worst],
        more=more,
        met=sum(1 for _, count in gaps if not count),
    )
    buttons = [(f"⚠️ {b.name}", ComplianceBranch(branch=b.id).pack()) for b, _ in worst]
    await reply(update, text, reply_markup=keyboard(pairs(buttons)) if buttons else None)


async def attendance_command(update: Update, context: BranchContext) -> None:
    """/attendance [month|quarter|year]: attendance rates per meeting and per member (admins: per branch)."""
    _require_leader(context)
    env = env_of(context)
    tr = context.tr
    pr = stats.parse_period(" ".join(context.args) if context.args else None, env.today())
    period = tr.gettext(PERIOD_LABELS[pr.period], key=period_text(pr.start, pr.period, tr.locale))
    bounds = pr.utc_bounds(env.tz)
    async with context.unit() as session:
        results = await stats.attendance_overview(session, context.actor, *bounds)
    if not results:
        raise InvalidInput(N_("No branches to show."))
    if len(results) == 1:
        branch, rates = results[0]
        views = [(MeetingLine.of(m.kind, m.starts_at, tr.locale, env.tz), r) for m, r in rates.per_meeting]
        text = render(
            "meetings/attendance.html.j2",
            tr.locale,
            branch=branch.name,
            period=period,
            rates=rates,
            meetings=views,
            pct=percent_text,
        )
    elif len(results) <= SUMMARY_LINES:
        rows = [(b.name, r) for b, r in results]
        text = render("meetings/attendance.html.j2", tr.locale, rows=rows, period=period, pct=percent_text)
    else:  # a city: the totals and the lowest rates; every branch by month is in the ledger
        held = [(b.name, r) for b, r in results if r.meetings]
        lowest, more = lowest_first(
            held, key=lambda row: (row[1].overall.attended / max(row[1].overall.expected, 1), row[0])
        )
        text = render(
            "meetings/attendance_summary.html.j2",
            tr.locale,
            period=period,
            count=len(results),
            meetings=sum(r.meetings for _, r in held),
            overall=sum((r.overall for _, r in held), stats.Rate()),
            idle=len(results) - len(held),
            rows=lowest,
            more=more,
            pct=percent_text,
        )
    await reply(update, text)  # the send boundary splits a long one at line breaks; it stays private
