"""The star rating's decisions under real concurrency, on SQLite and PostgreSQL: two leaders submitting at once,
two administrators announcing at once. One conditional write decides: one wins, the other is refused (told why),
one audit entry and one notice."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from bot.db import Database
from bot.environment import ServiceEnv
from bot.errors import Conflict
from bot.services.access import Actor
from bot.services.points import star_steps
from bot.services.points.versions import apply_rules
from storage.models import AuditEntry, Member, OutboxMessage
from tests.points_helpers import TEST_RULES, TODAY, TZ, seed_points


async def _actor(db: Database, member_no: str) -> Actor:
    async with db.session() as session:
        member = await session.scalar(select(Member).where(Member.member_no == member_no))
        assert member is not None
        return Actor.of(member, "zh_CN")


async def _race(db: Database, *steps: Any) -> list[BaseException | None]:
    """Each step in a session of its own, all at once; what each raised (None: it won)."""

    async def one(step: Any) -> BaseException | None:
        try:
            async with db.session() as session:
                await step(session)
        except Conflict as refused:
            return refused
        return None

    return list(await asyncio.gather(*(one(step) for step in steps)))


async def _count(db: Database, model: Any, *where: Any) -> int:
    async with db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def test_two_submits_and_two_announcements_at_once(any_db: Database) -> None:
    async with any_db.session() as session:
        ids = await seed_points(session)
        await apply_rules(session, None, "PU1", TEST_RULES)
    secretary, admin = await _actor(any_db, "P1"), await _actor(any_db, "PADM")
    async with any_db.session() as session:
        await star_steps.self_assess(session, secretary, "innovation", "8", "开展“红色驿站”项目", 2025)

    async def submit(session: Any) -> None:
        await star_steps.submit(session, secretary, 2025, TODAY, env=ServiceEnv(tz=TZ))

    outcomes = await _race(any_db, submit, submit, submit)
    assert sum(o is None for o in outcomes) == 1, outcomes
    assert [o.msgid for o in outcomes if isinstance(o, Conflict)] == ["The rating was already submitted."] * 2
    assert await _count(any_db, AuditEntry, AuditEntry.action == "stars.submitted") == 1
    assert await _count(any_db, OutboxMessage, OutboxMessage.kind == "stars") == 1  # the administrator, once

    async def announce(session: Any) -> None:
        await star_steps.announce(session, admin, ids.branch, 2025, TODAY, env=ServiceEnv(tz=TZ))

    outcomes = await _race(any_db, announce, announce)
    assert sum(o is None for o in outcomes) == 1, outcomes
    assert await _count(any_db, AuditEntry, AuditEntry.action == "stars.announced") == 1
    assert await _count(any_db, OutboxMessage, OutboxMessage.kind == "stars") == 2  # and the branch, once


async def test_two_administrators_publishing_at_once(any_db: Database) -> None:
    async with any_db.session() as session:
        ids = await seed_points(session)
        await apply_rules(session, None, "PU1", TEST_RULES)
        session.add(Member(member_no="PADM2", name="管理员乙", org_id=ids.unit, role="admin", telegram_id=9010))
    secretary = await _actor(any_db, "P1")
    admins = [await _actor(any_db, "PADM"), await _actor(any_db, "PADM2")]
    env = ServiceEnv(tz=TZ)
    async with any_db.session() as session:
        await star_steps.self_assess(session, secretary, "innovation", "8", "开展“红色驿站”项目", 2025)
        await star_steps.submit(session, secretary, 2025, TODAY, env=env)
        await star_steps.announce(session, admins[0], ids.branch, 2025, TODAY, env=env)
    after_notice = TODAY + timedelta(days=30)

    def publish(admin: Actor) -> Any:
        async def step(session: Any) -> None:
            await star_steps.publish(session, admin, ids.branch, 2025, after_notice, env=env)

        return step

    outcomes = await _race(any_db, *(publish(admin) for admin in admins))
    assert sum(o is None for o in outcomes) == 1, outcomes
    assert [o.msgid for o in outcomes if isinstance(o, Conflict)] == ["Only an announced result can be published."]
    assert await _count(any_db, AuditEntry, AuditEntry.action == "stars.published") == 1
    published = OutboxMessage.dedup_key.like("%:published:%")
    assert await _count(any_db, OutboxMessage, published) == 1  # the branch's secretary, told once
