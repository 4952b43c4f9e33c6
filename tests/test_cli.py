"""The command line: set-up, organisation and roster files, invitations, and clear refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.config import Settings

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    for name in Settings.model_fields:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}")
    return CliRunner()


def test_db_upgrade(cli: CliRunner) -> None:
    result = cli.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "数据库已是最新版本。"


def test_org_and_roster_import_list_export(cli: CliRunner, tmp_path: Path) -> None:
    result = cli.invoke(app, ["org", "import", str(EXAMPLES / "organisations.csv")])
    assert result.exit_code == 0 and "新增5条" in result.output
    result = cli.invoke(app, ["org", "list", "--json"])
    orgs = [json.loads(line) for line in result.output.splitlines()]
    assert [o["kind"] for o in orgs] == ["working_committee", "unit_committee", "branch", "party_group", "branch"]
    assert set(orgs[0]) == {"id", "name", "kind", "parent", "code"}
    assert orgs[1]["parent"] == orgs[0]["id"] and orgs[0]["parent"] is None
    result = cli.invoke(app, ["org", "list"])
    assert "市民政局第一党支部" in result.output
    result = cli.invoke(app, ["roster", "import", str(EXAMPLES / "roster.csv")])
    assert result.exit_code == 0 and "新增8条" in result.output
    result = cli.invoke(app, ["roster", "import", str(EXAMPLES / "roster.csv")])
    assert "新增0条，更新0条，未变8条" in result.output
    result = cli.invoke(app, ["roster", "export"])
    lines = result.output.splitlines()
    assert lines[0].startswith("id,member_no,name,branch")
    assert len(lines) == 9 and any(",MZ103,张伟," in line for line in lines)
    out = tmp_path / "out.csv"
    assert cli.invoke(app, ["roster", "export", str(out)]).exit_code == 0
    assert "张伟" in out.read_text(encoding="utf-8-sig")


def test_bad_roster_prints_every_error_and_exits_1(cli: CliRunner, tmp_path: Path) -> None:
    cli.invoke(app, ["org", "import", str(EXAMPLES / "organisations.csv")])
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "member_no,name,branch,join_date\nZ1,甲,MZJ-B1,2099-01-01\nZ2,乙,NOWHERE,2001-01-01\n", encoding="utf-8"
    )
    result = cli.invoke(app, ["roster", "import", str(bad)])
    assert result.exit_code == 1
    assert "文件中有2处错误，未导入任何数据。" in result.output
    assert "第2行：join_date“2099-01-01”是将来的日期" in result.output
    assert "第3行：找不到支部NOWHERE" in result.output


def test_invite_prints_a_one_time_link(cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_USERNAME", "branch_assistant_bot")
    cli.invoke(app, ["org", "import", str(EXAMPLES / "organisations.csv")])
    cli.invoke(app, ["roster", "import", str(EXAMPLES / "roster.csv")])
    result = cli.invoke(app, ["invite", "MZ103"])
    assert result.exit_code == 0
    assert result.output.strip().startswith("https://t.me/branch_assistant_bot?start=inv_")
    assert len(result.output.strip().split("start=")[1]) <= 64
    result = cli.invoke(app, ["invite", "NOPE"])
    assert result.exit_code == 1 and "没有这名党员。" in result.output


def test_run_without_token_points_to_the_demo(cli: CliRunner) -> None:
    result = cli.invoke(app, ["run"])
    assert result.exit_code == 2
    assert "BOT_TOKEN" in result.output and "branchbot demo" in result.output


def test_wrong_setting_stops_with_one_line(cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIMEZONE", "Nowhere/Land")
    result = cli.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 2
    assert (
        result.output.strip() == "配置错误：TIMEZONE：未知时区'Nowhere/Land'（可以试试Asia/Shanghai）"
    )  # DEFAULT_LOCALE


def test_demo_opens_the_console_as_the_secretary_with_something_to_show(cli: CliRunner) -> None:
    result = cli.invoke(app, ["demo"], input="/meetings\n/activities\n:quit\n")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("演示：您是第一党支部书记王建国。")
    assert "您现在是王建国（支部书记）。输入 :help 查看控制台命令。" in lines
    assert "支部党员大会\n   已结束" in result.output and "主题党日\n   已安排" in result.output
    assert "关爱长者志愿服务" in result.output
