"""What every handler shares: the per-update context, the caller, pre-checks, and the error handler."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar, cast

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.ext import Application, ApplicationHandlerStop

from bot.callers import CachedCaller
from bot.context import BranchContext, Caller
from bot.db import saved_in_this_update
from bot.errors import DomainError
from bot.i18n import normalize_locale, translator
from bot.measures.buttons import MeasuresButton
from bot.outgoing import PRIVATE_BUTTON, PRIVATE_START
from bot.services.access import Actor
from bot.templates import render
from bot.unit import UNSET, current_unit
from storage import queries
from storage.core import local_roster_changes, roster_version
from storage.flows import UNSET_CHAT, CallerMember

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)

# The pre-checks' groups, in the order they run; handler group 0 and above come after them all.
PRECHECK_IGNORE = -5  # update kinds the bot does not handle
PRECHECK_FLOWS = -4  # a new command ends the person's unfinished flows
PRECHECK_CALLER = -3  # who is calling
PRECHECK_GATE = -2  # may they use this
PRECHECK_EDITED = -1  # an edited question is answered here, ahead of any flow that would take the text

# Callback-data prefixes and message kinds a person not on the roster may still use.
PUBLIC_CALLBACK_PREFIXES = ("lang:", MeasuresButton.prefix() + ":")


Callback = Callable[[Update, BranchContext], Awaitable[Any]]
F = TypeVar("F", bound=Callback)


async def resolve_caller(update: Update, context: BranchContext) -> None:
    """Pre-check: look up the member behind the update, their language, and the chat's branch — from the
    process's cache (bot/callers.py) when the roster has not changed, else in the update's unit of work."""
    saved_in_this_update.set(False)
    user = update.effective_user
    chat = update.effective_chat
    settings = context.resources.settings
    locale = normalize_locale(user.language_code if user else None, settings.DEFAULT_LOCALE)
    is_group = chat is not None and chat.type in (ChatType.GROUP, ChatType.SUPERGROUP)
    key = (user.id if user else None, chat.id if chat is not None and is_group else None)
    cache = context.resources.callers
    unit = current_unit()
    version = unit.roster_version if unit is not None else UNSET  # read with the person's state
    found = None if version is UNSET else cache.get(key, version)
    preloaded = unit.member if unit is not None and (not is_group or unit.chat_branch_id is not UNSET_CHAT) else UNSET
    if found is None and preloaded is not UNSET:  # read with the person's state, in the same statement
        assert unit is not None
        read = cast("CallerMember | None", preloaded)
        chat_branch_id = cast("int | None", unit.chat_branch_id) if is_group else None
        found = CachedCaller(Actor.of(read, read.language or "") if read is not None else None, chat_branch_id)
        cache.put(key, found, version, unit.member_valid_for)
    elif found is None:
        looked_up: Actor | None = None
        branch_id: int | None = None
        valid_for = local_roster_changes()
        async with context.unit() as session:
            if version is UNSET:
                version = await roster_version(session)
            if user is not None:
                member = await queries.member_by_telegram_id(session, user.id)
                if member is not None:
                    looked_up = Actor.of(member, member.language or "")
            if chat is not None and is_group:
                org = await queries.org_by_chat_id(session, chat.id)
                branch_id = org.id if org else None
        found = CachedCaller(looked_up, branch_id)
        cache.put(key, found, version, valid_for)
    actor = found.actor
    if actor is not None:
        locale = actor.locale or locale
        actor = replace(actor, locale=locale)
    context.caller = Caller(user.id if user else None, locale, actor, found.chat_branch_id)


def command_of(message: Message | None) -> str | None:
    """The command a message starts with (``/Start@bot x`` → ``start``), or None."""
    if message is None or not message.text or not message.text.startswith("/"):
        return None
    words = message.text[1:].split(maxsplit=1)
    if not words or message.text[1].isspace():
        return None  # a lone "/" (or "/ x") is text, not a command
    return words[0].split("@", 1)[0].lower()


# What the running bot asks Telegram for; an update kind not listed never arrives (and is ignored if it does).
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]


def is_edited_question(update: Update) -> bool:
    """An edited plain text in a private chat: the one kind of edit the bot answers (a question, answered anew)."""
    message = update.edited_message
    return (
        message is not None
        and message.chat.type == ChatType.PRIVATE
        and bool(message.text)
        and command_of(message) is None
    )


async def ignore_other_updates(update: Update, context: BranchContext) -> None:
    """Pre-check: only messages, button presses and edited questions are handled; every other update kind (an
    edited command, an edit in a group, a channel post …) stops here, before it could end a flow or reach a
    handler without the role gate."""
    if update.message is not None or update.callback_query is not None or is_edited_question(update):
        return
    raise ApplicationHandlerStop


async def gate(update: Update, context: BranchContext) -> None:
    """Pre-check: guests may only join and ask; roles only use their commands; unlinked groups are told so."""
    caller = context.caller
    chat = update.effective_chat
    command = command_of(update.effective_message)
    is_group = chat is not None and chat.type in (ChatType.GROUP, ChatType.SUPERGROUP)
    tr = context.tr
    if is_group and caller.chat_branch_id is None and command not in (None, "linkgroup", "help", "start", "lang"):
        if command in ("ask", "measure", "measures"):
            return
        await reply(
            update,
            tr.gettext(
                "This group is not linked to any branch. The branch secretary can link it by sending /linkgroup here."
            ),
        )
        raise ApplicationHandlerStop
    if update.callback_query is not None:
        data = update.callback_query.data or ""
        if caller.actor is None and not data.startswith(PUBLIC_CALLBACK_PREFIXES):
            await update.callback_query.answer(
                tr.gettext("Please join with your invitation link first."), show_alert=True
            )
            raise ApplicationHandlerStop
        return
    if command is not None:
        if caller.menu_role not in context.resources.menu.roles_of(command):
            if caller.actor is None:
                await reply(update, render("core/not_on_roster.html.j2", tr.locale))
            else:
                await reply(update, tr.gettext("Sorry, /%(command)s is not available to your role.", command=command))
            raise ApplicationHandlerStop
        return
    if caller.actor is None and is_group:
        raise ApplicationHandlerStop  # ordinary chatter in a group: not ours to answer
    message = update.effective_message
    if caller.actor is None and message is not None and not message.text and message.contact is None:
        # A photo, a location, a file… from someone not on the roster: nothing of theirs to take; say how to join.
        await reply(update, render("core/not_on_roster.html.j2", tr.locale))
        raise ApplicationHandlerStop


def leaders_only(callback: F) -> F:
    """Refuse politely unless the caller leads a branch or administers one (the service re-checks)."""

    async def wrapper(update: Update, context: BranchContext) -> Any:
        actor = context.caller.actor
        if actor is None or not (actor.leads_branch or actor.is_admin):
            await reply(
                update,
                context.tr.gettext("Only the branch secretary (or a committee member acting for them) may do this."),
            )
            return None
        return await callback(update, context)

    wrapper.__doc__ = callback.__doc__
    wrapper.__name__ = callback.__name__
    return wrapper  # type: ignore[return-value]


def in_group(update: Update) -> bool:
    """Whether the update comes from a group or supergroup (where everyone in it reads the answer)."""
    chat = update.effective_chat
    return chat is not None and chat.type in (ChatType.GROUP, ChatType.SUPERGROUP)


async def refused_in_group(update: Update, context: BranchContext) -> bool:
    """A guided flow reads typed answers, and what it asks is the person's own business: it runs in the private
    chat only. Started in a group, say so (a typed command gets a button that opens the private chat, a pressed
    button an alert) and return True. (Screens with names or records need no check here: they are private
    screens, which the send boundary keeps out of groups.)"""
    if not in_group(update):
        return False
    await refuse_in_group(update, context, context.tr.gettext("Please do this in our private chat."))
    return True


def private_chat_markup(context: BranchContext) -> InlineKeyboardMarkup:
    """The one button that opens the private chat with the bot: the send boundary's (bot.outgoing), same label,
    same link."""
    url = f"https://t.me/{context.resources.bot_username}?start={PRIVATE_START}"
    return InlineKeyboardMarkup([[InlineKeyboardButton(context.tr.gettext(PRIVATE_BUTTON), url=url)]])


async def refuse_in_group(update: Update, context: BranchContext, text: str) -> None:
    """Say ``text`` (why this belongs in the private chat) in the group: a pressed button gets it as an alert, a
    typed command as a reply with the button that opens the private chat."""
    if update.callback_query is not None:
        await update.callback_query.answer(text, show_alert=True)
    elif update.effective_message is not None:
        await update.effective_message.reply_text(text, reply_markup=private_chat_markup(context))


def pairs(buttons: Sequence[tuple[str, str]], width: int = 2) -> list[list[tuple[str, str]]]:
    """Buttons in rows of ``width``."""
    return [list(buttons[i : i + width]) for i in range(0, len(buttons), width)]


# Branches an administrator's summary lists by name (the worst first); the rest are counted, and in the ledger.
# An administrator of a city has a thousand branches: one line each is 16 messages nobody reads (issue 16).
SUMMARY_LINES = 15
_Row = TypeVar("_Row")


def lowest_first(rows: Sequence[_Row], key: Callable[[_Row], Any]) -> tuple[list[_Row], int]:
    """An administrator's summary of ``rows``: the :data:`SUMMARY_LINES` lowest by ``key``, lowest first, and how
    many more there are (counted on the screen, listed in the ledger)."""
    listed = sorted(rows, key=key)[:SUMMARY_LINES]
    return listed, len(rows) - len(listed)


def keyboard(rows: Sequence[Sequence[tuple[str, str]]]) -> InlineKeyboardMarkup | None:
    """Inline buttons from ``(label, callback_data)`` rows; empty rows are dropped, and no rows means no keyboard."""
    kept = [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows if row]
    return InlineKeyboardMarkup(kept) if kept else None


async def show(update: Update, text: str, markup: InlineKeyboardMarkup | None = None, *, answer: bool = True) -> None:
    """Replace the message whose button was pressed (answering the press unless told it is answered already),
    or answer a typed message with a new one."""
    query = update.callback_query
    if query is None or query.message is None:
        await reply(update, text, reply_markup=markup)
        return
    if answer:
        await query.answer()
    await query.edit_message_text(text, reply_markup=markup)


async def reply(update: Update, text: str, **kwargs: Any) -> Message | None:
    """Answer in the chat the update came from (a message, or the message a button belongs to)."""
    if update.callback_query is not None:
        await update.callback_query.answer()
    message = update.effective_message
    if message is None:
        return None
    return await message.reply_text(text, **kwargs)


async def error_handler(update: object, context: BranchContext) -> None:
    """Refusals become a kind message; anything else is logged with its traceback first, then apologised for."""
    error = context.error
    saved = saved_in_this_update.get()  # read before resolving the caller again, which resets it
    if isinstance(update, Update) and getattr(context, "caller", None) is None:
        try:  # the error context is a new one: look the caller up again for their language
            await resolve_caller(update, context)
        except Exception:
            log.exception("could not resolve the caller while handling an error")
    tr = context.tr if isinstance(update, Update) else translator(None)
    if isinstance(error, DomainError):
        text = error.localized(tr)
    else:
        log.error("error while handling an update", exc_info=error)
        text = (
            tr.gettext(
                "Sorry, something went wrong on my side after your change was saved. "
                "Please check the result before trying again."
            )
            if saved
            else tr.gettext("Sorry, something went wrong on my side. Nothing was saved; please try again in a moment.")
        )
    if not isinstance(update, Update):
        return
    if update.callback_query is not None:
        try:
            await update.callback_query.answer(text[:190], show_alert=True)
        except Exception:  # the query may be too old to answer
            log.debug("could not answer callback query", exc_info=True)
        return
    if update.effective_message is not None:
        await update.effective_message.reply_text(text)


def register_prechecks(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """The negative-group pre-checks run before every handler."""
    from telegram.ext import TypeHandler

    application.add_handler(TypeHandler(Update, ignore_other_updates), group=PRECHECK_IGNORE)
    application.add_handler(TypeHandler(Update, resolve_caller), group=PRECHECK_CALLER)
    application.add_handler(TypeHandler(Update, gate), group=PRECHECK_GATE)
