"""/ledger, /charts, /digest and the meeting record button in chat; the monthly digest job; the command line."""

from __future__ import annotations

import asyncio
import io
import json
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from docx import Document
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli import app
from bot.config import Settings
from bot.db import Database
from bot.demo import DemoIds, telegram_id_of
from bot.environment import ServiceEnv
from bot.services.ledger.digest import queue_digests
from storage.ledger import DigestPreference
from storage.models import OutboxMessage
from tests.conftest import BotHarness
from tests.ledger_support import seed_year

SHANGHAI = ZoneInfo("Asia/Shanghai")
GROUP = -100_777
ADMIN = 100001  # the demo administrator (ADM1)
runner = CliRunner()


@pytest.fixture(autouse=True)
def in_april_2025() -> object:
    with time_machine.travel(datetime(2025, 4, 1, 10, 0, tzinfo=SHANGHAI), tick=False):
        yield


async def _seed(bot: BotHarness) -> None:
    async with bot.db.session() as session:
        await seed_year(session, bot.ids)


def _documents(bot: BotHarness, member_no: str) -> list[tuple[str, bytes]]:
    chat = telegram_id_of(member_no)
    return [(name, data) for c in bot.request.sent(chat, "sendDocument") for name, data in c.files.items()]


async def test_secretary_gets_last_months_ledger_as_a_document(bot: BotHarness) -> None:
    await _seed(bot)
    texts = await bot.say("A01", "/ledger")
    assert texts == ["第一党支部台账：请选择期间。"]
    buttons = bot.request.calls[-1].buttons
    assert ("上月", f"lg:{bot.ids.branch_a}:last_month") in buttons
    await bot.press("A01", f"lg:{bot.ids.branch_a}:last_month")
    (_, data), *_ = _documents(bot, "A01")
    wb = load_workbook(io.BytesIO(data))
    assert wb["汇总"]["A1"].value == "第一党支部汇总（2025年3月1日至2025年3月31日）"
    assert len([r for r in wb["三会一课及主题党日登记"].iter_rows(min_row=3, values_only=True) if any(r)]) == 3


