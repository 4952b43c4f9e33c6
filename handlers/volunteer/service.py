"""Service hours: /myservice, /service totals, the secretary's approval queue and its decisions."""

from __future__ import annotations

from contextlib import suppress
from datetime import date
from html import escape

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import (
    Update,
)
from telegram.error import BadRequest

from bot import date_style
from bot.context import BranchContext
from bot.errors import InvalidInput
from bot.i18n import N_
from bot.services import volunteer as vol
from bot.services.volunteer import reports
from bot.services.volunteer import totals as volunteer_totals
from bot.services.volunteer.buttons import (
    HoursConfirm,
    HoursFix,
    PeriodName,
    ReportApprove,
    ReportApproveRange,
    ReportApproveSelected,
    ReportReject,
    ReportTick,
    ServicePeriod,
)
from bot.services.volunteer.rolls import leader_of_signup
from bot.services.volunteer.timing import (
    Period,
    hours_text,
    parse_hours,
)
from bot.templates import render
from handlers.common import SUMMARY_LINES, keyboard, lowest_first, reply, show
from handlers.flows import END
from handlers.volunteer.common import DECIDE_FIX, DECIDE_REASON, _user_data, env_of, say
from handlers.volunteer.self_report import _today
from storage.models import Member, Organisation
from storage.volunteer import Activity, Community, ReportStatus, ServiceReport


async def my_service(update: Update, context: BranchContext) -> None:
    """/myservice: the member's hours, activities and pending reports."""
    env = env_of(context)
    async with context.unit() as session:
        mine = await volunteer_totals.my_service(session, context.actor, env=env)
    await reply(
        update,
        render("volunteer/myservice.html.j2", context.tr.locale, mine=mine, tz=env.tz, hours=reports.hours),
    )


def _period_buttons(context: BranchContext, current: str) -> list[tuple[str, str]]:
    tr = context.tr
    labels = {"month": tr.gettext("This month"), "quarter": tr.gettext("This quarter"), "year": tr.gettext("This year")}
    periods: tuple[PeriodName, ...] = ("month", "quarter", "year")  # Period.ALL, as the button's field type
    return [(("• " if p == current else "") + labels[p], ServicePeriod(period=p).pack()) for p in periods]


_Totals = tuple[volunteer_totals.Totals | volunteer_totals.SubtreeTotals, Organisation]


async def _read_totals(session: AsyncSession, context: BranchContext, period: str) -> _Totals:
    actor = context.actor
    totals = await volunteer_totals.branch_totals(session, actor, period, _today(context), env=env_of(context))
    scope = await session.get(Organisation, actor.org_id)
    assert scope is not None
    return totals, scope


async def _service_totals(
    update: Update, context: BranchContext, period: str, *, refresh: bool = False, read: _Totals | None = None
) -> None:
    """The totals screen: sent (for /service), replaced (a period button), or — ``refresh`` — edited in place
    after a decision below it changed the figures, so the summary never shows the hours before the approval.
    ``read``: the figures, when the caller read them in its own unit of work."""
    actor = context.actor
    if read is None:
        async with context.unit() as session:
            read = await _read_totals(session, context, period)
    totals, scope = read
    listed, more = (list(totals.by_branch()) if actor.is_admin else []), 0
    if len(listed) > SUMMARY_LINES:  # a city: the branches where the fewest served first; the rest counted
        listed, more = lowest_first(listed, key=lambda b: (b[2] / max(b[1], 1), b[3], b[0].name))
    text = render(
        "volunteer/service.html.j2",
        context.tr.locale,
        totals=totals,
        branches=listed,
        more=more,
        period=period,
        scope=scope,
        admin=actor.is_admin,
        hours=reports.hours,
        last_day=date.fromordinal(totals.following.toordinal() - 1),
    )
    markup = keyboard([_period_buttons(context, period)])
    shown = _user_data(context).get("vs")
    if refresh:
        if not shown:
            return
        with suppress(BadRequest):  # deleted, too old to edit, or the figures did not change
            await context.bot.edit_message_text(
                text, chat_id=shown["chat"], message_id=shown["message"], reply_markup=markup
            )
        return
    if update.callback_query is not None:
        await show(update, text, markup, answer=False)
        if shown:
            shown["period"] = period
        return
    sent = await reply(update, text, reply_markup=markup)
    if sent is not None:
        _user_data(context)["vs"] = {"chat": sent.chat_id, "message": sent.message_id, "period": period}


async def _refresh_totals(update: Update, context: BranchContext) -> None:
    shown = _user_data(context).get("vs")
    if shown:
        await _service_totals(update, context, str(shown.get("period", Period.QUARTER)), refresh=True)


async def service(update: Update, context: BranchContext) -> None:
    """/service: the branch's (or subtree's) totals this quarter, who has none, the approval queue,
    check-outs to confirm."""
    actor = context.actor
    if not (actor.leads_branch or actor.is_admin):
        await reply(
            update, context.tr.gettext("Only the branch secretary (or a committee member acting for them) may do this.")
        )
        return
    async with context.unit() as session:  # the three screens' figures in one transaction, then the sends
        totals = await _read_totals(session, context, Period.QUARTER)
        queue = await _read_queue(session, context)
        flagged = await _read_flagged(session, context)
    await _service_totals(update, context, Period.QUARTER, read=totals)
    await _send_queue(update, context, read=queue)
    await _send_flagged(update, context, read=flagged)


