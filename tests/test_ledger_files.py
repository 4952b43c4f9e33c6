"""The ledger's files, opened as a person would: the workbook (openpyxl), the meeting record (python-docx), the
charts (Pillow); their contents checked against the database for a seeded branch and unit."""

from __future__ import annotations

import asyncio
import io
import signal
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from docx import Document
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import func, select

from bot.db import Database
from bot.demo import seed_demo
from bot.errors import InvalidInput, PermissionDenied
from bot.services.access import Actor
from bot.services.ledger import charts
from bot.services.ledger.data import collect
from bot.services.ledger.digest import build_digests, build_digests_in_worker
from bot.services.ledger.export import export_ledger, meeting_record
from bot.services.ledger.period import LedgerPeriod, checked_period
from bot.services.ledger.sheets import EMPTY_NOTE, EMPTY_PERIOD
from bot.services.ledger.workbook import write_workbook
from storage import queries
from storage.meetings import Attendance, Meeting
from storage.models import Organisation
from tests.ledger_support import MATERIAL, Seeded, seed_year

TZ = ZoneInfo("Asia/Shanghai")
YEAR = LedgerPeriod(date(2025, 1, 1), date(2025, 12, 31))
BRANCH_SHEETS = ["汇总", "三会一课及主题党日登记", "出勤明细", "第一议题学习", "志愿服务", "政治生日", "合规"]


@pytest.fixture
async def seeded(any_db: Database) -> tuple[Database, object, Seeded]:
    async with any_db.session() as session:
        ids = await seed_demo(session)
        year = await seed_year(session, ids)
    return any_db, ids, year


async def _export(
    db: Database, org_id: int, path: Path, period: LedgerPeriod = YEAR, actor: Actor | None = None
) -> None:
    async with db.session() as session:
        org = await session.get(Organisation, org_id)
        assert org is not None
        await export_ledger(session, actor, org, period, TZ, path, with_charts=True)


def _rows(ws: object) -> list[tuple[object, ...]]:
    return [r for r in ws.iter_rows(min_row=3, values_only=True) if any(v is not None for v in r)]  # type: ignore[attr-defined]


def _d(value: object) -> object:
    return value.date() if isinstance(value, datetime) else value


