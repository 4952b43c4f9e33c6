"""Shared pieces of the volunteer screens: flow states, the volunteer settings, small senders."""

from __future__ import annotations

from typing import Any

from telegram import (
    Update,
)
from telegram.constants import ChatType
from telegram.ext import (
    filters,
)

from bot.context import BranchContext
from bot.environment import ServiceEnv
from bot.services.volunteer.timing import (
    VolunteerConfig,
)
from handlers.common import refuse_in_group

VK_START = filters.Regex(r"^/start(@\w+)? vk_[A-Za-z0-9_-]{1,60}$")


# Conversation states.
COMMUNITY_SEARCH = 0


LOCATION_WAIT = 0


NEW_TITLE, NEW_COMMUNITY, NEW_WHEN, NEW_SLOTS, NEW_PLACE, NEW_SKILLS, NEW_DESCRIPTION, NEW_DISPATCH, NEW_CONFIRM = (
    range(9)
)


REP_DAY, REP_TIME, REP_WHERE, REP_WHAT, REP_PHOTOS, REP_CONFIRM = range(6)


DECIDE_REASON, DECIDE_FIX = range(2)


EDIT_VALUE = 0


# What the flows keep in user_data while they run: activity_new, report, decide, location, edit.
FLOW_DATA = ("vn", "vp", "vd", "vl", "ve")


def config(context: BranchContext) -> VolunteerConfig:
    """The volunteer service's own knobs (check-in radius, photo size, reminder hour), from the settings."""
    return VolunteerConfig.from_settings(context.resources.settings)


def env_of(context: BranchContext) -> ServiceEnv:
    """The services' environment (zone, default language, working calendar, bot name), built once at start-up."""
    return context.resources.env


def _user_data(context: BranchContext) -> dict[str, Any]:
    assert context.user_data is not None
    return context.user_data


async def _private_only(update: Update, context: BranchContext) -> bool:
    """Personal flows belong in the private chat; say so in a group."""
    chat = update.effective_chat
    if chat is not None and chat.type != ChatType.PRIVATE:
        await refuse_in_group(update, context, context.tr.gettext("Please do this in a private chat with me."))
        return False
    return True


async def say(update: Update, text: str, markup: Any = None) -> None:
    """Send a message to the chat of the update without answering a button press (answered already)."""
    message = update.effective_message
    if message is not None:
        await message.reply_text(text, reply_markup=markup)
