"""Checking in and out of an activity: the QR deep link and the location check-in."""

from __future__ import annotations

from telegram import (
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)

from bot.context import BranchContext
from bot.services import volunteer as vol
from bot.services.volunteer import reports
from bot.services.volunteer.buttons import ActivityAction, ActivityButton, ActivityLocate
from bot.templates import render
from handlers.common import keyboard, reply, show
from handlers.flows import END
from handlers.volunteer.common import LOCATION_WAIT, _user_data, env_of, say


async def _reply_check(update: Update, context: BranchContext, check: vol.CheckResult) -> None:
    env = env_of(context)
    tr = context.tr
    signup = check.signup
    markup = None
    if check.action in ("in", "already_in"):
        markup = keyboard(
            [
                [
                    (
                        tr.gettext("Check out"),
                        ActivityButton(activity=check.activity.id, action=ActivityAction.CHECK_OUT).pack(),
                    )
                ]
            ]
        )
    text = render(
        "volunteer/checked.html.j2",
        tr.locale,
        check=check,
        checked_in=signup.checked_in_at.astimezone(env.tz).strftime("%H:%M") if signup.checked_in_at else "",
        checked_out=signup.checked_out_at.astimezone(env.tz).strftime("%H:%M") if signup.checked_out_at else "",
        hours=reports.hours(signup.minutes),
    )
    if update.callback_query is not None:
        await show(update, text, markup, answer=False)
    else:
        await reply(update, text, reply_markup=markup or ReplyKeyboardRemove())


async def start_with_checkin(update: Update, context: BranchContext) -> None:
    """The activity's QR code: check in, or (checked in already) offer to check out."""
    assert update.message is not None and context.args
    if context.caller.actor is None:
        await update.message.reply_text(render("core/not_on_roster.html.j2", context.tr.locale))
        return
    token = context.args[0].removeprefix(vol.CHECKIN_PREFIX)
    async with context.unit() as session:
        activity_id = await vol.activity_from_token(session, token)
        check = await vol.check_in(session, context.actor, activity_id, env=env_of(context), method="qr")
    await _reply_check(update, context, check)


async def location_start(update: Update, context: BranchContext) -> int:
    """Ask for the member's location to check in (or out) at the activity pressed."""
    query = update.callback_query
    assert query is not None
    activity_id = ActivityLocate.parse(query.data).activity
    async with context.unit() as session:
        await vol.visible_activity(session, context.actor, activity_id)
    _user_data(context)["vl"] = activity_id
    await query.answer()
    tr = context.tr
    keyboard = ReplyKeyboardMarkup(
        [[KeyboardButton(tr.gettext("Share my location"), request_location=True)]],
        one_time_keyboard=True,
        resize_keyboard=True,
    )
    if query.message is not None:
        await say(
            update,
            tr.gettext("Share your location with the button below (you must be at the activity's place)."),
            keyboard,
        )
    return LOCATION_WAIT


async def location_received(update: Update, context: BranchContext) -> int:
    """Check in (or out, once in) with the shared location, within the activity's radius."""
    assert update.message is not None and update.message.location is not None
    activity_id = _user_data(context).get("vl")
    if activity_id is None:
        return END
    location = (update.message.location.latitude, update.message.location.longitude)
    env = env_of(context)
    # A refusal (too far, outside the window) keeps the flow open: the member may share again, or /cancel.
    async with context.unit(then=END) as session:
        check = await vol.check_in(
            session, context.actor, int(activity_id), env=env, method="location", location=location
        )
        if check.action == "already_in":
            check = await vol.check_out(
                session, context.actor, int(activity_id), env=env, method="location", location=location
            )
    _user_data(context).pop("vl", None)
    await _reply_check(update, context, check)
    return END
