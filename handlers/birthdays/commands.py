"""The typed commands: /birthdays (the month's list or counts, ``wish``) and /mybirthday (``on``/``off``)."""

from __future__ import annotations

from telegram import Update

from bot.context import BranchContext
from bot.errors import InvalidInput
from bot.i18n import N_
from bot.services import birthdays
from bot.services.access import Actor
from bot.templates import render
from handlers.birthdays.screens import branch_view, counts_view, in_private, local_today, mine_view
from handlers.common import leaders_only

_ON_WORDS = {"on", "开", "开启", "打开"}
_OFF_WORDS = {"off", "关", "关闭"}
_RESET_WORDS = {"-", "—", "default", "默认"}


@leaders_only
async def birthdays_command(update: Update, context: BranchContext) -> None:
    """The month's political birthdays: the branch's list for its leaders, counts by branch for administrators."""
    assert update.message is not None
    if not await in_private(update, context):
        return
    actor = context.actor
    args = context.args or []
    if args and args[0].lower() in ("wish", "祝福", "寄语"):
        await _wish(update, context, actor)
        return
    year, month = birthdays.parse_month(args[0] if args else None, local_today(context))
    if actor.is_admin:
        text, markup = await counts_view(context, actor, year, month)
    else:
        text, markup = await branch_view(context, actor, actor.org_id, year, month)
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


async def my_birthday_command(update: Update, context: BranchContext) -> None:
    """The caller's political birthday; ``/mybirthday off`` or ``on`` changes the greeting."""
    assert update.message is not None
    if not await in_private(update, context):
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
    text, markup = await mine_view(context, context.actor, enabled)
    await update.message.reply_text(text, reply_markup=markup)