async def service_period(update: Update, context: BranchContext) -> None:
    """Switch the totals to another period."""
    query = update.callback_query
    assert query is not None
    period = ServicePeriod.parse(query.data).period
    if period not in Period.ALL:
        await query.answer()
        return
    await query.answer()
    await _service_totals(update, context, period)


def _selection(context: BranchContext) -> list[int]:
    """The reports ticked in the approval queue (kept with the person, so a restart keeps them)."""
    return [int(i) for i in _user_data(context).get("vq", [])]


_Queue = tuple[list[tuple[ServiceReport, Member, dict[str, str]]], int]


async def _read_queue(session: AsyncSession, context: BranchContext) -> _Queue:
    """The approval queue's page: each report with its member and its description, and how many wait in all."""
    env = env_of(context)
    queue = await reports.approval_queue(session, context.actor)
    items = []
    for report, member in queue.items:
        community = await session.get(Community, report.community_id) if report.community_id else None
        items.append((report, member, reports.describe(report, community, env=env)))
    return items, queue.total


async def _send_queue(
    update: Update, context: BranchContext, *, edit: bool = False, read: _Queue | None = None
) -> None:
    tr = context.tr
    if read is None:
        async with context.unit() as session:
            read = await _read_queue(session, context)
    items, total = read
    shown = [r.id for r, _m, _d in items]
    selected = [i for i in _selection(context) if i in shown]  # decided meanwhile, or no longer on the page
    _user_data(context)["vq"] = selected
    text = render(
        "volunteer/queue.html.j2", tr.locale, items=items, total=total, hours=reports.hours, selected=selected
    )
    several = len(items) > 1  # ticking is for approving several at once
    # A row names its report by who and when (the tick button, or the text above when there is one report);
    # never by database id.
    rows = [
        [
            *(
                [
                    (
                        ("☑ " if r.id in selected else "☐ ")
                        + f"{m.name} · {date_style.day(r.service_date, tr.locale, weekday=False)}",
                        ReportTick(report=r.id).pack(),
                    )
                ]
                if several
                else []
            ),
            (tr.gettext("✓ Approve"), ReportApprove(report=r.id, where="okq").pack()),
            (tr.gettext("✗ Reject"), ReportReject(report=r.id).pack()),
        ]
        for r, m, _d in items
    ]
    if selected:
        rows.append(
            [(tr.gettext("Approve the %(count)d selected", count=len(selected)), ReportApproveSelected().pack())]
        )
    if len(items) > 1:
        rows.append(
            [
                (
                    tr.gettext("Approve all %(count)d shown", count=len(items)),
                    ReportApproveRange(first=items[0][0].id, last=items[-1][0].id).pack(),
                )
            ]
        )
    if edit:
        await show(update, text, keyboard(rows), answer=False)
    else:
        await reply(update, text, reply_markup=keyboard(rows))


async def report_tick(update: Update, context: BranchContext) -> None:
    """Tick or untick a report in the approval queue."""
    query = update.callback_query
    assert query is not None
    report_id = ReportTick.parse(query.data).report
    async with context.unit() as session:
        report, _member = await reports.report_detail(session, context.actor, report_id)
        if report.member_id == context.actor.member_id or report.status != ReportStatus.PENDING:
            raise InvalidInput(N_("This report was already decided."))
    selected = _selection(context)
    _user_data(context)["vq"] = (
        [i for i in selected if i != report_id] if report_id in selected else [*selected, report_id]
    )
    await query.answer()
    await _send_queue(update, context, edit=True)


async def approve_selected(update: Update, context: BranchContext) -> None:
    """Approve the reports ticked in the queue."""
    query = update.callback_query
    assert query is not None
    selected = _selection(context)
    if not selected:
        await query.answer(context.tr.gettext("Tick the reports to approve first."), show_alert=True)
        return
    async with context.unit() as session:
        approved = await reports.approve_reports(session, context.actor, selected, env=env_of(context))
    _user_data(context)["vq"] = []
    await query.answer(context.tr.ngettext("%(num)d report approved.", "%(num)d reports approved.", len(approved)))
    await _send_queue(update, context, edit=True)
    await _refresh_totals(update, context)


_Flagged = tuple[list[vol.RollLine], dict[int, Activity | None]]


async def _read_flagged(session: AsyncSession, context: BranchContext) -> _Flagged:
    lines = await vol.flagged_checkouts(session, context.actor)
    return lines, {line.signup.activity_id: await session.get(Activity, line.signup.activity_id) for line in lines}


