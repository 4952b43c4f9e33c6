"""Deciding a self-report is one conditional write: two leaders pressing at once end in ONE state, only the
winner is confirmed, the member is told once, and the loser hears what happened (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

from sqlalchemy import func, select

from bot.db import Database
from bot.demo import seed_demo
from bot.errors import Conflict
from bot.services.access import Actor
from bot.services.volunteer import reports
from storage.models import AuditEntry, OutboxMessage
from storage.volunteer import ReportStatus, ServiceReport
from tests.volunteer_helpers import CFG, ENV, actor_of, add_communities


async def _pending_report(db: Database) -> int:
    async with db.session() as session:
        await seed_demo(session)
        communities = await add_communities(session)
        me = await actor_of(session, "A03")
        day = date.today() - timedelta(days=3)
        report = await reports.submit_report(
            session,
            me,
            reports.ReportInput(day=day, hours=2, description="清理楼道", community_id=communities["garden"]),
            CFG,
            env=ENV,
        )
        return report.id


async def _outcome_notices(db: Database, report_id: int) -> int:
    async with db.session() as session:
        key = f"vol:outcome:{report_id}:%"  # the notifier adds the member
        return int(
            await session.scalar(
                select(func.count()).select_from(OutboxMessage).where(OutboxMessage.dedup_key.like(key))
            )
            or 0
        )


async def test_approve_and_reject_at_once_end_in_one_state(any_db: Database) -> None:
    report_id = await _pending_report(any_db)
    async with any_db.session() as session:
        secretary, committee = await actor_of(session, "A01"), await actor_of(session, "A02")

    async def approve(actor: Actor) -> str:
        async with any_db.session() as session:
            await reports.approve_reports(session, actor, [report_id], env=ENV)
        return ReportStatus.APPROVED

    async def reject(actor: Actor) -> str:
        async with any_db.session() as session:
            await reports.reject_report(session, actor, report_id, "没有照片", env=ENV)
        return ReportStatus.REJECTED

    outcomes = await asyncio.gather(approve(secretary), reject(committee), return_exceptions=True)
    winners = [o for o in outcomes if isinstance(o, str)]
    losers = [o for o in outcomes if isinstance(o, Conflict)]
    assert len(winners) == 1 and len(losers) == 1, outcomes
    async with any_db.session() as session:
        report = await session.get(ServiceReport, report_id)
        assert report is not None and report.status == winners[0]
    # The loser is told what the other leader decided, in the person's words.
    expected = "approved" if winners[0] == ReportStatus.APPROVED else "not approved"
    assert losers[0].msgid == f"Already handled by another leader: {expected}."
    assert await _outcome_notices(any_db, report_id) == 1


async def test_twenty_simultaneous_approvals_write_one_audit_entry(any_db: Database) -> None:
    report_id = await _pending_report(any_db)
    async with any_db.session() as session:
        leaders = [await actor_of(session, number) for number in ("A01", "A02")]

    async def approve(actor: Actor) -> int:
        async with any_db.session() as session:
            return len(await reports.approve_reports(session, actor, [report_id], env=ENV))

    outcomes = await asyncio.gather(*(approve(leaders[i % 2]) for i in range(20)), return_exceptions=True)
    assert [o for o in outcomes if not isinstance(o, Conflict)] == [1], outcomes
    async with any_db.session() as session:
        audits = await session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.entity == "service_report", AuditEntry.action == "approve")
        )
        report = await session.get(ServiceReport, report_id)
    assert audits == 1
    assert report is not None and report.status == ReportStatus.APPROVED
    assert await _outcome_notices(any_db, report_id) == 1
