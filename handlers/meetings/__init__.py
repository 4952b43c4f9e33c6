"""Meetings in chat (三会一课). ``screens``: the secretary's list and cards, members' answers and /my,
/compliance and /attendance; ``flows``: scheduling, editing and the location check; ``closing``: the closing
flow; ``checkin``: check-in and leave; ``view``: the shared card and answers screens. Jobs are in
:mod:`bot.jobs.meetings`.
"""

from __future__ import annotations

from typing import Any

from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.services.meetings.buttons import ComplianceBranch, MeetingButton, MeetingListPage
from handlers.meetings import checkin, closing, flows, screens

# Conversations first: the check-in deep link (/start ck_…) must be seen before core's plain /start.
CONVERSATIONS: list[BaseHandler[Any, Any, Any]] = [
    checkin.CHECKIN_CONVERSATION,
    checkin.LEAVE_CONVERSATION,
    flows.NEW_CONVERSATION,
    flows.EDIT_CONVERSATION,
    flows.GEO_CONVERSATION,
    closing.CLOSE_CONVERSATION,
]

HANDLERS: list[BaseHandler[Any, Any, Any]] = [
    *CONVERSATIONS,
    CommandHandler("meetings", screens.list_meetings),
    CommandHandler("my", screens.my_meetings),
    CommandHandler("compliance", screens.compliance_command),
    CommandHandler("attendance", screens.attendance_command),
    CallbackQueryHandler(screens.on_button, pattern=MeetingButton.pattern()),
    CallbackQueryHandler(screens.list_page_button, pattern=MeetingListPage.pattern()),
    CallbackQueryHandler(screens.compliance_branch, pattern=ComplianceBranch.pattern()),
    flows.STALE_BUTTONS,
]
