"""Places never overbook, on SQLite and on a real PostgreSQL, when many members press at the same moment."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from bot.db import Database
from bot.demo import seed_demo
from bot.errors import Conflict
from bot.services import volunteer
from bot.services.access import Actor
from storage.models import Member, OutboxMessage
from storage.volunteer import Activity, SignUp, SignUpStatus
from tests.volunteer_helpers import ENV, actor_of, add_activity, add_communities


async def _setup(db: Database, volunteers: int, slots: int) -> tuple[int, list[Actor]]:
    async with db.session() as session:
        ids = await seed_demo(session)
        members = [
            Member(member_no=f"V{i:02d}", name=f"志愿者{i:02d}", org_id=ids.branch_a, telegram_id=300_000 + i)
            for i in range(volunteers)
        ]
        session.add_all(members)
        communities = await add_communities(session)
        secretary = await actor_of(session, "A01")
        activity = await add_activity(session, secretary, communities["garden"], slots=slots)
        await session.flush()
        return activity.id, [Actor.of(m, "zh_CN") for m in members]


async def _counts(db: Database, activity_id: int) -> tuple[int, int, int]:
    async with db.session() as session:
        activity = await session.get(Activity, activity_id)
        assert activity is not None

        async def count(status: SignUpStatus) -> int:
            return int(
                await session.scalar(
                    select(func.count())
                    .select_from(SignUp)
                    .where(SignUp.activity_id == activity_id, SignUp.status == status)
                )
                or 0
            )

        return activity.taken, await count(SignUpStatus.CONFIRMED), await count(SignUpStatus.WAITING)


async def test_thirty_concurrent_sign_ups_for_ten_places(any_db: Database) -> None:
    activity_id, actors = await _setup(any_db, 30, 10)

    async def press(actor: Actor) -> volunteer.SignUpResult:
        async with any_db.session() as session:
            return await volunteer.sign_up(session, actor, activity_id)

    results = await asyncio.gather(*(press(actor) for actor in actors))
    assert sum(r.confirmed for r in results) == 10
    assert await _counts(any_db, activity_id) == (10, 10, 20)
    assert all(r.waiting_position for r in results if not r.confirmed)

    # The first one waiting moves up on a cancellation and is told.
    async with any_db.session() as session:
        roll = await volunteer.activity_roll(session, None, activity_id)
        assert [line.waiting_position for line in roll.waiting] == list(range(1, 21))
        first_waiting = roll.waiting[0].member
        leaver = next(a for a, r in zip(actors, results, strict=True) if r.confirmed)
        outcome = await volunteer.cancel_signup(session, leaver, activity_id, env=ENV)
    assert outcome.promoted is not None and outcome.promoted.id == first_waiting.id
    assert await _counts(any_db, activity_id) == (10, 10, 19)
    async with any_db.session() as session:
        notices = (
            await session.scalars(select(OutboxMessage).where(OutboxMessage.dedup_key.like("vol:promoted:%")))
        ).all()
    assert [n.chat_id for n in notices] == [first_waiting.telegram_id]
    assert "名额" in notices[0].payload["text"]


async def test_concurrent_cancellations_promote_different_members(any_db: Database) -> None:
    activity_id, actors = await _setup(any_db, 16, 8)
    for actor in actors:  # in order: the first 8 get places, the other 8 wait
        async with any_db.session() as session:
            await volunteer.sign_up(session, actor, activity_id)

    async def leave(actor: Actor) -> volunteer.CancelResult:
        async with any_db.session() as session:
            return await volunteer.cancel_signup(session, actor, activity_id, env=ENV)

    outcomes = await asyncio.gather(*(leave(actor) for actor in actors[:5]))
    promoted = sorted(o.promoted.id for o in outcomes if o.promoted is not None)
    assert promoted == sorted(a.member_id for a in actors[8:13])  # the first five waiting, each once
    assert await _counts(any_db, activity_id) == (8, 8, 3)


async def test_a_double_press_stores_one_sign_up(any_db: Database) -> None:
    activity_id, actors = await _setup(any_db, 1, 5)

    async def press() -> str:
        try:
            async with any_db.session() as session:
                await volunteer.sign_up(session, actors[0], activity_id)
            return "ok"
        except Conflict:
            return "refused"

    outcomes = await asyncio.gather(press(), press(), press())
    assert sorted(outcomes) == ["ok", "refused", "refused"]
    assert await _counts(any_db, activity_id) == (1, 1, 0)


async def test_places_added_while_members_cancel_go_to_each_waiting_member_once(any_db: Database) -> None:
    from bot.services.volunteer import manage as volunteer_manage

    activity_id, actors = await _setup(any_db, 8, 4)
    for actor in actors:  # in order: four places, four waiting
        async with any_db.session() as session:
            await volunteer.sign_up(session, actor, activity_id)
    async with any_db.session() as session:
        secretary = await actor_of(session, "A01")

    async def add_places() -> None:
        async with any_db.session() as session:
            await volunteer_manage.edit_activity(session, secretary, activity_id, env=ENV, slots=6)

    async def leave(actor: Actor) -> None:
        async with any_db.session() as session:
            await volunteer.cancel_signup(session, actor, activity_id, env=ENV)

    await asyncio.gather(add_places(), leave(actors[0]), leave(actors[1]))
    assert await _counts(any_db, activity_id) == (6, 6, 0)
    async with any_db.session() as session:
        notices = (
            await session.scalars(select(OutboxMessage).where(OutboxMessage.dedup_key.like("vol:promoted:%")))
        ).all()
    assert sorted(n.chat_id for n in notices) == [300_000 + i for i in range(4, 8)]  # the four waiting, once each
