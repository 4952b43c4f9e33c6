"""Leaders' people screens in chat: unbinding a member's lost phone (/unbind) and reading the audit log (/audit).

Both show other members' names, so they answer only in the leader's private chat. Buttons: handlers/people/buttons.py.
"""

from __future__ import annotations

import html
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot import date_style
from bot.context import BranchContext
from bot.i18n import Translator
from bot.services import audit_log, identity, membership
from bot.services.access import require_can_see_member
from handlers.common import keyboard, leaders_only, reply, show
from handlers.people.buttons import MAX_PAGE, AuditButton, UnbindAction, UnbindButton


def _private(update: Update) -> bool:
    chat = update.effective_chat
    return chat is not None and chat.type == ChatType.PRIVATE


async def _refuse_in_group(update: Update, context: BranchContext) -> None:
    text = context.tr.gettext("This screen shows members' names: ask me in a private chat.")
    if update.callback_query is not None:
        await update.callback_query.answer(text, show_alert=True)
    else:
        await reply(update, text)


# --- /unbind ----------------------------------------------------------------------------------------------------


@leaders_only
async def unbind_command(update: Update, context: BranchContext) -> None:
    """List the branch's bound members as buttons (or go straight to one: /unbind A03)."""
    if not _private(update):
        await _refuse_in_group(update, context)
        return
    tr = context.tr
    async with context.unit() as session:
        if context.args:
            found = await membership.find_member(session, context.args[0])
            await require_can_see_member(session, context.actor, found.id)
            await _confirm(update, context, found.id, found.name)
            return
        members = await membership.bound_members(session, context.actor)
    if not members:
        await reply(update, tr.gettext("No member of your branch has a Telegram account bound."))
        return
    buttons = [(m.name, UnbindButton(action=UnbindAction.PICK, member=m.id).pack()) for m in members]
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    await reply(
        update,
        tr.gettext("Whose Telegram account should be unbound (a lost or changed phone)?"),
        reply_markup=keyboard(rows),
    )


async def _confirm(update: Update, context: BranchContext, member_id: int, name: str) -> None:
    tr = context.tr
    text = tr.gettext(
        "Unbind %(name)s's Telegram account? They lose access until they open the new invitation link I will give you.",
        name=html.escape(name),
    )
    markup = keyboard(
        [
            [
                (tr.gettext("Unbind"), UnbindButton(action=UnbindAction.YES, member=member_id).pack()),
                (tr.gettext("Cancel"), UnbindButton(action=UnbindAction.NO).pack()),
            ]
        ]
    )
    await show(update, text, markup)


@leaders_only
async def unbind_pressed(update: Update, context: BranchContext) -> None:
    """The /unbind buttons: choose, confirm, cancel."""
    query = update.callback_query
    assert query is not None
    if not _private(update):
        await _refuse_in_group(update, context)
        return
    button = UnbindButton.parse(query.data)
    tr = context.tr
    if button.action == UnbindAction.NO:
        await show(update, tr.gettext("Nothing was changed."))
        return
    member_id = button.member
    if member_id is None:  # "ub:m" without a member: not a button this bot sends
        await query.answer()
        return
    settings = context.resources.settings
    async with context.unit() as session:
        member = await require_can_see_member(session, context.actor, member_id)
        if button.action == UnbindAction.PICK:
            await _confirm(update, context, member.id, member.name)
            return
        await membership.unbind(session, context.actor, member.id)
        creator = await session.get(type(member), context.actor.member_id)
        issued = await identity.issue_invitation(
            session, member, ttl_days=settings.INVITATION_TTL_DAYS, created_by=creator
        )
        name = member.name
    link = identity.deep_link(context.resources.bot_username, issued.payload)
    await show(
        update,
        tr.gettext(
            "%(name)s's Telegram account is unbound. Their new invitation link (valid %(days)d days):\n%(link)s",
            name=html.escape(name),
            days=settings.INVITATION_TTL_DAYS,
            link=link,
        ),
    )


# --- /audit -----------------------------------------------------------------------------------------------------


def _audit_text(tr: Translator, rows: list[audit_log.AuditRow], page: int, tz: ZoneInfo) -> str:
    if not rows:
        return tr.gettext("The audit log has nothing to show here.")
    lines = [tr.gettext("<b>Audit log</b> (newest first, page %(page)d)", page=page + 1)]
    for row in rows:
        # Labels translated; a name without a label yet (a new action or entity) shows as stored.
        entity = audit_log.entity_label(row.entity)
        about = row.subject or (tr.gettext(entity) if entity else row.entity)
        label = audit_log.action_label(row.action)
        action = tr.gettext(label) if label else row.action
        by = audit_log.actor_label(row.actor)
        actor = tr.gettext(by) if by else row.actor
        # Two lines an entry: when and who, then what (one line ran past a phone's width).
        lines.append(
            f"{date_style.moment(row.at, tr.locale, tz=tz)} · {html.escape(actor)}\n"
            f"    {html.escape(action)} · {html.escape(about)}"
        )
    return "\n".join(lines)


async def _audit_page(update: Update, context: BranchContext, page: int) -> None:
    tz = context.resources.env.tz
    async with context.unit() as session:
        rows, more = await audit_log.page_for(session, context.actor, page, tz)
    tr = context.tr
    nav = []
    if page > 0:
        nav.append((tr.gettext("‹ Newer"), AuditButton(page=page - 1).pack()))
    if more and page < MAX_PAGE:
        nav.append((tr.gettext("Older ›"), AuditButton(page=page + 1).pack()))
    await show(update, _audit_text(tr, rows, page, tz), keyboard([nav]))


@leaders_only
async def audit_command(update: Update, context: BranchContext) -> None:
    """The latest 20 entries an administrator (subtree) or secretary (branch) may read."""
    if not _private(update):
        await _refuse_in_group(update, context)
        return
    await _audit_page(update, context, 0)


@leaders_only
async def audit_pressed(update: Update, context: BranchContext) -> None:
    """Older or newer pages."""
    query = update.callback_query
    assert query is not None
    if not _private(update):
        await _refuse_in_group(update, context)
        return
    page = AuditButton.parse(query.data).page
    await _audit_page(update, context, page)


HANDLERS = [
    CommandHandler("unbind", unbind_command),
    CallbackQueryHandler(unbind_pressed, pattern=UnbindButton.pattern()),
    CommandHandler("audit", audit_command),
    CallbackQueryHandler(audit_pressed, pattern=AuditButton.pattern()),
]
