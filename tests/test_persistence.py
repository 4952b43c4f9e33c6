"""Guided flows keep nothing in the process: the person's place and data are read and written with each update's
unit of work, in the transaction of the step's effects and of the update's handled marker. So a flow survives a
restart, and two replicas on one database can take turns with one person's updates (no sticky routing)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy import update as sql_update
from telegram import Update
from telegram.ext import CommandHandler, MessageHandler, filters

from bot.app import _post_init, build_application
from bot.config import Settings
from bot.context import BranchApplication, BranchContext
from bot.db import Database
from bot.demo import DemoIds, seed_demo, telegram_id_of
from bot.offline import OfflineRequest, UpdateFactory
from handlers.flows import END, Flow
from storage.flows import FlowState, HandledUpdate
from storage.models import ChatState

ASK_NAME = 1
USER = telegram_id_of("A03")
NOTHING_SAVED = "抱歉，我这边出了点问题，本次操作没有保存，请稍后再试。"


async def _begin(update: Update, context: BranchContext) -> int:
    """Start a two-step flow, keeping a draft for the next step."""
    assert update.message is not None and context.user_data is not None
    context.user_data["draft"] = {"step": 1}
    await update.message.reply_text("name?")
    return ASK_NAME


async def _finish(update: Update, context: BranchContext) -> int:
    """Finish it: store the name (the step's effect) and end the flow in the same transaction."""
    assert update.message is not None and update.message.text is not None and context.user_data is not None
    name = update.message.text
    step = context.user_data["draft"]["step"]
    if name == "race":  # meanwhile another replica moved this person's flow on
        async with context.resources.db.engine.begin() as other:
            await other.execute(
                sql_update(FlowState).where(FlowState.user_id == USER).values(version=FlowState.version + 1)
            )
    async with context.unit(then=END) as session:
        session.add(ChatState(scope="test", key=name, data={"step": step}))
        await session.flush()
        if name == "boom":
            raise RuntimeError("failure after the effects, before the commit")
    await update.message.reply_text(f"done {step} {name}")
    return END


def _flow() -> Flow:
    return Flow(
        name="test-flow",
        entry_points=[CommandHandler("flow", _begin)],
        states={ASK_NAME: [MessageHandler(filters.TEXT & ~filters.COMMAND, _finish)]},
        user_data_keys=("draft",),
    )


@asynccontextmanager
async def _app(settings: Settings, db: Database) -> AsyncIterator[tuple[BranchApplication, OfflineRequest]]:
    """One bot process on ``db``, with the test flow ahead of the features' handlers."""
    request = OfflineRequest()
    application = build_application(
        settings, db=db, request=request, get_updates_request=OfflineRequest(), rate_limit=False, start_jobs=False
    )
    application.handlers[0].insert(0, _flow())  # like a feature's flow: ahead of the free-text question handler
    await application.initialize()
    await _post_init(application)
    try:
        yield application, request
    finally:
        await application.shutdown()


async def _stored(db: Database) -> tuple[tuple[Any, ...] | None, list[str]]:
    async with db.session() as session:
        row = (
            await session.execute(
                select(FlowState.flow, FlowState.state, FlowState.data).where(FlowState.user_id == USER)
            )
        ).first()
        names = (await session.scalars(select(ChatState.key).where(ChatState.scope == "test"))).all()
    return (tuple(row) if row else None), list(names)


async def test_a_flow_continues_after_a_restart(settings: Settings, db: Database, demo: DemoIds) -> None:
    async with _app(settings, db) as (first, request):
        await first.process_update(UpdateFactory(first.bot).message(USER, "/flow"))
        assert request.texts(USER) == ["name?"]
    async with _app(settings, db) as (second, request):  # a new process on the same database
        await second.process_update(UpdateFactory(second.bot).message(USER, "支部大会"))
        assert request.texts(USER) == ["done 1 支部大会"]
    async with _app(settings, db) as (third, request):  # the flow ended: plain text is a question again
        await third.process_update(UpdateFactory(third.bot).message(USER, "第十六条"))
        assert request.texts(USER)[0].startswith("<b>第16条")


async def test_two_replicas_take_turns_with_one_persons_flow(settings: Settings, any_db: Database) -> None:
    """No sticky routing: consecutive updates of one person go to two running Applications on one database."""
    async with any_db.session() as session:
        await seed_demo(session)
    async with _app(settings, any_db) as (one, one_sent), _app(settings, any_db) as (two, two_sent):
        to_one, to_two = UpdateFactory(one.bot), UpdateFactory(two.bot)  # updates answered through each one's bot
        await one.process_update(to_one.message(USER, "/flow"))
        await two.process_update(to_two.message(USER, "支部大会"))
        assert one_sent.texts(USER) == ["name?"] and two_sent.texts(USER) == ["done 1 支部大会"]
        # A feature's flow too: the report asks for the day on one replica, the hours on the other, …
        secretary = telegram_id_of("A01")
        await two.process_update(to_two.message(secretary, "/report"))
        await one.process_update(to_one.message(secretary, "昨天"))
        assert "服务了多长时间" in one_sent.texts(secretary)[-1]
        # … and a command on the first replica ends it for the second.
        await one.process_update(to_one.message(secretary, "/myservice"))
        await two.process_update(to_two.message(secretary, "2"))
        assert two_sent.texts(secretary)[-1].startswith("<b>第2条")


async def test_one_persons_updates_take_turns_in_a_process(settings: Settings, db: Database, demo: DemoIds) -> None:
    """Updates run concurrently, but a quick second message of one person waits for the first one's state."""
    async with _app(settings, db) as (bot, request):
        updates = UpdateFactory(bot.bot)
        first, second = updates.message(USER, "/flow"), updates.message(USER, "支部大会")
        await asyncio.gather(bot.process_update(first), bot.process_update(second))
        assert request.texts(USER) == ["name?", "done 1 支部大会"]


async def test_a_steps_effects_and_its_new_state_commit_together(
    settings: Settings, any_db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    db = any_db
    async with db.session() as session:
        await seed_demo(session)
    async with _app(settings, db) as (bot, request):
        updates = UpdateFactory(bot.bot)
        await bot.process_update(updates.message(USER, "/flow"))
        waiting = ("test-flow", str(ASK_NAME), {"draft": {"step": 1}})
        assert await _stored(db) == (waiting, [])
        # A failure after the effects: neither the effect nor the flow's end is stored; the person may retry.
        await bot.process_update(updates.message(USER, "boom"))
        assert request.texts(USER)[-1] == NOTHING_SAVED
        assert await _stored(db) == (waiting, [])
        # Another replica moved the person on meanwhile: the step's effect is not stored either.
        await bot.process_update(updates.message(USER, "race"))
        assert request.texts(USER)[-1] == NOTHING_SAVED and "StaleFlowState" in caplog.text
        assert await _stored(db) == (waiting, [])
        # Success: the effect and the end of the flow (its draft dropped) are stored together.
        await bot.process_update(updates.message(USER, "支部大会"))
        assert request.texts(USER)[-1] == "done 1 支部大会"
        assert await _stored(db) == (None, ["支部大会"])


async def test_the_handled_marker_is_written_with_the_effects(settings: Settings, db: Database, demo: DemoIds) -> None:
    transactions: list[list[str]] = [[]]

    def statement(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        transactions[-1].append(sql.split("(")[0].strip())

    def commit(_conn: Any) -> None:
        transactions.append([])

    event.listen(db.engine.sync_engine, "before_cursor_execute", statement)
    event.listen(db.engine.sync_engine, "commit", commit)
    try:
        async with _app(settings, db) as (bot, request):
            updates = UpdateFactory(bot.bot)
            await bot.process_update(updates.message(USER, "/flow"))
            start = len(transactions) - 1  # the transaction open next
            step = updates.message(USER, "支部大会")
            await bot.process_update(step)
            assert request.texts(USER)[-1] == "done 1 支部大会"
            help_update = updates.message(USER, "/help")
            await bot.process_update(help_update)
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", statement)
        event.remove(db.engine.sync_engine, "commit", commit)
    writes = [t for t in transactions[start:] if any(s.startswith(("INSERT", "UPDATE", "DELETE")) for s in t)]

    def has(transaction: list[str], prefix: str) -> bool:
        return any(s.startswith(prefix) for s in transaction)

    effect = next(t for t in writes if has(t, "INSERT INTO chat_state"))
    assert has(effect, "DELETE FROM flow_state") and has(effect, "INSERT INTO handled_updates")  # one transaction
    # An update with no effects (/help) is marked handled too, once: on SQLite in a batch of such markers, here
    # written at shutdown (bot/updates.py, QuietMarkers).
    assert sum(has(t, "INSERT INTO handled_updates") for t in writes) == 2
    assert writes[-1] == ["INSERT INTO handled_updates"]
    async with db.session() as session:
        handled = set((await session.scalars(select(HandledUpdate.update_id))).all())
    assert {step.update_id, help_update.update_id} <= handled


async def test_the_upgrade_moves_what_ptb_persistence_kept(any_db: Database) -> None:
    """A flow left half-way before the upgrade (PTB's conversations and user data in chat_state) continues."""
    from alembic import command

    from bot.db import alembic_config

    def down_and_up(connection: Any, rows: list[dict[str, Any]]) -> None:
        command.downgrade(alembic_config(connection), "0010_flow_state@-1")
        table = ChatState.__table__
        connection.execute(table.insert(), rows)
        command.upgrade(alembic_config(connection), "heads")

    now = datetime.now(UTC)
    rows = [
        {"scope": "conversation:volunteer_report", "key": "[100101, 100101]", "data": 1, "updated_at": now},
        {"scope": "conversation:meeting_checkin", "key": "[100103]", "data": 2, "updated_at": now},
        {"scope": "user", "key": "100101", "data": {"vp": {"day": "2026-11-25"}, "vq": [3]}, "updated_at": now},
        {"scope": "bot", "key": "token_secret", "data": "kept", "updated_at": now},
    ]
    async with any_db.engine.begin() as connection:
        await connection.run_sync(down_and_up, rows)
    async with any_db.session() as session:
        moved = {
            r.user_id: (r.flow, r.chat_id, r.state, r.data) for r in (await session.scalars(select(FlowState))).all()
        }
        left = (await session.execute(select(ChatState.scope, ChatState.key))).all()
    assert moved == {
        100101: ("volunteer_report", 100101, "1", {"vp": {"day": "2026-11-25"}, "vq": [3]}),
        100103: ("meeting_checkin", None, "2", {}),
    }
    assert [tuple(r) for r in left] == [("bot", "token_secret")]


async def test_on_sqlite_a_help_reads_the_state_on_the_loops_own_read_only_connection(
    settings: Settings, db: Database, demo: DemoIds
) -> None:
    """The person's state is read before the handlers on a read-only connection in the loop's thread (bot/db.py):
    a /help from a known caller, in no flow, runs no statement through the async engine at all."""
    async_statements: list[str] = []

    def statement(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        async_statements.append(sql)

    async with _app(settings, db) as (bot, request):
        updates = UpdateFactory(bot.bot)
        await bot.process_update(updates.message(USER, "/help"))  # the first: the caller is looked up
        event.listen(db.engine.sync_engine, "before_cursor_execute", statement)
        try:
            await bot.process_update(updates.message(USER, "/help"))
            await bot.process_update(updates.message(USER, "/flow"))  # a flow begins: its state is written
        finally:
            event.remove(db.engine.sync_engine, "before_cursor_execute", statement)
        assert len(request.texts(USER)) == 3 and request.texts(USER)[-1] == "name?"
        assert [s.split("(")[0].strip() for s in async_statements] == [
            "INSERT INTO flow_state",
            "INSERT INTO handled_updates",
        ]
        await bot.process_update(updates.message(USER, "支部大会"))  # the state written above was read back
        assert request.texts(USER)[-1] == "done 1 支部大会"
        await bot.process_update(updates.message(USER, "/flow"))  # leaves a row in flow_state

    def write(connection: Any) -> None:
        connection.exec_driver_sql("DELETE FROM flow_state")

    assert db.read_on_loop(write) is None  # refused (query_only): the caller would read the usual way
    assert (await _stored(db))[0] is not None
