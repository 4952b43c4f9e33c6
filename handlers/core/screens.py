"""Joining and everyday basics: /start (with invitation links), phone confirmation, /help, /lang, /cancel."""

from __future__ import annotations

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.constants import ChatType
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.commands import Menu
from bot.context import BranchContext
from bot.menus import enqueue_member_menu
from bot.services import identity
from bot.templates import render
from handlers.common import reply
from handlers.core.buttons import HelpButton, LanguageButton
from storage.models import Member

INVITE_START = filters.Regex(r"^/start(@\w+)? inv_[A-Za-z0-9_-]{1,60}$")


async def start_with_invitation(update: Update, context: BranchContext) -> None:
    """Open an invitation link: bind the account, or ask for the phone number the roster holds."""
    assert update.message is not None and update.effective_user is not None and context.args
    if update.message.chat.type != ChatType.PRIVATE:
        await update.message.reply_text(
            context.tr.gettext("Please open your invitation link in a private chat with me.")
        )
        return
    token = context.args[0].removeprefix(identity.INVITE_PREFIX)
    settings = context.resources.settings
    user = update.effective_user
    async with context.unit() as session:
        redemption = await identity.redeem_invitation(
            session, token, user.id, require_phone=settings.INVITATION_REQUIRE_PHONE, language=context.caller.locale
        )
        if not redemption.needs_phone:
            await enqueue_member_menu(session, redemption.member, context.resources.menu, settings.DEFAULT_LOCALE)
    locale = redemption.member.language or context.caller.locale
    if redemption.needs_phone:
        keyboard = ReplyKeyboardMarkup(
            [[KeyboardButton(context.tr.gettext("Share my phone number"), request_contact=True)]],
            one_time_keyboard=True,
            resize_keyboard=True,
        )
        await update.message.reply_text(
            render("core/share_phone.html.j2", locale, member=redemption.member), reply_markup=keyboard
        )
        return
    await update.message.reply_text(render("core/welcome.html.j2", locale, member=redemption.member))


async def shared_contact(update: Update, context: BranchContext) -> None:
    """Confirm a held binding with the phone number the user shared."""
    assert update.message is not None and update.message.contact is not None and update.effective_user is not None
    contact = update.message.contact
    async with context.unit() as session:
        member = await identity.confirm_phone(
            session, update.effective_user.id, contact.user_id, contact.phone_number, context.caller.locale
        )
        await enqueue_member_menu(session, member, context.resources.menu, context.resources.env.default_locale)
    await update.message.reply_text(
        render("core/welcome.html.j2", member.language or context.caller.locale, member=member),
        reply_markup=ReplyKeyboardRemove(),
    )


async def start(update: Update, context: BranchContext) -> None:
    """Greet: members see what they can do, guests how to join."""
    await help_command(update, context)


# /help screens as made, by (locale, role, name, group): a screen depends on nothing else (the menu and the
# catalogs do not change while the bot runs), and /help is the most sent command. Bounded: emptied when full.
_HELP_SCREENS: dict[tuple[str, str, str | None, str], tuple[Menu, tuple[str, InlineKeyboardMarkup | None]]] = {}
_HELP_SCREENS_KEPT = 4096


def _help_screen(context: BranchContext, group: str) -> tuple[str, InlineKeyboardMarkup | None]:
    """/help: the role's most used commands and a button per group of the rest (``top``), or one group in full.

    Short enough for one phone screen: about 8 lines of commands, then buttons (开会, 学习, 志愿服务, 查询 …)."""
    actor = context.caller.actor
    role = context.caller.menu_role
    menu = context.resources.menu
    key = (context.tr.locale, role, actor.name if actor else None, group)
    kept = _HELP_SCREENS.get(key)
    if kept is not None and kept[0] is menu:
        return kept[1]
    screen = _make_help_screen(context, group, role, menu)
    if len(_HELP_SCREENS) >= _HELP_SCREENS_KEPT:
        _HELP_SCREENS.clear()
    _HELP_SCREENS[key] = (menu, screen)
    return screen


