"""The scheduler's work: today's greetings, the first-of-month lists and counts, the theme-day reminders.

Everything pushed goes through the outbox in the transaction that decides it, under a key that makes a repeat
impossible: ``birthday:<member>:<year>`` for a greeting. A greeting expires at the next local midnight, so one the
worker could not send that day is dropped (and logged), never delivered late. Each step writes one run-log row per
local day (:class:`storage.birthdays.BirthdayRun`), which is how a day the bot was down is noticed.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import end_of_local_day_utc, local_midnight_utc
from bot.environment import ServiceEnv
from bot.services.birthdays import texts
from bot.services.birthdays.anniversaries import Birthday, DataIssue, birthdays_on, data_issues, political_birthday
from bot.services.birthdays.branches import BranchCount, BranchMonth, counts_in, month_of_branch
from bot.services.notifier import Message, Notifier, leaders_else_admins, leaders_of
from storage import birthdays as store
from storage import queries
from storage.birthdays import BirthdayRunStatus
from storage.models import Organisation
from storage.people import members_by_id

log = logging.getLogger(__name__)

GREETINGS_JOB = "greetings"
MONTH_JOB = "month"
THEME_JOB = "theme"
THEME_DAY_KIND = "theme_day"  # the meetings feature's kind of the theme Party day (主题党日)
MISSED_DAYS_LOGGED = 31  # after a long outage, only the last month's missed days get a row of their own


@dataclass
class RunReport:
    """What one run of a scheduled step did."""

    day: date
    ran: bool = True
    queued: int = 0
    problems: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))

    def note(self, kind: str, member_id: int) -> None:
        """Remember a problem for the run log."""
        self.problems[kind].append(member_id)


def _due(env: ServiceEnv, now: datetime, hour: int) -> bool:
    """The day's work starts at the configured hour; before it, a (catch-up) run does nothing."""
    return env.local(now).hour >= hour


async def _record_run(session: AsyncSession, job: str, report: RunReport, now: datetime) -> None:
    row = await store.locked_run(session, job, report.day)
    row.status = BirthdayRunStatus.DONE
    row.runs += 1
    row.queued += report.queued
    row.last_run_at = now
    details = dict(row.details or {})
    for kind, ids in report.problems.items():
        details[kind] = sorted(set(details.get(kind, [])) | set(ids))
    row.details = details


async def _note_missed_days(session: AsyncSession, day: date) -> list[date]:
    """Days since the last run on which the greetings never went out (the bot was down): log them, once."""
    if await store.has_run(session, GREETINGS_JOB, day):
        return []  # not the first run today: any missed days were noted by the first
    last = await store.last_run_before(session, GREETINGS_JOB, day)
    if last is None or (day - last).days <= 1:
        return []
    first_missed = max(last + timedelta(days=1), day - timedelta(days=MISSED_DAYS_LOGGED))
    missed = [first_missed + timedelta(days=n) for n in range((day - first_missed).days)]
    for missed_day in missed:
        due = [
            b.member_id for b in await birthdays_on(session, missed_day, today=day) if b.on_telegram and b.greetings_on
        ]
        row = await store.locked_run(session, GREETINGS_JOB, missed_day, status=BirthdayRunStatus.MISSED)
        if row.runs == 0:
            row.details = {"not_sent": due}
        if due:
            log.warning(
                "political-birthday greetings of %s were not sent (the bot was not running after the hour that day); "
                "%d greeting(s) dropped, not sent late: members %s",
                missed_day,
                len(due),
                due,
            )
    return missed


@dataclass(frozen=True)
class DayNote:
    """Something about one member's birthday today that their branch's leaders should know."""

    name: str
    years: int | None
    reason: str  # "not_on_telegram", "blocked", "template_error" or "bad_join_date"
    issue: DataIssue | None = None

    def detail(self, locale: str) -> str:
        """What is wrong with the join date, in ``locale`` (empty for the other reasons)."""
        return self.issue.describe(locale) if self.issue is not None else ""


def _greeting(birthday: Birthday, branch_name: str, wish: str | None) -> Message:
    """The personal greeting, written in the member's language, with the button to re-read the oath."""
    return Message(
        write=lambda r: texts.render_greeting(birthday, r.locale, branch_name=branch_name, wish=wish),
        buttons=lambda r: texts.oath_button(r.locale),
    )


