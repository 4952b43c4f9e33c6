"""What the first agenda item's screens share: the environment, short titles, leaving a flow."""

from __future__ import annotations

from telegram import Update

from bot.context import BranchContext
from bot.environment import ServiceEnv
from bot.i18n import N_

REC = "fa_rec"  # user_data key of the recording flow
ADD = "fa_add"  # user_data key of the add-material flow
BUTTON_TITLE = 48  # characters of a title shown on a button


def short(title: str) -> str:
    """A title short enough for a button."""
    return title if len(title) <= BUTTON_TITLE else title[: BUTTON_TITLE - 1] + "…"


def env_of(context: BranchContext) -> ServiceEnv:
    """The services' environment (zone, default language, calendar), built once from the running bot's settings."""
    return context.resources.env


def is_admin(context: BranchContext) -> bool:
    """Whether the person is an administrator."""
    return context.caller.actor is not None and context.caller.actor.is_admin


async def expired_button(update: Update, context: BranchContext) -> None:
    """A button of a recording or add-material flow that has ended (saved, cancelled, or another flow begun)."""
    assert update.callback_query is not None
    await update.callback_query.answer(context.tr.gettext(N_("This has expired. Please start again.")), show_alert=True)
