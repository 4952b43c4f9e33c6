"""``branchbot material …`` and ``branchbot firstagenda report`` against a demo database on SQLite."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import time_machine
from typer.testing import CliRunner

from bot.cli import app
from bot.config import Settings
from bot.db import Database
from bot.demo import DemoIds
from tests.first_agenda_support import NOW, at

runner = CliRunner()


@pytest.fixture
def cli_db(settings: Settings, db: Database, demo: DemoIds, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The demo database, which the command line reaches through DATABASE_URL; yields its file."""
    monkeypatch.setenv("DATABASE_URL", db.url)
    with time_machine.travel(NOW, tick=True):
        yield Path(db.url.removeprefix("sqlite+aiosqlite:///"))


def rows(path: Path, sql: str, *params: object) -> list[tuple[object, ...]]:
    """Read the database directly."""
    with sqlite3.connect(path) as connection:
        return list(connection.execute(sql, params))


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_material_add_with_dispatch_prints_json_with_the_id(cli_db: Path, demo: DemoIds) -> None:
    code, out, err = invoke(
        "material", "add", "--title", "习近平在中央政治局集体学习时的重要讲话", "--source", "新华社",
        "--date", "2026-05-30", "--type", "speech", "--dispatch-to", str(demo.unit), "--json",
    )  # fmt: skip
    assert code == 0, err
    payload = json.loads(out)
    assert payload["title"] == "习近平在中央政治局集体学习时的重要讲话" and payload["type"] == "speech"
    assert payload["date"] == "2026-05-30" and payload["org_id"] == demo.unit
    assert sorted(payload["dispatched_to"]) == sorted([demo.branch_a, demo.branch_b]) and payload["notified"] == 2
    assert rows(cli_db, "select id, owner_org_id from study_materials") == [(payload["id"], demo.unit)]
    assert len(rows(cli_db, "select 1 from outbox where dedup_key like 'fa-dispatch:%'")) == 2
    assert rows(cli_db, "select actor_label from audit_log where action like 'material.%' order by id") == [
        ("cli",),
        ("cli",),
    ]

    # Dispatching it again tells nobody twice; the same material twice is refused.
    code, out, err = invoke("material", "dispatch", str(payload["id"]), "--to", str(demo.unit))
    assert (
        code == 1
        and err.strip() == "《习近平在中央政治局集体学习时的重要讲话》已下发至市民政局机关党委所属的全部支部。"
    )
    code, out, err = invoke(
        "material", "add", "--title", "习近平在中央政治局集体学习时的重要讲话", "--source", "新华社",
        "--date", "2026-05-30", "--dispatch-to", str(demo.unit),
    )  # fmt: skip
    assert code == 1 and err.strip() == "材料库中已有同一日期的《习近平在中央政治局集体学习时的重要讲话》。"
    assert len(rows(cli_db, "select 1 from outbox")) == 2

    code, out, err = invoke("material", "list", "--json")
    assert code == 0 and json.loads(out.splitlines()[0])["branches"] == 2
    code, out, err = invoke("material", "show", str(payload["id"]), "--json")
    shown = json.loads(out)
    assert shown["studied"] == [] and {u["branch"] for u in shown["unstudied"]} == {"第一党支部", "第二党支部"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--date", "2026-07-01"], "日期2026-07-01晚于今天，请核对。"),
        (["--date", "2026-13-01"], "没有这一天：2026-13-01。"),
        (["--date", "2026-05-01", "--type", "poem"], "无法识别类型“poem”，"),
        (["--date", "2026-05-01", "--dispatch-to", "9999"], "没有这个组织。"),
        (["--date", "2026-05-01", "--url", "ftp://x"], "链接必须是以http://或https://开头的网址。"),
    ],
)
def test_bad_material_input_is_refused_and_nothing_is_stored(cli_db: Path, args: list[str], message: str) -> None:
    code, _out, err = invoke("material", "add", "--title", "讲话", "--source", "新华社", *args)
    assert code == 1 and err.strip().startswith(message), err
    assert rows(cli_db, "select count(*) from study_materials") == [(0,)]
    assert rows(cli_db, "select count(*) from material_dispatches") == [(0,)]