async def test_branch_workbook_matches_the_database(seeded: tuple[Database, object, Seeded], tmp_path: Path) -> None:
    db, ids, year = seeded
    out = tmp_path / "branch.xlsx"
    await _export(db, ids.branch_a, out)  # type: ignore[attr-defined]
    async with db.session() as session:
        branch = await session.get(Organisation, ids.branch_a)  # type: ignore[attr-defined]
        counts = dict(
            (
                await session.execute(
                    select(Attendance.status, func.count())
                    .where(Attendance.meeting_id == year.general)
                    .group_by(Attendance.status)
                )
            ).all()
        )
        meetings_in_db = (
            await session.scalars(
                select(Meeting.topic)
                .where(Meeting.org_id == ids.branch_a, Meeting.status != "cancelled")  # type: ignore[attr-defined]
                .order_by(Meeting.starts_at)
            )
        ).all()
    assert branch is not None
    wb = load_workbook(out)
    assert wb.sheetnames == BRANCH_SHEETS
    for ws in wb.worksheets:
        assert (
            ws["A1"].value.startswith(branch.name)
            and " " not in ws["A1"].value
            and "2025年1月1日至2025年12月31日" in ws["A1"].value
        )
        assert ws.freeze_panes == "A3" and ws.print_title_rows == "$1:$2"
        assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9

    register = wb["三会一课及主题党日登记"]
    headers = [c.value for c in register[2]]
    rows = _rows(register)
    assert [r[headers.index("主题")] for r in rows] == list(meetings_in_db)  # the cancelled one is left out
    general = dict(zip(headers, rows[0], strict=True))
    assert _d(general["日期"]) == date(2025, 3, 5) and register.cell(3, 1).number_format == "yyyy-mm-dd"
    assert general["类型"] == "支部党员大会" and general["主持人"] == "王建国"
    assert general["第一议题学习材料"] == f"{MATERIAL}（新华社）" and general["学习形式"] == "传达学习"
    assert general["应到"] == sum(counts.values())
    assert general["实到"] == counts["present"] + counts["late"] and general["迟到"] == counts["late"]
    assert general["请假"] == counts["on_leave"] and general["缺席"] == counts["absent"]
    assert "张伟（请假：出差）" in general["缺席人员及原因"] and "刘洋（缺席）" in general["缺席人员及原因"]

    matrix = wb["出勤明细"]
    headers = [c.value for c in matrix[2]]
    assert headers[2:5] == ["03-05 支部党员大会", "03-15 主题党日", "03-20 支部委员会会议"]
    by_name = {r[0]: r for r in _rows(matrix)}
    assert by_name["张伟"][2:5] == ("假", "✓", None) and by_name["张伟"][-1] == 1
    assert by_name["刘洋"][2] == "✗" and by_name["刘洋"][-1] == 0  # transferred on 10 March: counted until then
    assert by_name["李红梅"][2] == "迟"
    assert "杨帆" not in by_name  # joined the Party in 2026: not a member of the 2025 ledger
    assert matrix.cell(3, len(headers)).number_format == "0.0%"

    study = dict(zip([c.value for c in wb["第一议题学习"][2]], _rows(wb["第一议题学习"])[0], strict=True))
    assert study["学习材料"] == MATERIAL and _d(study["下发日期"]) == date(2025, 3, 1)
    assert _d(study["学习会议日期"]) == date(2025, 3, 5) and study["间隔（天）"] == 4 and study["领学人"] == "王建国"

    service = wb["志愿服务"]
    headers = [c.value for c in service[2]]
    by_name = {r[0]: dict(zip(headers, r, strict=True)) for r in _rows(service)}
    assert by_name["张伟"]["2025-03（小时）"] == 3 and by_name["张伟"]["活动次数"] == 1
    assert by_name["张伟"]["工作时间外占比"] == pytest.approx(120 / 180)
    assert by_name["陈静"]["自报（已批准）"] == 1 and by_name["陈静"]["合计（小时）"] == 1

    births = {r[0]: r for r in _rows(wb["政治生日"])}
    assert _d(births["张伟"][2]) == date(2025, 11, 26) and births["张伟"][3] == 11
    assert _d(births["张伟"][4]) == date(2025, 11, 26) and births["王建国"][4] is None

    compliance = {(r[0], r[2]): r for r in _rows(wb["合规"])}
    assert compliance[("2025-03", "主题党日")][3:5] == (1, 1) and compliance[("2025-03", "主题党日")][6] == "达标"
    assert _d(compliance[("2025-03", "主题党日")][5]) == date(2025, 3, 15)  # the branch's theme day
    assert compliance[("2025-01", "支部委员会会议")][6] == "未达标"
    assert compliance[("2025", "党章学习")][3] == 1

    summary = dict(zip([c.value for c in wb["汇总"][2]], _rows(wb["汇总"])[0], strict=True))
    assert summary["支部"] == branch.name and summary["已召开会议"] == 3
    assert summary["出勤率"] == pytest.approx((4 + 6 + 2) / (6 + 6 + 2))
    assert len(wb["汇总"]._images) == 3  # the charts, embedded


