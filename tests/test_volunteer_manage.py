"""Posters change and cancel their activities: refusals change nothing, every change is told once to everyone
signed up or waiting and audited, added places go to the waiting list, a cancelled activity refuses the rest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.db import Database
from bot.demo import DemoIds
from bot.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from bot.i18n import translator
from bot.services import volunteer
from bot.services.volunteer import manage, reports
from bot.services.volunteer import totals as volunteer_totals
from storage.models import AuditEntry, OutboxMessage, OutboxStatus
from storage.volunteer import Activity, ActivityStatus
from tests.volunteer_helpers import CFG, ENV, actor_of, add_activity, add_communities

SH = ENV.tz
NOW = datetime(2030, 6, 3, 7, 0, tzinfo=SH).astimezone(UTC)  # Monday 07:00 in Shanghai


async def _outbox(session, pattern: str) -> list[OutboxMessage]:  # type: ignore[no-untyped-def]
    rows = await session.scalars(select(OutboxMessage).where(OutboxMessage.dedup_key.like(pattern)))
    return list(rows.all())


async def test_edits_are_checked_announced_once_and_fill_added_places(db: Database, demo: DemoIds) -> None:
    async with db.session() as session:
        ids = await add_communities(session)
        secretary = await actor_of(session, "A01")
        # Tuesday 09:00–11:00, one place: A03 has it, A04 and A05 wait.
        activity = await add_activity(
            session, secretary, ids["garden"], slots=1, starts_in=timedelta(hours=26), now=NOW
        )
        for number in ("A03", "A04", "A05"):
            await volunteer.sign_up(session, await actor_of(session, number), activity.id, now=NOW)
        with pytest.raises(PermissionDenied):  # a member of the branch
            await manage.edit_activity(
                session, await actor_of(session, "A03"), activity.id, env=ENV, title="x", now=NOW
            )
        with pytest.raises(NotFound):  # another branch's secretary does not even see it
            await manage.edit_activity(
                session, await actor_of(session, "B01"), activity.id, env=ENV, title="x", now=NOW
            )
        for bad in ({"slots": 0}, {"title": "  "}, {"title": "社区环境整治"}, {"place": "x" * 201}):
            with pytest.raises(InvalidInput):
                await manage.edit_activity(session, secretary, activity.id, env=ENV, now=NOW, **bad)
        with pytest.raises(InvalidInput):  # the end before the start
            await manage.edit_activity(
                session,
                secretary,
                activity.id,
                env=ENV,
                starts_at=activity.starts_at,
                ends_at=activity.starts_at,
                now=NOW,
            )
        assert await session.scalar(select(Activity.revision).where(Activity.id == activity.id)) == 0

        # The reminder for Tuesday 09:00 is queued; the activity moves to 14:00 (and keeps its two hours).
        assert await volunteer.queue_reminders(session, CFG, env=ENV, now=NOW) == 1
        moved = await manage.edit_activity(
            session, secretary, activity.id, env=ENV, starts_at=activity.starts_at + timedelta(hours=5), now=NOW
        )
        assert moved.changed == ["when"] and moved.told == 3
        assert activity.ends_at - activity.starts_at == timedelta(hours=2)
        reminders = await _outbox(session, f"vol:remind:{activity.id}:%")
        assert [r.status for r in reminders] == [OutboxStatus.DROPPED]
        assert await volunteer.queue_reminders(session, CFG, env=ENV, now=NOW) == 1  # reminded of the new time
        new_reminder = (await _outbox(session, f"vol:remind:{activity.id}:%"))[-1]
        assert new_reminder.status == OutboxStatus.PENDING and "14:00" in new_reminder.payload["text"]

        # One more place: the first one waiting gets it (and is told so), the others hear of the change.
        more = await manage.edit_activity(session, secretary, activity.id, env=ENV, slots=2, now=NOW)
        assert [m.member_no for m in more.promoted] == ["A04"] and more.told == 2
        assert activity.taken == 2
        changed = await _outbox(session, f"vol:changed:{activity.id}:2:%")
        assert len(changed) == 2 and "名额" in changed[0].payload["text"]
        assert len(await _outbox(session, f"vol:promoted:{activity.id}:%")) == 1
        with pytest.raises(InvalidInput):  # two members have places
            await manage.edit_activity(session, secretary, activity.id, env=ENV, slots=1, now=NOW)
        assert await volunteer.queue_reminders(session, CFG, env=ENV, now=NOW) == 1  # A04, who has a place now
        # A title change does not remind anyone again.
        await manage.edit_activity(session, secretary, activity.id, env=ENV, title="敬老院探访", skills=None, now=NOW)
        assert await volunteer.queue_reminders(session, CFG, env=ENV, now=NOW) == 0
        edits = (await session.scalars(select(AuditEntry).where(AuditEntry.action == "edit"))).all()
        assert [e.details["revision"] for e in edits] == [1, 2, 3]
        assert edits[1].details["before"] == {"slots": 1} and edits[1].details["after"] == {"slots": 2}

        # Once someone has checked in, the time stays; the administrator above may still change the rest.
        me = await actor_of(session, "A03")
        await volunteer.check_in(session, me, activity.id, env=ENV, method="qr", now=activity.starts_at)
        with pytest.raises(Conflict):
            await manage.edit_activity(
                session, secretary, activity.id, env=ENV, starts_at=activity.starts_at + timedelta(hours=1), now=NOW
            )
        admin = await actor_of(session, "ADM1")
        await manage.edit_activity(session, admin, activity.id, env=ENV, description="带上水杯", now=activity.starts_at)
        with pytest.raises(Conflict):  # over
            await manage.edit_activity(session, admin, activity.id, env=ENV, title="晚了", now=activity.ends_at)


async def test_cancelling_tells_everyone_and_closes_the_activity(db: Database, demo: DemoIds) -> None:
    async with db.session() as session:
        ids = await add_communities(session)
        secretary = await actor_of(session, "A01")
        activity = await add_activity(
            session, secretary, ids["garden"], slots=1, starts_in=timedelta(hours=26), now=NOW
        )
        first, second = await actor_of(session, "A03"), await actor_of(session, "A04")
        await volunteer.sign_up(session, first, activity.id, now=NOW)
        await volunteer.sign_up(session, second, activity.id, now=NOW)
        assert await volunteer.queue_reminders(session, CFG, env=ENV, now=NOW) == 1
        with pytest.raises(PermissionDenied):
            await manage.cancel_activity(session, first, activity.id, env=ENV, now=NOW)
        cancelled = await manage.cancel_activity(session, secretary, activity.id, env=ENV, now=NOW)
        assert cancelled.told == 2 and activity.status == ActivityStatus.CANCELLED and activity.cancelled_at == NOW
        told = await _outbox(session, f"vol:cancelled:{activity.id}:%")
        assert len(told) == 2 and all("已取消" in t.payload["text"] for t in told)
        # What was still to be sent about it is dropped: the notices of the new activity, the reminder.
        stale = await _outbox(session, f"vol:notice:{activity.id}:%") + await _outbox(
            session, f"vol:remind:{activity.id}:%"
        )
        assert stale and {r.status for r in stale} == {OutboxStatus.DROPPED}
        entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "cancel"))
        assert entry is not None and entry.entity_id == str(activity.id)
        for refused in (
            manage.cancel_activity(session, secretary, activity.id, env=ENV, now=NOW),
            manage.edit_activity(session, secretary, activity.id, env=ENV, title="x", now=NOW),
            volunteer.sign_up(session, await actor_of(session, "A05"), activity.id, now=NOW),
            volunteer.cancel_signup(session, first, activity.id, env=ENV, now=NOW),
            volunteer.check_in(session, first, activity.id, env=ENV, method="qr", now=activity.starts_at),
        ):
            with pytest.raises(Conflict):
                await refused
        assert await volunteer.upcoming_activities(session, first, now=NOW) == []
        mine = await volunteer_totals.my_service(session, first, env=ENV, now=NOW)
        assert mine.upcoming == []
        assert len(await _outbox(session, f"vol:promoted:{activity.id}:%")) == 0  # nobody was moved up

        # An activity someone has checked in at cannot be cancelled: its hours stand, to be corrected if need be.
        held = await add_activity(session, secretary, ids["garden"], starts_in=timedelta(hours=26), now=NOW)
        await volunteer.check_in(session, first, held.id, env=ENV, method="qr", now=held.starts_at)
        with pytest.raises(Conflict):
            await manage.cancel_activity(session, secretary, held.id, env=ENV, now=held.starts_at)


async def test_hours_reported_for_today_cannot_exceed_the_time_since_midnight(db: Database, demo: DemoIds) -> None:
    early = datetime(2030, 6, 5, 4, 30, tzinfo=SH).astimezone(UTC)
    async with db.session() as session:
        me = await actor_of(session, "A03")
        today = early.astimezone(SH).date()
        with pytest.raises(InvalidInput) as refused:
            await reports.submit_report(
                session,
                me,
                reports.ReportInput(day=today, hours=5, description="巡逻", place="小区"),
                CFG,
                env=ENV,
                now=early,
            )
        assert "04:30" in refused.value.localized(translator("zh_CN"))
        fits = await reports.submit_report(
            session,
            me,
            reports.ReportInput(day=today, hours=4, description="巡逻", place="小区"),
            CFG,
            env=ENV,
            now=early,
        )
        assert fits.minutes == 240
