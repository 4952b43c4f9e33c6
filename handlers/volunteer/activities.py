"""Volunteer activities (志愿活动): /activities, the activity card and its buttons, editing a field."""

from __future__ import annotations

from html import escape
from typing import Any

from telegram import (
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)

from bot import date_style
from bot.clock import now_utc
from bot.context import BranchContext
from bot.errors import InvalidInput
from bot.i18n import N_
from bot.qr import qr_png
from bot.services import volunteer as vol
from bot.services.volunteer import manage
from bot.services.volunteer.buttons import (
    ActivityAction,
    ActivityButton,
    ActivityEdit,
    ActivityLocate,
    EditField,
    HoursFix,
)
from bot.services.volunteer.timing import (
    parse_span,
)
from bot.templates import render
from handlers.common import in_group, keyboard, reply, show
from handlers.flows import END
from handlers.volunteer.checkin import _reply_check
from handlers.volunteer.common import EDIT_VALUE, _user_data, env_of, say
from handlers.volunteer.posting import _parse_slots
from storage.volunteer import ActivityStatus, SignUpStatus


def _card_buttons(view: vol.ActivityView, context: BranchContext) -> InlineKeyboardMarkup | None:
    tr = context.tr
    activity, signup = view.activity, view.signup
    actor = context.actor
    rows: list[list[tuple[str, str]]] = []
    if activity.status != ActivityStatus.OPEN:
        if view.is_manager or actor.leads_branch or actor.is_admin:
            rows.append([(tr.gettext("Roll"), ActivityButton(activity=activity.id, action=ActivityAction.ROLL).pack())])
        return keyboard(rows)
    now = now_utc()
    active = signup is not None and signup.status != SignUpStatus.CANCELLED
    if activity.starts_at > now:
        if not active:
            label = tr.gettext("Sign up") if view.places_left else tr.gettext("Join the waiting list")
            rows.append([(label, ActivityButton(activity=activity.id, action=ActivityAction.JOIN).pack())])
        elif signup is not None and signup.status == SignUpStatus.CONFIRMED:
            if signup.checked_in_at is None:  # a place already used is not given up
                rows.append(
                    [
                        (
                            tr.gettext("Cancel my place"),
                            ActivityButton(activity=activity.id, action=ActivityAction.LEAVE).pack(),
                        )
                    ]
                )
        else:
            rows.append(
                [
                    (
                        tr.gettext("Leave the waiting list"),
                        ActivityButton(activity=activity.id, action=ActivityAction.LEAVE).pack(),
                    )
                ]
            )
    in_window = activity.starts_at - vol.CHECKIN_OPENS_BEFORE <= now <= activity.ends_at
    placed = vol.activity_position(activity, view.community) is not None
    if in_window and placed and (signup is None or signup.checked_in_at is None):
        rows.append([(tr.gettext("Check in with my location"), ActivityLocate(activity=activity.id).pack())])
    if signup is not None and signup.checked_in_at is not None and signup.checked_out_at is None:
        rows.append(
            [(tr.gettext("Check out"), ActivityButton(activity=activity.id, action=ActivityAction.CHECK_OUT).pack())]
        )
    if placed and activity.ends_at > now:
        rows.append([(tr.gettext("📍 Map"), ActivityButton(activity=activity.id, action=ActivityAction.MAP).pack())])
    if view.is_manager or actor.leads_branch or actor.is_admin:
        rows.append(
            [
                (tr.gettext("Roll"), ActivityButton(activity=activity.id, action=ActivityAction.ROLL).pack()),
                (tr.gettext("QR code"), ActivityButton(activity=activity.id, action=ActivityAction.QR).pack()),
            ]
        )
    if view.is_manager and activity.ends_at > now:
        rows.append(
            [
                (tr.gettext("✏️ Edit"), ActivityButton(activity=activity.id, action=ActivityAction.EDIT).pack()),
                (
                    tr.gettext("🚫 Cancel the activity"),
                    ActivityButton(activity=activity.id, action=ActivityAction.CANCEL).pack(),
                ),
            ]
        )
    return keyboard(rows)


def _card_text(view: vol.ActivityView, context: BranchContext) -> str:
    env = env_of(context)
    return render(
        "volunteer/activity.html.j2",
        context.tr.locale,
        view=view,
        activity=view.activity,
        community=view.community,
        when=vol.when_text(view.activity, env.tz, context.tr.locale),
        checked_in=view.signup.checked_in_at.astimezone(env.tz).strftime("%H:%M")
        if view.signup and view.signup.checked_in_at
        else None,
    )


async def _show_card(
    update: Update, context: BranchContext, activity_id: int, toast: str | None = None, *, alert: bool = False
) -> None:
    if update.callback_query is not None and in_group(update):
        # The card in a group is everyone's: drawing the presser's own view on it ("✅ 您已报名") would show the
        # whole group who signed up and mislead the others. The presser gets the answer; the card stays as it is.
        await update.callback_query.answer(
            toast or context.tr.gettext("Open the activity in a private chat with me to see your place."),
            show_alert=True,
        )
        return
    async with context.unit() as session:
        view = await vol.activity_view(session, context.actor, activity_id)
    if update.callback_query is not None:
        await update.callback_query.answer(toast, show_alert=alert)
    await show(update, _card_text(view, context), _card_buttons(view, context), answer=False)


