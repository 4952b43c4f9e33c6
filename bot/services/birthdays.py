"""Political birthdays (政治生日, measure 5): who has one when, greetings exactly once, lists for those who lead.

A member's political birthday is the anniversary of their join date (入党日期); 29 February falls on
28 February in common years (:func:`bot.clock.anniversary`). On it they are in their N-th year as a member,
N = year - join year ("入党第 N 周年"); a member who joined less than a year ago has no anniversary yet.

Everything pushed goes through the outbox in the transaction that decides it, under a key that makes a
repeat impossible: ``birthday:<member>:<year>`` for a greeting. A greeting expires at the next local midnight,
so one the worker could not send that day is dropped (and logged), never delivered late.
"""

from __future__ import annotations

import enum
import logging
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from babel.dates import format_skeleton
from sqlalchemy import extract, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import anniversary, end_of_local_day_utc, local_midnight_utc, now_utc
from bot.config import Settings
from bot.environment import ServiceEnv
from bot.errors import InvalidInput, NotFound, PermissionDenied
from bot.i18n import N_, translator
from bot.services import outbox
from bot.services.access import Actor, require_branch_leader, visible_org_ids
from bot.services.notifier import Message, Notifier, leaders_else_admins
from bot.services.roster import FOUNDING_DATE
from bot.templates import render
from storage import queries
from storage.birthdays import BirthdayPreference, BirthdayRun, BirthdayRunStatus, BirthdayWish
from storage.meetings import Meeting, MeetingStatus
from storage.models import Member, Organisation, OrgKind, Role

log = logging.getLogger(__name__)

GREETINGS_JOB = "greetings"
MONTH_JOB = "month"
THEME_JOB = "theme"
THEME_REMINDER_DAYS = 7  # the reminder goes out a week before the branch's theme day
THEME_DAY_KIND = "theme_day"  # the meetings feature's kind of the theme Party day (主题党日)
MISSED_DAYS_LOGGED = 31  # after a long outage, only the last month's missed days get a row of their own
WISH_MAX_LENGTH = 300
OATH_CALLBACK = "bd:oath"


class DateProblem(enum.StrEnum):
    """Why a member's join date cannot give a political birthday: data for the secretary to fix."""

    MISSING = "missing"
    FUTURE = "future"
    BEFORE_FOUNDING = "before_founding"


PROBLEM_MESSAGES: dict[DateProblem, str] = {
    DateProblem.MISSING: N_("no join date is recorded"),
    DateProblem.FUTURE: N_("the join date %(date)s is in the future"),
    DateProblem.BEFORE_FOUNDING: N_("the join date %(date)s is before the Party was founded (1921-07-01)"),
}


def join_date_problem(join_date: date | None, today: date) -> DateProblem | None:
    """What is wrong with a join date, judged on ``today`` (local), or None when it is usable."""
    if join_date is None:
        return DateProblem.MISSING
    if join_date > today:
        return DateProblem.FUTURE
    if join_date < FOUNDING_DATE:
        return DateProblem.BEFORE_FOUNDING
    return None


def political_birthday(join_date: date, year: int) -> date:
    """The member's political birthday in ``year`` (29 February → 28 February in common years)."""
    return anniversary(join_date, year)


def years_in(join_date: date, year: int) -> int:
    """The anniversary counted in ``year``: 入党第 N 周年, N = year - join year."""
    return year - join_date.year


@dataclass(frozen=True)
class Birthday:
    """One member's political birthday in a given year."""

    member_id: int
    member_no: str
    name: str
    org_id: int
    join_date: date
    day: date
    years: int
    telegram_id: int | None
    language: str | None
    blocked: bool  # the bot could not reach them last time (they blocked it, or left Telegram)
    greetings_on: bool

    @property
    def on_telegram(self) -> bool:
        """Bound to a Telegram account."""
        return self.telegram_id is not None

    @property
    def reachable(self) -> bool:
        """A greeting can be expected to arrive."""
        return self.telegram_id is not None and not self.blocked


