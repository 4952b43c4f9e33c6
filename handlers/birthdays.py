"""Political birthdays in chat: /birthdays for leaders and administrators, /mybirthday for members, the oath button."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.error import BadRequest
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.clock import today
from bot.context import BranchContext
from bot.errors import InvalidInput
from bot.i18n import N_, Translator
from bot.services import birthdays
from bot.services.access import Actor
from bot.templates import render
from handlers.common import leaders_only, reply

MAX_BRANCH_BUTTONS = 40  # an administrator's summary offers each branch as a button, up to this many
_LIST = re.compile(r"^bd:l:(\d{1,12}):(\d{4})(\d{2})$")
_COUNTS = re.compile(r"^bd:c:(\d{4})(\d{2})$")
_GREETINGS = re.compile(r"^bd:g:(on|off)$")
_ON_WORDS = {"on", "开", "开启", "打开"}
_OFF_WORDS = {"off", "关", "关闭"}
_RESET_WORDS = {"-", "—", "default", "默认"}


def _local_today(context: BranchContext) -> date:
    return today(context.resources.settings.tz)


def _shift(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + month - 1 + delta
    return index // 12, index % 12 + 1


def _month_ref(year: int, month: int) -> str:
    return f"{year:04d}{month:02d}"


def _checked_month(year: str, month: str) -> tuple[int, int]:
    """A month from callback data, which is never trusted."""
    y, m = int(year), int(month)
    if not 1 <= m <= 12 or y < 1921:
        raise InvalidInput(N_("This button is out of date. Send /birthdays again."))
    return y, m


def _nav_row(tr: Translator, prefix: str, year: int, month: int) -> list[InlineKeyboardButton]:
    before, after = _shift(year, month, -1), _shift(year, month, 1)
    return [
        InlineKeyboardButton(tr.gettext("◀ Previous month"), callback_data=f"{prefix}{_month_ref(*before)}"),
        InlineKeyboardButton(tr.gettext("Next month ▶"), callback_data=f"{prefix}{_month_ref(*after)}"),
    ]


async def _branch_view(
    context: BranchContext, actor: Actor, branch_id: int, year: int, month: int
) -> tuple[str, InlineKeyboardMarkup]:
    tr = context.tr
    async with context.unit() as session:
        data = await birthdays.branch_month(session, actor, branch_id, year, month, _local_today(context))
    rows = [_nav_row(tr, f"bd:l:{branch_id}:", year, month)]
    if actor.is_admin:
        rows.append(
            [InlineKeyboardButton(tr.gettext("« All branches"), callback_data=f"bd:c:{_month_ref(year, month)}")]
        )
    return birthdays.render_month(data, tr.locale), InlineKeyboardMarkup(rows)


async def _counts_view(context: BranchContext, actor: Actor, year: int, month: int) -> tuple[str, InlineKeyboardMarkup]:
    tr = context.tr
    async with context.unit() as session:
        counts = await birthdays.subtree_counts(session, actor, year, month, _local_today(context))
    ref = _month_ref(year, month)
    rows = [
        [InlineKeyboardButton(f"{c.name} ({c.birthdays})", callback_data=f"bd:l:{c.branch_id}:{ref}")]
        for c in counts[:MAX_BRANCH_BUTTONS]
    ]
    rows.append(_nav_row(tr, "bd:c:", year, month))
    return birthdays.render_counts(counts, year, month, tr.locale), InlineKeyboardMarkup(rows)


async def _private(update: Update, context: BranchContext) -> bool:
    """Birthdays and join dates are personal data: answer only in a private chat."""
    chat = update.effective_chat
    if chat is not None and chat.type == ChatType.PRIVATE:
        return True
    await reply(update, context.tr.gettext("Political birthdays are personal data: ask me in a private chat."))
    return False


@leaders_only
async def birthdays_command(update: Update, context: BranchContext) -> None:
    """The month's political birthdays: the branch's list for its leaders, counts by branch for administrators."""
    assert update.message is not None
    if not await _private(update, context):
        return
    actor = context.actor
    args = context.args or []
    if args and args[0].lower() in ("wish", "祝福"):
        await _wish(update, context, actor)
        return
    year, month = birthdays.parse_month(args[0] if args else None, _local_today(context))
    if actor.is_admin:
        text, markup = await _counts_view(context, actor, year, month)
    else:
        text, markup = await _branch_view(context, actor, actor.org_id, year, month)
    await update.message.reply_text(text, reply_markup=markup)


async def _wish(update: Update, context: BranchContext, actor: Actor) -> None:
    """``/birthdays wish``: show the branch's wish; ``wish TEXT`` sets it; ``wish -`` restores the standard one."""
    assert update.message is not None and update.message.text is not None
    if not actor.leads_branch:  # an administrator: the wish is each branch's own
        raise InvalidInput(N_("Each branch writes its own wish: its secretary sets it with /birthdays wish."))
    parts = update.message.text.split(maxsplit=2)
    saved = len(parts) == 3
    async with context.unit() as session:
        if saved:
            await birthdays.set_wish(
                session, actor, actor.org_id, None if parts[2].strip() in _RESET_WORDS else parts[2]
            )
        branch, wish = await birthdays.wish_of(session, actor, actor.org_id)
    await update.message.reply_text(
        render("birthdays/wish.html.j2", context.tr.locale, wish=wish, branch=branch.name, saved=saved)
    )


