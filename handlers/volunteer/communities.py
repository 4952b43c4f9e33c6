"""Registering with a community (到社区报到): /community, search, nearby, the leaders' counts."""

from __future__ import annotations

from html import escape
from typing import Any

from telegram import (
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)

from bot.context import BranchContext
from bot.services import volunteer as vol
from bot.services.volunteer.buttons import CommunityChange, CommunityPick, CommunityView
from bot.templates import format_local_date, render
from handlers.common import keyboard, reply, show
from handlers.flows import END, cancelled
from handlers.volunteer.common import COMMUNITY_SEARCH, FLOW_DATA, _private_only, env_of, say
from storage.models import Organisation


async def community_start(update: Update, context: BranchContext) -> int:
    """Show the member's registration; someone not registered yet is asked for a name or a location at once,
    someone registered gets a button to change (so that what they type next is not taken for a search)."""
    if not await _private_only(update, context):
        return END
    actor = context.actor
    tr = context.tr
    async with context.unit() as session:
        history = await vol.registration_history(session, actor.member_id)
    current = history[0] if history and history[0].ended_on is None else None
    buttons: list[list[tuple[str, str]]] = []
    if current is not None:
        buttons.append([(tr.gettext("Change my community"), CommunityChange().pack())])
    if actor.leads_branch:
        buttons.append([(tr.gettext("Who in the branch has registered"), CommunityView(view="list").pack())])
    if actor.is_admin:
        buttons.append([(tr.gettext("Members per community"), CommunityView(view="counts").pack())])
    await reply(
        update,
        render("volunteer/community.html.j2", tr.locale, current=current, history=history),
        reply_markup=keyboard(buttons),
    )
    if current is not None:
        return END
    return await _ask_community(update, context)


async def community_change(update: Update, context: BranchContext) -> int:
    """The "change my community" button: ask for a name or a location."""
    if update.callback_query is not None:
        await update.callback_query.answer()
    return await _ask_community(update, context)


async def _ask_community(update: Update, context: BranchContext) -> int:
    tr = context.tr
    location_keyboard = ReplyKeyboardMarkup(
        [[KeyboardButton(tr.gettext("Share my location"), request_location=True)]],
        one_time_keyboard=True,
        resize_keyboard=True,
    )
    await say(
        update,
        tr.gettext("Send part of the community's name, or share your location to see the nearest ones."),
        location_keyboard,
    )
    return COMMUNITY_SEARCH


async def _show_communities(
    update: Update, context: BranchContext, found: list[tuple[Any, float | None]], searched: str | None
) -> None:
    tr = context.tr
    if not found:
        await reply(
            update,
            tr.gettext("No community matches %(text)s. Try another part of the name.", text=escape(searched or ""))
            if searched
            else tr.gettext("No community with a map position is known yet. Send its name instead."),
        )
        return
    buttons = [
        [
            (
                f"{c.name} · {c.town}" + (f" · {d / 1000:.1f} km" if d is not None else ""),
                CommunityPick(community=c.id).pack(),
            )
        ]
        for c, d in found
    ]
    await reply(update, tr.gettext("Which one? Press it to register."), reply_markup=keyboard(buttons))


async def community_search(update: Update, context: BranchContext) -> int:
    """Search communities by the name typed."""
    assert update.message is not None and update.message.text is not None
    async with context.unit() as session:
        found = await vol.search_communities(session, update.message.text)
    await _show_communities(update, context, [(c, None) for c in found], update.message.text.strip())
    return COMMUNITY_SEARCH


async def community_nearby(update: Update, context: BranchContext) -> int:
    """The communities nearest to a shared location."""
    assert update.message is not None and update.message.location is not None
    location = update.message.location
    async with context.unit() as session:
        found = await vol.nearest_communities(session, location.latitude, location.longitude)
    await _show_communities(update, context, [(c, d) for c, d in found], None)
    return COMMUNITY_SEARCH


async def community_chosen(update: Update, context: BranchContext) -> int:
    """Register with the community pressed."""
    query = update.callback_query
    assert query is not None
    community_id = CommunityPick.parse(query.data).community
    async with context.unit(then=END) as session:
        registration = await vol.register_community(session, context.actor, community_id, env_of(context).today())
    await query.answer()
    await show(
        update,
        context.tr.gettext(
            "Registered with <b>%(community)s</b> (%(town)s) from %(since)s.",
            community=escape(registration.community.name),
            town=escape(registration.community.town),
            since=format_local_date(registration.registered_on, context.tr.babel_locale),
        ),
        answer=False,
    )
    if query.message is not None:
        await say(update, context.tr.gettext("Thank you."), ReplyKeyboardRemove())
    return END


async def branch_registrations(update: Update, context: BranchContext) -> None:
    """For the secretary: who in the branch has registered with a community, and who has not."""
    actor = context.actor
    async with context.unit() as session:
        lines = await vol.branch_registrations(session, actor, actor.org_id)
        branch = await session.get(Organisation, actor.org_id)
    assert branch is not None
    await reply(update, render("volunteer/branch_registrations.html.j2", context.tr.locale, lines=lines, branch=branch))


async def community_counts(update: Update, context: BranchContext) -> None:
    """For an administrator: how many members each community has."""
    async with context.unit() as session:
        counts = await vol.community_counts(session, context.actor)
    await reply(update, render("volunteer/community_counts.html.j2", context.tr.locale, counts=counts))


async def community_view(update: Update, context: BranchContext) -> None:
    """The leaders' buttons under /community: the branch's registrations or the members per community."""
    assert update.callback_query is not None
    if CommunityView.parse(update.callback_query.data).view == "list":
        await branch_registrations(update, context)
    else:
        await community_counts(update, context)


async def cancel(update: Update, context: BranchContext) -> int:
    """Leave the current volunteer flow; nothing more is kept."""
    return await cancelled(update, context, *FLOW_DATA)
