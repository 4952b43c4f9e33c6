"""branchbot community import, activity add/show/dispatch, service report: output, JSON, refusals."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from bot.cli import app
from bot.db import Database
from bot.demo import DemoIds, seed_demo
from bot.services import volunteer
from bot.services.volunteer import reports
from storage.models import OutboxMessage
from storage.volunteer import Activity, Community
from tests.cli_support import seeded_cli_database
from tests.volunteer_helpers import CFG, ENV, actor_of

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@dataclass
class Cli:
    """The CLI pointed at a fresh database holding the demo organisation."""

    runner: CliRunner
    url: str
    ids: DemoIds

    def run(self, *args: str) -> tuple[int, str]:
        result = self.runner.invoke(app, list(args))
        return result.exit_code, result.output

    def db(self, work):  # type: ignore[no-untyped-def]
        async def main():  # type: ignore[no-untyped-def]
            database = Database(self.url)
            try:
                async with database.session() as session:
                    return await work(session)
            finally:
                await database.dispose()

        return asyncio.run(main())


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    """On 26 November 2026, 10:00 in Shanghai."""
    with seeded_cli_database(tmp_path, monkeypatch, seed_demo, NOW) as (url, ids):
        yield Cli(CliRunner(), url, ids)


def test_community_import_all_or_nothing(cli: Cli, tmp_path: Path) -> None:
    code, output = cli.run("community", "import", str(EXAMPLES / "communities.csv"))
    assert code == 0, output
    assert "7" in output
    code, output = cli.run("community", "import", str(EXAMPLES / "communities.csv"))
    assert code == 0 and "7" in output  # unchanged
    bad = tmp_path / "bad.csv"
    bad.write_text("name,town,latitude,longitude\n新社区,东城街道,23,\n", encoding="utf-8")
    code, output = cli.run("community", "import", str(bad))
    assert code == 1 and "第2行" in output and "纬度和经度" in output
    assert cli.db(lambda s: s.scalar(select(func.count()).select_from(Community))) == 7
    code, output = cli.run("community", "list", "--json")
    assert code == 0 and json.loads(output.splitlines()[0])["town"]


def test_activity_add_show_and_refusals(cli: Cli) -> None:
    cli.run("community", "import", str(EXAMPLES / "communities.csv"))
    code, output = cli.run(
        "activity", "add", "--title", "义务植树", "--community", "花园社区",
        "--start", "2026-12-01 09:00", "--end", "2026-12-01 11:30", "--slots", "2",
        "--dispatch-to", str(cli.ids.branch_a), "--json",
    )  # fmt: skip
    assert code == 0, output
    created = json.loads(output)
    assert created["title"] == "义务植树" and created["slots"] == 2 and created["start"] == "2026-12-01 09:00"
    assert created["checkin_link"].startswith("https://t.me/branch_assistant_bot?start=vk_")
    assert [b["id"] for b in created["dispatched_to"]] == [cli.ids.branch_a]
    notices = cli.db(
        lambda s: s.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.dedup_key.like("vol:notice:%"))
        )
    )
    assert notices == 5
    # Human output names the link and the branches.
    code, output = cli.run(
        "activity", "add", "--title", "敬老", "--community", "1", "--start", "2026-12-02 19:00",
        "--end", "2026-12-02 21:00", "--slots", "5",
    )  # fmt: skip
    assert code == 0 and "签到链接" in output and "尚未发给任何支部" in output
    for args, message in (
        (["--community", "火星社区", "--start", "2026-12-01 09:00", "--end", "2026-12-01 10:00"], "找不到社区"),
        (["--community", "1", "--start", "2026-12-01 09:00", "--end", "2026-12-01 08:00"], "结束时间必须晚于"),
        (["--community", "1", "--start", "2026-11-01 09:00", "--end", "2026-11-01 10:00"], "开始时间已经过去"),
        (["--community", "1", "--start", "someday 09:00", "--end", "2026-12-01 10:00"], "请写日期和时间"),
    ):
        code, output = cli.run("activity", "add", "--title", "x", "--slots", "3", *args)
        assert code == 1 and message in output, output

    async def sign_up(session):  # type: ignore[no-untyped-def]
        for number in ("A03", "A04", "A05"):
            await volunteer.sign_up(session, await actor_of(session, number), created["id"])

    cli.db(sign_up)

    async def attend(session):  # type: ignore[no-untyped-def]
        activity = await session.get(Activity, created["id"])
        me = await actor_of(session, "A03")
        await volunteer.check_in(session, me, activity.id, env=ENV, method="qr", now=activity.starts_at)
        await volunteer.check_out(
            session, me, activity.id, env=ENV, method="qr", now=activity.starts_at + timedelta(hours=2)
        )

    cli.db(attend)
    code, output = cli.run("activity", "show", str(created["id"]), "--json")
    assert code == 0, output
    shown = json.loads(output)
    assert shown["taken"] == 2
    members = {m["member"]: m for m in shown["members"]}
    assert members["A03"]["hours"] == 2.0 and members["A03"]["checked_in_at"] == "2026-12-01 09:00"
    assert members["A05"]["status"] == "waiting" and members["A05"]["waiting_position"] == 1
    code, output = cli.run("activity", "show", str(created["id"]))
    assert code == 0 and "张伟" in output and "#1" in output
    assert cli.run("activity", "show", "999")[0] == 1
    code, output = cli.run("activity", "dispatch", str(created["id"]), str(cli.ids.unit))
    assert code == 0 and "第二党支部" in output


def test_service_report_per_member(cli: Cli) -> None:
    cli.run("community", "import", str(EXAMPLES / "communities.csv"))

    async def history(session):  # type: ignore[no-untyped-def]
        me, secretary = await actor_of(session, "A03"), await actor_of(session, "A01")
        early = datetime(2026, 11, 20, 17, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
        report = await reports.submit_report(
            session,
            me,
            reports.ReportInput(
                day=early.date(), span=(early, early + timedelta(hours=2)), description="宣讲", place="广场"
            ),
            CFG,
            env=ENV,
        )
        await reports.approve_reports(session, secretary, [report.id], env=ENV)
        pending = reports.ReportInput(day=early.date(), hours=3, description="未审核", place="广场")
        await reports.submit_report(session, await actor_of(session, "A04"), pending, CFG, env=ENV)

    cli.db(history)
    code, output = cli.run("service", "report", "--org", str(cli.ids.branch_a), "--json")
    assert code == 0, output
    rows = [json.loads(line) for line in output.splitlines()]
    assert len(rows) == 7
    assert rows[0].keys() == {"member", "name", "hours", "activities", "outside_work_hours"}
    by_no = {r["member"]: r for r in rows}
    assert by_no["A03"] == {"member": "A03", "name": "张伟", "hours": 2.0, "activities": 0, "outside_work_hours": 1.0}
    assert by_no["A04"]["hours"] == 0.0  # not approved
    code, output = cli.run("service", "report", "--from", "2026-11-21", "--to", "2026-11-30", "--json")
    assert code == 0 and all(json.loads(line)["hours"] == 0.0 for line in output.splitlines())
    code, output = cli.run("service", "report", "--org", str(cli.ids.branch_a))
    assert code == 0 and "合计2小时，其中八小时以外1小时" in output
    assert cli.run("service", "report", "--from", "2026-12-01", "--to", "2026-11-01")[0] == 1
    assert cli.run("service", "report", "--from", "someday")[0] == 1  # the one parser reads 昨天 and yesterday
    assert cli.run("service", "report", "--org", "999")[0] == 1


def test_activity_edit_and_cancel(cli: Cli) -> None:
    cli.run("community", "import", str(EXAMPLES / "communities.csv"))
    code, output = cli.run(
        "activity", "add", "--title", "义务植树", "--community", "花园社区", "--start", "2026-12-01 09:00",
        "--end", "2026-12-01 11:30", "--slots", "1", "--dispatch-to", str(cli.ids.branch_a), "--json",
    )  # fmt: skip
    activity_id = json.loads(output)["id"]

    async def sign_up(session):  # type: ignore[no-untyped-def]
        for number in ("A03", "A04"):
            await volunteer.sign_up(session, await actor_of(session, number), activity_id)

    cli.db(sign_up)
    assert cli.run("activity", "edit", str(activity_id)) == (
        1,
        "请说明要修改什么：--title、--start、--end、--slots、--place、--skills 或 --description。\n",
    )
    code, output = cli.run("activity", "edit", str(activity_id), "--start", "2026-12-02 14:00", "--slots", "2")
    assert (
        code == 0 and output.strip() == f"活动（编号{activity_id}）已修改（时间、名额），已通知2名已报名或候补的党员。"
    )
    code, output = cli.run("activity", "show", str(activity_id), "--json")
    shown = json.loads(output)
    assert (shown["start"], shown["end"], shown["taken"]) == ("2026-12-02 14:00", "2026-12-02 16:30", 2)
    assert cli.run("activity", "edit", str(activity_id), "--slots", "1")[0] == 1  # two have places
    code, output = cli.run("activity", "cancel", str(activity_id))
    assert code == 0 and output.strip() == f"活动（编号{activity_id}）已取消，已通知2名已报名或候补的党员。"
    assert cli.run("activity", "cancel", str(activity_id)) == (1, "该活动已经取消。\n")
    assert json.loads(cli.run("activity", "show", str(activity_id), "--json")[1])["status"] == "cancelled"
    assert cli.run("activity", "cancel", "999")[0] == 1
