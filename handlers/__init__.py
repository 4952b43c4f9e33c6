"""The Telegram layer: one module per feature, all registered here, in order."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application

from handlers import branch, core
from handlers.common import error_handler, register_prechecks


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Register every handler. Order matters within a group: the first matching handler wins."""
    # Pre-checks (negative groups): who is calling, and may they use this at all.
    register_prechecks(application)
    from handlers import volunteer  # volunteer service (measure 22)

    # Volunteer service: the activity check-in QR deep link (/start vk_…) comes before the plain /start.
    application.add_handlers(volunteer.START_HANDLERS)
    # Joining: invitation deep links and phone confirmation come before the plain /start.
    application.add_handlers(core.HANDLERS)
    # Branch leaders: invitation links, linking the group chat.
    application.add_handlers(branch.HANDLERS)
    # Volunteer service (measure 22): communities, activities, check-in and out, self-reports, hours.
    application.add_handlers(volunteer.build_handlers())
    # Last resort: /cancel outside any conversation.
    application.add_handlers(core.FALLBACK_HANDLERS)
    application.add_error_handler(error_handler)
