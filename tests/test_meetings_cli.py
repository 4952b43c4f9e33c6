"""``branchbot meeting kinds | add | show | compliance`` on the demo organisation."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from typer.testing import CliRunner

from bot.cli import app
from bot.config import Settings
from bot.db import Database
from bot.demo import DemoIds
from bot.feature import Feature
from bot.features import FEATURES
from bot.services.meetings.hooks import MeetingHooks
from storage.meetings import Meeting
from storage.models import AuditEntry, OutboxMessage

runner = CliRunner()
T = TypeVar("T")


@pytest.fixture
def cli_env(settings: Settings, demo: DemoIds, monkeypatch: pytest.MonkeyPatch) -> Iterator[DemoIds]:
    """The CLI pointed at the demo database."""
    monkeypatch.setenv("DATABASE_URL", settings.DATABASE_URL)
    monkeypatch.setenv("BOT_USERNAME", "dg_branch_bot")
    yield demo


def _query(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Read the database from a synchronous test (the CLI runs its own event loop, so these tests are sync)."""

    async def main() -> T:
        database = Database(settings.DATABASE_URL)
        try:
            async with database.session() as session:
                return await work(session)
        finally:
            await database.dispose()

    return asyncio.run(main())


def _json(args: list[str], obj: Any = None) -> Any:
    result = runner.invoke(app, args, obj=obj)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _json_lines(args: list[str]) -> list[Any]:
    """A listing command's ``--json``: JSON Lines, one document per line."""
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_kinds_lists_every_kind_and_tag(cli_env: DemoIds) -> None:
    rows = _json_lines(["meeting", "kinds", "--json"])
    ids = [r["id"] for r in rows if not r["tag"]]
    assert ids[:7] == [
        "general_meeting",
        "committee_meeting",
        "group_meeting",
        "party_lesson",
        "theme_day",
        "org_life_meeting",
        "democratic_appraisal",
    ]
    general = rows[0]
    assert (general["name_zh"], general["period"], general["times_per_period"]) == ("支部党员大会", "quarter", 1)
    assert {r["id"] for r in rows if r["tag"]} >= {"loyalty_life", "constitution_study", "oath_renewal"}
    text = runner.invoke(app, ["meeting", "kinds"]).stdout
    assert "theme_day" in text and "主题党日 / Theme Party day" in text


def test_add_then_show(cli_env: DemoIds, settings: Settings) -> None:
    added = _json(
        [
            "meeting",
            "add",
            "--branch",
            "DEMO-B1",
            "--kind",
            "general_meeting",
            "--at",
            "2027-01-08 14:30",
            "--end",
            "16:30",
            "--place",
            "三楼会议室",
            "--topic",
            "年度总结",
            "--json",
        ]
    )
    assert added["kind"] == "general_meeting" and added["starts_at"] == "2027-01-08T14:30+08:00"
    assert added["ends_at"] == "2027-01-08T16:30+08:00" and added["branch"] == "第一党支部"
    assert added["checkin_link"].startswith("https://t.me/dg_branch_bot?start=ck_")
    assert len(added["checkin_link"].split("start=")[1]) <= 64

    async def stored(session: AsyncSession) -> tuple[str | None, str | None, int]:
        meeting = await session.get(Meeting, added["id"])
        audit = await session.scalar(select(AuditEntry).where(AuditEntry.action == "meeting_create"))
        notices = (await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "meeting"))).all()
        return meeting.place if meeting else None, audit.actor_label if audit else None, len(notices)

    assert _query(settings, stored) == ("三楼会议室", "cli", 5)
    shown = _json(["meeting", "show", str(added["id"]), "--json"])
    statuses = {a["member_no"]: a["status"] for a in shown["attendance"]}
    assert statuses == dict.fromkeys(("A01", "A02", "A03", "A04", "A05", "A06", "A07"), "no_answer")
    assert shown["rate"] == {"attended": 0, "expected": 7, "percent": 0}
    text = runner.invoke(app, ["meeting", "show", str(added["id"])]).stdout
    assert "支部党员大会" in text and "张伟" in text and "未回复" in text
    readable = runner.invoke(
        app, ["meeting", "add", "--branch", "DEMO-B2", "--kind", "党课", "--at", "2027-01-09 09:00"]
    )
    assert readable.exit_code == 0 and "签到码" in readable.stdout and "ck_" in readable.stdout


def test_bad_input_exits_1_with_a_clear_message(cli_env: DemoIds) -> None:
    result = runner.invoke(
        app, ["meeting", "add", "--branch", "DEMO-B1", "--kind", "banquet", "--at", "2027-01-08 14:30"]
    )
    assert result.exit_code == 1 and "未知的会议类型“banquet”" in result.output
    result = runner.invoke(
        app,
        ["meeting", "add", "--branch", "DEMO-B1", "--kind", "theme_day", "--at", "2027-01-08 14:30", "--end", "13:00"],
    )
    assert result.exit_code == 1 and "会议结束时间必须晚于开始时间" in result.output
    result = runner.invoke(
        app, ["meeting", "add", "--branch", "NOPE", "--kind", "theme_day", "--at", "2027-01-08 14:30"]
    )
    assert result.exit_code == 1 and "没有这个支部" in result.output
    result = runner.invoke(app, ["meeting", "add", "--branch", "DEMO-B1", "--kind", "theme_day", "--at", "明天"])
    assert result.exit_code == 1 and "12-15 14:30" in result.output
    assert runner.invoke(app, ["meeting", "show", "999"]).exit_code == 1


def test_first_agenda_option_is_recorded_in_the_same_transaction(cli_env: DemoIds, settings: Settings) -> None:
    recorded: list[tuple[int, str]] = []

    async def recorder(session: object, meeting: Meeting, value: str, actor: object) -> None:
        recorded.append((meeting.id, value))

    args = ["meeting", "add", "--branch", "DEMO-B1", "--kind", "committee_meeting", "--at", "2027-01-05 09:00"]
    # Without the first agenda feature installed, the option is refused and no meeting is left behind.
    without = tuple(feature for feature in FEATURES if feature.name != "first_agenda")
    refused = runner.invoke(app, [*args, "--first-agenda", "12"], obj=without)
    assert refused.exit_code == 1 and "暂不能记录第一议题" in refused.output

    async def meetings_stored(session: AsyncSession) -> int:
        return len((await session.scalars(select(Meeting))).all())

    assert _query(settings, meetings_stored) == 0
    recording = (Feature("recording", hooks=lambda: MeetingHooks(first_agenda_recorder=recorder)),)
    added = _json([*args, "--first-agenda", "习近平总书记重要讲话", "--json"], obj=recording)
    assert recorded == [(added["id"], "习近平总书记重要讲话")]


def test_compliance_of_one_branch_or_all(cli_env: DemoIds) -> None:
    every = _json_lines(["meeting", "compliance", "--json"])
    assert [b["branch"] for b in every] == ["第一党支部", "第二党支部"]
    one = _json_lines(["meeting", "compliance", "--branch", "DEMO-B1", "--json"])
    item = next(i for i in one[0]["items"] if i["id"] == "committee_meeting")
    assert (item["held"], item["required"], item["ok"]) == (0, 1, False)
    text = runner.invoke(app, ["meeting", "compliance", "--branch", "DEMO-B2"]).stdout
    assert "第二党支部组织生活落实情况" in text and "支部委员会会议" in text
