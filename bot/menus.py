"""Publishing the command menus: defaults per language at start-up; a member's own menu by role via the outbox.

A member's menu is queued only when it changes: the digest of the last one queued is stored per member
(``member_menus``), so a start-up or the nightly sync queues nothing for members whose role, language and
commands are as before (on a city's database, not 30,000 ``setMyCommands`` at every start). Menus go at the
outbox's lowest priority, after every notice.

The menu itself (every feature's commands) is given: the application keeps it in its resources.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot, BotCommand, BotCommandScopeDefault
from telegram.error import TelegramError

from bot.clock import now_utc
from bot.commands import Menu
from bot.db import Database
from bot.services import outbox
from storage import core as core_store
from storage import outbox as store
from storage.models import Member

log = logging.getLogger(__name__)

SYNC_CHUNK = 500  # members compared (and their menus queued) per transaction


async def publish_default_menus(bot: Bot, menu: Menu) -> None:
    """The guest menu in Chinese (the default) and in English; failures are logged, not fatal."""
    try:
        for locale, language_code in (("zh_CN", None), ("zh_CN", "zh"), ("en", "en")):
            commands = [BotCommand(name, description) for name, description in menu.most_used("guest", locale)]
            await bot.set_my_commands(commands, scope=BotCommandScopeDefault(), language_code=language_code)
    except TelegramError:
        log.warning("could not publish the default command menus", exc_info=True)


def member_menu(member: Member, menu: Menu, default_locale: str) -> tuple[str, list[dict[str, str]]]:
    """The member's commands (by role and language) and their digest."""
    locale = member.language or default_locale
    commands = [
        {"command": name, "description": description} for name, description in menu.most_used(member.role, locale)
    ]
    digest = hashlib.sha256(json.dumps([member.role, locale, member.telegram_id, commands]).encode()).hexdigest()
    return digest[:16], commands


async def _queue_menus(session: AsyncSession, changed: list[tuple[Member, str, list[dict[str, str]]]]) -> int:
    """Queue the changed menus (an older one still waiting is dropped: the newer says it all)."""
    stamp = int(now_utc().timestamp() * 1000)
    queued = 0
    for member, digest, commands in changed:
        assert member.telegram_id is not None
        await store.drop_pending_of_kind(session, member.id, "menu", "superseded by a newer menu")
        payload: dict[str, Any] = {"commands": commands, "scope": {"type": "chat", "chat_id": member.telegram_id}}
        queued += await outbox.enqueue(
            session,
            # The stamp: a menu changed back (A, B, A) is queued again, though its digest was seen before.
            dedup_key=f"menu:{member.id}:{digest}:{stamp}",
            chat_id=member.telegram_id,
            member_id=member.id,
            kind="menu",
            method="setMyCommands",
            payload=payload,
            priority=outbox.Priority.MENU,
        )
    await store.store_menu_digests(session, {member.id: digest for member, digest, _ in changed})
    return queued


async def enqueue_member_menu(session: AsyncSession, member: Member, menu: Menu, default_locale: str) -> bool:
    """Queue ``setMyCommands`` for the member's private chat if their menu changed (role, language, commands)."""
    if member.telegram_id is None:
        return False
    digest, commands = member_menu(member, menu, default_locale)
    if (await store.menu_digests(session, [member.id])).get(member.id) == digest:
        return False
    return bool(await _queue_menus(session, [(member, digest, commands)]))


async def sync_member_menus(db: Database, menu: Menu, default_locale: str) -> int:
    """Queue the menu of every bound member whose role or language changed since it was last queued."""
    queued = 0
    last_id = 0
    while True:
        async with db.session() as session:
            members = await core_store.bound_members_after(session, last_id, SYNC_CHUNK)
            if not members:
                return queued
            last_id = members[-1].id
            stored = await store.menu_digests(session, [m.id for m in members])
            changed = []
            for member in members:
                digest, commands = member_menu(member, menu, default_locale)
                if stored.get(member.id) != digest:
                    changed.append((member, digest, commands))
            queued += await _queue_menus(session, changed)
