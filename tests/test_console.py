"""The offline console drives the real handlers from text lines: messages, buttons, images saved to files."""

from __future__ import annotations

import asyncio
import io
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import func, select

from bot.config import Settings
from bot.console import Console, html_to_text
from bot.db import Database
from bot.demo import seed_demo, seed_showcase
from bot.environment import ServiceEnv
from storage.first_agenda import MaterialDispatch
from storage.meetings import Meeting
from storage.models import Member, OutboxMessage, OutboxStatus
from storage.volunteer import Activity, CommunityRegistration, SignUp


async def _run(settings: Settings, db: Database, tmp_path: Path, who: str, script: str) -> str:
    out = io.StringIO()
    async with db.session() as session:
        await seed_demo(session)
    await Console(settings, db, out=out, files_dir=tmp_path / "files").run(who, lines=io.StringIO(script))
    return out.getvalue()


async def test_secretary_session(settings: Settings, db: Database, tmp_path: Path) -> None:
    output = await _run(settings, db, tmp_path, "A01", "/help\n/invites\n/measures\n#3\n:quit\n")
    assert "您现在是王建国（支部书记）。输入 :help 查看控制台命令。" in output
    assert "bot> 王建国，您好！" in output
    assert "https://t.me/branch_assistant_bot?start=inv_" in output
    saved = sorted((tmp_path / "files").iterdir())
    assert len(saved) == 2 and all(p.read_bytes().startswith(b"\x89PNG") for p in saved)
    assert f"[图片已保存到{saved[0]}] 杨帆" in output
    assert "[1] 一、把党的政治建设摆在首位" in output
    assert "bot (edited)> **三、锻造全面过硬党组织**" in output  # button 3 opened the third section


async def test_guest_console_and_unknown_member(settings: Settings, db: Database, tmp_path: Path) -> None:
    output = await _run(settings, db, tmp_path, "A06", "/invites\n党费怎么用\n")
    assert "您现在是杨帆（党员），尚未绑定 Telegram" in output
    assert "您还不在支部花名册中" in output
    assert "第16条 · 保障党内活动经费" in output
    output = await _run(settings, db, tmp_path, "ZZ9", "")
    assert "没有党员'ZZ9'，请输入花名册编号，例如A01。" in output


async def test_a_console_session_leaves_nothing_running_and_no_connection_open(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    # The application closes what it opened however it is stopped (here without run_polling, whose post_stop and
    # post_shutdown hooks the console never reaches): the outbox sender, then the database's connections.
    async with db.session() as session:
        await seed_demo(session)
    console = Console(settings, db, out=io.StringIO(), files_dir=tmp_path / "files")
    await console.run("A01", lines=io.StringIO("/help\n"))
    worker = console.application.bot_data["resources"].worker
    assert worker is not None and not worker.running
    assert db.engine.pool.checkedout() == 0
    assert not [t for t in asyncio.all_tasks() if t.get_name() == "outbox-sender"]


async def test_the_consoles_own_words_follow_the_language(settings: Settings, db: Database, tmp_path: Path) -> None:
    output = await _run(settings, db, tmp_path, "A03", ":help\n/lang\n#2\n:help\n#7\n:nope\n")
    assert "控制台命令：" in output and "Console commands:" in output  # before and after choosing English
    assert "No such button." in output and "Unknown console command :nope." in output


def test_html_to_text() -> None:
    assert html_to_text("<b>第16条</b> &lt;党费&gt; <i>x</i>") == "**第16条** <党费> x"


@pytest.mark.parametrize("day", [date(2026, 11, 26), date(2028, 2, 29), date(2026, 12, 14), date(2027, 1, 3)])
async def test_the_demo_showcase_is_seeded_once_on_any_day(settings: Settings, db: Database, day: date) -> None:
    env = ServiceEnv.from_settings(settings)
    with time_machine.travel(datetime.combine(day, time(10), tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        async with db.session() as session:
            assert await seed_showcase(session, settings, env)
        async with db.session() as session:
            assert not await seed_showcase(session, settings, env)  # a second `branchbot demo` adds nothing

            async def count(model: type, *where: object) -> int:
                return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)

            assert await count(Meeting) == 2 and await count(Meeting, Meeting.status == "closed") == 1
            assert await count(MaterialDispatch) == 2 and await count(Activity) == 1 and await count(SignUp) == 1
            assert await count(CommunityRegistration) == 3
            assert await count(OutboxMessage, OutboxMessage.status == OutboxStatus.PENDING) == 0  # a quiet start
            qian = await session.scalar(select(Member).where(Member.member_no == "A08"))
            assert qian is not None and qian.join_date is not None
            assert (qian.join_date.month, qian.join_date.day) == (day.month, day.day)  # political birthday today


async def test_button_alerts_show_in_front_of_the_person(settings: Settings, db: Database, tmp_path: Path) -> None:
    # A guest presses a members-only button: the refusal pops up for them, not "to" an unnamed chat.
    output = await _run(settings, db, tmp_path, "A01", "/meetings\n:as A06\n#1\n")
    assert "请先通过邀请链接加入。" in output
    assert "None]" not in output
