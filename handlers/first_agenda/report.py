"""/firstagenda: a branch's record of the first agenda item (第一议题), or an administrator's subtree ranked."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update

from bot import date_style
from bot.context import BranchContext
from bot.i18n import N_
from bot.services import first_agenda as fa
from bot.services.first_agenda.buttons import (
    PERIODS,
    MaterialAction,
    MaterialButton,
    Period,
    PeriodButton,
    RecordButton,
)
from bot.services.meetings.format import when_text
from bot.templates import render
from handlers.common import SUMMARY_LINES, keyboard, leaders_only, lowest_first, reply, show
from handlers.first_agenda.common import env_of, short
from storage.models import Organisation

PERIOD_NAMES = {
    "quarter": N_("This quarter"),
    "year": N_("This year"),
    "last_year": N_("Last year"),
}


async def _report(context: BranchContext, period: Period) -> tuple[str, InlineKeyboardMarkup | None]:
    actor = context.actor
    tr = context.tr
    env = env_of(context)
    start, end = fa.period_bounds(period, env.today())
    async with context.unit() as session:
        rows = await fa.compliance(session, actor, start, end, env=env)
        buttons: list[list[tuple[str, str]]] = []
        if actor.is_admin:
            org = await session.get(Organisation, actor.org_id)
            entries = [e for e in await fa.catalog(session, actor, limit=20) if e.branches][:5]
            progress = await fa.study_progress(session, actor, [e.material.id for e in entries], env=env)
            materials = []
            for entry in entries:
                studied, total = progress.get(entry.material.id, (0, 0))
                materials.append({"material": entry.material, "studied": studied, "total": total})
                button = MaterialButton(material=entry.material.id, action=MaterialAction.STUDY)
                buttons.append([("📊 " + short(entry.material.title), button.pack())])
            ranked, more = list(enumerate(rows, 1)), 0
            if len(ranked) > SUMMARY_LINES:  # a city: the last of the ranking, the lowest first; the rest counted
                ranked, more = lowest_first(ranked, key=lambda pair: -pair[0])
            text = render(
                "first_agenda/report_admin.html.j2",
                tr.locale,
                org_name=org.name if org else "",
                rows=ranked,
                more=more,
                start=start,
                end=end,
                materials=materials,
            )
        else:
            row = rows[0]
            found = await fa.materials_by_id(session, row.dispatched)
            dispatched = [
                {
                    "title": found[material_id].title if material_id in found else "",
                    "lag": row.lag_by_material.get(material_id),
                    "early": material_id in row.early,
                    "waiting": row.waiting.get(material_id, 0),
                }
                for material_id in row.dispatched
            ]
            missing = [
                {
                    "kind_name": fa.meeting_kind_name(m.kind, tr.locale),
                    "when": when_text(m.starts_at, tr.locale, env.tz),
                }
                for m in row.missing
            ]
            for meeting in row.missing[:5]:
                label = tr.gettext(
                    N_("Record: %(kind)s %(date)s"),
                    kind=fa.meeting_kind_name(meeting.kind, tr.locale),
                    date=date_style.day(meeting.starts_at, tr.locale, tz=env.tz, weekday=False),
                )
                buttons.append([(label, RecordButton(meeting=meeting.id).pack())])
            text = render(
                "first_agenda/report_branch.html.j2",
                tr.locale,
                row=row,
                start=start,
                end=end,
                missing=missing,
                dispatched=dispatched,
            )
    buttons.append(
        [(("• " if p == period else "") + tr.gettext(PERIOD_NAMES[p]), PeriodButton(period=p).pack()) for p in PERIODS]
    )
    return text, keyboard(buttons)


@leaders_only
async def report_command(update: Update, context: BranchContext) -> None:
    """/firstagenda: this year's record; buttons switch the period."""
    text, markup = await _report(context, "year")
    await reply(update, text, reply_markup=markup)


async def report_period(update: Update, context: BranchContext) -> None:
    """Switch the report's period."""
    query = update.callback_query
    assert query is not None and query.data is not None
    period = PeriodButton.parse(query.data).period
    text, markup = await _report(context, period)
    await show(update, text, markup)
