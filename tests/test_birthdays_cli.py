"""``branchbot birthdays``: a day or a month, a branch, JSON, data to fix on standard error, clear refusals."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.demo import seed_demo
from tests.cli_support import seeded_cli_database

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    """The demo organisation in a fresh database, and the CLI pointed at it, on 26 November 2026."""
    with seeded_cli_database(tmp_path, monkeypatch, seed_demo, datetime(2026, 11, 26, 10, 0, tzinfo=SHANGHAI)):
        yield CliRunner()


def test_today_by_default_with_years_and_data_to_fix_on_stderr(cli: CliRunner) -> None:
    result = cli.invoke(app, ["birthdays"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "11月26日（周四）  吴强（B03，第二党支部）  2016年11月26日入党  第10周年",
        "11月26日（周四）  张伟（A03，第一党支部）  2014年11月26日入党  第12周年",
    ]
    assert result.stderr.splitlines() == ["待更正的数据：赵磊（A07，第一党支部）：未录入入党日期"]


def test_json_one_object_per_member(cli: CliRunner) -> None:
    result = cli.invoke(app, ["birthdays", "--date", "2026-11-26", "--json"])
    assert result.exit_code == 0, result.output
    assert [json.loads(line) for line in result.stdout.splitlines()] == [
        {"member": "B03", "name": "吴强", "join_date": "2016-11-26", "years": 10},
        {"member": "A03", "name": "张伟", "join_date": "2014-11-26", "years": 12},
    ]


def test_a_month_in_a_branch_and_29_february(cli: CliRunner) -> None:
    result = cli.invoke(app, ["birthdays", "--month", "2027-02", "--branch", "DEMO-B1", "--json"])
    assert [json.loads(line) for line in result.stdout.splitlines()] == [
        {"member": "A04", "name": "刘洋", "join_date": "2008-02-29", "years": 19}
    ]
    result = cli.invoke(app, ["birthdays", "--month", "2027-02", "--branch", "DEMO-B1"])
    assert result.stdout.startswith("2027年2月28日（周日）  刘洋")
    result = cli.invoke(app, ["birthdays", "--date", "2028-02-29"])
    assert "2028年2月29日（周二）  刘洋（A04，第一党支部）  2008年2月29日入党  第20周年" in result.stdout
    result = cli.invoke(app, ["birthdays", "--date", "2028-02-28"])
    assert result.stdout.strip() == "2028年2月28日（周一）没有党员过政治生日。"


def test_a_branch_by_id_and_an_organisation_with_its_subtree(cli: CliRunner) -> None:
    orgs = [json.loads(line) for line in cli.invoke(app, ["org", "list", "--json"]).stdout.splitlines()]
    ids = {o["code"]: o["id"] for o in orgs}
    result = cli.invoke(app, ["birthdays", "--month", "2026-11", "--branch", str(ids["DEMO-B2"]), "--json"])
    assert [json.loads(line)["member"] for line in result.stdout.splitlines()] == ["B03"]
    assert result.stderr == ""  # branch B has no join date to fix
    result = cli.invoke(app, ["birthdays", "--month", "2026-11", "--branch", "DEMO-U1", "--json"])
    assert [json.loads(line)["member"] for line in result.stdout.splitlines()] == ["B03", "A03"]
    # A Party group: its members (who belong to the branch) only.
    result = cli.invoke(app, ["birthdays", "--month", "2026-11", "--branch", "DEMO-B1-G1", "--json"])
    assert [json.loads(line)["member"] for line in result.stdout.splitlines()] == ["A03"]
    assert "赵磊" in result.stderr  # in the group, no join date


def test_bad_options_are_refused_clearly(cli: CliRunner) -> None:
    result = cli.invoke(app, ["birthdays", "--date", "2026-11-26", "--month", "2026-11"])
    assert result.exit_code == 2 and result.stderr.strip() == "请只指定 --date 或 --month 其中之一。"
    result = cli.invoke(app, ["birthdays", "--date", "26/11/2026"])
    assert result.exit_code == 2 and result.stderr.strip() == "--date 须为日期，例如2026-11-26。"
    result = cli.invoke(app, ["birthdays", "--month", "2026-13"])
    assert result.exit_code == 2 and result.stderr.strip() == "--month 须为月份，例如2026-11。"
    result = cli.invoke(app, ["birthdays", "--branch", "NOWHERE"])
    assert result.exit_code == 1 and result.stderr.strip() == "没有这个组织。"
