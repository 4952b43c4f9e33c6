"""Conversations and user data survive a restart: the state lives in the database."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CommandHandler, ConversationHandler, MessageHandler, filters

from bot.app import _post_init, build_application
from bot.config import Settings
from bot.context import BranchContext
from bot.db import Database
from bot.demo import DemoIds, telegram_id_of
from bot.offline import OfflineRequest, UpdateFactory

ASK_NAME = 1


async def _begin(update: Update, context: BranchContext) -> int:
    """Start a two-step flow."""
    assert update.message is not None and context.user_data is not None
    context.user_data["draft"] = {"step": 1}
    await update.message.reply_text("name?")
    return ASK_NAME


async def _finish(update: Update, context: BranchContext) -> int:
    """Finish it, using what the first step stored."""
    assert update.message is not None and context.user_data is not None
    await update.message.reply_text(f"done {context.user_data['draft']['step']} {update.message.text}")
    return ConversationHandler.END


async def _app(settings: Settings, db: Database) -> tuple[object, OfflineRequest]:
    request = OfflineRequest()
    application = build_application(
        settings, db=db, request=request, get_updates_request=OfflineRequest(), rate_limit=False, start_jobs=False
    )
    flow = ConversationHandler(
        entry_points=[CommandHandler("flow", _begin)],
        states={ASK_NAME: [MessageHandler(filters.TEXT & ~filters.COMMAND, _finish)]},
        fallbacks=[],
        name="test-flow",
        persistent=True,
    )
    # Like a feature's flow: in group 0, ahead of the free-text question handler.
    application.handlers[0].insert(0, flow)
    await application.initialize()
    await _post_init(application)
    return application, request


async def test_a_conversation_continues_after_a_restart(settings: Settings, db: Database, demo: DemoIds) -> None:
    user = telegram_id_of("A03")
    first, request = await _app(settings, db)
    updates = UpdateFactory(first.bot)  # type: ignore[attr-defined]
    await first.process_update(updates.message(user, "/flow"))  # type: ignore[attr-defined]
    assert request.texts(user) == ["name?"]
    await first.update_persistence()  # type: ignore[attr-defined]
    await first.shutdown()  # type: ignore[attr-defined]

    second, request = await _app(settings, db)  # a new process on the same database
    await second.process_update(UpdateFactory(second.bot).message(user, "支部大会"))  # type: ignore[attr-defined]
    assert request.texts(user) == ["done 1 支部大会"]
    await second.update_persistence()  # type: ignore[attr-defined]
    await second.shutdown()  # type: ignore[attr-defined]

    third, request = await _app(settings, db)  # the conversation ended: plain text is a question again
    await third.process_update(UpdateFactory(third.bot).message(user, "第十六条"))  # type: ignore[attr-defined]
    assert request.texts(user)[0].startswith("<b>第16条")
    await third.shutdown()  # type: ignore[attr-defined]
