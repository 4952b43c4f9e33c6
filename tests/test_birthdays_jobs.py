"""Political birthdays, the scheduler: the local hour and day, catch-up, midnight, restarts, two replicas, lists."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from jinja2 import UndefinedError
from sqlalchemy import select
from telegram import Bot

from bot.app import _post_init, build_application
from bot.config import Settings
from bot.context import BranchContext
from bot.db import Database
from bot.demo import DemoIds, seed_demo, telegram_id_of
from bot.environment import ServiceEnv
from bot.jobs.birthdays import BIRTHDAYS_JOB_ID, birthdays_job
from bot.jobs.birthdays import run_birthdays as run_job
from bot.offline import OfflineRequest
from bot.outbox_worker import OutboxWorker
from bot.services import birthdays
from storage.birthdays import BirthdayRun
from storage.models import Member, Organisation, OutboxMessage, OutboxStatus
from tests.meetings_helpers import env_of


async def run_birthdays(db: Database, settings: Settings) -> dict[str, birthdays.RunReport]:
    """The job's run with the environment the running bot builds from ``settings``."""
    return await run_job(db, settings, ServiceEnv.from_settings(settings))


SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(year: int, month: int, day: int, hour: int = 9, minute: int = 0, second: int = 0) -> datetime:
    """A wall-clock time in Dongguan."""
    return datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI)


