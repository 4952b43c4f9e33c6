"""Roster and organisation imports: all or nothing, every error with its row, idempotent, CSV and XLSX."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from bot.db import Database
from bot.errors import InvalidInput
from bot.i18n import translator
from bot.services.roster import export_roster, import_organisations, import_roster, org_tree
from bot.services.tabular import ImportRejected
from storage.models import AuditEntry, Member, Organisation

SHANGHAI = ZoneInfo("Asia/Shanghai")
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
HEADER = "member_no,name,branch,group,role,delegated,join_date,probationary,full_member_date,phone,community,telegram_id,language\n"


async def _load_examples(db: Database) -> None:
    async with db.session() as session:
        await import_organisations(session, EXAMPLES / "organisations.csv")
        await import_roster(session, EXAMPLES / "roster.csv", tz=SHANGHAI)


async def _count(db: Database, model: type) -> int:
    async with db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_example_files_import_and_reimport_changes_nothing(any_db: Database) -> None:
    await _load_examples(any_db)
    assert await _count(any_db, Organisation) == 5
    assert await _count(any_db, Member) == 8
    async with any_db.session() as session:
        result = await import_roster(session, EXAMPLES / "roster.csv", tz=SHANGHAI)
        again = await import_organisations(session, EXAMPLES / "organisations.csv")
    assert (result.created, result.updated, result.unchanged) == (0, 0, 8)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 5)
    assert await _count(any_db, Member) == 8
    async with any_db.session() as session:
        liu = await session.scalar(select(Member).where(Member.member_no == "MZ104"))
        assert liu is not None and liu.join_date == date(2008, 2, 29) and liu.language == "en"
        yang = await session.scalar(select(Member).where(Member.member_no == "MZ105"))
        assert yang is not None and yang.probationary
        tree = await org_tree(session)
    assert [(n["code"], n["depth"]) for n in tree] == [
        ("WC", 0),
        ("MZJ", 1),
        ("MZJ-B1", 2),
        ("MZJ-B1-G1", 3),
        ("MZJ-B2", 2),
    ]


async def test_changed_row_updates_by_member_no(db: Database, tmp_path: Path) -> None:
    await _load_examples(db)
    changed = tmp_path / "roster.csv"
    text = (EXAMPLES / "roster.csv").read_text(encoding="utf-8").replace("13800138103", "13900000000")
    changed.write_text(text, encoding="utf-8")
    async with db.session() as session:
        result = await import_roster(session, changed, tz=SHANGHAI)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 7)
    async with db.session() as session:
        zhang = await session.scalar(select(Member).where(Member.member_no == "MZ103"))
        assert zhang is not None and zhang.phone == "13900000000"
        assert (
            await session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.entity == "roster")) == 2
        )


async def test_every_bad_row_is_reported_and_nothing_is_imported(db: Database, tmp_path: Path) -> None:
    await _load_examples(db)
    before = await _count(db, Member)
    bad = tmp_path / "bad.csv"
    bad.write_text(
        HEADER
        + "N1,甲,MZJ-B1,,member,no,2030-01-01,no,,,,,\n"  # row 2: future join date
        + "N2,乙,NOPE,,member,no,2010-01-01,no,,,,,\n"  # row 3: unknown branch
        + "N3,丙,MZJ-B1,,member,no,2010-13-45,no,,,,,\n"  # row 4: not a date
        + "N3,丁,MZJ-B1,,boss,no,1900-01-01,maybe,,abc,,,\n"  # row 5: duplicate, role, early date, flag, phone
        + "N5,,MZJ-B1,,member,no,,no,,,,x,fr\n",  # row 6: no name, bad telegram id and language
        encoding="utf-8",
    )
    with pytest.raises(ImportRejected) as info:
        async with db.session() as session:
            await import_roster(session, bad, tz=SHANGHAI)
    tr = translator("zh_CN")
    lines = [error.localized(tr) for error in info.value.errors]
    assert {e.row for e in info.value.errors} == {2, 3, 4, 5, 6}
    assert "第2行：join_date“2030-01-01”是将来的日期" in lines
    assert "第3行：找不到支部NOPE" in lines
    assert "第4行：join_date“2010-13-45”不是有效日期，请按2026-12-15这样的写法填写" in lines
    assert "第5行：党员N3重复出现（另见第4行）" in lines
    assert any(line.startswith("第5行：未知角色boss") for line in lines)
    assert "第5行：join_date“1900-01-01”早于建党日期（1921年7月1日）" in lines
    assert any("第6行：telegram_id x" in line for line in lines)
    assert await _count(db, Member) == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xff\xfe\x00\x00garbage", "文件的编码既不是UTF-8，也不是GBK"),
        ("name,branch\n张,MZJ-B1\n".encode(), "缺少列：member_no。"),
        (b"", "文件是空的。"),
    ],
)
async def test_unreadable_files_are_refused(db: Database, tmp_path: Path, content: bytes, message: str) -> None:
    await _load_examples(db)
    path = tmp_path / "roster.csv"
    path.write_bytes(content)
    with pytest.raises(InvalidInput) as info:
        async with db.session() as session:
            await import_roster(session, path, tz=SHANGHAI)
    assert info.value.localized(translator("zh_CN")).startswith(message)


async def test_a_gbk_csv_as_excel_saves_it_on_chinese_windows_imports(db: Database, tmp_path: Path) -> None:
    await _load_examples(db)
    path = tmp_path / "roster-gbk.csv"
    path.write_bytes((HEADER + "G1,欧阳明,MZJ-B1,,支部委员,是,2011年7月1日,否,,,,,\n").encode("gbk"))
    async with db.session() as session:
        result = await import_roster(session, path, tz=SHANGHAI)
    assert result.created == 1
    async with db.session() as session:
        member = await session.scalar(select(Member).where(Member.member_no == "G1"))
        assert member is not None and (member.name, member.role, member.join_date) == (
            "欧阳明",
            "committee",
            date(2011, 7, 1),
        )


async def test_xlsx_roster_with_real_dates(db: Database, tmp_path: Path) -> None:
    async with db.session() as session:
        await import_organisations(session, EXAMPLES / "organisations.csv")
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["member_no", "name", "branch", "role", "join_date", "telegram_id"])
    sheet.append(["X1", "钱进", "MZJ-B2", "支部委员", date(2011, 7, 1), 424242])
    path = tmp_path / "roster.xlsx"
    workbook.save(path)
    async with db.session() as session:
        result = await import_roster(session, path, tz=SHANGHAI)
    assert result.created == 1
    async with db.session() as session:
        member = await session.scalar(select(Member).where(Member.member_no == "X1"))
        assert member is not None
        assert (member.role, member.join_date, member.telegram_id) == ("committee", date(2011, 7, 1), 424242)


async def test_export_round_trips(db: Database, tmp_path: Path) -> None:
    await _load_examples(db)
    out = tmp_path / "export.csv"
    async with db.session() as session:
        rows = await export_roster(session, out)
    assert len(rows) == 8 and all(row["id"] for row in rows)
    reimport = tmp_path / "reimport.csv"
    shutil.copy(out, reimport)
    text = reimport.read_text(encoding="utf-8-sig").splitlines()
    # The exported file (minus the id column) imports back unchanged.
    reimport.write_text("\n".join(line.split(",", 1)[1] for line in text) + "\n", encoding="utf-8")
    async with db.session() as session:
        result = await import_roster(session, reimport, tz=SHANGHAI)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 8)


async def test_organisation_errors(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "orgs.csv"
    path.write_text("code,name,kind,parent\nA,甲,branch,ZZ\nA,乙,club,\n", encoding="utf-8")
    with pytest.raises(ImportRejected) as info:
        async with db.session() as session:
            await import_organisations(session, path)
    lines = [e.localized(translator("en")) for e in info.value.errors]
    assert "Row 2: unknown parent ZZ" in lines
    assert "Row 3: code A repeats row 2" in lines
    assert any(line.startswith("Row 3: unknown kind club") for line in lines)
    assert await _count(db, Organisation) == 0
