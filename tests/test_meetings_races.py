"""Races (issue 11 item 2): two leaders deciding one leave request at once, on SQLite and PostgreSQL.

The decision is one conditional write on the attendance row's state, so exactly one leader wins; only the
winner's decision is recorded, audited and told to the member, and the other leader hears what happened."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.config import Settings
from bot.db import Database
from bot.demo import seed_demo, telegram_id_of
from bot.errors import Conflict
from bot.i18n import translator
from bot.services import meetings
from tests.meetings_helpers import actor, audit_actions, env_of, member_id, outbox_rows, schedule, statuses


async def _decide(db: Database, leader: str, meeting_id: int, member: int, approve: bool, settings: Settings) -> str:
    """One leader's press, in its own engine (as a second replica would): what that leader is told."""
    async with db.session() as session:
        try:
            await meetings.decide_leave(
                session, await actor(session, leader), meeting_id, member, approve, env=env_of(settings)
            )
        except Conflict as refused:
            return refused.localized(translator("zh_CN"))
    return "won"


async def test_approve_and_refuse_at_once_tell_the_member_once(any_db: Database, settings: Settings) -> None:
    async with any_db.session() as session:
        ids = await seed_demo(session)
    for round_ in range(3):  # each round a fresh request; the press order is up to the scheduler
        meeting_id = await schedule(any_db, settings, branch_id=ids.branch_a, starts_in=timedelta(days=3 + round_))
        async with any_db.session() as session:
            await meetings.request_leave(session, await actor(session, "A04"), meeting_id, "出差", env=env_of(settings))
            a04 = await member_id(session, "A04")
        other = Database(any_db.url)  # a second replica: its own engine and connections
        try:
            answers = await asyncio.gather(
                _decide(any_db, "A01", meeting_id, a04, True, settings),
                _decide(other, "A02", meeting_id, a04, False, settings),
            )
        finally:
            await other.dispose()
        assert sorted(answers).count("won") == 1, answers
        loser = next(a for a in answers if a != "won")
        approved = answers[0] == "won"
        assert loser == (
            "已由其他负责人处理：已批准刘洋的请假。" if approved else "已由其他负责人处理：已拒绝刘洋的请假。"
        )
        assert (await statuses(any_db, meeting_id))["A04"] == ("on_leave" if approved else "no_answer")
        told = await outbox_rows(any_db, f"mt:{meeting_id}:leave-decided:")
        assert [r.chat_id for r in told] == [telegram_id_of("A04")]  # the member is told once
        assert ("已获批准" if approved else "未获批准") in told[0].payload["text"]
        decisions = [a for a in await audit_actions(any_db, meeting_id) if a.startswith("leave_")]
        assert decisions == ["leave_approve" if approved else "leave_refuse"]
