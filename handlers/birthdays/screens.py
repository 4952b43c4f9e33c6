"""The birthdays screens: what each shows, and the buttons under it (packed by the codec)."""

from __future__ import annotations

from datetime import date

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType

from bot.context import BranchContext
from bot.i18n import Translator
from bot.services import birthdays
from bot.services.access import Actor
from bot.services.birthdays import BirthdayAction, BirthdayButton
from bot.templates import render
from handlers.common import refuse_in_group

MAX_BRANCH_BUTTONS = 40  # an administrator's summary offers each branch as a button, up to this many


def local_today(context: BranchContext) -> date:
    """Today in the bot's zone."""
    return context.resources.env.today()


def _shift(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + month - 1 + delta
    return index // 12, index % 12 + 1


def _nav_row(
    tr: Translator, action: BirthdayAction, year: int, month: int, branch: int | None = None
) -> list[InlineKeyboardButton]:
    (y0, m0), (y1, m1) = _shift(year, month, -1), _shift(year, month, 1)
    before = BirthdayButton(action=action, year=y0, month=m0, branch=branch).pack()
    after = BirthdayButton(action=action, year=y1, month=m1, branch=branch).pack()
    return [
        InlineKeyboardButton(tr.gettext("◀ Previous month"), callback_data=before),
        InlineKeyboardButton(tr.gettext("Next month ▶"), callback_data=after),
    ]


async def branch_view(
    context: BranchContext, actor: Actor, branch_id: int, year: int, month: int
) -> tuple[str, InlineKeyboardMarkup]:
    """A branch's month list (members' names and join dates: private chats only; its template says so)."""
    tr = context.tr
    async with context.unit() as session:
        data = await birthdays.branch_month(session, actor, branch_id, year, month, local_today(context))
    rows = [_nav_row(tr, BirthdayAction.LIST, year, month, branch_id)]
    if actor.is_admin:
        back = BirthdayButton(action=BirthdayAction.COUNTS, year=year, month=month).pack()
        rows.append([InlineKeyboardButton(tr.gettext("« All branches"), callback_data=back)])
    return birthdays.render_month(data, tr.locale), InlineKeyboardMarkup(rows)


async def counts_view(context: BranchContext, actor: Actor, year: int, month: int) -> tuple[str, InlineKeyboardMarkup]:
    """An administrator's counts by branch, each branch a button to its list."""
    tr = context.tr
    async with context.unit() as session:
        counts = await birthdays.subtree_counts(session, actor, year, month, local_today(context))
    rows = [
        [
            InlineKeyboardButton(
                tr.gettext("%(branch)s (%(num)s)", branch=c.name, num=c.birthdays),
                callback_data=BirthdayButton(
                    action=BirthdayAction.LIST, year=year, month=month, branch=c.branch_id
                ).pack(),
            )
        ]
        for c in counts[:MAX_BRANCH_BUTTONS]
    ]
    rows.append(_nav_row(tr, BirthdayAction.COUNTS, year, month))
    return birthdays.render_counts(counts, year, month, tr.locale), InlineKeyboardMarkup(rows)


def _toggle_markup(tr: Translator, greetings_on: bool) -> InlineKeyboardMarkup:
    if greetings_on:
        data = BirthdayButton(action=BirthdayAction.GREETINGS_OFF).pack()
        button = InlineKeyboardButton(tr.gettext("Turn the greeting off"), callback_data=data)
    else:
        data = BirthdayButton(action=BirthdayAction.GREETINGS_ON).pack()
        button = InlineKeyboardButton(tr.gettext("Turn the greeting on"), callback_data=data)
    return InlineKeyboardMarkup([[button]])


async def mine_view(context: BranchContext, actor: Actor, enabled: bool | None) -> tuple[str, InlineKeyboardMarkup]:
    """The member's own card; with ``enabled``, their greeting turned on or off first."""
    async with context.unit() as session:
        if enabled is not None:
            await birthdays.set_greetings(session, actor, enabled)
        mine = await birthdays.my_birthday(session, actor, local_today(context))
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


async def in_private(update: Update, context: BranchContext) -> bool:
    """Birthdays and join dates are personal data: answer only in a private chat.

    Kept until the send boundary (bot.screens) refuses private screens in groups by itself.
    """
    chat = update.effective_chat
    if chat is not None and chat.type == ChatType.PRIVATE:
        return True
    await refuse_in_group(
        update, context, context.tr.gettext("Political birthdays are personal data: ask me in a private chat.")
    )
    return False