@dataclass(frozen=True)
class DataIssue:
    """A member whose join date gives no political birthday, and why."""

    member_id: int
    member_no: str
    name: str
    org_id: int
    join_date: date | None
    problem: DateProblem

    def describe(self, locale: str) -> str:
        """The problem in ``locale`` (not escaped: templates escape it)."""
        tr = translator(locale)
        msgid = PROBLEM_MESSAGES[self.problem]
        if self.join_date is None:
            return tr.gettext(msgid)
        return tr.gettext(msgid, date=self.join_date.isoformat())


async def _opted_out(session: AsyncSession, member_ids: Iterable[int]) -> set[int]:
    ids = list(member_ids)
    if not ids:
        return set()
    rows = await session.scalars(
        select(BirthdayPreference.member_id).where(
            BirthdayPreference.member_id.in_(ids), BirthdayPreference.greetings_enabled.is_(False)
        )
    )
    return set(rows.all())


async def _active_members(session: AsyncSession, org_ids: set[int] | None, month: int | None) -> Sequence[Member]:
    stmt = select(Member).where(Member.active.is_(True)).order_by(Member.name, Member.id)
    if org_ids is not None:
        stmt = stmt.where(Member.org_id.in_(org_ids))
    if month is not None:
        # The month of the political birthday is the join month, also for 29 February; the day is checked below.
        stmt = stmt.where(Member.join_date.is_not(None), extract("month", Member.join_date) == month)
    return (await session.scalars(stmt)).all()


async def birthdays_in_month(
    session: AsyncSession, year: int, month: int, *, today: date, org_ids: set[int] | None = None
) -> list[Birthday]:
    """Political birthdays in ``year``-``month`` of active members (of ``org_ids``), by day then name.

    Members in their first year, and members whose join date is not usable on ``today``, are left out;
    :func:`data_issues` lists the latter.
    """
    members = [
        m
        for m in await _active_members(session, org_ids, month)
        if m.join_date is not None and join_date_problem(m.join_date, today) is None
    ]
    off = await _opted_out(session, (m.id for m in members))
    found = []
    for m in members:
        assert m.join_date is not None
        years = years_in(m.join_date, year)
        if years < 1:
            continue
        found.append(
            Birthday(
                member_id=m.id,
                member_no=m.member_no,
                name=m.name,
                org_id=m.org_id,
                join_date=m.join_date,
                day=political_birthday(m.join_date, year),
                years=years,
                telegram_id=m.telegram_id,
                language=m.language,
                blocked=m.unreachable_since is not None,
                greetings_on=m.id not in off,
            )
        )
    found.sort(key=lambda b: (b.day, b.name, b.member_id))
    return found


async def birthdays_on(
    session: AsyncSession, day: date, *, today: date | None = None, org_ids: set[int] | None = None
) -> list[Birthday]:
    """Political birthdays falling on ``day``."""
    month = await birthdays_in_month(session, day.year, day.month, today=today or day, org_ids=org_ids)
    return [b for b in month if b.day == day]


async def data_issues(session: AsyncSession, *, today: date, org_ids: set[int] | None = None) -> list[DataIssue]:
    """Active members whose join date is missing, in the future, or before the Party was founded."""
    issues = []
    for m in await _active_members(session, org_ids, None):
        problem = join_date_problem(m.join_date, today)
        if problem is not None:
            issues.append(DataIssue(m.id, m.member_no, m.name, m.org_id, m.join_date, problem))
    return issues


# --- what members, secretaries and administrators ask for ------------------------------------------------


@dataclass(frozen=True)
class MyBirthday:
    """A member's own political birthday: the next one (today's, if it is today) and their greeting choice."""

    name: str
    join_date: date | None
    problem: DateProblem | None
    day: date | None
    years: int | None
    is_today: bool
    greetings_on: bool