def _make_help_screen(
    context: BranchContext, group: str, role: str, menu: Menu
) -> tuple[str, InlineKeyboardMarkup | None]:
    actor = context.caller.actor
    tr = context.tr
    groups = menu.help_groups(role)
    if group == "top":
        commands = menu.most_used(role, tr.locale)
        more = len(commands) < len(menu.commands_for(role, tr.locale))
        text = render("core/help.html.j2", tr.locale, actor=actor, commands=commands, group=None, more=more)
        if not more:
            return text, None
        buttons = [
            InlineKeyboardButton(tr.gettext(title), callback_data=HelpButton(group=gid).pack())  # type: ignore[arg-type]
            for gid, title in groups
        ]
        return text, InlineKeyboardMarkup([buttons[i : i + 3] for i in range(0, len(buttons), 3)])
    title = next((tr.gettext(t) for gid, t in groups if gid == group), "")
    commands = menu.group_commands(group, role, tr.locale)
    text = render("core/help.html.j2", tr.locale, actor=actor, commands=commands, group=title, more=False)
    back = InlineKeyboardButton(tr.gettext("« Back"), callback_data=HelpButton(group="top").pack())
    return text, InlineKeyboardMarkup([[back]])


async def help_command(update: Update, context: BranchContext) -> None:
    """What this person's role can do: the most used commands, and the rest by group behind buttons."""
    text, markup = _help_screen(context, "top")
    await reply(update, text, reply_markup=markup)


async def help_group(update: Update, context: BranchContext) -> None:
    """A /help button: show that group's commands (or the short menu again) in the same message."""
    query = update.callback_query
    assert query is not None
    text, markup = _help_screen(context, HelpButton.parse(query.data).group)
    await query.answer()
    await query.edit_message_text(text, reply_markup=markup)


async def cancel(update: Update, context: BranchContext) -> None:
    """Outside any conversation there is nothing to cancel; say so."""
    await reply(update, context.tr.gettext("There is nothing to cancel."), reply_markup=ReplyKeyboardRemove())


async def choose_language(update: Update, context: BranchContext) -> None:
    """Offer the languages as buttons."""
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("中文", callback_data=LanguageButton(locale="zh_CN").pack()),
                InlineKeyboardButton("English", callback_data=LanguageButton(locale="en").pack()),
            ]
        ]
    )
    await reply(update, context.tr.gettext("Choose your language:"), reply_markup=keyboard)


async def language_chosen(update: Update, context: BranchContext) -> None:
    """Remember the chosen language (members) and answer in it."""
    query = update.callback_query
    assert query is not None
    locale: str = LanguageButton.parse(query.data).locale
    actor = context.caller.actor
    if actor is not None:
        async with context.unit() as session:
            await identity.set_language(session, actor, locale)
            member = await session.get(Member, actor.member_id)
            if member is not None:
                await enqueue_member_menu(session, member, context.resources.menu, context.resources.env.default_locale)
    await query.answer()
    from bot.i18n import translator

    text = (
        translator(locale).gettext("I will speak English with you now.")
        if actor
        else translator(locale).gettext(
            "Language set for this message only: join with your invitation link so I can remember it."
        )
    )
    await query.edit_message_text(text)


HANDLERS = [
    CommandHandler("start", start_with_invitation, filters=INVITE_START),
    MessageHandler(filters.CONTACT & filters.ChatType.PRIVATE, shared_contact),
    CommandHandler("start", start),
    CommandHandler("help", help_command),
    CallbackQueryHandler(help_group, pattern=HelpButton.pattern()),
    CommandHandler("lang", choose_language),
    CallbackQueryHandler(language_chosen, pattern=LanguageButton.pattern()),
]


async def stale_button(update: Update, context: BranchContext) -> None:
    """A press no handler took (an old message's button, a flow already over, forged data): answered quietly, so
    the person's app stops waiting, and nothing happens."""
    if update.callback_query is not None:
        await update.callback_query.answer()


# /cancel outside any conversation comes last, after every guided flow had its chance; so do buttons nobody took.
FALLBACK_HANDLERS = [CommandHandler("cancel", cancel), CallbackQueryHandler(stale_button)]
