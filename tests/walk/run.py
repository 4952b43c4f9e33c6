"""Run the walks: one fresh database per person and language, time frozen, the bot offline."""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import time_machine
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import _post_init, build_application
from bot.config import Settings, load_settings
from bot.db import Database
from bot.demo import seed_demo, seed_showcase, telegram_id_of
from bot.environment import ServiceEnv
from bot.offline import OfflineRequest
from bot.services.meetings import send_due_reminders
from storage.models import Member
from tests.walk.database import start_ids_high
from tests.walk.walker import ARGUMENTS, GROUP_CHAT, Walk, Walker, button_patterns, command_names

# Wednesday 2 December 2026, 10:00 in Dongguan: the walk's "now", so the goldens do not move with the calendar.
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
PEOPLE = {"secretary": "A01", "member": "A03", "admin": "ADM1"}
LOCALES = ("zh_CN", "en")
WALKS = [(role, locale) for role in PEOPLE for locale in LOCALES]
FREE_TEXT = {"zh_CN": "怎样开展主题党日", "en": "How do we hold a theme Party day?"}


def telegram_id(member_no: str) -> int:
    return 100001 if member_no == "ADM1" else telegram_id_of(member_no)


@contextmanager
def _clean_environment(root: Path) -> Iterator[None]:
    """The developer's environment and .env file left out while settings are read."""
    saved = {name: os.environ.pop(name) for name in list(os.environ) if name in Settings.model_fields}
    cwd = Path.cwd()
    os.chdir(root)
    try:
        yield
    finally:
        os.chdir(cwd)
        os.environ.update(saved)


def walk_settings(root: Path) -> Settings:
    """Settings of one walk alone, every path in ``root`` (walks run side by side, so none depends on the cwd)."""
    with _clean_environment(root):
        return load_settings(
            DATABASE_URL=f"sqlite+aiosqlite:///{root / 'walk.sqlite3'}", LEDGER_DIR=str(root / "ledgers")
        )


async def _prepare(path: Path, template: Path, settings: Settings, locale: str) -> Database:
    shutil.copyfile(template, path)
    database = Database(settings.DATABASE_URL)
    if locale != settings.DEFAULT_LOCALE:
        async with database.session() as session:
            await session.execute(update(Member).values(language=locale))
    return database


async def run_walk(role: str, locale: str, root: Path, template: Path) -> Walk:
    """One person's walk in one language (``root`` exists)."""
    person = PEOPLE[role]
    settings = walk_settings(root)
    database = await _prepare(root / "walk.sqlite3", template, settings, locale)
    request = OfflineRequest()
    application = build_application(
        settings,
        db=database,
        request=request,
        get_updates_request=OfflineRequest(),
        rate_limit=False,
        start_jobs=False,
    )
    await application.initialize()
    await _post_init(application)
    try:
        names = {telegram_id(no): no for no in ("ADM1", "A01", "A02", "A03", "A04", "A05", "A08", "B01", "B02", "B03")}
        patterns = button_patterns(application)
        walk = Walk(role, locale, person, patterns=sorted(patterns))
        secretary = Walker(application, request, Walk("secretary", locale, "A01"), telegram_id("A01"), names)
        await secretary.say("/linkgroup", in_group=True)  # the branch's group chat, linked before the walk
        # The reminders' job, once: check-in of today's Party lesson opens in the group (delivered with the first
        # screen of the walk, then pressed in the group).
        async with database.session() as session:
            await send_due_reminders(session, env=ServiceEnv.from_settings(settings), settings=settings, now=NOW)
        in_flow = _in_flow(root / "walk.sqlite3")
        walker = Walker(
            application, request, walk, telegram_id(person), names, _outbox_size(root / "walk.sqlite3"), in_flow
        )
        for in_group in (False, True):
            if in_group:  # the buttons of what the private walk made the bot post in the group (notices)
                await walker.explore(walker.group_screens, in_group=True)
            for name in command_names(application):
                for text in (f"/{name}", *(f"/{name} {a}" for a in ARGUMENTS.get(name, ()))):
                    first = await walker.say(text, in_group=in_group)
                    await walker.explore(await walker.run_script(text, first, in_group=in_group), in_group=in_group)
                    # Leave whatever flow the command opened, unrecorded (/cancel is walked as a command).
                    if in_flow(walker.user_id):
                        await application.process_update(
                            walker.updates.message(
                                walker.user_id,
                                "/cancel",
                                chat_id=GROUP_CHAT if in_group else None,
                                language_code=walker.language_code,
                            )
                        )
            if not in_group:
                await walker.explore(await walker.say(FREE_TEXT[locale]), in_group=False)
        walk.reached = {name for name, test in patterns.items() if any(test(d) for d in walk.pressed)}
    finally:
        await application.shutdown()
        await database.dispose()
    assert not request.invalid, request.invalid[:3]
    return walk