async def my_birthday(session: AsyncSession, actor: Actor, today: date) -> MyBirthday:
    """The caller's political birthday."""
    member = await session.get(Member, actor.member_id)
    if member is None:
        raise NotFound(N_("No such member."))
    greetings_on = member.id not in await _opted_out(session, [member.id])
    problem = join_date_problem(member.join_date, today)
    if problem is not None or member.join_date is None:
        return MyBirthday(member.name, member.join_date, problem, None, None, False, greetings_on)
    year = today.year
    # The next anniversary that counts: not one already past this year, and never the join day itself.
    while political_birthday(member.join_date, year) < today or years_in(member.join_date, year) < 1:
        year += 1
    day = political_birthday(member.join_date, year)
    return MyBirthday(
        member.name, member.join_date, None, day, years_in(member.join_date, year), day == today, greetings_on
    )


async def set_greetings(session: AsyncSession, actor: Actor, enabled: bool) -> bool:
    """Turn the caller's own greeting on or off; returns the new setting."""
    member = await session.get(Member, actor.member_id)
    if member is None:
        raise NotFound(N_("No such member."))
    # Two quick presses may race to create the row: one insert wins, the other finds it.
    await session.execute(
        queries.upsert_insert(session)(BirthdayPreference)
        .values(member_id=member.id, greetings_enabled=True, updated_at=now_utc())
        .on_conflict_do_nothing(index_elements=["member_id"])
    )
    preference = await session.scalar(
        select(BirthdayPreference)
        .where(BirthdayPreference.member_id == member.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert preference is not None
    if preference.greetings_enabled == enabled:
        return enabled  # nothing changed, nothing to audit
    preference.greetings_enabled = enabled
    queries.audit(
        session,
        actor=member,
        action="birthday_greetings_on" if enabled else "birthday_greetings_off",
        entity="member",
        entity_id=member.id,
    )
    return enabled


@dataclass(frozen=True)
class BranchMonth:
    """A branch's political birthdays in one month, and the members whose join date needs fixing."""

    branch_id: int
    branch_name: str
    year: int
    month: int
    entries: list[Birthday]
    issues: list[DataIssue]

    @property
    def not_reachable(self) -> list[Birthday]:
        """Those to greet in person."""
        return [b for b in self.entries if not b.reachable]


async def _branch_month(session: AsyncSession, branch: Organisation, year: int, month: int, today: date) -> BranchMonth:
    entries = await birthdays_in_month(session, year, month, today=today, org_ids={branch.id})
    issues = await data_issues(session, today=today, org_ids={branch.id})
    return BranchMonth(branch.id, branch.name, year, month, entries, issues)


async def branch_month(
    session: AsyncSession, actor: Actor, branch_id: int, year: int, month: int, today: date
) -> BranchMonth:
    """The month's list of a branch, for its secretary (or delegated committee member) or an administrator above."""
    branch = await require_branch_leader(session, actor, branch_id)
    return await _branch_month(session, branch, year, month, today)


@dataclass(frozen=True)
class BranchCount:
    """One branch's line in an administrator's summary."""

    branch_id: int
    name: str
    birthdays: int
    not_reachable: int
    data_to_fix: int


async def _counts(session: AsyncSession, org_ids: set[int], year: int, month: int, today: date) -> list[BranchCount]:
    branches = await queries.branches_in(session, org_ids)
    ids = {b.id for b in branches}
    entries = await birthdays_in_month(session, year, month, today=today, org_ids=ids)
    issues = await data_issues(session, today=today, org_ids=ids)
    counts = []
    for branch in branches:
        mine = [e for e in entries if e.org_id == branch.id]
        counts.append(
            BranchCount(
                branch.id,
                branch.name,
                len(mine),
                sum(1 for e in mine if not e.reachable),
                sum(1 for i in issues if i.org_id == branch.id),
            )
        )
    return counts


async def subtree_counts(session: AsyncSession, actor: Actor, year: int, month: int, today: date) -> list[BranchCount]:
    """For an administrator: each branch of their subtree with its count of political birthdays in the month."""
    if not actor.is_admin:
        raise PermissionDenied(N_("Only an administrator may see the counts of several branches."))
    return await _counts(session, await visible_org_ids(session, actor), year, month, today)


async def branch_wish(session: AsyncSession, org_id: int) -> str | None:
    """The wish the branch wrote for its members' greetings, if any."""
    wish = await session.get(BirthdayWish, org_id)
    return wish.text if wish is not None else None


async def wish_of(session: AsyncSession, actor: Actor, branch_id: int) -> tuple[Organisation, str | None]:
    """The branch and its wish, for its leaders."""
    branch = await require_branch_leader(session, actor, branch_id)
    return branch, await branch_wish(session, branch.id)


async def set_wish(session: AsyncSession, actor: Actor, branch_id: int, text: str | None) -> str | None:
    """Set (or with None, remove) the branch's wish; the secretary or a delegated committee member only."""
    branch = await require_branch_leader(session, actor, branch_id)
    text = " ".join(text.split()) if text else None  # one paragraph: Telegram HTML keeps it as typed otherwise
    if text is not None and len(text) > WISH_MAX_LENGTH:
        raise InvalidInput(N_("The wish is too long: at most %(max)d characters."), max=WISH_MAX_LENGTH)
    wish = await session.get(BirthdayWish, branch.id)
    if text is None:
        if wish is not None:
            await session.delete(wish)
    elif wish is None:
        session.add(BirthdayWish(org_id=branch.id, text=text, updated_by_id=actor.member_id))
    else:
        wish.text = text
        wish.updated_by_id = actor.member_id
    queries.audit(
        session,
        actor=await session.get(Member, actor.member_id),
        action="birthday_wish",
        entity="organisation",
        entity_id=branch.id,
        details={"text": text},
    )
    return text


_MONTH_PATTERNS = (
    re.compile(r"^(?P<year>\d{4})[-/.年](?P<month>\d{1,2})月?$"),
    re.compile(r"^(?P<month>\d{1,2})月?$"),
)


def parse_month(text: str | None, today: date) -> tuple[int, int]:
    """``YYYY-MM`` (also 2026/12, 2026年12月) or a month number of this year; the current month when empty."""
    if not text:
        return today.year, today.month
    for pattern in _MONTH_PATTERNS:
        match = pattern.match(text.strip())
        if match:
            year = int(match.group("year")) if "year" in pattern.groupindex else today.year
            month = int(match.group("month"))
            if 1 <= month <= 12 and FOUNDING_DATE.year <= year <= today.year + 100:
                return year, month
    raise InvalidInput(N_("Write the month as YYYY-MM, for example %(example)s."), example=f"{today:%Y-%m}")


# --- texts ------------------------------------------------------------------------------------------------


def month_label(year: int, month: int, locale: str) -> str:
    """2026年11月 / November 2026."""
    return format_skeleton("yMMMM", date(year, month, 1), locale=translator(locale).babel_locale)


def day_label(day: date, locale: str) -> str:
    """11月26日 / Nov 26."""
    return format_skeleton("MMMd", day, locale=translator(locale).babel_locale)


def render_greeting(birthday: Birthday, locale: str, *, branch_name: str, wish: str | None) -> str:
    """The personal greeting, in ``locale``."""
    return render(
        "birthdays/greeting.html.j2",
        locale,
        member_name=birthday.name,
        joined=birthday.join_date,
        years=birthday.years,
        branch=branch_name,
        wish=wish,
    )


def render_month(
    data: BranchMonth, locale: str, *, reminder_for: date | None = None, days_left: int = THEME_REMINDER_DAYS
) -> str:
    """A branch's month list; with ``reminder_for``, worded as the reminder ``days_left`` days before that theme day."""
    return render(
        "birthdays/month.html.j2",
        locale,
        branch=data.branch_name,
        month=month_label(data.year, data.month, locale),
        entries=[(day_label(b.day, locale), b) for b in data.entries],
        issues=[(i.name, i.describe(locale)) for i in data.issues],
        theme_day=reminder_for,
        days_left=days_left,
    )


def render_counts(counts: list[BranchCount], year: int, month: int, locale: str) -> str:
    """An administrator's summary."""
    return render(
        "birthdays/counts.html.j2",
        locale,
        month=month_label(year, month, locale),
        counts=counts,
        total=sum(c.birthdays for c in counts),
        not_reachable=sum(c.not_reachable for c in counts),
        data_to_fix=sum(c.data_to_fix for c in counts),
    )


def oath_button(locale: str) -> dict[str, Any]:
    """The greeting's button: re-read the oath (重温入党誓词), as branches do on the day."""
    label = translator(locale).gettext("Re-read the Party oath")
    return {"inline_keyboard": [[{"text": label, "callback_data": OATH_CALLBACK}]]}


# --- the scheduler's work ---------------------------------------------------------------------------------


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


def _local(settings: Settings, now: datetime) -> datetime:
    return now.astimezone(settings.tz)


def _due(settings: Settings, now: datetime) -> bool:
    """The day's work starts at the configured hour; before it, a (catch-up) run does nothing."""
    return _local(settings, now).hour >= settings.BIRTHDAY_HOUR


async def _run_row(session: AsyncSession, job: str, day: date, status: str = BirthdayRunStatus.DONE) -> BirthdayRun:
    """The run-log row of ``job`` on ``day``, created if missing (two replicas may race: one insert wins)."""
    now = now_utc()
    await session.execute(
        queries.upsert_insert(session)(BirthdayRun)
        .values(job=job, day=day, status=status, runs=0, queued=0, first_run_at=now, last_run_at=now, details={})
        .on_conflict_do_nothing(index_elements=["job", "day"])
    )
    row = await session.scalar(
        select(BirthdayRun)
        .where(BirthdayRun.job == job, BirthdayRun.day == day)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert row is not None
    return row


async def _record_run(session: AsyncSession, job: str, report: RunReport) -> None:
    row = await _run_row(session, job, report.day)
    row.status = BirthdayRunStatus.DONE
    row.runs += 1
    row.queued += report.queued
    row.last_run_at = now_utc()
    details = dict(row.details or {})
    for kind, ids in report.problems.items():
        details[kind] = sorted(set(details.get(kind, [])) | set(ids))
    row.details = details


async def _note_missed_days(session: AsyncSession, day: date) -> list[date]:
    """Days since the last run on which the greetings never went out (the bot was down): log them, once."""
    if await session.scalar(select(BirthdayRun.id).where(BirthdayRun.job == GREETINGS_JOB, BirthdayRun.day == day)):
        return []  # not the first run today: any missed days were noted by the first
    last = await session.scalar(
        select(func.max(BirthdayRun.day)).where(BirthdayRun.job == GREETINGS_JOB, BirthdayRun.day < day)
    )
    if last is None or (day - last).days <= 1:
        return []
    first_missed = max(last + timedelta(days=1), day - timedelta(days=MISSED_DAYS_LOGGED))
    missed = [first_missed + timedelta(days=n) for n in range((day - first_missed).days)]
    for missed_day in missed:
        due = [
            b.member_id for b in await birthdays_on(session, missed_day, today=day) if b.on_telegram and b.greetings_on
        ]
        row = await _run_row(session, GREETINGS_JOB, missed_day, status=BirthdayRunStatus.MISSED)
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


async def run_greetings(session: AsyncSession, settings: Settings, now: datetime | None = None) -> RunReport:
    """Queue today's greetings (from the configured hour until midnight; before it, nothing).

    One member's trouble (no Telegram, a bad join date, a template that fails) is logged and reported to their
    branch's leaders; it never stops the other greetings.
    """
    now = now or now_utc()
    local = _local(settings, now)
    day = local.date()
    report = RunReport(day)
    if not _due(settings, now):
        report.ran = False
        return report
    await _note_missed_days(session, day)
    expires = end_of_local_day_utc(day, settings.tz)
    notes: dict[int, list[DayNote]] = defaultdict(list)
    org_names = {o.id: o.name for o in await queries.all_organisations(session)}
    wishes = {w.org_id: w.text for w in (await session.scalars(select(BirthdayWish))).all()}
    for birthday in await birthdays_on(session, day):
        if not birthday.greetings_on:
            report.note("opted_out", birthday.member_id)
            continue
        if birthday.telegram_id is None:
            report.note("not_on_telegram", birthday.member_id)
            notes[birthday.org_id].append(DayNote(birthday.name, birthday.years, "not_on_telegram"))
            continue
        locale = birthday.language or settings.DEFAULT_LOCALE
        try:
            text = render_greeting(
                birthday, locale, branch_name=org_names.get(birthday.org_id, ""), wish=wishes.get(birthday.org_id)
            )
            markup = oath_button(locale)
        except Exception:
            # A broken template or translation must not cost the others their greeting.
            log.exception("could not render the political-birthday greeting of member %s", birthday.member_id)
            report.note("template_error", birthday.member_id)
            notes[birthday.org_id].append(DayNote(birthday.name, birthday.years, "template_error"))
            continue
        added = await outbox.enqueue(
            session,
            dedup_key=f"birthday:{birthday.member_id}:{day.year}",
            chat_id=birthday.telegram_id,
            member_id=birthday.member_id,
            text=text,
            reply_markup=markup,
            kind="greeting",
            expires_at=expires,
        )
        report.queued += int(added)
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
        report.queued += await _notify_leaders(session, settings, org_id, day, org_notes, expires)
    await _record_run(session, GREETINGS_JOB, report)
    return report


async def _notify_leaders(
    session: AsyncSession,
    settings: Settings,
    org_id: int,
    day: date,
    notes: list[DayNote],
    expires: datetime,
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
            "day": day_label(day, r.locale),
            "on_behalf_of": on_behalf_of,
        },
    )
    sent = await Notifier(session, ServiceEnv.from_settings(settings)).tell(
        recipients,
        message,
        key=f"birthday-note:{org_id}:{day.isoformat()}",
        kind="reminder",
        expires_at=expires,
        skip_render_errors=True,  # a broken note must not cost the others their greetings
    )
    return sent.queued


async def _leaders_to_tell(session: AsyncSession, branch_id: int) -> list[Member]:
    return [m for m in await queries.branch_leaders(session, branch_id) if m.telegram_id is not None]


async def _missed_days(session: AsyncSession, since: date, before: date) -> list[date]:
    """The days in [since, before) on which the bot never ran the greetings (noted as missed by the first run after)."""
    rows = await session.scalars(
        select(BirthdayRun.day).where(
            BirthdayRun.job == GREETINGS_JOB,
            BirthdayRun.status == BirthdayRunStatus.MISSED,
            BirthdayRun.day >= since,
            BirthdayRun.day < before,
        )
    )
    return sorted(rows.all())


async def run_month_lists(session: AsyncSession, settings: Settings, now: datetime | None = None) -> RunReport:
    """On the first day of the month (from the hour): each branch's list to its leaders, counts to administrators."""
    now = now or now_utc()
    day = _local(settings, now).date()
    report = RunReport(day)
    first = day.replace(day=1)
    # On the 1st; or later in the month when the bot was down all through the 1st (a list is useful all month).
    if not _due(settings, now) or (day != first and first not in await _missed_days(session, first, day)):
        report.ran = False
        return report
    # A list is useful all month: it expires at the month's end, not at midnight like a greeting.
    next_month = (date(day.year, day.month, 28) + timedelta(days=4)).replace(day=1)
    expires = local_midnight_utc(next_month, settings.tz)
    tag = f"{day:%Y-%m}"
    branches = (
        await session.scalars(select(Organisation).where(Organisation.kind == OrgKind.BRANCH).order_by(Organisation.id))
    ).all()
    for branch in branches:
        leaders = await _leaders_to_tell(session, branch.id)
        if not leaders:
            continue
        data = await _branch_month(session, branch, day.year, day.month, day)
        if not data.entries and not data.issues:
            continue  # nothing to mark and nothing to fix: no message
        for leader in leaders:
            assert leader.telegram_id is not None
            locale = leader.language or settings.DEFAULT_LOCALE
            report.queued += int(
                await outbox.enqueue(
                    session,
                    dedup_key=f"birthday-month:{branch.id}:{tag}:{leader.id}",
                    chat_id=leader.telegram_id,
                    member_id=leader.id,
                    text=render_month(data, locale),
                    kind="reminder",
                    expires_at=expires,
                )
            )
    admins = (
        await session.scalars(
            select(Member)
            .where(Member.role == Role.ADMIN, Member.active.is_(True), Member.telegram_id.is_not(None))
            .order_by(Member.id)
        )
    ).all()
    for admin in admins:
        assert admin.telegram_id is not None
        counts = await _counts(session, await queries.subtree_ids(session, admin.org_id), day.year, day.month, day)
        if not any(c.birthdays or c.data_to_fix for c in counts):
            continue
        locale = admin.language or settings.DEFAULT_LOCALE
        report.queued += int(
            await outbox.enqueue(
                session,
                dedup_key=f"birthday-counts:{admin.id}:{tag}",
                chat_id=admin.telegram_id,
                member_id=admin.id,
                text=render_counts(counts, day.year, day.month, locale),
                kind="reminder",
                expires_at=expires,
            )
        )
    await _record_run(session, MONTH_JOB, report)
    return report


async def run_theme_reminders(session: AsyncSession, settings: Settings, now: datetime | None = None) -> RunReport:
    """A week before each branch's theme Party day: whose political birthdays that day should mark.

    The day is the 主题党日 meeting the branch scheduled, when there is one in the coming week, or else the
    branch's fixed day of the month; either way its leaders hear once a month.
    """
    now = now or now_utc()
    day = _local(settings, now).date()
    report = RunReport(day)
    if not _due(settings, now):
        report.ran = False
        return report
    # A theme Party day meeting the branch scheduled in the coming week (on its fixed day or not): its reminder now.
    window_start = end_of_local_day_utc(day, settings.tz)
    window_end = end_of_local_day_utc(day + timedelta(days=THEME_REMINDER_DAYS), settings.tz)
    scheduled = (
        await session.execute(
            select(Meeting.org_id, Meeting.starts_at)
            .join(Organisation, Organisation.id == Meeting.org_id)
            .where(
                Organisation.kind == OrgKind.BRANCH,
                Meeting.kind == THEME_DAY_KIND,
                Meeting.status == MeetingStatus.SCHEDULED,
                Meeting.starts_at >= window_start,
                Meeting.starts_at < window_end,
            )
            .order_by(Meeting.starts_at)
        )
    ).all()
    for org_id, starts_at in scheduled:
        branch = await session.get(Organisation, org_id)
        assert branch is not None
        theme = _local(settings, starts_at).date()
        report.queued += await _theme_reminders_for(session, settings, day, theme, [branch])
    # The fixed theme day of the month: today's reminders, and those of the past week's days the bot was down.
    since = day - timedelta(days=THEME_REMINDER_DAYS - 1)
    for reminder_day in [*await _missed_days(session, since, day), day]:
        theme = reminder_day + timedelta(days=THEME_REMINDER_DAYS)
        branches = (
            await session.scalars(
                select(Organisation).where(Organisation.kind == OrgKind.BRANCH, Organisation.theme_day == theme.day)
            )
        ).all()
        report.queued += await _theme_reminders_for(session, settings, day, theme, branches)
    await _record_run(session, THEME_JOB, report)
    return report


async def _theme_reminders_for(
    session: AsyncSession, settings: Settings, day: date, theme: date, branches: Sequence[Organisation]
) -> int:
    """The reminders to ``branches`` of their theme Party day on ``theme``: once a month per branch and leader."""
    queued = 0
    for branch in branches:
        leaders = await _leaders_to_tell(session, branch.id)
        if not leaders:
            continue
        # The theme day of a month marks that month's political birthdays.
        data = await _branch_month(session, branch, theme.year, theme.month, day)
        if not data.entries:
            continue
        for leader in leaders:
            assert leader.telegram_id is not None
            locale = leader.language or settings.DEFAULT_LOCALE
            queued += int(
                await outbox.enqueue(
                    session,
                    dedup_key=f"birthday-theme:{branch.id}:{theme:%Y-%m}:{leader.id}",
                    chat_id=leader.telegram_id,
                    member_id=leader.id,
                    text=render_month(data, locale, reminder_for=theme, days_left=(theme - day).days),
                    kind="reminder",
                    expires_at=end_of_local_day_utc(theme, settings.tz),
                )
            )
    return queued


# --- the command line -----------------------------------------------------------------------------------

# The CLI's lines, marked here so that they belong to this feature's catalog.
CLI_LINE = N_("%(day)s  %(name)s (%(member)s, %(branch)s)  joined %(joined)s  years: %(years)d")
CLI_NONE_ON_DAY = N_("No political birthdays on %(day)s.")
CLI_NONE_IN_MONTH = N_("No political birthdays in %(month)s.")
CLI_DATA_TO_FIX = N_("Data to fix: %(name)s (%(member)s, %(branch)s): %(problem)s")
CLI_BOTH = N_("Give --date or --month, not both.")
CLI_BAD_DATE = N_("--date must be a date written YYYY-MM-DD, for example %(example)s.")
CLI_BAD_MONTH = N_("--month must be a month written YYYY-MM, for example %(example)s.")


@dataclass(frozen=True)
class Listing:
    """Who has a political birthday on a day or in a month, in an organisation's subtree (or everywhere)."""

    entries: list[Birthday]
    issues: list[DataIssue]
    org_names: dict[int, str]


async def listing(
    session: AsyncSession,
    *,
    today: date,
    day: date | None = None,
    month: tuple[int, int] | None = None,
    org: str | None = None,
) -> Listing:
    """For the command line: ``day``'s or ``month``'s birthdays (default: ``today``) under ``org`` (id or code)."""
    org_ids: set[int] | None = None
    group: Organisation | None = None
    if org is not None:
        found = await session.scalar(select(Organisation).where(Organisation.code == org))
        if found is None and org.isdigit():
            found = await session.get(Organisation, int(org))
        if found is None:
            raise NotFound(N_("No such organisation."))
        if found.kind == OrgKind.PARTY_GROUP and found.parent_id is not None:
            group = found  # a Party group's members belong to its branch: list the branch's, keep the group's
            org_ids = {found.parent_id}
        else:
            org_ids = await queries.subtree_ids(session, found.id)
    if month is not None:
        entries = await birthdays_in_month(session, month[0], month[1], today=today, org_ids=org_ids)
    else:
        entries = await birthdays_on(session, day or today, today=today, org_ids=org_ids)
    issues = await data_issues(session, today=today, org_ids=org_ids)
    if group is not None:
        in_group = set(
            (await session.scalars(select(Member.id).where(Member.group_id == group.id, Member.active.is_(True)))).all()
        )
        entries = [e for e in entries if e.member_id in in_group]
        issues = [i for i in issues if i.member_id in in_group]
    org_names = {o.id: o.name for o in await queries.all_organisations(session)}
    return Listing(entries, issues, org_names)