async def test_unit_workbook_ranks_branches_and_counts_the_transfer_in_both(
    seeded: tuple[Database, object, Seeded], tmp_path: Path
) -> None:
    db, ids, _ = seeded
    out = tmp_path / "unit.xlsx"
    await _export(db, ids.unit, out)  # type: ignore[attr-defined]
    wb = load_workbook(out)
    assert wb.sheetnames == BRANCH_SHEETS  # a small unit keeps the member-level sheets
    summary = _rows(wb["汇总"])
    assert [r[0] for r in summary] == [1, 2]
    assert {r[1] for r in summary} == {"第一党支部", "第二党支部"}
    register = _rows(wb["三会一课及主题党日登记"])
    assert [r[0] for r in register].count("第二党支部") == 1 and len(register) == 5
    matrix = [(r[0], r[1]) for r in _rows(wb["出勤明细"])]
    assert ("第一党支部", "刘洋") in matrix and ("第二党支部", "刘洋") in matrix
    # The first agenda: branch B was sent the material and has not studied it.
    study = {r[0]: r for r in _rows(wb["第一议题学习"])}
    assert study["第二党支部"][5] == "未学习" and study["第一党支部"][6] == 4

    # A large unit: one row per branch in the indicator sheets, no member-level sheets.
    async with db.session() as session:
        org = await session.get(Organisation, ids.unit)  # type: ignore[attr-defined]
        assert org is not None
        data = await collect(session, org, YEAR, TZ, member_level=False)
    from bot.services.ledger.workbook import write_workbook

    write_workbook(data, tmp_path / "large.xlsx")
    large = load_workbook(tmp_path / "large.xlsx")
    assert "政治生日" not in large.sheetnames
    attendance = {r[0]: r for r in _rows(large["出勤明细"])}
    assert attendance["第二党支部"][1:4] == (1, 3, 2)


async def test_empty_period_gives_a_valid_ledger_saying_so(
    seeded: tuple[Database, object, Seeded], tmp_path: Path
) -> None:
    db, ids, _ = seeded
    out = tmp_path / "empty.xlsx"
    await _export(db, ids.branch_a, out, LedgerPeriod(date(2024, 1, 1), date(2024, 1, 31)))  # type: ignore[attr-defined]
    wb = load_workbook(out)
    assert EMPTY_PERIOD in wb["汇总"]["A1"].value
    assert wb["三会一课及主题党日登记"]["A3"].value == EMPTY_NOTE


async def test_bad_input_is_refused_before_any_work(seeded: tuple[Database, object, Seeded], tmp_path: Path) -> None:
    db, ids, _ = seeded
    with pytest.raises(InvalidInput, match="3 years"):
        checked_period(date(2022, 1, 1), date(2025, 1, 1))
    with pytest.raises(InvalidInput):
        checked_period(date(2025, 2, 1), date(2025, 1, 1))
    checked_period(date(2022, 1, 1), date(2024, 12, 31))  # three years exactly is fine
    async with db.session() as session:
        other = Actor.of(await queries.member_by_no(session, "B01"), "zh_CN")  # type: ignore[arg-type]
    with pytest.raises(PermissionDenied):
        await _export(db, ids.branch_a, tmp_path / "x.xlsx", actor=other)  # type: ignore[attr-defined]
    assert not (tmp_path / "x.xlsx").exists()
    with pytest.raises(InvalidInput, match="does not exist"):
        await _export(db, ids.branch_a, tmp_path / "missing" / "x.xlsx")  # type: ignore[attr-defined]


async def test_meeting_record_docx(seeded: tuple[Database, object, Seeded], tmp_path: Path) -> None:
    db, _, year = seeded
    out = tmp_path / "record.docx"
    async with db.session() as session:
        await meeting_record(session, None, year.general, TZ, out)
    document = Document(str(out))
    texts = [p.text for p in document.paragraphs]
    assert texts[0] == "会议记录"
    facts = {row.cells[0].text: row.cells[1].text for row in document.tables[0].rows}
    assert facts["时间"] == "2025年3月5日 14:30—16:00" and facts["地点"] == "三楼会议室"
    assert facts["主持人"] == "王建国" and facts["记录人"] == "王建国"
    assert facts["应到"] == "7人" and facts["实到"] == "4人"
    assert facts["缺席及原因"].startswith("3人：") and "张伟（请假：出差）" in facts["缺席及原因"]
    agenda = texts[texts.index("议题") + 1 : texts.index("内容")]
    assert agenda[0].startswith(f"1. 第一议题：学习{MATERIAL}（新华社）") and "领学人：王建国" in agenda[0]
    assert agenda[1] == "2. 学习贯彻全会精神"
    assert "讨论下一步工作。" in texts
    sign = document.tables[1]
    assert [c.text for c in sign.rows[0].cells] == ["序号", "姓名", "签到情况", "签名"]
    assert len(sign.rows) == 1 + 7 and {r.cells[1].text for r in sign.rows[1:]} >= {"王建国", "张伟"}