async def test_a_units_ledger_is_read_and_written_in_the_worker_process(
    bot: BotHarness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An administrator's ledger of a unit (every branch below it) is built away from the event loop, in the
    ledgers' worker process; it holds what the same ledger built in the bot's own process holds."""
    from bot.services.ledger import export, process
    from bot.services.ledger.period import LedgerPeriod
    from storage.models import Organisation

    await _seed(bot)
    jobs: list[str] = []
    real = process.in_worker

    async def watched(job: dict[str, object]) -> object:
        jobs.append(str(job["kind"]))
        return await real(job)

    monkeypatch.setattr(export, "in_worker", watched)
    # a secretary's forged button for the unit is refused before any work
    assert (await bot.press("A01", f"lg:{bot.ids.unit}:last_month"))[-1] == "该组织不在您的管理范围内。"
    assert jobs == [] and _documents(bot, "A01") == []
    await bot.press(ADMIN, f"lg:{bot.ids.unit}:last_month")
    assert jobs == ["ledger"]
    (_, data), *_ = [(n, d) for c in bot.request.sent(ADMIN, "sendDocument") for n, d in c.files.items()]
    async with bot.db.session() as session:
        unit = await session.get(Organisation, bot.ids.unit)
        assert unit is not None
        here = tmp_path / "here.xlsx"
        await export.export_ledger(
            session, None, unit, LedgerPeriod(date(2025, 3, 1), date(2025, 3, 31)), SHANGHAI, here
        )

    def cells(book: object) -> dict[str, list[tuple[object, ...]]]:
        return {ws.title: list(ws.iter_rows(values_only=True)) for ws in book}  # type: ignore[attr-defined]

    worker_book, own_book = load_workbook(io.BytesIO(data)), load_workbook(here)
    assert cells(worker_book) == cells(own_book)
    assert worker_book["汇总"]["A1"].value.startswith(unit.name)


async def test_typed_period_and_refusals(bot: BotHarness) -> None:
    await _seed(bot)
    assert await bot.say("A01", "/ledger 2020-01-01 2025-03-31") == ["台账的期间最长3年。"]
    assert await bot.say("A01", f"/ledger {bot.ids.branch_b} 2025-01-01 2025-03-31") == ["该组织不在您的管理范围内。"]
    # A secretary pressing a forged button for another branch is refused, nothing sent.
    await bot.press("B01", f"lg:{bot.ids.branch_a}:this_year")
    assert _documents(bot, "B01") == []
    # A member may not use /ledger at all.
    assert len(await bot.say("A03", "/ledger")) == 1 and _documents(bot, "A03") == []
    await bot.say("A01", "/ledger 2025-03-01 2025-03-31")
    assert len(_documents(bot, "A01")) == 1
    await bot.say("A01", "/ledger 1月1日 3月31日")  # the form the typed-period hint shows in Chinese
    assert len(_documents(bot, "A01")) == 2


async def test_in_a_group_the_bot_points_to_the_private_chat(bot: BotHarness) -> None:
    await bot.say("A01", "/linkgroup", chat_id=GROUP)
    texts = await bot.say("A01", "/ledger", chat_id=GROUP)
    assert texts == ["台账含党员姓名，只在私聊中发送。"]
    assert bot.request.calls[-1].buttons == [("打开私聊", "https://t.me/branch_assistant_bot?start=private")]
    assert bot.request.calls[-1].chat_id == GROUP and not bot.request.sent(GROUP, "sendDocument")


async def test_admin_charts_and_meeting_record_button(bot: BotHarness) -> None:
    await _seed(bot)
    await bot.say(ADMIN, "/charts")
    buttons = bot.request.calls[-1].buttons
    assert (("出勤率（按月）", f"lc:{bot.ids.unit}:attendance")) in buttons
    await bot.press(ADMIN, f"lc:{bot.ids.unit}:first-agenda")
    photos = bot.request.sent(ADMIN, "sendPhoto")
    assert photos and Image.open(io.BytesIO(next(iter(photos[-1].files.values())))).format == "PNG"
    async with bot.db.session() as session:
        from storage.meetings import Meeting

        general = await session.scalar(select(Meeting.id).where(Meeting.topic == "学习贯彻全会精神"))
    await bot.press("A01", f"mt:{general}:card")
    assert ("📄 会议记录（Word）", f"lgr:{general}") in bot.request.calls[-1].buttons
    await bot.press("A01", f"lgr:{general}")
    (name, data), *_ = _documents(bot, "A01")
    assert name == "document" and Document(io.BytesIO(data)).paragraphs[0].text == "会议记录"
    await bot.press("B01", f"lgr:{general}")  # not their branch
    assert _documents(bot, "B01") == []


async def test_digest_once_per_month_and_off(bot: BotHarness, tmp_path: Path) -> None:
    await _seed(bot)
    assert await bot.say("B01", "/digest 关闭") == ["月度台账推送已关闭。发送“/digest 开启”可重新开启。"]
    async with bot.db.session() as session:
        assert (await session.get(DigestPreference, _member_id(bot, "B01"))) is not None
    settings = bot.application.bot_data["resources"].settings
    queued = await queue_digests(bot.db, date(2025, 4, 1), tmp_path, env=ServiceEnv.from_settings(settings))
    again = await queue_digests(bot.db, date(2025, 4, 1), tmp_path, env=ServiceEnv.from_settings(settings))
    async with bot.db.session() as session:
        rows = (await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "digest"))).all()
    assert queued >= 1 and again == 0
    keys = {r.dedup_key for r in rows}
    assert f"digest:{_member_id(bot, 'A01')}:2025-03" in keys
    assert not any(k.startswith(f"digest:{_member_id(bot, 'B01')}:") for k in keys)
    photo = next(r for r in rows if r.dedup_key == f"digest:{_member_id(bot, 'A01')}:2025-03")
    caption = photo.payload["caption"]
    assert "出勤率：86%" in caption and "本月应开展：" in caption and len(caption.splitlines()) == 6
    assert await asyncio.to_thread(Path(photo.payload["photo_path"]).is_file)


def _member_id(bot: BotHarness, member_no: str) -> int:
    ids = bot.ids
    table = {"A01": ids.secretary_a, "B01": ids.secretary_b}
    return table[member_no]


def test_cli_export_chart_and_record(
    settings: Settings, demo: DemoIds, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DATABASE_URL", settings.DATABASE_URL)

    async def seed() -> int:
        database = Database(settings.DATABASE_URL)
        async with database.session() as session:
            seeded = await seed_year(session, demo)
        await database.dispose()
        return seeded.general

    general = asyncio.run(seed())
    out = tmp_path / "a.xlsx"
    result = runner.invoke(
        app,
        [
            "ledger",
            "export",
            "--org",
            str(demo.branch_a),
            "--from",
            "2025-01-01",
            "--to",
            "2025-12-31",
            "--out",
            str(out),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["file"] == str(out) and report["sheets"][1] == {"name": "三会一课及主题党日登记", "rows": 4}
    assert load_workbook(out).sheetnames[0] == "汇总"
    result = runner.invoke(
        app, ["ledger", "export", "--org", "B", "--from", "2020-01-01", "--to", "2025-12-31", "--out", str(out)]
    )
    assert result.exit_code == 1 and "最长3年" in result.output
    result = runner.invoke(
        app,
        [
            "ledger",
            "export",
            "--org",
            str(demo.unit),
            "--from",
            "2025-01-01",
            "--to",
            "2025-12-31",
            "--out",
            "/nonexistent/dir/x.xlsx",
        ],
    )
    assert result.exit_code == 1 and result.output.strip().count("\n") == 0 and "不存在" in result.output
    png = tmp_path / "c.png"
    result = runner.invoke(
        app,
        ["chart", "meetings", "--org", str(demo.unit), "--from", "2025-01-01", "--to", "2025-12-31", "--out", str(png)],
    )
    assert result.exit_code == 0, result.output
    with Image.open(png) as image:
        assert image.format == "PNG"
    assert runner.invoke(app, ["chart", "pie", "--org", str(demo.unit), "--out", str(png)]).exit_code == 1
    docx_path = tmp_path / "r.docx"
    result = runner.invoke(app, ["meeting", "record", str(general), "--out", str(docx_path)])
    assert result.exit_code == 0, result.output
    assert Document(str(docx_path)).paragraphs[0].text == "会议记录"