async def _pending_report(session: AsyncSession, settings: Settings) -> None:
    """Two members' self-reports waiting for the branch's decision, so the leaders' approval buttons show (one at a time, and together)."""
    from bot.services.access import Actor
    from bot.services.volunteer.reports import ReportInput, submit_report
    from bot.services.volunteer.timing import VolunteerConfig
    from storage import core as core_store

    members = await core_store.members_by_number(session)
    last_outbox_id = await core_store.last_outbox_id(session)
    for member_no, days, hours in (("A05", 1, 2.0), ("A04", 2, 1.5)):
        report = ReportInput(
            day=NOW.date() - timedelta(days=days), description="社区环境整治", hours=hours, place="花园社区"
        )
        actor = Actor.of(members[member_no], settings.DEFAULT_LOCALE)
        await submit_report(
            session,
            actor,
            report,
            VolunteerConfig.from_settings(settings),
            env=ServiceEnv.from_settings(settings),
            now=NOW,
        )
    await core_store.settle_outbox_after(session, last_outbox_id, NOW)  # its notice is history, not a push


async def _on_the_walks_day(session: AsyncSession, settings: Settings) -> None:
    """What the demo does not have on the walk's day but some screens need, so that their buttons are pressed:
    a second Party group in branch A (scheduling a Party group meeting asks which one), branch B's meetings of
    the coming week (with branch A's, more than one page of /meetings for the administrator), a Party lesson of
    branch A whose check-in opens now (the group's check-in button, posted once the group is linked), and a
    volunteer activity under way with a member checked in (locating oneself, correcting hours), beside
    yesterday's whose check-out was closed automatically (confirming hours)."""
    from sqlalchemy import select

    from bot.services import meetings, volunteer
    from bot.services.access import Actor
    from bot.services.volunteer.timing import VolunteerConfig
    from storage import core as core_store
    from storage.models import Organisation, OrgKind
    from storage.volunteer import Community

    env = ServiceEnv.from_settings(settings)
    members = await core_store.members_by_number(session)
    last_outbox_id = await core_store.last_outbox_id(session)
    today = NOW.date()

    def at(day: date, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(day, time(hour, minute), tzinfo=NOW.tzinfo)

    def actor(member_no: str) -> Actor:
        return Actor.of(members[member_no], settings.DEFAULT_LOCALE)

    branch_a, branch_b = members["A01"].org_id, members["B01"].org_id
    session.add(Organisation(code="DEMO-B1-G2", name="第二党小组", kind=OrgKind.PARTY_GROUP, parent_id=branch_a))
    for n in range(7):
        day = today + timedelta(days=n + 1)
        draft = meetings.Draft(
            kind=("committee_meeting", "party_lesson")[n % 2],
            starts_at=at(day, 15),
            ends_at=at(day, 16),
            place="二楼会议室",
        )
        await meetings.schedule_meeting(session, None, branch_b, draft, env=env)
    lesson = meetings.Draft(
        kind="party_lesson", starts_at=at(today, 10, 15), ends_at=at(today, 11, 30), place="三楼会议室"
    )
    await meetings.schedule_meeting(session, None, branch_a, lesson, env=env)

    garden = await session.scalar(select(Community).where(Community.name == "花园社区"))
    assert garden is not None
    cfg = VolunteerConfig.from_settings(settings)
    for title, starts, ends in (
        ("社区环境整治", at(today, 9), at(today, 11, 30)),
        ("关爱儿童志愿服务", at(today, 9) - timedelta(days=1), at(today, 11) - timedelta(days=1)),
    ):
        draft = volunteer.ActivityDraft(
            title=title, community_id=garden.id, starts_at=starts, ends_at=ends, slots=6, place="花园社区党群服务中心"
        )
        activity = await volunteer.create_activity(
            session, None, draft, cfg, env=env, dispatch_to=[branch_a], now=starts - timedelta(days=3)
        )
        for member_no in ("A03", "A05"):
            await volunteer.sign_up(session, actor(member_no), activity.id, now=starts - timedelta(days=2))
        await volunteer.check_in(
            session, actor("A05"), activity.id, env=env, method="qr", now=starts + timedelta(minutes=5)
        )
    await volunteer.close_forgotten_checkouts(session, env=env, now=NOW)
    await core_store.settle_outbox_after(session, last_outbox_id, NOW)  # history, not pushes


async def _ratings_under_way(session: AsyncSession, settings: Settings) -> None:
    """Last year's star ratings under way, so that the steps of a closed year show their buttons: branch A's
    under public notice (the secretary may object, an administrator publish), branch B's objected (an
    administrator answers). Stored as the steps leave them (announcing itself needs the unit's own rules)."""
    from sqlalchemy import select

    from bot.services.points.stars import ratings, snapshot
    from storage.models import Organisation
    from storage.points import StarRating, StarStatus

    year = NOW.year - 1
    branches = list(await session.scalars(select(Organisation).where(Organisation.code.in_(("DEMO-B1", "DEMO-B2")))))
    branches.sort(key=lambda org: org.code)
    found = await ratings(session, branches, year, NOW.date(), settings.tz)
    for branch, stars, status in zip(branches, found, (StarStatus.ANNOUNCED, StarStatus.OBJECTED), strict=True):
        session.add(
            StarRating(
                branch_id=branch.id,
                year=year,
                status=status,
                self_scores={},
                adjustments={},
                revision=3,
                result=snapshot(stars),
                announced_on=NOW.date() - timedelta(days=2),
                notice_ends_on=NOW.date() + timedelta(days=5),
                objection="志愿服务比例统计有误，请复核" if status == StarStatus.OBJECTED else None,
            )
        )


def _in_flow(path: Path) -> Callable[[int], bool]:
    """Whether a person is in a guided flow (handlers/flows.py keeps it in the database)."""

    def in_flow(user_id: int) -> bool:
        connection = sqlite3.connect(path)
        try:
            row = connection.execute("SELECT flow FROM flow_state WHERE user_id = ?", (user_id,)).fetchone()
            return row is not None and row[0] is not None
        finally:
            connection.close()

    return in_flow


def _outbox_size(path: Path) -> Callable[[], int]:
    def size() -> int:
        connection = sqlite3.connect(path)
        try:
            return int(connection.execute("SELECT coalesce(max(id), 0) FROM outbox").fetchone()[0])
        finally:
            connection.close()

    return size


async def _template(root: Path) -> Path:
    """The walks' starting database, made once: migrated, ids from 70001, the demo and its showcase."""
    path = root / "template.sqlite3"
    database = Database(f"sqlite+aiosqlite:///{path}")
    await database.upgrade()
    await database.dispose()
    start_ids_high(path)
    settings = walk_settings(root)
    database = Database(f"sqlite+aiosqlite:///{path}")
    async with database.session() as session:
        await seed_demo(session)
        await seed_showcase(session, settings, ServiceEnv.from_settings(settings), now=NOW)
        await _pending_report(session, settings)
        await _on_the_walks_day(session, settings)
        await _ratings_under_way(session, settings)
    await database.dispose()
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    return path


class Walks:
    """The walks, each run when first asked for (one walk alone: ``pytest tests/test_walk.py -k secretary-zh_CN``),
    time frozen at :data:`NOW`; the starting database is made once."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._template: Path | None = None
        self._done: dict[tuple[str, str], Walk] = {}

    def get(self, role: str, locale: str) -> Walk:
        if (role, locale) not in self._done:
            with time_machine.travel(NOW, tick=False):
                self._done[(role, locale)] = asyncio.run(self._run(role, locale))
        return self._done[(role, locale)]

    def all(self) -> dict[tuple[str, str], Walk]:
        """Every walk; those not run yet run side by side (each its own bot and database), which makes good use of
        the time one spends waiting for SQLite's thread."""
        missing = [key for key in WALKS if key not in self._done]
        if missing:

            async def run_all() -> list[Walk]:
                if self._template is None:
                    self._template = await _template(self.root)
                return list(await asyncio.gather(*(self._run(role, locale) for role, locale in missing)))

            with time_machine.travel(NOW, tick=False):
                self._done.update(zip(missing, asyncio.run(run_all()), strict=True))
        return {key: self._done[key] for key in WALKS}

    async def _run(self, role: str, locale: str) -> Walk:
        if self._template is None:
            self._template = await _template(self.root)
        folder = self.root / f"{role}-{locale}"
        folder.mkdir()
        return await run_walk(role, locale, folder, self._template)


def run_walks(root: Path) -> dict[tuple[str, str], Walk]:
    """Every walk."""
    return Walks(root).all()
