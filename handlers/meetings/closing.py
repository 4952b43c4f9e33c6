"""The secretary's closing flow: absences (present, on leave, absent), the record with photos, tags, confirm.

Flow state lives in ``user_data`` under ``mt_close`` (JSON-friendly), stored per update by the flow machinery.
Nothing is written until the last step's service call.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.context import BranchContext
from bot.errors import DomainError, InvalidInput
from bot.i18n import N_
from bot.services import meetings
from bot.services.kinds_of_meeting import MEETING_TAGS
from bot.services.meetings.buttons import (
    ClosingButton,
    ClosingStep,
    MeetingAction,
    MeetingButton,
    closing_step,
    meeting_button,
    pressed,
)
from bot.services.meetings.closing import list_separator
from bot.services.meetings.format import status_name, tag_name
from bot.services.meetings.stats import meeting_rate
from bot.templates import render
from handlers.common import pairs, refused_in_group, show
from handlers.flows import END, Flow
from handlers.meetings.flows import TEXT, _data, _leaders_only_entry, cancel
from handlers.meetings.view import (
    env_of,
    keyboard,
    percent_text,
    view_of,
)

C_REVIEW, C_RECORD, C_TAGS = 60, 61, 62


def _step(step: ClosingStep, value: object = None) -> str:
    """The packed data of a closing step's button."""
    return ClosingButton(step=step, value=None if value is None else str(value)).pack()


# --- closing ------------------------------------------------------------------------------------------------

CYCLE = {"absent": "present", "present": "on_leave", "on_leave": "absent"}


async def close_start(update: Update, context: BranchContext) -> int:
    """Closing, step 1: who did not check in (absent unless the secretary says otherwise).

    When another feature still misses something (the first agenda item), closing is refused at once with
    exactly what is missing and that feature's buttons to record it, before any absences are confirmed."""
    assert update.callback_query is not None and update.callback_query.data is not None
    if await refused_in_group(update, context):
        return END
    meeting_id = MeetingButton.parse(update.callback_query.data).meeting
    locale = context.tr.locale
    async with context.unit() as session:
        preview = await meetings.closing_preview(
            session, context.actor, meeting_id, hooks=context.resources.meeting_hooks
        )
        view = await view_of(session, preview.meeting, locale, env_of(context))
    if preview.missing:
        missing = [
            DomainError(msgid, **params).localized(context.tr, escape=False) for msgid, params in preview.missing
        ]
        text = render("meetings/closing_blocked.html.j2", locale, m=view, missing=missing)
        fixes = context.resources.meeting_hooks.fix_buttons(preview.meeting, locale)
        rows = [
            *pairs(fixes),
            [(context.tr.gettext("« Back"), meeting_button(meeting_id, MeetingAction.CARD))],
        ]
        await show(update, text, keyboard(rows))
        return END
    context.user_data["mt_close"] = {  # type: ignore[index]
        "meeting": meeting_id,
        "marks": {},
        "record": "",
        "photos": [],
        "tags": [],
    }
    if meetings.is_unit_kind(preview.meeting.kind):
        return await close_next(update, context)  # no roster attendance to confirm
    return await _review(update, context)


async def _review(update: Update, context: BranchContext) -> int:
    data = _data(context, "mt_close")
    locale = context.tr.locale
    async with context.unit() as session:
        preview = await meetings.closing_preview(
            session, context.actor, data["meeting"], hooks=context.resources.meeting_hooks
        )
        view = await view_of(session, preview.meeting, locale, env_of(context))
    names = [member.name for member, _ in preview.unconfirmed]
    absent = sum(1 for member, _ in preview.unconfirmed if data["marks"].get(str(member.id), "absent") == "absent")
    text = render("meetings/closing_review.html.j2", locale, m=view, names=names, absent=absent)
    if preview.missing:
        items = list_separator(context.tr).join(
            DomainError(msgid, **params).localized(context.tr) for msgid, params in preview.missing
        )
        text += "\n\n" + context.tr.gettext("⚠️ Still missing before closing: %(missing)s", missing=items)
    buttons = []
    for member, _row in preview.unconfirmed:
        mark = data["marks"].get(str(member.id), "absent")
        buttons.append((f"{member.name} · {status_name(mark, locale)}", _step(ClosingStep.MEMBER, member.id)))
    rows = pairs(buttons)
    if len(buttons) > 1:
        rows.append([(context.tr.gettext("☑️ Mark them all present"), _step(ClosingStep.ALL_PRESENT))])
    rows.append(
        [
            (context.tr.gettext("Next ▶"), _step(ClosingStep.NEXT)),
            (context.tr.gettext("✖ Cancel"), _step(ClosingStep.CANCEL)),
        ]
    )
    await show(update, text, keyboard(rows))
    return C_REVIEW


async def close_toggle(update: Update, context: BranchContext) -> int:
    """Tap a name: absent → present → on leave → absent."""
    assert update.callback_query is not None
    data = _data(context, "mt_close")
    member_id = str(ClosingButton.parse(update.callback_query.data).number())
    data["marks"][member_id] = CYCLE[data["marks"].get(member_id, "absent")]
    return await _review(update, context)


