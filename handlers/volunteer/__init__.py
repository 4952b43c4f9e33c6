"""Volunteer service in chat (measure 22): /community, /activities, /activity_new, /report, /myservice, /service,
the QR check-in deep link ``/start vk_<token>``, and the buttons of activity notices and approval requests.

The screens live in ``communities``, ``activities``, ``checkin``, ``posting``, ``self_report`` and ``service``;
this module assembles them. Every button is declared once in :mod:`bot.services.volunteer.buttons` and
re-checked against the database and the presser's rights every time.
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.context import BranchContext
from bot.services.volunteer.buttons import (
    ActivityButton,
    ActivityEdit,
    ActivityLocate,
    CommunityChange,
    CommunityPick,
    CommunityView,
    HoursConfirm,
    HoursFix,
    NewCommunity,
    NewConfirm,
    NewDispatch,
    NewSkip,
    ReportApprove,
    ReportApproveRange,
    ReportApproveSelected,
    ReportCommunity,
    ReportConfirm,
    ReportDay,
    ReportPhotosDone,
    ReportReject,
    ReportTick,
    ServicePeriod,
)
from handlers.flows import Flow
from handlers.volunteer.activities import activities, activity_button, edit_field_start, edit_field_value
from handlers.volunteer.checkin import location_received, location_start, start_with_checkin
from handlers.volunteer.common import (
    COMMUNITY_SEARCH,
    DECIDE_FIX,
    DECIDE_REASON,
    EDIT_VALUE,
    LOCATION_WAIT,
    NEW_COMMUNITY,
    NEW_CONFIRM,
    NEW_DESCRIPTION,
    NEW_DISPATCH,
    NEW_PLACE,
    NEW_SKILLS,
    NEW_SLOTS,
    NEW_TITLE,
    NEW_WHEN,
    REP_CONFIRM,
    REP_DAY,
    REP_PHOTOS,
    REP_TIME,
    REP_WHAT,
    REP_WHERE,
    VK_START,
)
from handlers.volunteer.communities import (
    cancel,
    community_change,
    community_chosen,
    community_nearby,
    community_search,
    community_start,
    community_view,
)
from handlers.volunteer.posting import (
    new_community_chosen,
    new_community_search,
    new_description,
    new_dispatch_toggle,
    new_place,
    new_publish,
    new_skills,
    new_slots,
    new_start,
    new_title,
    new_when,
)
from handlers.volunteer.self_report import (
    report_day,
    report_done,
    report_photo,
    report_send,
    report_start,
    report_time,
    report_what,
    report_where,
)
from handlers.volunteer.service import (
    approve_selected,
    decide_fix,
    decide_reason,
    decide_start,
    hours_confirm,
    my_service,
    report_decision,
    report_tick,
    service,
    service_period,
)

CANCEL = CommandHandler[BranchContext, object]("cancel", cancel)


TEXT = filters.TEXT & ~filters.COMMAND


# The guided flows; what each keeps in user_data is dropped when another flow or a new command ends it.
CONVERSATIONS: list[BaseHandler[Update, Any, Any]] = [
    Flow(
        name="volunteer_community",
        entry_points=[
            CommandHandler("community", community_start),
            CallbackQueryHandler(community_change, pattern=CommunityChange.pattern()),
        ],
        states={
            COMMUNITY_SEARCH: [
                MessageHandler(TEXT, community_search),
                MessageHandler(filters.LOCATION, community_nearby),
                CallbackQueryHandler(community_chosen, pattern=CommunityPick.pattern()),
            ]
        },
        fallbacks=[CANCEL],
    ),
    Flow(
        name="volunteer_edit",
        user_data_keys=("ve",),
        entry_points=[CallbackQueryHandler(edit_field_start, pattern=ActivityEdit.pattern())],
        states={EDIT_VALUE: [MessageHandler(TEXT | filters.LOCATION, edit_field_value)]},
        fallbacks=[CANCEL],
    ),
    Flow(
        name="volunteer_location",
        user_data_keys=("vl",),
        entry_points=[CallbackQueryHandler(location_start, pattern=ActivityLocate.pattern())],
        states={LOCATION_WAIT: [MessageHandler(filters.LOCATION, location_received)]},
        fallbacks=[CANCEL],
    ),
    Flow(
        name="volunteer_activity_new",
        user_data_keys=("vn",),
        entry_points=[CommandHandler("activity_new", new_start)],
        states={
            NEW_TITLE: [MessageHandler(TEXT, new_title)],
            NEW_COMMUNITY: [
                MessageHandler(TEXT, new_community_search),
                CallbackQueryHandler(new_community_chosen, pattern=NewCommunity.pattern()),
            ],
            NEW_WHEN: [MessageHandler(TEXT, new_when)],
            NEW_SLOTS: [MessageHandler(TEXT, new_slots)],
            NEW_PLACE: [
                MessageHandler(TEXT | filters.LOCATION, new_place),
                CallbackQueryHandler(new_place, pattern=NewSkip.pattern()),
            ],
            NEW_SKILLS: [
                MessageHandler(TEXT, new_skills),
                CallbackQueryHandler(new_skills, pattern=NewSkip.pattern()),
            ],
            NEW_DESCRIPTION: [
                MessageHandler(TEXT, new_description),
                CallbackQueryHandler(new_description, pattern=NewSkip.pattern()),
            ],
            NEW_DISPATCH: [CallbackQueryHandler(new_dispatch_toggle, pattern=NewDispatch.pattern())],
            NEW_CONFIRM: [CallbackQueryHandler(new_publish, pattern=NewConfirm.pattern())],
        },
        fallbacks=[CANCEL],
    ),
    Flow(
        name="volunteer_report",
        user_data_keys=("vp",),
        entry_points=[CommandHandler("report", report_start)],
        states={
            REP_DAY: [
                MessageHandler(TEXT, report_day),
                CallbackQueryHandler(report_day, pattern=ReportDay.pattern()),
            ],
            REP_TIME: [MessageHandler(TEXT, report_time)],
            REP_WHERE: [
                MessageHandler(TEXT, report_where),
                CallbackQueryHandler(report_where, pattern=ReportCommunity.pattern()),
            ],
            REP_WHAT: [MessageHandler(TEXT, report_what)],
            REP_PHOTOS: [
                MessageHandler(filters.PHOTO | filters.Document.IMAGE, report_photo),
                CallbackQueryHandler(report_done, pattern=ReportPhotosDone.pattern()),
            ],
            REP_CONFIRM: [CallbackQueryHandler(report_send, pattern=ReportConfirm.pattern())],
        },
        fallbacks=[CANCEL],
    ),
    Flow(
        name="volunteer_decide",
        user_data_keys=("vd",),
        entry_points=[
            CallbackQueryHandler(decide_start, pattern=ReportReject.pattern()),
            CallbackQueryHandler(decide_start, pattern=HoursFix.pattern()),
        ],
        states={
            DECIDE_REASON: [MessageHandler(TEXT, decide_reason)],
            DECIDE_FIX: [MessageHandler(TEXT, decide_fix)],
        },
        fallbacks=[CANCEL],
    ),
]


# The QR check-in deep link must come before core's plain /start.
START_HANDLERS = [CommandHandler("start", start_with_checkin, filters=VK_START)]


# Every handler of the feature, in order: the conversations first.
HANDLERS: list[BaseHandler[Update, Any, Any]] = [
    *CONVERSATIONS,
    CommandHandler("activities", activities),
    CommandHandler("myservice", my_service),
    CommandHandler("service", service),
    CallbackQueryHandler(community_chosen, pattern=CommunityPick.pattern()),
    CallbackQueryHandler(community_view, pattern=CommunityView.pattern()),
    CallbackQueryHandler(activity_button, pattern=ActivityButton.pattern()),
    CallbackQueryHandler(report_decision, pattern=ReportApprove.pattern()),
    CallbackQueryHandler(report_decision, pattern=ReportApproveRange.pattern()),
    CallbackQueryHandler(report_tick, pattern=ReportTick.pattern()),
    CallbackQueryHandler(approve_selected, pattern=ReportApproveSelected.pattern()),
    CallbackQueryHandler(hours_confirm, pattern=HoursConfirm.pattern()),
    CallbackQueryHandler(service_period, pattern=ServicePeriod.pattern()),
]
