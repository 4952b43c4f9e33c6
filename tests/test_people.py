"""Issue 11, "also missing for a real branch": unbinding a lost phone, transfers out, reading the audit log —
in chat and on the command line."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from bot.cli import app
from bot.clock import now_utc
from bot.config import Settings
from bot.db import Database
from bot.demo import seed_demo, telegram_id_of
from bot.services import membership
from bot.services.roster import export_roster, import_roster
from storage import queries
from storage.meetings import Attendance, Meeting
from storage.models import AuditEntry, Member, OutboxMessage, OutboxStatus
from tests.conftest import BotHarness

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
NOT_ON_ROSTER = "您还不在支部花名册中"
GROUP = -100777

TZ = ZoneInfo("Asia/Shanghai")  # the zone "not in the future" is checked in


async def _member(db: Database, member_no: str) -> Member:
    async with db.session() as session:
        member = await queries.member_by_no(session, member_no)
        assert member is not None
        return member


# --- transfers (组织关系转出) -------------------------------------------------------------------------------------


async def test_a_member_transferred_out_loses_access_and_keeps_their_records(any_db: Database) -> None:
    async with any_db.session() as session:
        ids = await seed_demo(session)
        member = await queries.member_by_no(session, "A03")
        assert member is not None
        meeting = Meeting(
            org_id=ids.branch_a,
            kind="general_meeting",
            starts_at=now_utc() - timedelta(days=30),
            ends_at=now_utc() - timedelta(days=30, hours=-1),
            topic="过去的会议",
        )
        session.add(meeting)
        await session.flush()
        session.add(Attendance(meeting_id=meeting.id, member_id=member.id, status="present"))
        session.add(
            OutboxMessage(dedup_key="t:1", chat_id=telegram_id_of("A03"), member_id=member.id, kind="t", payload={})
        )
    async with any_db.session() as session:
        member = await queries.member_by_no(session, "A03")
        assert member is not None
        await membership.transfer_out(session, None, member, on=date(2026, 11, 30))
    async with any_db.session() as session:
        assert await queries.member_by_telegram_id(session, telegram_id_of("A03")) is None
        gone = await queries.member_by_no(session, "A03")
        assert gone is not None and not gone.active and gone.telegram_id is None
        assert (
            await session.scalar(select(func.count()).select_from(Attendance).where(Attendance.member_id == gone.id))
            == 1
        )
        assert (
            await session.scalar(select(OutboxMessage.status).where(OutboxMessage.dedup_key == "t:1"))
            == OutboxStatus.DROPPED
        )
        entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "transfer_out"))
        assert (
            entry is not None
            and entry.details["date"] == "2026-11-30"
            and entry.details["telegram_id"] == telegram_id_of("A03")
        )
        assert gone not in await queries.branch_members(session, ids.branch_a)


async def test_the_roster_status_column_transfers_out_and_round_trips(any_db: Database, tmp_path: Path) -> None:
    from bot.services.roster import import_organisations

    async with any_db.session() as session:
        await import_organisations(session, EXAMPLES / "organisations.csv")
        await import_roster(session, EXAMPLES / "roster.csv", tz=TZ)
    path = tmp_path / "out.csv"
    path.write_text("member_no,name,branch,status\nMZ103,张伟,MZJ-B1,转出\n", encoding="utf-8")
    async with any_db.session() as session:
        result = await import_roster(session, path, tz=TZ)
    assert result.updated == 1
    async with any_db.session() as session:
        zhang = await queries.member_by_no(session, "MZ103")
        assert zhang is not None and not zhang.active
        assert (
            await session.scalar(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "transfer_out")
            )
            == 1
        )
        exported = tmp_path / "export.csv"
        rows = await export_roster(session, exported)
    assert next(r for r in rows if r["member_no"] == "MZ103")["status"] == "transferred"
    async with any_db.session() as session:
        again = await import_roster(session, exported, tz=TZ)
    assert (again.created, again.updated) == (0, 0)


# --- unbinding in chat ---------------------------------------------------------------------------------------------


async def test_a_secretary_unbinds_a_lost_phone_after_confirming_and_gets_a_new_link(bot: BotHarness) -> None:
    a03 = await _member(bot.db, "A03")
    replies = await bot.say("A01", "/unbind")
    assert replies == ["要解除谁的 Telegram 账号绑定（手机丢失或更换）？"]
    buttons = bot.request.calls[-1].buttons
    assert ("张伟", f"ub:m:{a03.id}") in buttons and not any(label == "王建国" for label, _ in buttons)
    confirm = await bot.press("A01", f"ub:m:{a03.id}")
    assert confirm[-1].startswith("确定解除张伟的 Telegram 账号绑定吗？")
    assert await _member(bot.db, "A03") and (await _member(bot.db, "A03")).telegram_id is not None  # not yet
    done = await bot.press("A01", f"ub:y:{a03.id}")
    assert done[-1].startswith("已解除张伟的 Telegram 账号绑定。新的邀请链接（14天内有效）：\nhttps://t.me/")
    assert (await _member(bot.db, "A03")).telegram_id is None
    # The old phone's account is a stranger now.
    assert any(NOT_ON_ROSTER in text for text in await bot.say(telegram_id_of("A03"), "/my"))
    # The new link binds the new phone.
    payload = done[-1].rsplit("start=", 1)[1]
    await bot.say(555001, f"/start {payload}")
    assert (await _member(bot.db, "A03")).telegram_id == 555001
    async with bot.db.session() as session:
        actions = (await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id))).all()
    assert actions[-3:] == ["unbind", "invite", "bind"]


async def test_unbinding_is_refused_to_members_other_branches_and_in_groups(bot: BotHarness) -> None:
    a03 = await _member(bot.db, "A03")
    assert await bot.say("A03", "/unbind") == ["抱歉，您的角色不能使用 /unbind。"]
    refused = await bot.press("B01", f"ub:y:{a03.id}")
    assert refused and all("张伟" not in text for text in refused)
    assert await bot.say("A01", "/linkgroup", chat_id=GROUP) == ["本群已关联到第一党支部。"]
    assert await bot.say("A01", "/unbind", chat_id=GROUP) == ["此页面含有党员姓名，请在与我的私聊中查看。"]
    await bot.press("A01", f"ub:y:{a03.id}", chat_id=GROUP)
    await bot.press("A01", "ub:y:99999999999999999999999")  # forged: a quiet no
    await bot.press("A01", "ub:y:")
    assert (await _member(bot.db, "A03")).telegram_id == telegram_id_of("A03")


# --- the audit log in chat -----------------------------------------------------------------------------------------


async def _many_entries(db: Database, member_no: str, count: int) -> None:
    async with db.session() as session:
        member = await queries.member_by_no(session, member_no)
        assert member is not None
        for n in range(count):
            queries.audit(session, actor=member, action=f"test{n:02d}", entity="member", entity_id=member.id)


async def test_audit_screen_pages_and_stays_within_the_readers_reach(bot: BotHarness) -> None:
    await _many_entries(bot.db, "A03", 25)
    await _many_entries(bot.db, "B02", 1)
    first = await bot.say("A01", "/audit")
    assert first[0].startswith("<b>操作日志</b>（最新在前，第1页）")
    # Nine entries a page, two lines each: when and who, then what.
    assert first[0].count("\n") == 18 and "test24" in first[0] and "B02" not in first[0] and "周敏" not in first[0]
    assert bot.request.calls[-1].buttons == [("更早 ›", "au:1")]
    second = await bot.press("A01", "au:1")
    assert "test15" in second[-1] and "test24" not in second[-1]
    # The other branch's secretary sees their own branch only; the administrator sees both.
    other = await bot.say("B01", "/audit")
    assert "周敏" in other[0] and "张伟" not in other[0]
    admin = await bot.say(100001, "/audit")
    assert "test24" in admin[0]
    # Members may not; groups are refused; forged pages are a quiet no.
    assert await bot.say("A03", "/audit") == ["抱歉，您的角色不能使用 /audit。"]
    assert await bot.say("A01", "/linkgroup", chat_id=GROUP) == ["本群已关联到第一党支部。"]
    assert await bot.say("A01", "/audit", chat_id=GROUP) == ["此页面含有党员姓名，请在与我的私聊中查看。"]
    before = len(bot.request.calls)
    await bot.press("A01", "au:99999999999999999999999999")
    await bot.press("A01", "au:-1")
    assert [c.method for c in bot.request.calls[before:]] == ["answerCallbackQuery", "answerCallbackQuery"]


# --- the command line ------------------------------------------------------------------------------------------


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    for name in Settings.model_fields:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}")
    runner = CliRunner()
    assert runner.invoke(app, ["org", "import", str(EXAMPLES / "organisations.csv")]).exit_code == 0
    roster = (EXAMPLES / "roster.csv").read_text(encoding="utf-8")
    for member_no, telegram_id in (("MZ101", "7101"), ("MZ102", "7102")):  # two bound accounts
        line = next(row for row in roster.splitlines() if row.startswith(member_no + ","))
        cells = line.split(",")
        cells[11] = telegram_id
        roster = roster.replace(line, ",".join(cells))
    (tmp_path / "roster.csv").write_text(roster, encoding="utf-8")
    assert runner.invoke(app, ["roster", "import", str(tmp_path / "roster.csv")]).exit_code == 0
    return runner


def test_member_unbind_transfer_and_audit_on_the_command_line(cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    result = cli.invoke(app, ["member", "unbind", "MZ101"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "已解除王建国的 Telegram 账号绑定。"
    result = cli.invoke(app, ["member", "unbind", "MZ101"])
    assert result.exit_code == 1 and result.output.strip() == "王建国没有绑定 Telegram 账号。"
    monkeypatch.setenv("BOT_USERNAME", "my_branch_bot")
    result = cli.invoke(app, ["member", "unbind", "MZ102", "--invite"])
    assert result.exit_code == 0 and result.output.splitlines()[1].startswith("https://t.me/my_branch_bot?start=inv_")
    result = cli.invoke(app, ["member", "transfer", "MZ104", "--out", "--date", "2026-11-30"])
    assert result.exit_code == 0, result.output
    assert "已于2026年11月30日转出" in result.output
    assert cli.invoke(app, ["member", "transfer", "MZ104", "--out"]).exit_code == 1
    assert cli.invoke(app, ["member", "transfer", "MZ105", "--to", "MZJ-B2"]).exit_code == 0
    assert cli.invoke(app, ["member", "transfer", "MZ105"]).exit_code == 2
    result = cli.invoke(app, ["audit", "--json"])
    assert result.exit_code == 0, (result.output, result.exception)
    entries = [json.loads(line) for line in result.output.splitlines()]
    assert [e["action"] for e in entries][:5] == ["transfer", "transfer_out", "invite", "unbind", "unbind"]
    assert {"at", "actor", "action", "entity", "subject", "details"} <= set(entries[0])
    assert entries[3]["subject"] == "李红梅" and entries[3]["actor"] == "cli"
    # --org: the second branch's subtree holds the transfer into it, not the first branch's unbinds.
    in_b2 = [
        json.loads(line)["action"]
        for line in cli.invoke(app, ["audit", "--org", "MZJ-B2", "--json"]).output.splitlines()
    ]
    assert "transfer" in in_b2 and "unbind" not in in_b2
    assert cli.invoke(app, ["audit", "--from", "2000-01-01", "--to", "2000-01-31", "--json"]).output == ""
    result = cli.invoke(app, ["audit", "--limit", "1"])
    assert len(result.output.splitlines()) == 1 and "transfer" in result.output
    assert cli.invoke(app, ["audit", "--from", "2030-01-02", "--to", "2030-01-01"]).exit_code == 1


def test_invite_without_a_bot_name_refuses_in_one_line(cli: CliRunner) -> None:
    result = cli.invoke(app, ["invite", "MZ103"])
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0 and "BOT_USERNAME" in result.output
    assert "branch_assistant_bot" not in result.output


def test_invite_asks_telegram_for_the_bots_name(cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.fake_bot_api import FakeBotApi

    api = FakeBotApi().start()
    try:
        monkeypatch.setenv("BOT_TOKEN", "123456:TEST-token_for_the_fake_bot_api")
        monkeypatch.setenv("TELEGRAM_BASE_URL", api.base_url)
        result = cli.invoke(app, ["invite", "MZ103"])
    finally:
        api.stop()
    assert result.exit_code == 0, result.output
    assert result.output.startswith("https://t.me/branch_assistant_bot?start=inv_")
    assert [c.method for c in api.calls] == ["getMe"]


async def test_audit_read_filters_by_subtree_and_days_on_both_backends(any_db: Database) -> None:
    from bot.services import audit_log
    from bot.services.access import Actor

    async with any_db.session() as session:
        ids = await seed_demo(session)
    await _many_entries(any_db, "A03", 2)
    await _many_entries(any_db, "B02", 1)
    async with any_db.session() as session:
        a03 = await queries.member_by_no(session, "A03")
        assert a03 is not None
        await membership.unbind(session, None, a03.id)  # by the command line: no actor, found through its subject
    settings = Settings()
    async with any_db.session() as session:
        branch_a = await audit_log.read(session, org_ids={ids.branch_a}, tz=settings.tz)
        everything = await audit_log.read(session, org_ids=None, tz=settings.tz)
        none = await audit_log.read(session, org_ids=None, start=date(2001, 1, 1), end=date(2001, 1, 2), tz=settings.tz)
        secretary = await queries.member_by_no(session, "B01")
        assert secretary is not None
        page, more = await audit_log.page_for(session, Actor.of(secretary, "zh_CN"), 0, settings.tz)
    assert [r.action for r in branch_a] == ["unbind", "test01", "test00"]
    assert branch_a[0].actor == "cli" and branch_a[0].subject == "张伟"
    assert len(everything) == 4 and none == []
    assert [r.action for r in page] == ["test00"] and not more
