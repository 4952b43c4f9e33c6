"""Storage on SQLite and on a real PostgreSQL: migrations, constraints, UTC times, the outbox's dedup."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import IntegrityError

from bot.db import Database
from bot.demo import seed_demo
from bot.services import outbox
from storage.models import Member, OutboxMessage, OutboxStatus

CORE_TABLES = {
    "organisations",
    "members",
    "invitations",
    "audit_log",
    "outbox",
    "chat_state",
    "flow_state",
    "handled_updates",
    "alembic_version",
}


async def test_migrations_create_the_core_tables_and_are_idempotent(any_db: Database) -> None:
    async with any_db.engine.connect() as connection:
        tables = set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
    assert tables >= CORE_TABLES
    await any_db.upgrade()  # a second run changes nothing and does not fail
    async with any_db.session() as session:
        heads = (await session.execute(text("select version_num from alembic_version"))).scalars().all()
    assert heads, "alembic recorded no revision"


async def test_sqlite_runs_with_wal_and_foreign_keys(db: Database) -> None:
    async with db.engine.connect() as connection:
        assert (await connection.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"
        assert (await connection.exec_driver_sql("PRAGMA foreign_keys")).scalar() == 1


async def test_closing_the_database_waits_for_a_session_still_at_work(any_db: Database) -> None:
    # A job cut short by shutdown rolls back after the application has moved on to closing the database: its
    # connection must be closed with the rest, not given back to a pool nobody holds (then left open for the GC).
    at_work = asyncio.Event()

    async def late_writer() -> None:
        async with any_db.session() as session:
            await seed_demo(session)
            at_work.set()
            await asyncio.sleep(0.2)

    writer = asyncio.create_task(late_writer())
    await at_work.wait()
    await any_db.dispose()
    assert writer.done() and any_db.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    await writer
    async with any_db.session() as session:  # and what it did was committed
        assert await session.scalar(select(func.count()).select_from(Member)) > 0


async def test_member_round_trip_and_unique_telegram_id(any_db: Database) -> None:
    async with any_db.session() as session:
        ids = await seed_demo(session)
    async with any_db.session() as session:
        member = await session.get(Member, ids.members_a[3])
        assert member is not None
        assert member.join_date == date(2008, 2, 29)
        assert member.created_at.tzinfo is not None
    with pytest.raises(IntegrityError):
        async with any_db.session() as session:
            other = await session.get(Member, ids.members_a[4])
            assert other is not None and member is not None
            other.telegram_id = member.telegram_id
    async with any_db.session() as session:  # the failed change left nothing behind
        other = await session.get(Member, ids.members_a[4])
        assert other is not None and other.telegram_id != member.telegram_id


async def test_foreign_keys_are_enforced(any_db: Database) -> None:
    with pytest.raises(IntegrityError):
        async with any_db.session() as session:
            session.add(Member(member_no="X1", name="无支部", org_id=999_999))


async def test_datetimes_come_back_as_utc(any_db: Database) -> None:
    moment = datetime(2026, 11, 26, 9, 0, tzinfo=timezone(timedelta(hours=8)))
    async with any_db.session() as session:
        await outbox.enqueue(session, dedup_key="t", chat_id=1, text="x", not_before=moment)
    async with any_db.session() as session:
        row = await session.scalar(select(OutboxMessage))
        assert row is not None
        assert row.not_before == moment
        assert row.not_before.tzinfo == UTC
        assert row.not_before.hour == 1


async def test_outbox_dedup_key_stores_a_message_once(any_db: Database) -> None:
    async with any_db.session() as session:
        assert await outbox.enqueue(session, dedup_key="greeting:1:2026", chat_id=5, text="生日快乐")
        assert not await outbox.enqueue(session, dedup_key="greeting:1:2026", chat_id=5, text="生日快乐")
    async with any_db.session() as session:
        assert not await outbox.enqueue(session, dedup_key="greeting:1:2026", chat_id=5, text="again")
        rows = (await session.scalars(select(OutboxMessage))).all()
    assert [(r.dedup_key, r.payload["text"], r.status) for r in rows] == [
        ("greeting:1:2026", "生日快乐", OutboxStatus.PENDING)
    ]


async def test_two_workers_never_claim_the_same_row(any_db: Database) -> None:
    async with any_db.session() as session:
        for i in range(30):
            await outbox.enqueue(session, dedup_key=f"k{i}", chat_id=i + 1, text="x")
    import asyncio

    async def claim() -> list[int]:
        from bot.clock import now_utc
        from storage.outbox import claim

        async with any_db.session() as session:
            token = uuid.uuid4().hex[:16]
            return [row.id for row in await claim(session, token, 20, now=now_utc())]

    first, second = await asyncio.gather(claim(), claim())
    assert not set(first) & set(second)
    assert len(first) + len(second) == 30


async def test_models_and_migrations_agree(any_db: Database) -> None:
    """Every model change has its migration: autogenerate finds nothing to do after upgrading to all heads."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from storage.registry import metadata

    def diff(connection: object) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})  # type: ignore[arg-type]
        return list(compare_metadata(context, metadata))

    async with any_db.engine.connect() as connection:
        differences = await connection.run_sync(diff)
    assert differences == []


async def test_a_new_callers_member_and_group_branch_come_with_their_state(any_db: Database) -> None:
    """The update's first statement for a caller the process does not know (storage/flows.py): their state, the
    roster version, the member bound to the account and the branch of the group the update came from."""
    from storage.flows import UNSET_CHAT, person_state_and_roster_now, person_state_roster_and_member
    from storage.models import Organisation

    async with any_db.session() as session:
        await seed_demo(session)
        member = await session.scalar(select(Member).where(Member.member_no == "A03"))
        assert member is not None and member.telegram_id is not None
        branch = await session.get(Organisation, member.org_id)
        assert branch is not None
        branch.chat_id = -100777
    async with any_db.session() as session:
        read = await person_state_roster_and_member(session, member.telegram_id, -100777)
        assert read.member is not None and read.member.name == member.name and read.chat_branch_id == branch.id
        elsewhere = await person_state_roster_and_member(session, member.telegram_id, -100778)
        assert elsewhere.chat_branch_id is None  # a group no branch has linked
        private = await person_state_roster_and_member(session, member.telegram_id)
        assert private.chat_branch_id is UNSET_CHAT and private.state.flow is None
        nobody = await person_state_roster_and_member(session, 123, -100777)
        assert nobody.member is None and nobody.chat_branch_id == branch.id
    on_loop = any_db.read_on_loop(lambda c: person_state_and_roster_now(c, member.telegram_id))
    assert (on_loop is None) == (any_db.dialect != "sqlite")  # PostgreSQL reads through the session
