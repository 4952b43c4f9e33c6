"""``branchbot rules / points / stars``: line-precise checks, the rules in force, the reports' exact JSON."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from bot.cli import app
from bot.services.points.rules import default_rules_text
from tests.cli_support import seeded_cli_database
from tests.points_helpers import TEST_RULES, TOTALS, TZ, seed_points


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    """The points test branch in a fresh database, the CLI pointed at it, on 12 January 2026."""
    with seeded_cli_database(tmp_path, monkeypatch, seed_points, datetime(2026, 1, 12, 10, 0, tzinfo=TZ)):
        yield CliRunner()


BAD_RULES = """[rules]
name = "坏规则"

[member]
base = 60

[[member.items]]
key = "attend"
name_zh = "参会"
name_en = "Attended"
source = "attendence"
status = ["present"]
points = 1
cap = -5

[branch]
total = 100

[[branch.criteria]]
key = "meetings"
name_zh = "会议"
name_en = "Meetings"
source = "meetings_held"
weight = 60

[[branch.bands]]
stars = 2
from = 50
to = 100

[[branch.bands]]
stars = 1
from = 0
to = 40
"""


def test_rules_check_reports_every_problem_with_its_line(cli: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(BAD_RULES, encoding="utf-8")
    result = cli.invoke(app, ["rules", "check", str(path)])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "第11行：未知的来源“attendence”；可用：attendance, first_agenda_led, volunteer_hours, "
        "community_registration, birthday_activity, manual。",
        "第14行：“cap”不能为负数。",
        "第17行：各指标分值合计60，与声明的总分100不符。",
        "第28行：40至50分不在任何星级区间内。",
    ]
    broken = tmp_path / "broken.toml"
    broken.write_text("[member]\nbase = = 3\n", encoding="utf-8")
    result = cli.invoke(app, ["rules", "check", str(broken)])
    assert result.exit_code == 1 and result.stderr.startswith("第2行：不是有效的 TOML 格式")


def test_overlapping_bands_are_refused(cli: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "overlap.toml"
    path.write_text(TEST_RULES.replace("from = 75\nto = 90", "from = 70\nto = 90"), encoding="utf-8")
    result = cli.invoke(app, ["rules", "check", str(path)])
    assert result.exit_code == 1
    assert "该星级区间与75分以下的区间重叠。" in result.stderr


def test_the_shipped_rules_are_valid_and_an_example(cli: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "default.toml"
    path.write_text(default_rules_text(), encoding="utf-8")
    result = cli.invoke(app, ["rules", "check", str(path)])
    assert result.exit_code == 0, result.output
    assert "示例规则" in result.stdout or "示例" in result.stdout
    shown = json.loads(cli.invoke(app, ["rules", "show", "--json"]).stdout)
    assert (shown["version"], shown["example"], shown["branch"]["total"]) == (0, True, 100)


def test_apply_inherit_and_show(cli: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(TEST_RULES, encoding="utf-8")
    result = cli.invoke(app, ["rules", "apply", "--org", "PU1", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "第1版规则已在市测试局机关党委生效。"
    branch = json.loads(cli.invoke(app, ["rules", "show", "--org", "PB1", "--json"]).stdout)
    city = json.loads(cli.invoke(app, ["rules", "show", "--json"]).stdout)
    assert (branch["owner"], branch["version"], branch["example"], branch["member"]["base"]) == (
        "市测试局机关党委",
        1,
        False,
        10,
    )
    assert (city["owner"], city["version"], city["example"]) == (None, 0, True)  # the city keeps the example


def test_points_report_json_has_exactly_the_issue_shape(cli: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(TEST_RULES, encoding="utf-8")
    cli.invoke(app, ["rules", "apply", "--org", "PCITY", str(path)])
    added = cli.invoke(app, ["points", "add", "P4", "praise", "3", "--reason", "带头值班", "--date", "2025-11-01"])
    assert added.exit_code == 0, added.output
    refused = cli.invoke(app, ["points", "add", "P4", "praise", "9", "--reason", "太多"])
    assert refused.exit_code == 1 and refused.stderr.strip() == "“praise”每次记分范围为1至5分，不能记9分。"
    result = cli.invoke(
        app, ["points", "report", "--org", "PB1", "--from", "2025-01-01", "--to", "2025-12-31", "--json"]
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    for row in rows:
        assert list(row) == ["member", "name", "branch", "points", "items"]
        for item in row["items"]:
            assert list(item) == ["key", "points", "source", "count"]
        assert row["points"] == sum(i["points"] for i in row["items"])
    assert {r["member"]: r["points"] for r in rows} == {**TOTALS, "P4": TOTALS["P4"] + 3}
    shown = json.loads(
        cli.invoke(app, ["points", "show", "P4", "--from", "2025-01-01", "--to", "2025-12-31", "--json"]).stdout
    )
    praise = next(i for i in shown["items"] if i["key"] == "praise")
    assert praise["points"] == 3 and [e["title"] for e in praise["events"]] == ["带头值班"]
    bad = cli.invoke(app, ["points", "report", "--from", "2025-13-01"])
    assert bad.exit_code == 1 and "请写日期，例如" in bad.stderr


def test_stars_report_json_and_publication_refusals(cli: CliRunner, tmp_path: Path) -> None:
    refused = cli.invoke(app, ["points", "publish", "--org", "PU1", "--year", "2025"])
    assert refused.exit_code == 1 and "示例规则" in refused.stderr
    refused = cli.invoke(app, ["points", "publish", "--org", "PU1", "--year", "2026"])
    assert refused.exit_code == 1 and "2026年尚未结束" in refused.stderr
    result = cli.invoke(app, ["stars", "report", "--org", "PB1", "--year", "2025", "--json"])
    assert result.exit_code == 0, result.output
    (row,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert list(row) == ["branch", "branch_id", "score", "stars", "criteria", "status"]
    assert all(list(c) == ["key", "score", "max", "source"] and 0 <= c["score"] <= c["max"] for c in row["criteria"])
    assert row["score"] == round(sum(c["score"] for c in row["criteria"]), 1)
    assert (row["branch"], row["status"]) == ("测试第一支部", "draft")


def test_the_appraisal_sheet(cli: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(TEST_RULES, encoding="utf-8")
    cli.invoke(app, ["rules", "apply", "--org", "PCITY", str(path)])
    out = tmp_path / "sheet.xlsx"
    result = cli.invoke(app, ["points", "sheet", "--org", "PB1", "--year", "2025", "--out", str(out)])
    assert result.exit_code == 0, result.output
    sheet = load_workbook(out).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][:4] == ("编号", "姓名", "积分", "排名段")
    assert {r[0]: r[2] for r in rows[2:]} == TOTALS
