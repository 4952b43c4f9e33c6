"""Branch leaders' basics: invitation links (text and QR codes) and linking the branch's group chat."""

from __future__ import annotations

from telegram import InputMediaPhoto, Update
from telegram.constants import ChatType
from telegram.ext import CommandHandler

from bot.context import BranchContext
from bot.qr import qr_png
from bot.services import identity
from bot.templates import render
from handlers.common import leaders_only, refuse_in_group

QR_ALBUM_SIZE = 10  # Telegram's limit for one media group


@leaders_only
async def invites(update: Update, context: BranchContext) -> None:
    """Send fresh invitation links for the branch's unbound members, then their QR codes."""
    assert update.message is not None
    if update.message.chat.type != ChatType.PRIVATE:
        await refuse_in_group(
            update, context, context.tr.gettext("Invitation links are private: ask me in a private chat.")
        )
        return
    actor = context.actor
    settings = context.resources.settings
    username = context.resources.bot_username
    async with context.unit() as session:
        issued = await identity.branch_invitations(session, actor, actor.org_id, ttl_days=settings.INVITATION_TTL_DAYS)
    links = [(item.member.name, identity.deep_link(username, item.payload)) for item in issued]
    await update.message.reply_text(
        render("core/invites.html.j2", context.tr.locale, links=links, ttl_days=settings.INVITATION_TTL_DAYS)
    )
    photos = [InputMediaPhoto(qr_png(link), caption=name) for name, link in links]
    for start in range(0, len(photos), QR_ALBUM_SIZE):
        chunk = photos[start : start + QR_ALBUM_SIZE]
        if len(chunk) == 1:
            await update.message.reply_photo(chunk[0].media, caption=chunk[0].caption)
        else:
            await update.message.reply_media_group(chunk)


async def link_group(update: Update, context: BranchContext) -> None:
    """Link this group chat to the secretary's branch."""
    assert update.message is not None
    tr = context.tr
    if update.message.chat.type not in (ChatType.GROUP, ChatType.SUPERGROUP):
        await update.message.reply_text(tr.gettext("Send /linkgroup in the branch's group chat, not here."))
        return
    actor = context.caller.actor
    if actor is None:
        await update.message.reply_text(
            tr.gettext("Only the branch secretary (or a committee member acting for them) may do this.")
        )
        return
    async with context.unit() as session:
        branch = await identity.link_group(session, actor, update.message.chat.id)
    await update.message.reply_text(tr.gettext("This group is now linked to %(branch)s.", branch=branch.name))


HANDLERS = [
    CommandHandler("invites", invites),
    CommandHandler("linkgroup", link_group),
]
