"""Members' side of a meeting: answering the notice (attend / ask for leave with a reason) and checking in
(QR-code deep link, group button, short code; the shared location when the meeting requires it); and the
secretary's live check-in QR code.

The live QR code is a photo whose deep link carries a token of the current 30-second slot. It is redrawn
(editMessageMedia) by the ``meetings-live-qr`` job while check-in is open, and by its "new code" button, so a
photo of it forwarded to someone who is not there stops working within a minute. The button is the fallback
that needs no scheduler; the job keeps the code fresh without anyone touching the phone.
"""

from __future__ import annotations

import time
from typing import Any

from telegram import (
    InlineKeyboardMarkup,
    InputMediaPhoto,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import date_style
from bot.clock import now_utc
from bot.context import BranchContext
from bot.i18n import translator
from bot.qr import qr_png
from bot.services import meetings
from bot.services.meetings import checkin
from bot.services.meetings.buttons import MeetingAction, MeetingButton, meeting_button, pressed
from bot.services.meetings.checkin import Method
from bot.services.meetings.format import MeetingView
from bot.templates import render
from handlers.common import keyboard, reply
from handlers.flows import END, Flow, cancelled
from handlers.meetings.view import env_of, settings_of
from storage.meetings import Meeting, MeetingQrDisplay

CHECKIN_START = filters.Regex(r"^/start(@\w+)? ck_[A-Za-z0-9_-]{1,61}$")
PENDING_SECONDS = 600  # a scan waiting for the member's location stays valid this long

CODE, LOCATION = range(2)
REASON = 10


# --- answering the notice -----------------------------------------------------------------------------------


async def attend(update: Update, context: BranchContext, meeting_id: int) -> None:
    """The member will attend (a button under the notice, privately or in the group)."""
    query = update.callback_query
    assert query is not None
    async with context.unit() as session:
        await meetings.answer_attend(session, context.actor, meeting_id)
        meeting = await meetings.get_meeting(session, meeting_id)
        view = MeetingView.of(meeting, context.tr.locale, env_of(context).tz)
    text = context.tr.gettext("✅ Noted: you will attend %(title)s on %(when)s.", title=view.title, when=view.when)
    if _in_group(update):
        await query.answer(text, show_alert=False)
        return
    await reply(update, text)


def _in_group(update: Update) -> bool:
    chat = update.effective_chat
    return chat is not None and chat.type in (ChatType.GROUP, ChatType.SUPERGROUP)


async def leave_start(update: Update, context: BranchContext) -> int:
    """Ask for leave: check it is allowed, then ask for the reason in the private chat."""
    query = update.callback_query
    assert query is not None and query.data is not None and update.effective_user is not None
    meeting_id = MeetingButton.parse(query.data).meeting
    async with context.unit() as session:
        meeting = await meetings.prepare_leave(session, context.actor, meeting_id)
        view = MeetingView.of(meeting, context.tr.locale, env_of(context).tz)
    prompt = context.tr.gettext(
        "Why can you not attend %(title)s on %(when)s? Please write the reason (or /cancel).",
        title=view.title,
        when=view.when,
    )
    try:
        await context.bot.send_message(update.effective_user.id, prompt)
    except TelegramError:
        await query.answer(
            context.tr.gettext("Please open a private chat with me first, then press the button again."),
            show_alert=True,
        )
        return END
    context.user_data["mt_leave"] = meeting_id  # type: ignore[index]
    if _in_group(update):
        await query.answer(context.tr.gettext("I have asked you for the reason in our private chat."))
    else:
        await query.answer()
    return REASON


async def leave_reason(update: Update, context: BranchContext) -> int:
    """The reason: the leave request goes to the secretary."""
    assert update.message is not None and update.message.text is not None
    meeting_id = (context.user_data or {}).get("mt_leave")
    if not isinstance(meeting_id, int):
        return END
    async with context.unit(then=END) as session:
        await meetings.request_leave(session, context.actor, meeting_id, update.message.text, env=env_of(context))
    context.user_data.pop("mt_leave", None)  # type: ignore[union-attr]
    await update.message.reply_text(
        context.tr.gettext("🙋 Your leave request has been sent to the branch secretary. I will tell you the answer.")
    )
    return END


# --- checking in --------------------------------------------------------------------------------------------


async def _attempt(
    update: Update,
    context: BranchContext,
    meeting_id: int | None,
    method: Method,
    location: tuple[float, float] | None = None,
    *,
    token: str | None = None,
    code: str | None = None,
) -> int:
    """Try to check in to the meeting ``meeting_id``, or the one a scanned ``token`` admits to, or the one of the
    member's branch whose typed ``code`` this is (either found in the same transaction as the check-in); ask for the
    location when the meeting needs it."""
    env, settings = env_of(context), settings_of(context)
    actor = context.caller.actor
    if actor is None:
        await reply(update, context.tr.gettext("Please join with your invitation link first."))
        return END
    resources = context.resources
    quick = resources.db.read_orm_on_loop  # the reads on the event loop's thread, where they can be
    async with context.unit() as session:
        # The member, read with the meeting and held here, is found in the session by check_in (no second read).
        if token is not None:
            meeting, _member = await checkin.meeting_and_member_from_token(session, token, actor.member_id, quick=quick)
        elif code is not None:
            meeting, _member = await checkin.meeting_from_code(
                session, actor.member_id, code, env=env, settings=settings, quick=quick
            )
        else:  # a button
            assert meeting_id is not None
            meeting, _member = await checkin.meeting_and_member(session, meeting_id, actor.member_id, quick=quick)
        meeting_id = meeting.id
        # Written with the other check-ins arriving now, in one transaction (bot/checkin_batches.py).
        outcome = await checkin.check_in(
            session,
            actor.member_id,
            meeting,
            method=method,
            env=env,
            settings=settings,
            location=location,
            record=resources.checkins.record,
        )
        view = MeetingView.of(meeting, context.tr.locale, env.tz)
        # Where the flow goes is stored with the check-in (or with what the location step needs).
        if outcome.needs_location:
            context.user_data["mt_ck"] = {  # type: ignore[index]
                "meeting": meeting_id,
                "method": method.value,
                "until": int(time.time()) + PENDING_SECONDS,
            }
            context.then(LOCATION)
        else:
            context.then(END)
    tr = context.tr
    if outcome.needs_location:
        button = KeyboardButton(tr.gettext("📍 Share my location"), request_location=True)
        prompt = tr.gettext(
            "%(title)s checks that you are at the meeting place: please share your location with the button below.",
            title=view.title,
        )
        markup = ReplyKeyboardMarkup([[button]], one_time_keyboard=True, resize_keyboard=True)
        if _in_group(update):
            assert update.effective_user is not None and update.callback_query is not None
            try:
                await context.bot.send_message(update.effective_user.id, prompt, reply_markup=markup)
            except TelegramError:
                await update.callback_query.answer(
                    tr.gettext("Please open a private chat with me first, then press the button again."),
                    show_alert=True,
                )
                return END
            await update.callback_query.answer(tr.gettext("Please share your location in our private chat."))
        else:
            await reply(update, prompt, reply_markup=markup)
        return LOCATION
    context.user_data.pop("mt_ck", None)  # type: ignore[union-attr]
    when = date_style.clock_time(outcome.at, env.tz)
    if outcome.status == "late":
        text = tr.gettext(
            "✅ Checked in to %(title)s at %(time)s (after the start: marked late).", title=view.title, time=when
        )
    else:
        text = tr.gettext("✅ Checked in to %(title)s at %(time)s.", title=view.title, time=when)
    if _in_group(update) and update.callback_query is not None:
        await update.callback_query.answer(text, show_alert=True)
    else:
        await reply(update, text, reply_markup=ReplyKeyboardRemove() if location else None)
    return END


async def start_checkin(update: Update, context: BranchContext) -> int:
    """A scanned QR code: ``/start ck_<token>``."""
    assert update.message is not None and context.args
    if update.message.chat.type != ChatType.PRIVATE:
        return END
    if context.caller.actor is None:
        await update.message.reply_text(context.tr.gettext("Please join with your invitation link first."))
        return END
    token = context.args[0].removeprefix(checkin.CHECKIN_PREFIX)
    return await _attempt(update, context, None, Method.QR, token=token)


async def checkin_command(update: Update, context: BranchContext) -> int:
    """``/checkin 482913``; without the code, ask for it."""
    assert update.message is not None
    if update.message.chat.type != ChatType.PRIVATE:
        await update.message.reply_text(
            context.tr.gettext("Check in with the button in the group, or send /checkin and the code to me privately.")
        )
        return END
    if not context.args:
        await update.message.reply_text(
            context.tr.gettext("Send me the check-in code the secretary announced (6 digits), or /cancel.")
        )
        return CODE
    return await _with_code(update, context, context.args[0])


async def code_entered(update: Update, context: BranchContext) -> int:
    """The code, typed after ``/checkin``."""
    assert update.message is not None and update.message.text is not None
    return await _with_code(update, context, update.message.text)


async def _with_code(update: Update, context: BranchContext, code: str) -> int:
    try:
        return await _attempt(update, context, None, Method.CODE, code=code)
    except checkin.WrongCode:
        # Counted even though the attempt is refused: a write of its own, outside the update's unit (the refusal
        # rolls that back, and the flow stays where it was).
        async with context.resources.db.session() as session:
            await checkin.record_wrong_code(session, context.actor.member_id, code)
        raise


async def group_button(update: Update, context: BranchContext) -> int:
    """The check-in button under the group's "check-in is open" message."""
    query = update.callback_query
    assert query is not None and query.data is not None
    return await _attempt(update, context, MeetingButton.parse(query.data).meeting, Method.BUTTON)


async def location_shared(update: Update, context: BranchContext) -> int:
    """The member's location, for a meeting that checks it."""
    assert update.message is not None and update.message.location is not None
    pending: dict[str, Any] = (context.user_data or {}).get("mt_ck") or {}
    if not pending or int(pending.get("until", 0)) < time.time():
        context.user_data.pop("mt_ck", None)  # type: ignore[union-attr]
        await update.message.reply_text(
            context.tr.gettext("That took too long: please scan the QR code or send /checkin again."),
            reply_markup=ReplyKeyboardRemove(),
        )
        return END
    location = (update.message.location.latitude, update.message.location.longitude)
    return await _attempt(update, context, int(pending["meeting"]), Method(pending["method"]), location)


async def cancel(update: Update, context: BranchContext) -> int:
    """Leave the flow; nothing was saved."""
    return await cancelled(update, context, "mt_ck", "mt_leave")


# --- the live QR code ---------------------------------------------------------------------------------------


async def qr_image(
    context: BranchContext, meeting: Meeting, locale: str, link: str
) -> tuple[bytes, str, InlineKeyboardMarkup | None]:
    """The PNG, caption and buttons of a live check-in code."""
    env = env_of(context)
    opens, _ = meetings.checkin_window(meeting, settings_of(context))
    caption = render(
        "meetings/qr_caption.html.j2",
        locale,
        m=MeetingView.of(meeting, locale, env.tz),
        live=True,
        not_open=opens > now_utc(),
        opens=date_style.moment(opens, locale, tz=env.tz),
    )
    tr = translator(locale)
    buttons = keyboard([[(tr.gettext("🔄 New code"), meeting_button(meeting.id, MeetingAction.QR_RENEW))]])
    return qr_png(link), caption, buttons


async def show_qr(update: Update, context: BranchContext, meeting_id: int) -> None:
    """Send the secretary a live QR code and keep it fresh while check-in is open."""
    query = update.callback_query
    assert query is not None and update.effective_user is not None
    locale = context.tr.locale
    async with context.unit() as session:
        meeting = await meetings.meeting_for_leader(session, context.actor, meeting_id)
        meetings.require_not_finished(meeting)
        link, slot = await checkin.checkin_link(session, meeting, context.resources.bot_username, live=True)
    png, caption, buttons = await qr_image(context, meeting, locale, link)
    # Always to the leader's private chat: a code posted in the group could be scanned from anywhere.
    if _in_group(update):
        await query.answer(context.tr.gettext("I have sent you the QR code in our private chat."))
    else:
        await query.answer()
    sent = await context.bot.send_photo(update.effective_user.id, png, caption=caption, reply_markup=buttons)
    async with context.unit() as session:
        session.add(
            MeetingQrDisplay(
                meeting_id=meeting.id, chat_id=sent.chat_id, message_id=sent.message_id, locale=locale, slot=slot
            )
        )


async def refresh_qr(update: Update, context: BranchContext, meeting_id: int) -> None:
    """ "New code": redraw the QR photo with the current slot's token."""
    query = update.callback_query
    assert query is not None
    locale = context.tr.locale
    async with context.unit() as session:
        meeting = await meetings.meeting_for_leader(session, context.actor, meeting_id)
        meetings.require_not_finished(meeting)
        link, _slot = await checkin.checkin_link(session, meeting, context.resources.bot_username, live=True)
    png, caption, buttons = await qr_image(context, meeting, locale, link)
    await query.answer()
    await query.edit_message_media(InputMediaPhoto(png, caption=caption), reply_markup=buttons)


CHECKIN_CONVERSATION = Flow(
    name="meeting_checkin",
    user_data_keys=("mt_ck",),
    per_chat=False,  # a button pressed in the group continues with the location in the private chat
    entry_points=[
        CommandHandler("start", start_checkin, filters=CHECKIN_START),
        CommandHandler("checkin", checkin_command),
        CallbackQueryHandler(group_button, pattern=pressed(MeetingAction.CHECK_IN)),
    ],
    states={
        CODE: [MessageHandler(filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE, code_entered)],
        LOCATION: [MessageHandler(filters.LOCATION & filters.ChatType.PRIVATE, location_shared)],
    },
    fallbacks=[CommandHandler("cancel", cancel)],
)

LEAVE_CONVERSATION = Flow(
    name="meeting_leave",
    user_data_keys=("mt_leave",),
    per_chat=False,  # asked in the group, answered in the private chat
    entry_points=[CallbackQueryHandler(leave_start, pattern=pressed(MeetingAction.LEAVE))],
    states={REASON: [MessageHandler(filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE, leave_reason)]},
    fallbacks=[CommandHandler("cancel", cancel)],
)
