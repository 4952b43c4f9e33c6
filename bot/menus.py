"""Publishing the command menus: defaults per language at start-up; a member's own menu by role via the outbox.

The menu itself (every feature's commands) is given: the application keeps it in its resources.
"""

from __future__ import annotations

import hashlib
import json
import logging

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot, BotCommand, BotCommandScopeDefault
from telegram.error import TelegramError

from bot.commands import Menu
from bot.db import Database
from bot.services import outbox
from storage.models import Member

log = logging.getLogger(__name__)


async def publish_default_menus(bot: Bot, menu: Menu) -> None:
    """The guest menu in Chinese (the default) and in English; failures are logged, not fatal."""
    try:
        for locale, language_code in (("zh_CN", None), ("zh_CN", "zh"), ("en", "en")):
            commands = [BotCommand(name, description) for name, description in menu.commands_for("guest", locale)]
            await bot.set_my_commands(commands, scope=BotCommandScopeDefault(), language_code=language_code)
    except TelegramError:
        log.warning("could not publish the default command menus", exc_info=True)


async def enqueue_member_menu(session: AsyncSession, member: Member, menu: Menu, default_locale: str) -> bool:
    """Queue ``setMyCommands`` for the member's private chat; a changed role or language queues it again."""
    if member.telegram_id is None:
        return False
    locale = member.language or default_locale
    commands = [
        {"command": name, "description": description} for name, description in menu.commands_for(member.role, locale)
    ]
    digest = hashlib.sha256(json.dumps([member.role, locale, commands]).encode()).hexdigest()[:16]
    return await outbox.enqueue(
        session,
        dedup_key=f"menu:{member.id}:{member.telegram_id}:{digest}",
        chat_id=member.telegram_id,
        member_id=member.id,
        kind="menu",
        method="setMyCommands",
        payload={"commands": commands, "scope": {"type": "chat", "chat_id": member.telegram_id}},
    )


async def sync_member_menus(db: Database, menu: Menu, default_locale: str) -> int:
    """Queue the menu of every bound member whose role or language changed since it was last published."""
    async with db.session() as session:
        members = (await session.scalars(select(Member).where(Member.telegram_id.is_not(None)))).all()
        queued = 0
        for member in members:
            queued += await enqueue_member_menu(session, member, menu, default_locale)
    return queued