def _toggle_markup(tr: Translator, greetings_on: bool) -> InlineKeyboardMarkup:
    if greetings_on:
        button = InlineKeyboardButton(tr.gettext("Turn the greeting off"), callback_data="bd:g:off")
    else:
        button = InlineKeyboardButton(tr.gettext("Turn the greeting on"), callback_data="bd:g:on")
    return InlineKeyboardMarkup([[button]])


async def _mine(context: BranchContext, actor: Actor, enabled: bool | None) -> tuple[str, InlineKeyboardMarkup]:
    async with context.unit() as session:
        if enabled is not None:
            await birthdays.set_greetings(session, actor, enabled)
        mine = await birthdays.my_birthday(session, actor, _local_today(context))
    text = render(
        "birthdays/mine.html.j2",
        context.tr.locale,
        problem=mine.problem.value if mine.problem else None,
        joined=mine.join_date,
        day=mine.day,
        years=mine.years,
        is_today=mine.is_today,
        greetings_on=mine.greetings_on,
    )
    return text, _toggle_markup(context.tr, mine.greetings_on)


async def my_birthday_command(update: Update, context: BranchContext) -> None:
    """The caller's political birthday; ``/mybirthday off`` or ``on`` changes the greeting."""
    assert update.message is not None
    if not await _private(update, context):
        return
    args = [a.lower() for a in context.args or []]
    enabled: bool | None = None
    if args:
        if args[0] in _ON_WORDS:
            enabled = True
        elif args[0] in _OFF_WORDS:
            enabled = False
        else:
            raise InvalidInput(N_("Send /mybirthday on or /mybirthday off to change the greeting."))
    text, markup = await _mine(context, context.actor, enabled)
    await update.message.reply_text(text, reply_markup=markup)


async def _edit(update: Update, text: str, markup: InlineKeyboardMarkup | None) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer()
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except BadRequest as exc:  # pressing the same button twice: the message already shows this
        if "not modified" not in str(exc).lower():
            raise


async def birthday_button(update: Update, context: BranchContext) -> None:
    """The buttons under the lists, the member's card and the greeting; every reference is re-checked."""
    query = update.callback_query
    assert query is not None and query.data is not None
    data = query.data
    actor = context.actor
    if data == birthdays.OATH_CALLBACK:
        await reply(update, render("birthdays/oath.html.j2", context.tr.locale))
        return
    if match := _GREETINGS.match(data):
        text, markup = await _mine(context, actor, match.group(1) == "on")
        await _edit(update, text, markup)
        return
    if match := _LIST.match(data):
        year, month = _checked_month(match.group(2), match.group(3))
        text, markup = await _branch_view(context, actor, int(match.group(1)), year, month)
        await _edit(update, text, markup)
        return
    if match := _COUNTS.match(data):
        year, month = _checked_month(match.group(1), match.group(2))
        text, markup = await _counts_view(context, actor, year, month)
        await _edit(update, text, markup)
        return
    raise InvalidInput(N_("This button is out of date. Send /birthdays again."))


HANDLERS: list[Any] = [
    CommandHandler("birthdays", birthdays_command),
    CommandHandler("mybirthday", my_birthday_command),
    CallbackQueryHandler(birthday_button, pattern=r"^bd:"),
]
