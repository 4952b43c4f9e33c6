"""The first agenda item (第一议题) in chat: recording what a meeting studied first (recording), the study
materials — catalog, adding, dispatching — (materials), and /firstagenda (report). Every button is declared once
in bot/services/first_agenda/buttons.py; the patterns below come from those declarations."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.context import BranchContext
from bot.services.first_agenda.buttons import (
    FormButton,
    KindButton,
    LeaderButton,
    MaterialAction,
    PeriodButton,
    PickButton,
    RecordButton,
    Step,
    material_pattern,
    step_pattern,
)
from handlers.first_agenda.common import ADD, REC, expired_button
from handlers.first_agenda.materials import (
    A_BODY,
    A_CONFIRM,
    A_DATE,
    A_KIND,
    A_SOURCE,
    A_TITLE,
    add_body,
    add_date,
    add_kind,
    add_save,
    add_skip,
    add_source,
    add_start,
    add_title,
    ask_dispatch,
    cancel_button,
    confirm_dispatch,
    material_study,
    materials,
    show_material,
)
from handlers.first_agenda.recording import (
    CONFIRM,
    FORM,
    LEADER,
    NOTE,
    PICK,
    cancel,
    done_picking,
    form_chosen,
    leader_chosen,
    leader_typed,
    no_note,
    note_typed,
    record_start,
    save_record,
    toggle_material,
    typed_material,
)
from handlers.first_agenda.report import report_command, report_period
from handlers.flows import Flow

_TEXT = filters.TEXT & ~filters.COMMAND
_CANCEL = step_pattern(Step.CANCEL)
_FALLBACKS: list[BaseHandler[Update, BranchContext, Any]] = [
    CommandHandler("cancel", cancel),
    CallbackQueryHandler(cancel, pattern=_CANCEL),
]

# Buttons and typed text share these flows, so they are tracked per user and chat, not per message; starting
# one ends the person's other guided flows (see handlers.flows).
RECORD_CONVERSATION = Flow(
    entry_points=[CallbackQueryHandler(record_start, pattern=RecordButton.pattern())],
    states={
        PICK: [
            CallbackQueryHandler(toggle_material, pattern=PickButton.pattern()),
            CallbackQueryHandler(done_picking, pattern=step_pattern(Step.DONE)),
            MessageHandler(_TEXT, typed_material),
        ],
        FORM: [CallbackQueryHandler(form_chosen, pattern=FormButton.pattern())],
        LEADER: [
            CallbackQueryHandler(leader_chosen, pattern=LeaderButton.pattern()),
            MessageHandler(_TEXT, leader_typed),
        ],
        NOTE: [CallbackQueryHandler(no_note, pattern=step_pattern(Step.NO_NOTE)), MessageHandler(_TEXT, note_typed)],
        CONFIRM: [CallbackQueryHandler(save_record, pattern=step_pattern(Step.SAVE))],
    },
    fallbacks=_FALLBACKS,
    name="first_agenda_record",
    user_data_keys=(REC,),
)
MATERIAL_CONVERSATION = Flow(
    entry_points=[
        CommandHandler("addmaterial", add_start),
        CallbackQueryHandler(add_start, pattern=step_pattern(Step.ADD)),
    ],
    states={
        A_TITLE: [MessageHandler(_TEXT, add_title)],
        A_SOURCE: [MessageHandler(_TEXT, add_source)],
        A_DATE: [MessageHandler(_TEXT, add_date)],
        A_KIND: [CallbackQueryHandler(add_kind, pattern=KindButton.pattern())],
        A_BODY: [
            MessageHandler(_TEXT | filters.Document.ALL, add_body),
            CallbackQueryHandler(add_skip, pattern=step_pattern(Step.SKIP)),
        ],
        A_CONFIRM: [CallbackQueryHandler(add_save, pattern=step_pattern(Step.ADD_SAVE))],
    },
    fallbacks=_FALLBACKS,
    name="first_agenda_material",
    user_data_keys=(ADD,),
)

# A flow's button pressed after the flow ended (or forged): "expired", nothing done.
_STALE = "|".join(
    pattern.strip("^$")
    for pattern in (
        PickButton.pattern(),
        FormButton.pattern(),
        LeaderButton.pattern(),
        KindButton.pattern(),
        step_pattern(Step.DONE, Step.NO_NOTE, Step.SAVE, Step.SKIP, Step.ADD_SAVE),
    )
)

CONVERSATIONS = [RECORD_CONVERSATION, MATERIAL_CONVERSATION]
HANDLERS: list[BaseHandler[Update, BranchContext, Any]] = [
    *CONVERSATIONS,
    CommandHandler("firstagenda", report_command),
    CommandHandler("materials", materials),
    CallbackQueryHandler(show_material, pattern=material_pattern(None)),
    CallbackQueryHandler(ask_dispatch, pattern=material_pattern(MaterialAction.DISPATCH)),
    CallbackQueryHandler(confirm_dispatch, pattern=material_pattern(MaterialAction.CONFIRM)),
    CallbackQueryHandler(material_study, pattern=material_pattern(MaterialAction.STUDY)),
    CallbackQueryHandler(report_period, pattern=PeriodButton.pattern()),
    CallbackQueryHandler(cancel_button, pattern=_CANCEL),
    CallbackQueryHandler(expired_button, pattern=f"^(?:{_STALE})$"),
]