async def outbox(db: Database, prefix: str = "") -> list[OutboxMessage]:
    async with db.session() as session:
        rows = (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    return [row for row in rows if row.dedup_key.startswith(prefix)]


async def member_id(db: Database, member_no: str) -> int:
    async with db.session() as session:
        member = await session.scalar(select(Member).where(Member.member_no == member_no))
        assert member is not None
        return member.id


async def change(db: Database, member_no: str, **values: object) -> None:
    async with db.session() as session:
        member = await session.scalar(select(Member).where(Member.member_no == member_no))
        assert member is not None
        for key, value in values.items():
            setattr(member, key, value)


async def greeted(db: Database) -> set[int]:
    """Member ids with a greeting in the outbox."""
    return {row.member_id for row in await outbox(db, "birthday:") if row.member_id is not None}


class Worker:
    """An outbox worker with its own offline Bot API, as another process would have."""

    def __init__(self, db: Database) -> None:
        self.request = OfflineRequest()
        self.bot = Bot("123456:offline-test-token-00000000000", request=self.request)
        self.worker = OutboxWorker(db, self.bot, rate_per_second=1000)

    async def drain(self) -> int:
        return await self.worker.drain(budget_seconds=3.0)

    def messages(self) -> list[tuple[int | None, str]]:
        return [(c.chat_id, c.text) for c in self.request.sent(method="sendMessage")]


@pytest.fixture
async def worker(db: Database) -> AsyncIterator[Worker]:
    made = Worker(db)
    await made.bot.initialize()
    yield made
    await made.bot.shutdown()


async def test_nothing_before_the_hour_then_the_days_greetings(db: Database, demo: DemoIds, settings: Settings) -> None:
    with time_machine.travel(local(2026, 11, 26, 8, 59, 59), tick=False):
        reports = await run_birthdays(db, settings)
    assert reports["greetings"].ran is False
    assert await outbox(db) == []
    with time_machine.travel(local(2026, 11, 26, 9, 0), tick=False):
        reports = await run_birthdays(db, settings)
    rows = await outbox(db)
    a03, b03 = await member_id(db, "A03"), await member_id(db, "B03")
    assert sorted(r.dedup_key for r in rows) == sorted([f"birthday:{a03}:2026", f"birthday:{b03}:2026"])
    assert {r.chat_id for r in rows} == {telegram_id_of("A03"), telegram_id_of("B03")}
    assert all(r.kind == "greeting" for r in rows)
    # They expire at the next local midnight: 2026-11-27 00:00 in Shanghai is 16:00 UTC on the 26th.
    assert {r.expires_at for r in rows} == {datetime(2026, 11, 26, 16, 0, tzinfo=UTC)}
    zhang = next(r for r in rows if r.member_id == a03).payload
    assert "张伟同志，政治生日快乐！" in zhang["text"]
    assert "2014年11月26日，您光荣地加入了中国共产党。" in zhang["text"]
    assert "今天是您入党第12周年。" in zhang["text"]
    assert "第一党支部祝您政治生日快乐！" in zhang["text"]
    assert zhang["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "bd:oath"
    assert reports["greetings"].queued == 2


async def test_the_day_is_the_local_day_not_the_utc_day(db: Database, demo: DemoIds, settings: Settings) -> None:
    # 18:00 UTC on the 26th is 02:00 on the 27th in Shanghai: too early for the 27th, too late for the 26th.
    with time_machine.travel(datetime(2026, 11, 26, 18, 0, tzinfo=UTC), tick=False):
        await run_birthdays(db, settings)
    assert await outbox(db) == []
    # 20:00 UTC on the 25th is 04:00 on the 26th: the 26th has begun, but its hour has not come.
    with time_machine.travel(datetime(2026, 11, 25, 20, 0, tzinfo=UTC), tick=False):
        await run_birthdays(db, settings)
    assert await outbox(db) == []
    # 02:00 UTC on the 26th is 10:00 local: the 26th's greetings.
    with time_machine.travel(datetime(2026, 11, 26, 2, 0, tzinfo=UTC), tick=False):
        await run_birthdays(db, settings)
    assert await greeted(db) == {await member_id(db, "A03"), await member_id(db, "B03")}


async def test_the_hour_is_a_setting(db: Database, demo: DemoIds, settings: Settings) -> None:
    settings.BIRTHDAY_HOUR = 14
    with time_machine.travel(local(2026, 11, 26, 13, 59), tick=False):
        await run_birthdays(db, settings)
    assert await outbox(db) == []
    with time_machine.travel(local(2026, 11, 26, 14, 0), tick=False):
        await run_birthdays(db, settings)
    assert len(await greeted(db)) == 2


async def test_late_start_catches_up_before_midnight_and_drops_after(
    db: Database, demo: DemoIds, settings: Settings, worker: Worker, caplog: pytest.LogCaptureFixture
) -> None:
    # The bot comes up at 23:59 local: the day's greetings are still queued...
    with time_machine.travel(local(2026, 11, 26, 23, 59), tick=False):
        await run_birthdays(db, settings)
    assert len(await greeted(db)) == 2
    # ...but the worker only gets to them after midnight: dropped and logged, not sent late.
    with time_machine.travel(local(2026, 11, 27, 0, 0, 1), tick=False):
        caplog.set_level(logging.WARNING, logger="bot.outbox_worker")
        assert await worker.drain() == 0
        await run_birthdays(db, settings)  # the 27th's catch-up, before its hour: nothing
    assert worker.messages() == []
    assert {r.status for r in await outbox(db)} == {OutboxStatus.DROPPED}
    assert sum("expired before it could be sent" in m for m in caplog.messages) == 2
    # At the 27th's hour nobody is greeted again for the 26th (nobody has the 27th).
    with time_machine.travel(local(2026, 11, 27, 9, 0), tick=False):
        await run_birthdays(db, settings)
        await worker.drain()
    assert worker.messages() == [] and len(await outbox(db)) == 2


async def test_a_late_start_the_same_day_still_sends(
    db: Database, demo: DemoIds, settings: Settings, worker: Worker
) -> None:
    with time_machine.travel(local(2026, 11, 26, 23, 58), tick=False):
        await run_birthdays(db, settings)
        assert await worker.drain() == 2
    assert {chat for chat, _ in worker.messages()} == {telegram_id_of("A03"), telegram_id_of("B03")}


async def test_firing_twice_and_a_restart_send_each_greeting_once(
    db: Database, demo: DemoIds, settings: Settings, worker: Worker
) -> None:
    with time_machine.travel(local(2026, 11, 26, 9, 0), tick=False):
        first = await run_birthdays(db, settings)
        second = await run_birthdays(db, settings)  # the job firing twice
        assert await worker.drain() == 2
    assert (first["greetings"].queued, second["greetings"].queued) == (2, 0)
    # A restart: a new application on the same database; its catch-up runs the job once more in the afternoon.
    second_process_db = Database(db.url)
    restarted = build_application(
        settings,
        db=second_process_db,
        request=OfflineRequest(),
        get_updates_request=OfflineRequest(),
        rate_limit=False,
        start_jobs=False,
    )
    await restarted.initialize()
    try:
        with time_machine.travel(local(2026, 11, 26, 15, 0), tick=False):
            await birthdays_job(BranchContext(restarted))
            assert await worker.drain() == 0
    finally:
        await restarted.shutdown()
        await second_process_db.dispose()
    assert len(worker.messages()) == 2 and len(await outbox(db)) == 2
    async with db.session() as session:
        run = await session.scalar(select(BirthdayRun).where(BirthdayRun.job == "greetings"))
    assert run is not None and (run.day, run.runs, run.queued, run.status) == (date(2026, 11, 26), 3, 2, "done")


async def test_the_running_bot_schedules_the_daily_job_and_catches_up_at_start(
    db: Database, demo: DemoIds, settings: Settings
) -> None:
    request = OfflineRequest()
    application = build_application(
        settings, db=db, request=request, get_updates_request=OfflineRequest(), rate_limit=False, start_jobs=True
    )
    with time_machine.travel(local(2026, 11, 26, 15, 0), tick=True):
        await application.initialize()
        await _post_init(application)
        assert application.job_queue is not None
        await application.start()
        try:
            scheduler = application.job_queue.scheduler
            daily = scheduler.get_job(BIRTHDAYS_JOB_ID)
            assert daily is not None and daily.next_run_time == local(2026, 11, 27, 9, 0)
            assert daily.misfire_grace_time is None and daily.coalesce  # asleep at 09:00: runs on waking, once
            assert scheduler.get_job(f"{BIRTHDAYS_JOB_ID}:catch-up") is not None
            for _ in range(100):  # the catch-up runs a second after start, the outbox job sends
                greetings = [c for c in request.sent(method="sendMessage") if "政治生日快乐" in c.text]
                if len(greetings) == 2:
                    break
                await asyncio.sleep(0.05)
        finally:
            await application.stop()
            await application.shutdown()
    assert {c.chat_id for c in greetings} == {telegram_id_of("A03"), telegram_id_of("B03")}


async def test_29_february_members_are_greeted_on_28_february_in_common_years(
    db: Database, demo: DemoIds, settings: Settings
) -> None:
    a04 = await member_id(db, "A04")  # 刘洋 joined 2008-02-29
    with time_machine.travel(local(2027, 2, 28, 9, 0), tick=False):
        await run_birthdays(db, settings)
    with time_machine.travel(local(2028, 2, 28, 9, 0), tick=False):
        await run_birthdays(db, settings)  # a leap year: not on the 28th...
    with time_machine.travel(local(2028, 2, 29, 9, 0), tick=False):
        await run_birthdays(db, settings)  # ...but on the 29th
    rows = {r.dedup_key: r for r in await outbox(db, "birthday:")}
    assert set(rows) == {f"birthday:{a04}:2027", f"birthday:{a04}:2028"}
    assert "今天是您入党第19周年。" in rows[f"birthday:{a04}:2027"].payload["text"]
    assert rows[f"birthday:{a04}:2028"].expires_at == datetime(2028, 2, 29, 16, 0, tzinfo=UTC)
    assert "今天是您入党第20周年。" in rows[f"birthday:{a04}:2028"].payload["text"]


async def test_first_year_members_and_those_who_turned_it_off_get_no_greeting(
    db: Database, demo: DemoIds, settings: Settings
) -> None:
    await change(db, "A05", join_date=date(2026, 11, 26))  # joined this very day
    await change(db, "B02", join_date=date(2025, 11, 26))  # a year ago: the first anniversary
    from bot.services.access import Actor

    async with db.session() as session:
        member = await session.scalar(select(Member).where(Member.member_no == "A03"))
        assert member is not None
        await birthdays.set_greetings(session, Actor.of(member, "zh_CN"), False)
    with time_machine.travel(local(2026, 11, 26, 9, 30), tick=False):
        await run_birthdays(db, settings)
    assert await greeted(db) == {await member_id(db, "B02"), await member_id(db, "B03")}
    b02_id = await member_id(db, "B02")
    b02 = next(r for r in await outbox(db, "birthday:") if r.member_id == b02_id)
    assert "今天是您入党第1周年。" in b02.payload["text"]
    assert await outbox(db, "birthday-note:") == []  # turning it off is a choice, not a problem to report


async def test_members_not_on_telegram_or_blocked_are_reported_to_their_leaders(
    db: Database, demo: DemoIds, settings: Settings, worker: Worker
) -> None:
    await change(db, "A03", telegram_id=None)
    await change(db, "B03", unreachable_since=datetime(2026, 10, 1, tzinfo=UTC))
    with time_machine.travel(local(2026, 11, 26, 9, 0), tick=False):
        await run_birthdays(db, settings)
        await worker.drain()
    assert await greeted(db) == {await member_id(db, "B03")}  # a block may have been lifted: still try
    texts = dict(worker.messages())
    for leader in ("A01", "A02"):
        assert "张伟（入党第12周年）：未使用 Telegram，请当面送上祝福。" in texts[telegram_id_of(leader)]
    assert "吴强（入党第10周年）：已屏蔽本机器人" in texts[telegram_id_of("B01")]
    async with db.session() as session:
        run = await session.scalar(select(BirthdayRun).where(BirthdayRun.job == "greetings"))
    assert run is not None
    assert run.details == {"not_on_telegram": [await member_id(db, "A03")], "blocked": [await member_id(db, "B03")]}


async def test_bad_join_dates_are_reported_and_do_not_stop_the_others(
    db: Database, demo: DemoIds, settings: Settings, worker: Worker
) -> None:
    await change(db, "B02", join_date=date(2030, 11, 26))  # in the future (came in by another path)
    await change(db, "A05", join_date=date(1900, 11, 26))  # before the Party was founded
    with time_machine.travel(local(2026, 11, 26, 9, 0), tick=False):
        await run_birthdays(db, settings)
        await worker.drain()
    assert await greeted(db) == {await member_id(db, "A03"), await member_id(db, "B03")}
    texts = dict(worker.messages())
    assert (
        "周敏：入党日期2030年11月26日是将来的日期，因此未发送祝福。请在花名册中更正入党日期。"
        in (texts[telegram_id_of("B01")])
    )
    assert "陈静：入党日期1900年11月26日早于建党日期（1921年7月1日）" in texts[telegram_id_of("A01")]


async def test_a_template_error_for_one_member_is_logged_and_reported_the_others_still_go_out(
    db: Database,
    demo: DemoIds,
    settings: Settings,
    worker: Worker,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    original = birthdays.render_greeting

    def broken(birthday: birthdays.Birthday, locale: str, **kw: object) -> str:
        if birthday.name == "张伟":
            raise UndefinedError("'years' is undefined")  # say, a translation with a mistyped placeholder
        return original(birthday, locale, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(birthdays.texts, "render_greeting", broken)  # what the daily run calls
    caplog.set_level(logging.ERROR, logger="bot.services.birthdays")
    with time_machine.travel(local(2026, 11, 26, 9, 0), tick=False):
        await run_birthdays(db, settings)
        await worker.drain()
    assert await greeted(db) == {await member_id(db, "B03")}
    assert any("could not render the political-birthday greeting" in m for m in caplog.messages)
    texts = dict(worker.messages())
    assert (
        "张伟（入党第12周年）：祝福消息生成失败（错误已记录，供管理员处理），请当面送上祝福。"
        in (texts[telegram_id_of("A01")])
    )
    assert "政治生日快乐" in texts[telegram_id_of("B03")]


async def test_a_day_the_bot_was_down_is_logged_and_never_sent_late(
    db: Database, demo: DemoIds, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    async with db.session() as session:
        branch = await session.get(Organisation, demo.branch_a)
        assert branch is not None
        session.add(Member(member_no="A08", name="钱进", org_id=branch.id, join_date=date(2010, 11, 25), telegram_id=5))
    a08 = await member_id(db, "A08")
    with time_machine.travel(local(2026, 11, 24, 9, 0), tick=False):
        await run_birthdays(db, settings)
    caplog.set_level(logging.WARNING, logger="bot.services.birthdays")
    with time_machine.travel(local(2026, 11, 26, 9, 0), tick=False):  # the 25th never had its run
        await run_birthdays(db, settings)
    assert a08 not in await greeted(db)
    warnings = [m for m in caplog.messages if "were not sent" in m]
    assert len(warnings) == 1 and "2026-11-25" in warnings[0] and str(a08) in warnings[0]
    caplog.clear()
    with time_machine.travel(local(2026, 11, 26, 12, 0), tick=False):
        await run_birthdays(db, settings)  # a second run that day does not log it again
    assert not [m for m in caplog.messages if "were not sent" in m]
    async with db.session() as session:
        runs = {r.day: r for r in (await session.scalars(select(BirthdayRun).where(BirthdayRun.job == "greetings")))}
    assert runs[date(2026, 11, 25)].status == "missed"
    assert runs[date(2026, 11, 25)].details == {"not_sent": [a08]}
    assert runs[date(2026, 11, 26)].status == "done"


async def test_first_of_month_lists_for_leaders_and_counts_for_administrators_once(
    db: Database, demo: DemoIds, settings: Settings, worker: Worker
) -> None:
    with time_machine.travel(local(2026, 12, 1, 9, 0), tick=False):
        await run_birthdays(db, settings)
        await run_birthdays(db, settings)
    with time_machine.travel(local(2026, 12, 2, 9, 0), tick=False):
        await run_birthdays(db, settings)
        await worker.drain()
    keys = sorted(r.dedup_key for r in await outbox(db) if not r.dedup_key.startswith("birthday:"))
    assert keys == sorted(
        [
            f"birthday-month:{demo.branch_a}:2026-12:{demo.secretary_a}",
            f"birthday-month:{demo.branch_a}:2026-12:{demo.committee_a}",
            f"birthday-counts:2026-12:{demo.admin}",
        ]
    )  # branch B has no birthday in December and no date to fix: no message
    texts = dict(worker.messages())
    secretary = texts[telegram_id_of("A01")]
    assert "第一党支部2026年12月政治生日" in secretary
    assert "12月1日 · 陈静 · 2019年12月1日入党 · 第7周年" in secretary
    assert "赵磊：未录入入党日期" in secretary
    admin = texts[100001]
    assert "第一党支部：政治生日1人" in admin and "第二党支部：政治生日0人" in admin
    assert "1人入党日期待更正" in admin


async def test_a_week_before_the_theme_day_leaders_learn_whose_birthdays_to_mark(
    db: Database, demo: DemoIds, settings: Settings, worker: Worker
) -> None:
    # Branch B's theme day is the 20th: on 13 November it is a week away, and 吴强's birthday is in November.
    with time_machine.travel(local(2026, 11, 13, 9, 0), tick=False):
        await run_birthdays(db, settings)
        await run_birthdays(db, settings)
        await worker.drain()
    assert [r.dedup_key for r in await outbox(db)] == [f"birthday-theme:{demo.branch_b}:2026-11:{demo.secretary_b}"]
    text = dict(worker.messages())[telegram_id_of("B01")]
    assert "距11月20日（周五）主题党日还有一周。" in text and "吴强" in text
    # A theme day early in the month is a week away in the month before: branch A's moves to the 3rd.
    async with db.session() as session:
        branch = await session.get(Organisation, demo.branch_a)
        assert branch is not None
        branch.theme_day = 3
    with time_machine.travel(local(2026, 11, 26, 9, 0), tick=False):
        await run_birthdays(db, settings)
        await worker.drain()
    theme = [r for r in await outbox(db, "birthday-theme:") if r.chat_id == telegram_id_of("A01")]
    assert [r.dedup_key for r in theme] == [f"birthday-theme:{demo.branch_a}:2026-12:{demo.secretary_a}"]
    assert "陈静" in theme[0].payload["text"] and "张伟" not in theme[0].payload["text"]


async def test_a_branch_with_no_leader_on_telegram_has_its_notes_go_to_the_administrators_above(
    db: Database, demo: DemoIds, settings: Settings, worker: Worker
) -> None:
    await change(db, "B01", telegram_id=None)  # branch B's secretary is not on Telegram
    await change(db, "B03", telegram_id=None)  # and 吴强, whose birthday it is, neither
    with time_machine.travel(local(2026, 11, 26, 9, 0), tick=False):
        await run_birthdays(db, settings)
        await worker.drain()
    notes = await outbox(db, "birthday-note:")
    assert [(r.dedup_key, r.chat_id) for r in notes] == [
        (f"birthday-note:{demo.branch_b}:2026-11-26:{demo.admin}", 100001)
    ]
    text = dict(worker.messages())[100001]
    assert "第二党支部没有可以通知的支部书记（未使用 Telegram），因此通知您。" in text
    assert "吴强（入党第10周年）：未使用 Telegram，请当面送上祝福。" in text


async def test_month_lists_and_theme_reminders_catch_up_when_the_bot_was_down_on_their_day(
    db: Database, demo: DemoIds, settings: Settings
) -> None:
    async with db.session() as session:
        branch = await session.get(Organisation, demo.branch_a)
        assert branch is not None
        branch.theme_day = 7  # its reminder is due on 30 November, while the bot is down
    with time_machine.travel(local(2026, 11, 29, 9, 0), tick=False):
        await run_birthdays(db, settings)
    # Down from the 30th to the 2nd: the month's lists and the theme-day reminder come on the 3rd...
    with time_machine.travel(local(2026, 12, 3, 9, 0), tick=False):
        reports = await run_birthdays(db, settings)
        await run_birthdays(db, settings)
    assert reports["month"].ran and reports["theme"].ran
    keys = sorted(r.dedup_key for r in await outbox(db) if not r.dedup_key.startswith("birthday:"))
    assert keys == sorted(
        [
            f"birthday-month:{demo.branch_a}:2026-12:{demo.secretary_a}",
            f"birthday-month:{demo.branch_a}:2026-12:{demo.committee_a}",
            f"birthday-counts:2026-12:{demo.admin}",
            f"birthday-theme:{demo.branch_a}:2026-12:{demo.secretary_a}",
            f"birthday-theme:{demo.branch_a}:2026-12:{demo.committee_a}",
        ]
    )
    [theme] = [r for r in await outbox(db, "birthday-theme:") if r.chat_id == telegram_id_of("A01")]
    assert "距12月7日（周一）主题党日还有4天。" in theme.payload["text"] and "陈静" in theme.payload["text"]
    # ...but a bot that simply starts on the 3rd (no day missed) sends no month list late.
    other = Database(db.url.replace("test.sqlite3", "other.sqlite3"))
    await other.upgrade()
    try:
        async with other.session() as session:
            await seed_demo(session)
        with time_machine.travel(local(2026, 12, 3, 9, 0), tick=False):
            reports = await run_birthdays(other, settings)
        assert not reports["month"].ran
        assert [r for r in await outbox(other) if r.dedup_key.startswith("birthday-month")] == []
    finally:
        await other.dispose()


async def test_a_scheduled_theme_day_meeting_brings_its_reminder_once(
    db: Database, demo: DemoIds, settings: Settings
) -> None:
    from bot.services import meetings

    async with db.session() as session:
        # Branch B holds November's theme Party day on the 18th, not on its fixed 20th; a committee meeting
        # and a cancelled theme day elsewhere bring nothing.
        for branch, kind, day in ((demo.branch_b, "theme_day", 18), (demo.branch_a, "committee_meeting", 17)):
            await meetings.schedule_meeting(
                session,
                None,
                branch,
                meetings.Draft(kind=kind, starts_at=local(2026, 11, day, 14, 30)),
                env=env_of(settings),
            )
        cancelled = await meetings.schedule_meeting(
            session,
            None,
            demo.branch_a,
            meetings.Draft(kind="theme_day", starts_at=local(2026, 11, 16, 14, 30)),
            env=env_of(settings),
        )
        cancelled.status = "cancelled"
    with time_machine.travel(local(2026, 11, 10, 9, 0), tick=False):  # eight days ahead: not yet
        await run_birthdays(db, settings)
    assert await outbox(db, "birthday-theme:") == []
    for day in (13, 14):  # five days ahead (and the fixed day a week ahead); then again the next day
        with time_machine.travel(local(2026, 11, day, 9, 0), tick=False):
            await run_birthdays(db, settings)
    [reminder] = await outbox(db, "birthday-theme:")
    assert reminder.dedup_key == f"birthday-theme:{demo.branch_b}:2026-11:{demo.secretary_b}"
    assert "距11月18日（周三）主题党日还有5天。" in reminder.payload["text"] and "吴强" in reminder.payload["text"]


async def test_two_replicas_run_the_job_and_drain_at_once_and_send_each_greeting_once(
    any_db: Database, settings: Settings
) -> None:
    async with any_db.session() as session:
        ids = await seed_demo(session)
        for n in range(30):  # enough greetings for the two to overlap
            session.add(
                Member(
                    member_no=f"C{n:02d}",
                    name=f"党员{n:02d}",
                    org_id=ids.branch_b,
                    join_date=date(1990 + n, 11, 26),
                    telegram_id=900_000 + n,
                )
            )
    other = Database(any_db.url)  # a second process: its own engine and connections
    first, second = Worker(any_db), Worker(other)
    await first.bot.initialize()
    await second.bot.initialize()
    try:
        with time_machine.travel(local(2026, 11, 26, 9, 0, 1), tick=False):
            await asyncio.gather(run_birthdays(any_db, settings), run_birthdays(other, settings))
            await asyncio.gather(first.drain(), second.drain())
    finally:
        await first.bot.shutdown()
        await second.bot.shutdown()
        await other.dispose()
    sent = [chat for chat, text in first.messages() + second.messages() if "政治生日快乐" in text]
    expected = [telegram_id_of("A03"), telegram_id_of("B03"), *(900_000 + n for n in range(30))]
    assert sorted(sent) == sorted(expected)  # every greeting, each exactly once
    rows = await outbox(any_db, "birthday:")
    assert len(rows) == 32 and {r.status for r in rows} == {OutboxStatus.SENT}
