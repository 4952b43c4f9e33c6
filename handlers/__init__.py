"""The Telegram layer: one module per feature, all registered here, in order."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application

from handlers import birthdays, branch, core, first_agenda, flows, measures, meetings, people, volunteer
from handlers.common import error_handler, register_prechecks


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Register every handler. Order matters within a group: the first matching handler wins."""
    # Pre-checks (negative groups): who is calling, and may they use this at all.
    register_prechecks(application)
    # Guided flows of every feature: a new command (not /cancel or /help) ends the person's unfinished ones.
    application.add_handlers(flows.PRE_HANDLERS, group=-3)
    # Volunteer service: the activity check-in QR deep link (/start vk_…) comes before the plain /start.
    application.add_handlers(volunteer.START_HANDLERS)
    # Meetings: check-in deep links (/start ck_…) come before core's plain /start; flows, cards, /my, /compliance.
    application.add_handlers(meetings.HANDLERS)
    # Joining: invitation deep links and phone confirmation come before the plain /start.
    application.add_handlers(core.HANDLERS)
    # Branch leaders: invitation links, linking the group chat.
    application.add_handlers(branch.HANDLERS)
    # Political birthdays: /birthdays, /mybirthday and their buttons (bd:…); registers the daily job.
    application.add_handlers(birthdays.HANDLERS)
    # First agenda item (第一议题): recording and materials flows, /firstagenda, /materials, /addmaterial.
    application.add_handlers(first_agenda.HANDLERS)
    # Questions on the measures: /ask, /measure N, /measures and its buttons.
    application.add_handlers(measures.HANDLERS)
    # Volunteer service (measure 22): communities, activities, check-in and out, self-reports, hours.
    application.add_handlers(volunteer.HANDLERS)
    # issue 11: /unbind (a lost phone) and /audit, leaders' private screens.
    application.add_handlers(people.HANDLERS)
    # Last resort: /cancel outside any conversation; plain text in a private chat is a question.
    application.add_handlers(core.FALLBACK_HANDLERS)
    application.add_handlers(measures.FREE_TEXT_HANDLERS)
    application.add_error_handler(error_handler)