async def _send_flagged(
    update: Update, context: BranchContext, *, edit: bool = False, read: _Flagged | None = None
) -> None:
    """The check-outs closed automatically, to confirm or correct; ``edit`` replaces the list after a
    confirmation, so a confirmed line does not keep offering its buttons. ``read``: as for the totals."""
    tr = context.tr
    env = env_of(context)
    if read is None:
        async with context.unit() as session:
            read = await _read_flagged(session, context)
    lines, activities = read
    if not lines:
        if edit:
            await show(update, tr.gettext("All these check-outs are confirmed."), answer=False)
        return
    text = render(
        "volunteer/flagged.html.j2", tr.locale, lines=lines, activities=activities, tz=env.tz, hours=reports.hours
    )
    rows = [
        [
            (tr.gettext("✓ %(name)s", name=line.member.name), HoursConfirm(signup=line.signup.id).pack()),
            (tr.gettext("Correct %(name)s", name=line.member.name), HoursFix(signup=line.signup.id).pack()),
        ]
        for line in lines
    ]
    if edit:
        await show(update, text, keyboard(rows), answer=False)
    else:
        await reply(update, text, reply_markup=keyboard(rows))


async def report_decision(update: Update, context: BranchContext) -> None:
    """Approve one report, or every report of the page shown."""
    query = update.callback_query
    assert query is not None
    span = ReportApproveRange.try_parse(query.data)
    single = None if span is not None else ReportApprove.parse(query.data)
    env = env_of(context)
    tr = context.tr
    async with context.unit() as session:
        if span is not None:
            approved = await reports.approve_range(session, context.actor, span.first, span.last, env=env)
        else:
            assert single is not None
            approved = await reports.approve_reports(session, context.actor, [single.report], env=env)
    await query.answer(tr.ngettext("%(num)d report approved.", "%(num)d reports approved.", len(approved)))
    if single is None or single.where == "okq":  # pressed in the queue: show what is left of it
        await _send_queue(update, context, edit=True)
        await _refresh_totals(update, context)
    else:
        await show(
            update,
            tr.ngettext("%(num)d report approved.", "%(num)d reports approved.", len(approved)),
            answer=False,
        )


async def hours_confirm(update: Update, context: BranchContext) -> None:
    """Confirm the hours of a check-out closed automatically."""
    query = update.callback_query
    assert query is not None
    signup_id = HoursConfirm.parse(query.data).signup
    async with context.unit() as session:
        signup = await vol.confirm_hours(session, context.actor, signup_id)
    await query.answer(
        context.tr.gettext("Confirmed: %(hours)s h.", hours=hours_text(signup.minutes, context.tr.locale))
    )
    await _send_flagged(update, context, edit=True)


async def decide_start(update: Update, context: BranchContext) -> int:
    """Ask for the reason of a rejection, or the corrected hours and their reason."""
    query = update.callback_query
    assert query is not None
    reject = ReportReject.try_parse(query.data)
    kind, object_id = ("vr", reject.report) if reject is not None else ("vh", HoursFix.parse(query.data).signup)
    tr = context.tr
    async with context.unit() as session:
        if kind == "vr":
            report, member = await reports.report_detail(session, context.actor, object_id)
            if report.status != "pending":
                raise InvalidInput(N_("This report was already decided."))
            prompt = tr.gettext(
                "Why is the report of %(name)s for %(day)s not approved? Write the reason; they will read it.",
                name=escape(member.name),
                day=date_style.day(report.service_date, tr.locale),
            )
        else:
            roll_line = await leader_of_signup(session, context.actor, object_id)
            prompt = tr.gettext(
                "Hours of %(name)s at %(title)s: write the hours and the reason, for example: 2.5 left early.",
                name=escape(roll_line[2].name),
                title=escape(roll_line[1].title),
            )
    _user_data(context)["vd"] = {"kind": kind, "id": object_id}
    await query.answer()
    if query.message is not None:
        await say(update, prompt)
    return DECIDE_REASON if kind == "vr" else DECIDE_FIX


async def decide_reason(update: Update, context: BranchContext) -> int:
    """Reject the report with the reason written."""
    assert update.message is not None and update.message.text is not None
    pending = _user_data(context).get("vd") or {}
    async with context.unit(then=END) as session:
        await reports.reject_report(
            session, context.actor, int(pending.get("id", 0)), update.message.text, env=env_of(context)
        )
    _user_data(context).pop("vd", None)
    await update.message.reply_text(context.tr.gettext("Not approved; the member is told why."))
    return END


async def decide_fix(update: Update, context: BranchContext) -> int:
    """Correct the hours with the reason written."""
    assert update.message is not None and update.message.text is not None
    text = update.message.text.strip()
    number, _, reason = text.partition(" ")
    hours = parse_hours(number)
    pending = _user_data(context).get("vd") or {}
    async with context.unit(then=END) as session:
        signup = await vol.correct_hours(
            session, context.actor, int(pending.get("id", 0)), hours, reason, env=env_of(context)
        )
    _user_data(context).pop("vd", None)
    await update.message.reply_text(
        context.tr.gettext("Hours set to %(hours)s.", hours=hours_text(signup.minutes, context.tr.locale))
    )
    return END