async def run_greetings(session: AsyncSession, *, env: ServiceEnv, hour: int, now: datetime | None = None) -> RunReport:
    """Queue today's greetings (from ``hour`` local until midnight; before it, nothing).

    One member's trouble (no Telegram, a bad join date, a template that fails) is logged and reported to their
    branch's leaders; it never stops the other greetings.
    """
    now = now or env.now()
    day = env.local(now).date()
    report = RunReport(day)
    if not _due(env, now, hour):
        report.ran = False
        return report
    await _note_missed_days(session, day)
    expires = end_of_local_day_utc(day, env.tz)
    notes: dict[int, list[DayNote]] = defaultdict(list)
    org_names = {o.id: o.name for o in await queries.all_organisations(session)}
    wishes = await store.all_wishes(session)
    day_birthdays = await birthdays_on(session, day)
    members = await members_by_id(session, [b.member_id for b in day_birthdays if b.greetings_on and b.telegram_id])
    notifier = Notifier(session, env)
    for birthday in day_birthdays:
        if not birthday.greetings_on:
            report.note("opted_out", birthday.member_id)
            continue
        member = members.get(birthday.member_id)
        if birthday.telegram_id is None or member is None:
            report.note("not_on_telegram", birthday.member_id)
            notes[birthday.org_id].append(DayNote(birthday.name, birthday.years, "not_on_telegram"))
            continue
        # The greeting is the member's own (its key names them first, as it always has); a broken template or
        # translation must not cost the others their greeting (skip_render_errors).
        sent = await notifier.tell(
            [member],
            _greeting(birthday, org_names.get(birthday.org_id, ""), wishes.get(birthday.org_id)),
            key=lambda m: f"birthday:{m.id}:{day.year}",
            kind="greeting",
            expires_at=expires,
            skip_render_errors=True,
        )
        if sent.failed:
            log.error("could not render the political-birthday greeting of member %s", birthday.member_id)
            report.note("template_error", birthday.member_id)
            notes[birthday.org_id].append(DayNote(birthday.name, birthday.years, "template_error"))
            continue
        report.queued += sent.queued
        if birthday.blocked:
            report.note("blocked", birthday.member_id)
            notes[birthday.org_id].append(DayNote(birthday.name, birthday.years, "blocked"))
    for issue in await data_issues(session, today=day):
        # A bad join date that falls on today would have been someone's greeting: tell the secretary now.
        if issue.join_date is not None and political_birthday(issue.join_date, day.year) == day:
            report.note("bad_join_date", issue.member_id)
            notes[issue.org_id].append(DayNote(issue.name, None, "bad_join_date", issue))
            log.warning("member %s has an unusable join date %s: no greeting", issue.member_id, issue.join_date)
    for org_id, org_notes in notes.items():
        report.queued += await _notify_leaders(session, env, org_id, day, org_notes, expires)
    await _record_run(session, GREETINGS_JOB, report, now)
    return report


async def _notify_leaders(
    session: AsyncSession, env: ServiceEnv, org_id: int, day: date, notes: list[DayNote], expires: datetime
) -> int:
    """Tell a branch's leaders, once a day, whose birthday today needs them (greet in person, fix the date)."""
    # Nobody in the branch can be told: the administrators above it can fix the roster or pass it on.
    recipients, via_admins = await leaders_else_admins(session, org_id)
    on_behalf_of: str | None = None
    if via_admins:
        branch = await session.get(Organisation, org_id)
        on_behalf_of = branch.name if branch is not None else ""
        log.warning(
            "branch %s has no leader on Telegram to tell about today's political birthdays; %d administrator(s) told",
            org_id,
            len(recipients),
        )
    message = Message(
        template="birthdays/day_note.html.j2",
        params=lambda r: {
            "notes": [(note, note.detail(r.locale)) for note in notes],
            "day": texts.day_label(day, r.locale),
            "on_behalf_of": on_behalf_of,
        },
    )
    sent = await Notifier(session, env).tell(
        recipients,
        message,
        key=f"birthday-note:{org_id}:{day.isoformat()}",
        kind="reminder",
        expires_at=expires,
        skip_render_errors=True,  # a broken note must not cost the others their greetings
    )
    return sent.queued


def _month_message(data: BranchMonth, **options: Any) -> Message:
    """A branch's month list (or, with ``reminder_for``, the theme-day reminder) for each leader in their language."""
    return Message(template=texts.MONTH_TEMPLATE, params=lambda r: texts.month_values(data, r.locale, **options))


def _counts_message(counts: list[BranchCount], year: int, month: int) -> Message:
    """An administrator's counts by branch, in their language."""
    return Message(template=texts.COUNTS_TEMPLATE, params=lambda r: texts.counts_values(counts, year, month, r.locale))