def test_text_output_is_readable(cli_db: Path, demo: DemoIds) -> None:
    code, out, err = invoke(
        "material", "add", "--title", "习近平关于党的建设的重要论述", "--source", "人民日报",
        "--date", "2026-05-02", "--type", "文章", "--dispatch-to", str(demo.branch_a),
    )  # fmt: skip
    assert code == 0, err
    assert out.splitlines() == [
        "已保存到材料库，编号 #1：习近平关于党的建设的重要论述",
        "✅ 《习近平关于党的建设的重要论述》已下发至1个支部。",
        "将通知1位支部书记。",
    ]
    code, out, err = invoke("material", "list")
    assert code == 0 and "#1" in out and "已下发至1个支部" in out
    code, out, err = invoke("firstagenda", "report", "--org", str(demo.unit))
    assert code == 0 and out.splitlines()[0] == "第一议题落实情况，2026年1月1日至2026年6月15日"
    assert "第一党支部" in out and "未学习材料：1" in out


def _meeting(path: Path, org_id: int, kind: str, day: date) -> int:
    with sqlite3.connect(path) as connection:
        start, end = at(day).replace(tzinfo=None), at(day, 11).replace(tzinfo=None)
        cursor = connection.execute(
            "insert into meetings (org_id, kind, starts_at, ends_at, status, tags, record_photos, created_at, details,"
            " revision, updated_at) values (?, ?, ?, ?, 'closed', '[]', '[]', ?, '{}', 0, ?)",
            (org_id, kind, start.isoformat(" "), end.isoformat(" "), start.isoformat(" "), start.isoformat(" ")),
        )
        return int(cursor.lastrowid or 0)


def test_firstagenda_report_json_one_object_per_branch(cli_db: Path, demo: DemoIds) -> None:
    code, out, err = invoke(
        "material", "add", "--title", "习近平在全国组织工作会议上的讲话", "--source", "新华社",
        "--date", "2026-06-01", "--dispatch-to", str(demo.unit), "--json",
    )  # fmt: skip
    material_id = json.loads(out)["id"]
    with sqlite3.connect(cli_db) as connection:  # dispatched on 1 June
        connection.execute(
            "update material_dispatches set dispatched_at = ?",
            (at(date(2026, 6, 1)).replace(tzinfo=None).isoformat(" "),),
        )
    # Branch A held two general meetings this year; the June one studied the material (after 4 days).
    _meeting(cli_db, demo.branch_a, "general_meeting", date(2026, 3, 20))
    studied = _meeting(cli_db, demo.branch_a, "general_meeting", date(2026, 6, 5))
    with sqlite3.connect(cli_db) as connection:
        item = connection.execute(
            "insert into first_agenda_items (meeting_id, form, recorded_at, updated_at) values (?, 'conveying', ?, ?)",
            (studied, "2026-06-05 03:00:00", "2026-06-05 03:00:00"),
        ).lastrowid
        connection.execute(
            "insert into first_agenda_materials (item_id, material_id, position) values (?, ?, 1)", (item, material_id)
        )
    code, out, err = invoke("firstagenda", "report", "--json")
    assert code == 0, err
    report = [json.loads(line) for line in out.splitlines()]
    assert report == [
        {
            "branch": "第一党支部",
            "branch_id": demo.branch_a,
            "needed": 2,
            "recorded": 1,
            "rate": 0.5,
            "unstudied": [],
            "median_lag_days": 4,
        },
        {
            "branch": "第二党支部",
            "branch_id": demo.branch_b,
            "needed": 0,
            "recorded": 0,
            "rate": 1.0,
            "unstudied": [material_id],
            "median_lag_days": None,
        },
    ]
    code, out, err = invoke(
        "firstagenda", "report", "--org", str(demo.branch_a), "--from", "2026-04-01", "--to", "2026-06-30", "--json"
    )
    assert [json.loads(line)["needed"] for line in out.splitlines()] == [1]
    code, out, err = invoke("firstagenda", "report", "--from", "2026-06-30", "--to", "2026-04-01")
    assert code == 1 and err.strip() == "结束日期早于开始日期。"
    code, out, err = invoke("firstagenda", "report", "--org", "9999")
    assert code == 1 and err.strip() == "没有这个组织。"