async def activities(update: Update, context: BranchContext) -> None:
    """List the upcoming activities sent to the member's branch, each a button opening its card."""
    env = env_of(context)
    async with context.unit() as session:
        views = await vol.upcoming_activities(session, context.actor)
    buttons = [
        [
            (
                f"{date_style.moment(v.activity.starts_at, context.tr.locale, tz=env.tz)} {v.activity.title}"[:60],
                ActivityButton(activity=v.activity.id).pack(),
            )
        ]
        for v in views
    ]
    await reply(
        update,
        render("volunteer/activities.html.j2", context.tr.locale, views=views, tz=env.tz),
        reply_markup=keyboard(buttons),
    )


async def activity_button(update: Update, context: BranchContext) -> None:
    """The buttons of an activity card and of its notices."""
    query = update.callback_query
    assert query is not None
    button = ActivityButton.parse(query.data)
    activity_id, action = button.activity, button.action
    tr = context.tr
    env = env_of(context)
    actor = context.actor
    if action is None:
        await _show_card(update, context, activity_id)
    elif action == "join":
        async with context.unit() as session:
            result = await vol.sign_up(session, actor, activity_id)
        toast = (
            tr.gettext("You have a place.")
            if result.confirmed
            else tr.gettext(
                "The activity is full: you are number %(position)d on the waiting list. "
                "I will tell you if a place comes free.",
                position=result.waiting_position or 0,
            )
        )
        await _show_card(update, context, activity_id, toast, alert=not result.confirmed)
    elif action == "leave":
        async with context.unit() as session:
            outcome = await vol.cancel_signup(session, actor, activity_id, env=env)
        toast = (
            tr.gettext("Your place is cancelled.")
            if outcome.was_confirmed
            else tr.gettext("You left the waiting list.")
        )
        await _show_card(update, context, activity_id, toast)
    elif action == "out":
        async with context.unit() as session:
            check = await vol.check_out(session, actor, activity_id, env=env, method="button")
        await query.answer()
        await _reply_check(update, context, check)
    elif action == "roll":
        async with context.unit() as session:
            roll = await vol.activity_roll(session, actor, activity_id)
        await query.answer()
        buttons = [
            [(tr.gettext("Correct %(name)s", name=line.member.name), HoursFix(signup=line.signup.id).pack())]
            for line in roll.confirmed
            if line.signup.checked_in_at is not None and (actor.leads_branch or actor.is_admin)
        ]
        await say(
            update,
            render(
                "volunteer/roll.html.j2",
                tr.locale,
                roll=roll,
                when=vol.when_text(roll.activity, env.tz, tr.locale),
                tz=env.tz,
            ),
            keyboard(buttons[:30]),
        )
    elif action == "map":
        async with context.unit() as session:
            view = await vol.activity_view(session, actor, activity_id)
        position = vol.activity_position(view.activity, view.community)
        await query.answer()
        if position is not None and query.message is not None:
            await query.message.reply_venue(  # type: ignore[attr-defined]
                latitude=position[0],
                longitude=position[1],
                title=view.activity.title[:100],
                address=" · ".join(p for p in (view.community.name, view.activity.place) if p)[:100],
            )
    elif action in ("ed", "cx", "cxy"):
        await _manage_button(update, context, activity_id, action)
    elif action == "qr":
        async with context.unit() as session:
            roll = await vol.activity_roll(session, actor, activity_id)  # the same rights as the roll
            link = await vol.checkin_link(session, roll.activity, context.resources.bot_username)
        # Always to the leader's private chat: a code posted in the group could be scanned from anywhere (a
        # check-in without being there), as the meetings' QR code.
        assert update.effective_user is not None
        if in_group(update):
            await query.answer(tr.gettext("I have sent you the check-in code in our private chat."))
        else:
            await query.answer()
        await context.bot.send_photo(
            update.effective_user.id,
            qr_png(link),
            caption=tr.gettext(
                "Check-in code of %(title)s: print it or show it at the place. "
                "Members scan it to check in, and again to check out.\n%(link)s",
                title=escape(roll.activity.title),
                link=link,
            ),
        )