async def close_all_present(update: Update, context: BranchContext) -> int:
    """Everyone listed was there (a meeting recorded after the fact): mark them all present, then adjust."""
    data = _data(context, "mt_close")
    async with context.unit() as session:
        preview = await meetings.closing_preview(
            session, context.actor, data["meeting"], hooks=context.resources.meeting_hooks
        )
    for member, _row in preview.unconfirmed:
        data["marks"][str(member.id)] = "present"
    return await _review(update, context)


async def close_next(update: Update, context: BranchContext) -> int:
    """Closing, step 2: the record (text and photos)."""
    _data(context, "mt_close")
    text = context.tr.gettext(
        "Send a short record of the meeting: text, photos, or both, in as many messages as you like. "
        "Press Done when finished."
    )
    await show(update, text, keyboard([[(context.tr.gettext("Done ▶"), _step(ClosingStep.DONE))]]))
    return C_RECORD


async def close_record(update: Update, context: BranchContext) -> int:
    """A piece of the record: text, or a photo with its caption."""
    assert update.message is not None
    data = _data(context, "mt_close")
    message = update.message
    text = message.text or message.caption or ""
    if text.strip():
        data["record"] = (data["record"] + "\n" + text.strip()).strip()
    if message.photo:
        if len(data["photos"]) >= meetings.MAX_PHOTOS:
            raise InvalidInput(N_("At most %(limit)d photos can be kept with a record."), limit=meetings.MAX_PHOTOS)
        data["photos"].append(message.photo[-1].file_id)
    if len(data["record"]) > meetings.MAX_RECORD:
        data["record"] = data["record"][: meetings.MAX_RECORD]
        raise InvalidInput(N_("The record is too long (at most %(limit)d characters)."), limit=meetings.MAX_RECORD)
    await message.reply_text(
        context.tr.gettext(
            "Noted: %(chars)d characters, %(photos)d photos. Send more, or press Done.",
            chars=len(data["record"]),
            photos=len(data["photos"]),
        ),
        reply_markup=keyboard([[(context.tr.gettext("Done ▶"), _step(ClosingStep.DONE))]]),
    )
    return C_RECORD


async def close_tags_step(update: Update, context: BranchContext) -> int:
    """Closing, step 3: what the meeting also was (oath renewal, Party Constitution study …)."""
    data = _data(context, "mt_close")
    pressed_tag = ClosingButton.try_parse(update.callback_query.data) if update.callback_query is not None else None
    if pressed_tag is not None and pressed_tag.step is ClosingStep.TAG:
        tag = pressed_tag.word()
        if tag in data["tags"]:
            data["tags"].remove(tag)
        elif any(t.id == tag for t in MEETING_TAGS):
            data["tags"].append(tag)
    locale = context.tr.locale
    buttons = [
        (("✓ " if t.id in data["tags"] else "") + tag_name(t.id, locale), _step(ClosingStep.TAG, t.id))
        for t in MEETING_TAGS
    ]
    rows = [*[[b] for b in buttons], [(context.tr.gettext("🏁 Close the meeting"), _step(ClosingStep.CONFIRM))]]
    text = context.tr.gettext("Did the meeting also include any of these? Tap to mark, then close the meeting.")
    await show(update, text, keyboard(rows))
    return C_TAGS


async def close_confirm(update: Update, context: BranchContext) -> int:
    """Close: absences confirmed, record and tags kept; nothing can change afterwards."""
    data = _data(context, "mt_close")
    marks: dict[str, str] = data["marks"]
    env = env_of(context)
    locale = context.tr.locale
    async with context.unit(then=END) as session:
        result = await meetings.close_meeting(
            session,
            context.actor,
            data["meeting"],
            present=[int(k) for k, v in marks.items() if v == "present"],
            on_leave=[int(k) for k, v in marks.items() if v == "on_leave"],
            record=data["record"],
            photos=data["photos"],
            tags=data["tags"],
            hooks=context.resources.meeting_hooks,
        )
        rate = await meeting_rate(session, result.meeting.id)
        view = await view_of(session, result.meeting, locale, env)
    context.user_data.pop("mt_close", None)  # type: ignore[union-attr]
    text = render(
        "meetings/closed.html.j2", locale, m=view, rate=rate, percent=percent_text(rate), absent=result.absent
    )
    await show(update, text)
    return END


CLOSE_CONVERSATION = Flow(
    name="meeting_close",
    user_data_keys=("mt_close",),
    entry_points=[CallbackQueryHandler(_leaders_only_entry(close_start), pattern=pressed(MeetingAction.CLOSE))],
    states={
        C_REVIEW: [
            CallbackQueryHandler(close_toggle, pattern=closing_step(ClosingStep.MEMBER)),
            CallbackQueryHandler(close_all_present, pattern=closing_step(ClosingStep.ALL_PRESENT)),
            CallbackQueryHandler(close_next, pattern=closing_step(ClosingStep.NEXT)),
        ],
        C_RECORD: [
            MessageHandler((TEXT | filters.PHOTO) & ~filters.COMMAND, close_record),
            CallbackQueryHandler(close_tags_step, pattern=closing_step(ClosingStep.DONE)),
        ],
        C_TAGS: [
            CallbackQueryHandler(close_tags_step, pattern=closing_step(ClosingStep.TAG)),
            CallbackQueryHandler(close_confirm, pattern=closing_step(ClosingStep.CONFIRM)),
        ],
    },
    fallbacks=[
        CommandHandler("cancel", cancel),
        CallbackQueryHandler(cancel, pattern=closing_step(ClosingStep.CANCEL)),
    ],
)