async def run_month_lists(
    session: AsyncSession, *, env: ServiceEnv, hour: int, now: datetime | None = None
) -> RunReport:
    """On the first day of the month (from the hour): each branch's list to its leaders, counts to administrators."""
    now = now or env.now()
    day = env.local(now).date()
    report = RunReport(day)
    first = day.replace(day=1)
    # On the 1st; or later in the month when the bot was down all through the 1st (a list is useful all month).
    if not _due(env, now, hour) or (
        day != first and first not in await store.missed_days(session, GREETINGS_JOB, first, day)
    ):
        report.ran = False
        return report
    # A list is useful all month: it expires at the month's end, not at midnight like a greeting.
    next_month = (date(day.year, day.month, 28) + timedelta(days=4)).replace(day=1)
    expires = local_midnight_utc(next_month, env.tz)
    tag = f"{day:%Y-%m}"
    notifier = Notifier(session, env)
    for branch in await store.all_branches(session):
        leaders = await leaders_of(session, branch.id)
        if not leaders:
            continue
        data = await month_of_branch(session, branch, day.year, day.month, day)
        if not data.entries and not data.issues:
            continue  # nothing to mark and nothing to fix: no message
        sent = await notifier.tell(
            leaders, _month_message(data), key=f"birthday-month:{branch.id}:{tag}", kind="reminder", expires_at=expires
        )
        report.queued += sent.queued
    for admin in await store.admins_on_telegram(session):
        counts = await counts_in(session, await queries.subtree_ids(session, admin.org_id), day.year, day.month, day)
        if not any(c.birthdays or c.data_to_fix for c in counts):
            continue
        summary = _counts_message(counts, day.year, day.month)
        sent = await notifier.tell([admin], summary, key=f"birthday-counts:{tag}", kind="reminder", expires_at=expires)
        report.queued += sent.queued
    await _record_run(session, MONTH_JOB, report, now)
    return report


async def run_theme_reminders(
    session: AsyncSession, *, env: ServiceEnv, hour: int, now: datetime | None = None
) -> RunReport:
    """A week before each branch's theme Party day: whose political birthdays that day should mark.

    The day is the 主题党日 meeting the branch scheduled, when there is one in the coming week, or else the
    branch's fixed day of the month; either way its leaders hear once a month.
    """
    now = now or env.now()
    day = env.local(now).date()
    report = RunReport(day)
    if not _due(env, now, hour):
        report.ran = False
        return report
    # A theme Party day meeting the branch scheduled in the coming week (on its fixed day or not): its reminder now.
    window_start = end_of_local_day_utc(day, env.tz)
    window_end = end_of_local_day_utc(day + timedelta(days=texts.THEME_REMINDER_DAYS), env.tz)
    for org_id, starts_at in await store.theme_meetings_between(session, THEME_DAY_KIND, window_start, window_end):
        branch = await session.get(Organisation, org_id)
        assert branch is not None
        theme = env.local(starts_at).date()
        report.queued += await _theme_reminders_for(session, env, day, theme, [branch])
    # The fixed theme day of the month: today's reminders, and those of the past week's days the bot was down.
    since = day - timedelta(days=texts.THEME_REMINDER_DAYS - 1)
    for reminder_day in [*await store.missed_days(session, GREETINGS_JOB, since, day), day]:
        theme = reminder_day + timedelta(days=texts.THEME_REMINDER_DAYS)
        branches = await store.branches_with_theme_day(session, theme.day)
        report.queued += await _theme_reminders_for(session, env, day, theme, branches)
    await _record_run(session, THEME_JOB, report, now)
    return report


async def _theme_reminders_for(
    session: AsyncSession, env: ServiceEnv, day: date, theme: date, branches: Sequence[Organisation]
) -> int:
    """The reminders to ``branches`` of their theme Party day on ``theme``: once a month per branch and leader."""
    queued = 0
    notifier = Notifier(session, env)
    for branch in branches:
        leaders = await leaders_of(session, branch.id)
        if not leaders:
            continue
        # The theme day of a month marks that month's political birthdays.
        data = await month_of_branch(session, branch, theme.year, theme.month, day)
        if not data.entries:
            continue
        reminder = _month_message(data, reminder_for=theme, days_left=(theme - day).days)
        sent = await notifier.tell(
            leaders,
            reminder,
            key=f"birthday-theme:{branch.id}:{theme:%Y-%m}",
            kind="reminder",
            expires_at=end_of_local_day_utc(theme, env.tz),
        )
        queued += sent.queued
    return queued