async def _manage_button(update: Update, context: BranchContext, activity_id: int, action: str) -> None:
    """The poster's buttons: the edit menu, the cancel confirmation, the cancellation itself."""
    query = update.callback_query
    assert query is not None
    tr = context.tr
    env = env_of(context)
    if action == "cxy":
        async with context.unit() as session:
            change = await manage.cancel_activity(session, context.actor, activity_id, env=env)
        toast = tr.ngettext(
            "Cancelled; %(num)d member signed up or waiting is told.",
            "Cancelled; %(num)d members signed up or waiting are told.",
            change.told,
        )
        await _show_card(update, context, change.activity.id, toast, alert=True)
        return
    async with context.unit() as session:
        activity = await manage.managed_activity(session, context.actor, activity_id)
        manage.require_changeable(activity, now_utc())
        people = await vol.activity_roll(session, context.actor, activity_id)
    await query.answer()
    if action == "ed":
        labels = {name: tr.gettext(FIELD_LABELS[name]) for name in manage.FIELDS}
        rows = [
            [
                (labels[a], ActivityEdit(activity=activity_id, field=EditField(a)).pack()),
                (labels[b], ActivityEdit(activity=activity_id, field=EditField(b)).pack()),
            ]
            for a, b in zip(manage.FIELDS[::2], manage.FIELDS[1::2], strict=True)
        ]
        rows.append([(tr.gettext("Back"), ActivityButton(activity=activity_id).pack())])
        await show(
            update,
            tr.gettext(
                "What do you want to change in <b>%(title)s</b>? Everyone signed up or waiting will be told.",
                title=escape(activity.title),
            ),
            keyboard(rows),
            answer=False,
        )
        return
    await show(
        update,
        tr.gettext(
            "Cancel <b>%(title)s</b>? The %(signed)d signed up and %(waiting)d waiting will be told; "
            "nobody can sign up or check in any more.",
            title=escape(activity.title),
            signed=len(people.confirmed),
            waiting=len(people.waiting),
        ),
        keyboard(
            [
                [
                    (
                        tr.gettext("🚫 Yes, cancel it"),
                        ActivityButton(activity=activity_id, action=ActivityAction.CANCEL_YES).pack(),
                    )
                ],
                [(tr.gettext("Back"), ActivityButton(activity=activity_id).pack())],
            ]
        ),
        answer=False,
    )


# What each field is called on the edit menu, and what is asked for it.
FIELD_LABELS = {
    "title": N_("Title"),
    "when": N_("Time"),
    "slots": N_("Places"),
    "place": N_("Place"),
    "skills": N_("Skills"),
    "description": N_("Description"),
}


FIELD_PROMPTS = {
    "title": N_("Send the new title."),
    "when": N_("Send the new day and hours, for example 12 Dec 09:00-11:30."),
    "slots": N_("Send the new number of places (at least %(taken)d: the places already taken)."),
    "place": N_("Send the new meeting point, or share a location to move the map pin (- clears the meeting point)."),
    "skills": N_("Send the skills wanted (- clears them)."),
    "description": N_("Send the new description (- clears it)."),
}


_CLEAR = ("-", "—", "－")


async def edit_field_start(update: Update, context: BranchContext) -> int:
    """A field chosen on the edit menu: ask for its new value."""
    query = update.callback_query
    assert query is not None
    button = ActivityEdit.parse(query.data)
    activity_id, name = button.activity, str(button.field)
    async with context.unit() as session:
        activity = await manage.managed_activity(session, context.actor, activity_id)
        manage.require_changeable(activity, now_utc())
        taken = activity.taken
    _user_data(context)["ve"] = {"id": activity.id, "field": name}
    await query.answer()
    markup: Any = None
    if name == "place":
        markup = ReplyKeyboardMarkup(
            [[KeyboardButton(context.tr.gettext("Share the location"), request_location=True)]],
            one_time_keyboard=True,
            resize_keyboard=True,
        )
    await say(update, context.tr.gettext(FIELD_PROMPTS[name], taken=taken), markup)
    return EDIT_VALUE


async def edit_field_value(update: Update, context: BranchContext) -> int:
    """The new value: saved, announced to everyone signed up or waiting, and the card shown again."""
    message = update.message
    assert message is not None
    pending = _user_data(context).get("ve") or {}
    name = pending.get("field")
    if name not in manage.FIELDS:
        return END
    env = env_of(context)
    text = (message.text or "").strip()
    kwargs: dict[str, Any] = {}
    if message.location is not None:
        if name != "place":
            raise InvalidInput(N_("Send text here, please."))
        kwargs["position"] = (message.location.latitude, message.location.longitude)
    elif name == "when":
        kwargs["starts_at"], kwargs["ends_at"] = parse_span(text, env)
    elif name == "slots":
        kwargs["slots"] = _parse_slots(text)
    else:
        kwargs[name] = None if text in _CLEAR else text
    async with context.unit(then=END) as session:
        change = await manage.edit_activity(session, context.actor, int(pending["id"]), env=env, **kwargs)
        view = await vol.activity_view(session, context.actor, change.activity.id)
    _user_data(context).pop("ve", None)
    tr = context.tr
    done = tr.ngettext(
        "✅ Changed; %(num)d member signed up or waiting is told.",
        "✅ Changed; %(num)d members signed up or waiting are told.",
        change.told + len(change.promoted),
    )
    await message.reply_text(done, reply_markup=ReplyKeyboardRemove())
    await message.reply_text(_card_text(view, context), reply_markup=_card_buttons(view, context))
    return END
