"""Check-ins arriving together are written together (bot/checkin_batches.py): one transaction for the moment's
check-ins, each still decided by its own row's conditional write; a bad one refuses only itself; each update's handled
marker goes in the same transaction; on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

import storage.checkins
from bot.checkin_batches import CheckInBatches
from bot.clock import now_utc
from bot.db import Database
from bot.demo import telegram_id_of
from storage.checkins import CheckIn, record_check_ins
from storage.flows import HandledUpdate
from storage.meetings import Attendance
from tests.conftest import BotHarness
from tests.meetings_helpers import schedule, statuses
from tests.test_meetings_checkin import _many_members
from tests.test_meetings_handlers import GROUP, _alerts, _link_group, _settings


def _present() -> dict[str, Any]:
    now = now_utc()
    return {"status": "present", "checked_in_at": now, "checkin_method": "button", "updated_at": now}


async def _stored(db: Database, meeting_id: int) -> dict[int, str]:
    async with db.session() as session:
        rows = await session.execute(
            select(Attendance.member_id, Attendance.status).where(Attendance.meeting_id == meeting_id)
        )
        return {member: status for member, status in rows.all()}


async def test_many_check_ins_in_one_write_each_decided_by_its_row(
    any_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    meeting_id, members = await _many_members(any_db, 5)
    async with any_db.session() as session:
        session.add(Attendance(meeting_id=meeting_id, member_id=members[0], status="late"))  # checked in before
        session.add(Attendance(meeting_id=meeting_id, member_id=members[1], status="attending"))  # answered only
    monkeypatch.setattr(storage.checkins, "CHECK_INS_PER_STATEMENT", 2)  # three statements for the five rows
    asked = [members[0], members[1], members[2], members[2], members[3], members[4]]  # members[2] twice
    async with any_db.session() as session:
        done = await record_check_ins(session, [CheckIn(meeting_id, m, _present()) for m in asked])
    assert done == [False, True, True, False, True, True]
    stored = await _stored(any_db, meeting_id)
    assert stored == {members[0]: "late", **{m: "present" for m in members[1:]}}


async def test_check_ins_arriving_together_share_one_transaction(any_db: Database) -> None:
    meeting_id, members = await _many_members(any_db, 30)
    batches = CheckInBatches(any_db)
    asked = [*members, *members[:5]]  # five of them press twice
    results = await asyncio.gather(*(batches.record(None, meeting_id, m, _present()) for m in asked))  # type: ignore[arg-type]
    assert results == [True] * 30 + [False] * 5
    assert batches.batches == 1
    stored = await _stored(any_db, meeting_id)
    assert len(stored) == 30 and set(stored.values()) == {"present"}
    await batches.close()


async def test_a_bad_check_in_refuses_only_itself(any_db: Database) -> None:
    meeting_id, members = await _many_members(any_db, 3)
    batches = CheckInBatches(any_db)
    good = [batches.record(None, meeting_id, m, _present()) for m in members]  # type: ignore[arg-type]
    bad = batches.record(None, meeting_id + 1000, members[0], _present())  # type: ignore[arg-type]  # no such meeting
    results = await asyncio.gather(*good, bad, return_exceptions=True)
    assert results[:3] == [True, True, True]
    assert isinstance(results[3], IntegrityError)
    assert set((await _stored(any_db, meeting_id)).values()) == {"present"}


async def test_presses_at_the_same_moment_go_in_one_transaction_with_their_markers(bot: BotHarness) -> None:
    await _link_group(bot)
    meeting_id = await schedule(bot.db, _settings(bot), branch_id=bot.ids.branch_a, starts_in=timedelta(minutes=10))
    batches = bot.application.bot_data["resources"].checkins
    before, calls = batches.batches, len(bot.request.calls)
    presses = [
        bot.updates.callback(telegram_id_of(no), f"mt:{meeting_id}:ck", chat_id=GROUP)
        for no in ("A02", "A03", "A04", "A05")
    ]
    await asyncio.gather(*(bot.send(press) for press in presses))
    assert batches.batches == before + 1
    alerts = _alerts(bot, calls)
    assert len(alerts) == 4 and all(a.startswith("✅") and "已签到：主题党日" in a for a in alerts)
    result = await statuses(bot.db, meeting_id)
    assert [result[n] for n in ("A02", "A03", "A04", "A05")] == ["present"] * 4
    async with bot.db.session() as session:  # each update's marker, written with the check-ins (not a second later)
        marked = set((await session.scalars(select(HandledUpdate.update_id))).all())
    assert {press.update_id for press in presses} <= marked
    # A second press by one of them is refused: their row's conditional write finds them checked in.
    calls = len(bot.request.calls)
    await bot.press("A03", f"mt:{meeting_id}:ck", chat_id=GROUP)
    assert _alerts(bot, calls)[0].startswith("您已签到（")


async def test_a_writer_cancelled_at_shutdown_leaves_no_check_in_waiting(any_db: Database) -> None:
    meeting_id, members = await _many_members(any_db, 2)
    batches = CheckInBatches(any_db)
    waiting = [asyncio.ensure_future(batches.record(None, meeting_id, m, _present())) for m in members]  # type: ignore[arg-type]
    await asyncio.sleep(0)  # both are queued and the writer is created (cancelled before its first step)
    assert batches._writer is not None
    batches._writer.cancel()
    results = await asyncio.gather(*waiting, return_exceptions=True)
    assert all(isinstance(r, asyncio.CancelledError) for r in results)
    assert batches._writer is None
