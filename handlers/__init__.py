"""The Telegram layer: one module per feature, all registered here, in order."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application

from handlers import branch, core, meetings
from handlers.common import error_handler, register_prechecks


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Register every handler. Order matters within a group: the first matching handler wins."""
    # Pre-checks (negative groups): who is calling, and may they use this at all.
    register_prechecks(application)
    # Meetings: check-in deep links (/start ck_…) come before core's plain /start; flows, cards, /my, /compliance.
    application.add_handlers(meetings.HANDLERS)
    # Joining: invitation deep links and phone confirmation come before the plain /start.
    application.add_handlers(core.HANDLERS)
    # Branch leaders: invitation links, linking the group chat.
    application.add_handlers(branch.HANDLERS)
    # Last resort: /cancel outside any conversation.
    application.add_handlers(core.FALLBACK_HANDLERS)
    application.add_error_handler(error_handler)
