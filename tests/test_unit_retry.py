"""A transient database error (SQLite's "database is locked" when a read snapshot went stale, a PostgreSQL
serialization failure or deadlock) runs the update again instead of apologising and marking it handled without
its effects (bot/unit.py). Found by the webhook crash test, which lost a check-in that way."""

from __future__ import annotations

import logging
import sqlite3

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from telegram import Update
from telegram.ext import CommandHandler

from bot.context import BranchContext
from bot.unit import RETRIES, transient_database_error
from storage import queries
from storage.models import AuditEntry
from tests.conftest import BotHarness

USER = 100103  # A03 of the demo branch


def _locked() -> OperationalError:
    return OperationalError("UPDATE attendance SET …", {}, sqlite3.OperationalError("database is locked"))


def add_flaky(bot: BotHarness, failures: int) -> list[int]:
    """``/flaky``: writes an audit entry, but its first ``failures`` transactions fail as if locked."""
    attempts: list[int] = []

    async def flaky(update: Update, context: BranchContext) -> None:
        assert update.message is not None
        attempts.append(1)
        async with context.unit() as session:
            queries.audit(session, actor=None, action="test.flaky", entity="test")
            if len(attempts) <= failures:
                raise _locked()
        await update.message.reply_text("已保存。")

    bot.application.add_handler(CommandHandler("flaky", flaky), group=-1000)
    return attempts


async def _audits(bot: BotHarness) -> int:
    async with bot.db.session() as session:
        return int(await session.scalar(select(func.count()).where(AuditEntry.action == "test.flaky")) or 0)


async def test_a_locked_database_runs_the_update_again(bot: BotHarness, caplog: pytest.LogCaptureFixture) -> None:
    attempts = add_flaky(bot, failures=2)
    with caplog.at_level(logging.WARNING, logger="bot.unit"):
        assert await bot.say(USER, "/flaky") == ["已保存。"]  # no apology, one confirmation
    assert len(attempts) == 3 and await _audits(bot) == 1  # stored once
    assert caplog.text.count("trying again") == 2


async def test_a_lasting_error_is_apologised_for_after_the_retries(bot: BotHarness) -> None:
    attempts = add_flaky(bot, failures=RETRIES + 1)
    await bot.say(USER, "/help")  # the person's first update stores their details: not this test's matter
    texts = await bot.say(USER, "/flaky")
    assert len(attempts) == RETRIES + 1 and await _audits(bot) == 0
    assert texts == ["抱歉，我这边出了点问题，本次操作没有保存，请稍后再试。"]


def test_which_errors_pass() -> None:
    class Serialization(Exception):
        sqlstate = "40001"

    assert transient_database_error(_locked())
    assert transient_database_error(OperationalError("x", {}, Serialization()))
    assert not transient_database_error(OperationalError("x", {}, sqlite3.OperationalError("no such table: x")))
    assert not transient_database_error(ValueError("database is locked"))