async def test_charts_use_a_simplified_chinese_face_that_has_every_glyph(
    seeded: tuple[Database, object, Seeded],
) -> None:
    from fontTools.ttLib import TTFont

    db, ids, _ = seeded
    path = charts.font_file()
    # The font file read by another library than the one drawing: the face charts use is the collection's first.
    with TTFont(str(path), fontNumber=0, lazy=True) as font:
        family = font["name"].getDebugName(1)
        charmap = font.getBestCmap()
    assert family == "WenQuanYi Micro Hei"  # 文泉驿微米黑: a Simplified Chinese design, not a Japanese face
    async with db.session() as session:
        for org_id in (ids.branch_a, ids.unit):  # type: ignore[attr-defined]
            org = await session.get(Organisation, org_id)
            assert org is not None
            data = await collect(session, org, YEAR, TZ)
            for kind in charts.KINDS:
                chart = charts.draw(kind, data)
                assert chart.family == family
                missing = {ch for label in chart.labels for ch in label if not ch.isspace() and ord(ch) not in charmap}
                assert not missing, (kind, missing)
                image = Image.open(io.BytesIO(chart.png))
                assert image.format == "PNG" and image.size == (960, 720)
    with pytest.raises(InvalidInput):
        charts.draw("pie", data)


async def test_digest_files_are_each_organisations_own_ledger(
    seeded: tuple[Database, object, Seeded], tmp_path: Path
) -> None:
    """The digest reads the whole tree once, in a worker thread with its own connection, and slices it: each
    organisation's ledger must be the one read for that organisation alone (a unit's without member sheets)."""
    db, ids, _ = seeded
    march = LedgerPeriod(date(2025, 3, 1), date(2025, 3, 31))
    branch, unit = ids.branch_a, ids.unit  # type: ignore[attr-defined]
    built = await asyncio.to_thread(build_digests, db.url, [branch, unit], march, TZ, date(2025, 4, 1), tmp_path)
    assert sorted(built) == sorted([branch, unit])
    async with db.session() as session:
        for org_id, member_level in ((branch, True), (unit, False)):
            org = await session.get(Organisation, org_id)
            assert org is not None
            own = tmp_path / f"own-{org_id}.xlsx"
            write_workbook(await collect(session, org, march, TZ, member_level=member_level), own)
            theirs, ours = load_workbook(own), load_workbook(built[org_id].ledger)
            assert ours.sheetnames == theirs.sheetnames
            for name in ours.sheetnames:
                assert _rows(ours[name]) == _rows(theirs[name]), name
    with Image.open(built[branch].picture) as picture:
        assert picture.format == "PNG" and picture.size == (960, 720)
    captions = built[branch].captions
    assert "出勤率：" in captions["zh_CN"] and "Attendance: " in captions["en"]


async def test_a_cancelled_digest_build_kills_its_worker(
    seeded: tuple[Database, object, Seeded], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bot stopping cancels the job: the worker process is killed, not left building a city for minutes."""
    db, ids, _ = seeded
    started: list[asyncio.subprocess.Process] = []
    running = asyncio.Event()
    real = asyncio.create_subprocess_exec

    async def noting(*args: object, **kwargs: object) -> asyncio.subprocess.Process:
        started.append(await real(*args, **kwargs))  # type: ignore[arg-type]
        running.set()
        return started[-1]

    monkeypatch.setattr(asyncio, "create_subprocess_exec", noting)
    march = LedgerPeriod(date(2025, 3, 1), date(2025, 3, 31))
    branch = ids.branch_a  # type: ignore[attr-defined]
    build = asyncio.create_task(build_digests_in_worker(db.url, [branch], march, TZ, date(2025, 4, 1), tmp_path))
    await running.wait()
    build.cancel()
    with pytest.raises(asyncio.CancelledError):
        await build
    assert started[0].returncode == -signal.SIGKILL
    assert not await asyncio.to_thread(lambda: list(tmp_path.glob("*.xlsx")))  # killed before it wrote anything
