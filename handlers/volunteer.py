"""Volunteer service in chat (measure 22): /community, /activities, /activity_new, /report, /myservice, /service,
the QR check-in deep link ``/start vk_<token>``, and the buttons of activity notices and approval requests.

Callback data (re-checked against the database and the caller's rights every time):
``vc:<community>`` register · ``vc:list`` / ``vc:counts`` registrations for leaders / administrators ·
``va:<activity>[:join|leave|loc|out|roll|qr]`` · ``vh:<signup>:ok|fix`` check-outs to confirm or correct ·
``vr:<report>:ok|no``, ``vr:<first>-<last>:all`` the approval queue · ``vs:month|quarter|year`` totals ·
``vn:…`` posting an activity · ``vp:…`` a self-report.
"""

from __future__ import annotations

import re
import secrets
from datetime import date, datetime
from typing import Any

from telegram import (
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.constants import ChatType
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.clock import now_utc
from bot.context import BranchContext
from bot.errors import DomainError, InvalidInput
from bot.i18n import N_
from bot.qr import qr_png
from bot.services import volunteer as vol
from bot.services import volunteer_manage as manage
from bot.services import volunteer_reports as reports
from bot.services.volunteer_time import (
    Period,
    VolunteerConfig,
    hours_text,
    parse_clock_span,
    parse_day,
    parse_hours,
    parse_span,
)
from bot.templates import format_local_date, render
from handlers.common import keyboard, reply, show
from handlers.flows import END, Flow
from storage import queries
from storage.models import Organisation
from storage.volunteer import ActivityStatus, ReportStatus, SignUpStatus

VK_START = filters.Regex(r"^/start(@\w+)? vk_[A-Za-z0-9_-]{1,60}$")

# Conversation states.
COMMUNITY_SEARCH = 0
LOCATION_WAIT = 0
NEW_TITLE, NEW_COMMUNITY, NEW_WHEN, NEW_SLOTS, NEW_PLACE, NEW_SKILLS, NEW_DESCRIPTION, NEW_DISPATCH, NEW_CONFIRM = (
    range(9)
)
REP_DAY, REP_TIME, REP_WHERE, REP_WHAT, REP_PHOTOS, REP_CONFIRM = range(6)
DECIDE_REASON, DECIDE_FIX = range(2)
EDIT_VALUE = 0
# What the flows keep in user_data while they run: activity_new, report, decide, location, edit.
FLOW_DATA = ("vn", "vp", "vd", "vl", "ve")


def config(context: BranchContext) -> VolunteerConfig:
    """The volunteer settings of this process (built once)."""
    resources = context.resources
    cfg = resources.extras.get("volunteer_config")
    if cfg is None or cfg.bot_username != resources.bot_username:
        cfg = VolunteerConfig.from_settings(resources.settings, resources.bot_username)
        resources.extras["volunteer_config"] = cfg
    return cfg


def _user_data(context: BranchContext) -> dict[str, Any]:
    assert context.user_data is not None
    return context.user_data


async def _private_only(update: Update, context: BranchContext) -> bool:
    """Personal flows belong in the private chat; say so in a group."""
    chat = update.effective_chat
    if chat is not None and chat.type != ChatType.PRIVATE:
        await reply(update, context.tr.gettext("Please do this in a private chat with me."))
        return False
    return True


async def say(update: Update, text: str, markup: Any = None) -> None:
    """Send a message to the chat of the update without answering a button press (answered already)."""
    message = update.effective_message
    if message is not None:
        await message.reply_text(text, reply_markup=markup)


# Communities ------------------------------------------------------------------------------------------


async def community_start(update: Update, context: BranchContext) -> int:
    """Show the member's registration; someone not registered yet is asked for a name or a location at once,
    someone registered gets a button to change (so that what they type next is not taken for a search)."""
    if not await _private_only(update, context):
        return END
    actor = context.actor
    tr = context.tr
    async with context.unit() as session:
        history = await vol.registration_history(session, actor.member_id)
    current = history[0] if history and history[0].ended_on is None else None
    buttons: list[list[tuple[str, str]]] = []
    if current is not None:
        buttons.append([(tr.gettext("Change my community"), "vc:change")])
    if actor.leads_branch:
        buttons.append([(tr.gettext("Who in the branch has registered"), "vc:list")])
    if actor.is_admin:
        buttons.append([(tr.gettext("Members per community"), "vc:counts")])
    await reply(
        update,
        render("volunteer/community.html.j2", tr.locale, current=current, history=history),
        reply_markup=keyboard(buttons),
    )
    if current is not None:
        return END
    return await _ask_community(update, context)


async def community_change(update: Update, context: BranchContext) -> int:
    """The "change my community" button: ask for a name or a location."""
    if update.callback_query is not None:
        await update.callback_query.answer()
    return await _ask_community(update, context)


async def _ask_community(update: Update, context: BranchContext) -> int:
    tr = context.tr
    location_keyboard = ReplyKeyboardMarkup(
        [[KeyboardButton(tr.gettext("Share my location"), request_location=True)]],
        one_time_keyboard=True,
        resize_keyboard=True,
    )
    await say(
        update,
        tr.gettext("Send part of the community's name, or share your location to see the nearest ones."),
        location_keyboard,
    )
    return COMMUNITY_SEARCH


async def _show_communities(
    update: Update, context: BranchContext, found: list[tuple[Any, float | None]], searched: str | None
) -> None:
    tr = context.tr
    if not found:
        await reply(
            update,
            tr.gettext("No community matches %(text)s. Try another part of the name.", text=searched or "")
            if searched
            else tr.gettext("No community with a map position is known yet. Send its name instead."),
        )
        return
    buttons = [
        [(f"{c.name} · {c.town}" + (f" · {d / 1000:.1f} km" if d is not None else ""), f"vc:{c.id}")] for c, d in found
    ]
    await reply(update, tr.gettext("Which one? Press it to register."), reply_markup=keyboard(buttons))


async def community_search(update: Update, context: BranchContext) -> int:
    """Search communities by the name typed."""
    assert update.message is not None and update.message.text is not None
    async with context.unit() as session:
        found = await vol.search_communities(session, update.message.text)
    await _show_communities(update, context, [(c, None) for c in found], update.message.text.strip())
    return COMMUNITY_SEARCH


async def community_nearby(update: Update, context: BranchContext) -> int:
    """The communities nearest to a shared location."""
    assert update.message is not None and update.message.location is not None
    location = update.message.location
    async with context.unit() as session:
        found = await vol.nearest_communities(session, location.latitude, location.longitude)
    await _show_communities(update, context, [(c, d) for c, d in found], None)
    return COMMUNITY_SEARCH


async def community_chosen(update: Update, context: BranchContext) -> int:
    """Register with the community pressed."""
    query = update.callback_query
    assert query is not None and query.data is not None
    community_id = int(query.data.split(":")[1])
    async with context.unit(then=END) as session:
        registration = await vol.register_community(
            session, context.actor, community_id, now_utc().astimezone(config(context).tz).date()
        )
    await query.answer()
    await show(
        update,
        context.tr.gettext(
            "Registered with <b>%(community)s</b> (%(town)s) from %(since)s.",
            community=registration.community.name,
            town=registration.community.town,
            since=format_local_date(registration.registered_on, context.tr.babel_locale),
        ),
        answer=False,
    )
    if query.message is not None:
        await say(update, context.tr.gettext("Thank you."), ReplyKeyboardRemove())
    return END


async def branch_registrations(update: Update, context: BranchContext) -> None:
    """For the secretary: who in the branch has registered with a community, and who has not."""
    actor = context.actor
    async with context.unit() as session:
        lines = await vol.branch_registrations(session, actor, actor.org_id)
        branch = await session.get(Organisation, actor.org_id)
    assert branch is not None
    await reply(update, render("volunteer/branch_registrations.html.j2", context.tr.locale, lines=lines, branch=branch))


async def community_counts(update: Update, context: BranchContext) -> None:
    """For an administrator: how many members each community has."""
    async with context.unit() as session:
        counts = await vol.community_counts(session, context.actor)
    await reply(update, render("volunteer/community_counts.html.j2", context.tr.locale, counts=counts))


async def cancel(update: Update, context: BranchContext) -> int:
    """Leave the current volunteer flow; nothing more is kept."""
    data = _user_data(context)
    for key in FLOW_DATA:
        data.pop(key, None)
    await reply(update, context.tr.gettext("Cancelled. Nothing was saved."), reply_markup=ReplyKeyboardRemove())
    return END


# Activities -------------------------------------------------------------------------------------------


def _card_buttons(view: vol.ActivityView, context: BranchContext) -> InlineKeyboardMarkup | None:
    tr = context.tr
    activity, signup = view.activity, view.signup
    actor = context.actor
    rows: list[list[tuple[str, str]]] = []
    if activity.status != ActivityStatus.OPEN:
        if view.is_manager or actor.leads_branch or actor.is_admin:
            rows.append([(tr.gettext("Roll"), f"va:{activity.id}:roll")])
        return keyboard(rows)
    now = now_utc()
    active = signup is not None and signup.status != SignUpStatus.CANCELLED
    if activity.starts_at > now:
        if not active:
            label = tr.gettext("Sign up") if view.places_left else tr.gettext("Join the waiting list")
            rows.append([(label, f"va:{activity.id}:join")])
        elif signup is not None and signup.status == SignUpStatus.CONFIRMED:
            if signup.checked_in_at is None:  # a place already used is not given up
                rows.append([(tr.gettext("Cancel my place"), f"va:{activity.id}:leave")])
        else:
            rows.append([(tr.gettext("Leave the waiting list"), f"va:{activity.id}:leave")])
    in_window = activity.starts_at - vol.CHECKIN_OPENS_BEFORE <= now <= activity.ends_at
    placed = vol.activity_position(activity, view.community) is not None
    if in_window and placed and (signup is None or signup.checked_in_at is None):
        rows.append([(tr.gettext("Check in with my location"), f"va:{activity.id}:loc")])
    if signup is not None and signup.checked_in_at is not None and signup.checked_out_at is None:
        rows.append([(tr.gettext("Check out"), f"va:{activity.id}:out")])
    if placed and activity.ends_at > now:
        rows.append([(tr.gettext("📍 Map"), f"va:{activity.id}:map")])
    if view.is_manager or actor.leads_branch or actor.is_admin:
        rows.append([(tr.gettext("Roll"), f"va:{activity.id}:roll"), (tr.gettext("QR code"), f"va:{activity.id}:qr")])
    if view.is_manager and activity.ends_at > now:
        rows.append(
            [
                (tr.gettext("✏️ Edit"), f"va:{activity.id}:ed"),
                (tr.gettext("🚫 Cancel the activity"), f"va:{activity.id}:cx"),
            ]
        )
    return keyboard(rows)


def _card_text(view: vol.ActivityView, context: BranchContext) -> str:
    cfg = config(context)
    return render(
        "volunteer/activity.html.j2",
        context.tr.locale,
        view=view,
        activity=view.activity,
        community=view.community,
        when=vol.when_text(view.activity, cfg.tz),
        checked_in=view.signup.checked_in_at.astimezone(cfg.tz).strftime("%H:%M")
        if view.signup and view.signup.checked_in_at
        else None,
    )


async def _show_card(
    update: Update, context: BranchContext, activity_id: int, toast: str | None = None, *, alert: bool = False
) -> None:
    async with context.unit() as session:
        view = await vol.activity_view(session, context.actor, activity_id)
    if update.callback_query is not None:
        await update.callback_query.answer(toast, show_alert=alert)
    await show(update, _card_text(view, context), _card_buttons(view, context), answer=False)


async def activities(update: Update, context: BranchContext) -> None:
    """List the upcoming activities sent to the member's branch, each a button opening its card."""
    cfg = config(context)
    async with context.unit() as session:
        views = await vol.upcoming_activities(session, context.actor)
    buttons = [
        [(f"{v.activity.starts_at.astimezone(cfg.tz):%m-%d %H:%M} {v.activity.title}"[:60], f"va:{v.activity.id}")]
        for v in views
    ]
    await reply(
        update,
        render("volunteer/activities.html.j2", context.tr.locale, views=views, tz=cfg.tz),
        reply_markup=keyboard(buttons),
    )


_ACTIVITY_DATA = re.compile(r"^va:(\d+)(?::(join|leave|out|roll|qr|map|ed|cx|cxy))?$")


async def activity_button(update: Update, context: BranchContext) -> None:
    """The buttons of an activity card and of its notices."""
    query = update.callback_query
    assert query is not None
    match = _ACTIVITY_DATA.match(query.data or "")
    if match is None:
        await query.answer()
        return
    activity_id, action = int(match.group(1)), match.group(2)
    tr = context.tr
    cfg = config(context)
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
            outcome = await vol.cancel_signup(session, actor, activity_id, cfg)
        toast = (
            tr.gettext("Your place is cancelled.")
            if outcome.was_confirmed
            else tr.gettext("You left the waiting list.")
        )
        await _show_card(update, context, activity_id, toast)
    elif action == "out":
        async with context.unit() as session:
            check = await vol.check_out(session, actor, activity_id, cfg, method="button")
        await query.answer()
        await _reply_check(update, context, check)
    elif action == "roll":
        async with context.unit() as session:
            roll = await vol.activity_roll(session, actor, activity_id)
        await query.answer()
        buttons = [
            [(tr.gettext("Correct %(name)s", name=line.member.name), f"vh:{line.signup.id}:fix")]
            for line in roll.confirmed
            if line.signup.checked_in_at is not None and (actor.leads_branch or actor.is_admin)
        ]
        await say(
            update,
            render(
                "volunteer/roll.html.j2", tr.locale, roll=roll, when=vol.when_text(roll.activity, cfg.tz), tz=cfg.tz
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
        await query.answer()
        if query.message is not None:
            await query.message.reply_photo(  # type: ignore[attr-defined]
                qr_png(link),
                caption=tr.gettext(
                    "Check-in code of %(title)s: print it or show it at the place. "
                    "Members scan it to check in, and again to check out.\n%(link)s",
                    title=roll.activity.title,
                    link=link,
                ),
            )


async def _manage_button(update: Update, context: BranchContext, activity_id: int, action: str) -> None:
    """The poster's buttons: the edit menu, the cancel confirmation, the cancellation itself."""
    query = update.callback_query
    assert query is not None
    tr = context.tr
    cfg = config(context)
    if action == "cxy":
        async with context.unit() as session:
            change = await manage.cancel_activity(session, context.actor, activity_id, cfg)
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
            [(labels[a], f"va:{activity_id}:ed:{a}"), (labels[b], f"va:{activity_id}:ed:{b}")]
            for a, b in zip(manage.FIELDS[::2], manage.FIELDS[1::2], strict=True)
        ]
        rows.append([(tr.gettext("Back"), f"va:{activity_id}")])
        await show(
            update,
            tr.gettext(
                "What do you want to change in <b>%(title)s</b>? Everyone signed up or waiting will be told.",
                title=activity.title,
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
            title=activity.title,
            signed=len(people.confirmed),
            waiting=len(people.waiting),
        ),
        keyboard(
            [
                [(tr.gettext("🚫 Yes, cancel it"), f"va:{activity_id}:cxy")],
                [(tr.gettext("Back"), f"va:{activity_id}")],
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
    "when": N_("Send the new start and end, for example 2026-06-01 09:00-11:30."),
    "slots": N_("Send the new number of places (at least %(taken)d: the places already taken)."),
    "place": N_("Send the new meeting point, or share a location to move the map pin (- clears the meeting point)."),
    "skills": N_("Send the skills wanted (- clears them)."),
    "description": N_("Send the new description (- clears it)."),
}
_CLEAR = ("-", "—", "－")


async def edit_field_start(update: Update, context: BranchContext) -> int:
    """A field chosen on the edit menu: ask for its new value."""
    query = update.callback_query
    assert query is not None and query.data is not None
    _, activity_id, _, name = query.data.split(":")
    async with context.unit() as session:
        activity = await manage.managed_activity(session, context.actor, int(activity_id))
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
    cfg = config(context)
    text = (message.text or "").strip()
    kwargs: dict[str, Any] = {}
    if message.location is not None:
        if name != "place":
            raise InvalidInput(N_("Send text here, please."))
        kwargs["position"] = (message.location.latitude, message.location.longitude)
    elif name == "when":
        kwargs["starts_at"], kwargs["ends_at"] = parse_span(text, cfg.tz)
    elif name == "slots":
        kwargs["slots"] = _parse_slots(text)
    else:
        kwargs[name] = None if text in _CLEAR else text
    async with context.unit(then=END) as session:
        change = await manage.edit_activity(session, context.actor, int(pending["id"]), cfg, **kwargs)
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


async def _reply_check(update: Update, context: BranchContext, check: vol.CheckResult) -> None:
    cfg = config(context)
    tr = context.tr
    signup = check.signup
    markup = None
    if check.action in ("in", "already_in"):
        markup = keyboard([[(tr.gettext("Check out"), f"va:{check.activity.id}:out")]])
    text = render(
        "volunteer/checked.html.j2",
        tr.locale,
        check=check,
        checked_in=signup.checked_in_at.astimezone(cfg.tz).strftime("%H:%M") if signup.checked_in_at else "",
        checked_out=signup.checked_out_at.astimezone(cfg.tz).strftime("%H:%M") if signup.checked_out_at else "",
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
        check = await vol.check_in(session, context.actor, activity_id, config(context), method="qr")
    await _reply_check(update, context, check)


async def location_start(update: Update, context: BranchContext) -> int:
    """Ask for the member's location to check in (or out) at the activity pressed."""
    query = update.callback_query
    assert query is not None and query.data is not None
    activity_id = int(query.data.split(":")[1])
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
    cfg = config(context)
    # A refusal (too far, outside the window) keeps the flow open: the member may share again, or /cancel.
    async with context.unit(then=END) as session:
        check = await vol.check_in(session, context.actor, int(activity_id), cfg, method="location", location=location)
        if check.action == "already_in":
            check = await vol.check_out(
                session, context.actor, int(activity_id), cfg, method="location", location=location
            )
    _user_data(context).pop("vl", None)
    await _reply_check(update, context, check)
    return END


# Posting an activity ----------------------------------------------------------------------------------


async def new_start(update: Update, context: BranchContext) -> int:
    """/activity_new: a guided flow (or one line: title | community | YYYY-MM-DD HH:MM-HH:MM | places)."""
    if not await _private_only(update, context):
        return END
    actor = context.actor
    if not (actor.leads_branch or actor.is_admin):
        await reply(
            update, context.tr.gettext("Only the branch secretary (or a committee member acting for them) may do this.")
        )
        return END
    if context.args:
        return await _new_one_line(update, context, " ".join(context.args))
    _user_data(context)["vn"] = {}
    await reply(update, context.tr.gettext("New volunteer activity. What is its title? (/cancel to stop)"))
    return NEW_TITLE


async def _new_one_line(update: Update, context: BranchContext, line: str) -> int:
    parts = [p.strip() for p in line.split("|")]
    if len(parts) < 4:
        raise InvalidInput(N_("Write: /activity_new title | community | YYYY-MM-DD HH:MM-HH:MM | places [| place]"))
    cfg = config(context)
    start, end = parse_span(parts[2], cfg.tz)
    async with context.unit(then=END) as session:
        community = await vol.resolve_community(session, parts[1])
        draft = vol.ActivityDraft(
            title=parts[0],
            community_id=community.id,
            starts_at=start,
            ends_at=end,
            slots=_parse_slots(parts[3]),
            place=parts[4] if len(parts) > 4 else None,
        )
        activity = await vol.create_activity(session, context.actor, draft, cfg)
        dispatched = await _dispatch_names(session, activity.id)
    await _published(update, context, activity.id, activity.title, dispatched)
    return END


def _parse_slots(text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise InvalidInput(N_("Write the number of places as a whole number, for example 10.")) from None


async def _dispatch_names(session: Any, activity_id: int) -> list[str]:
    from sqlalchemy import select

    from storage.volunteer import ActivityDispatch

    rows = await session.scalars(
        select(Organisation.name)
        .join(ActivityDispatch, ActivityDispatch.org_id == Organisation.id)
        .where(ActivityDispatch.activity_id == activity_id)
        .order_by(Organisation.name)
    )
    return list(rows.all())


async def _published(update: Update, context: BranchContext, activity_id: int, title: str, branches: list[str]) -> None:
    tr = context.tr
    text = (
        tr.gettext(
            "Published <b>%(title)s</b> and sent it to %(branches)s. Open it to see the roll and its check-in QR code.",
            title=title,
            branches="、".join(branches),
        )
        if branches
        else tr.gettext("Published <b>%(title)s</b>. It has not been sent to any branch yet.", title=title)
    )
    await show(update, text, keyboard([[(tr.gettext("Open"), f"va:{activity_id}")]]), answer=False)


async def new_title(update: Update, context: BranchContext) -> int:
    """The title; next, the community."""
    assert update.message is not None and update.message.text is not None
    title = update.message.text.strip()
    if not title or len(title) > 200:
        raise InvalidInput(N_("The title is too long (at most %(max)d characters)."), max=200)
    _user_data(context)["vn"] = {"title": title}
    await update.message.reply_text(context.tr.gettext("In which community? Send part of its name."))
    return NEW_COMMUNITY


async def new_community_search(update: Update, context: BranchContext) -> int:
    """Find the community by name."""
    assert update.message is not None and update.message.text is not None
    async with context.unit() as session:
        found = await vol.search_communities(session, update.message.text)
    if not found:
        raise InvalidInput(N_("Unknown community %(name)s."), name=update.message.text.strip())
    await update.message.reply_text(
        context.tr.gettext("Which one?"),
        reply_markup=keyboard([[(f"{c.name} · {c.town}", f"vn:c:{c.id}")] for c in found]),
    )
    return NEW_COMMUNITY


async def new_community_chosen(update: Update, context: BranchContext) -> int:
    """The community pressed; next, when."""
    query = update.callback_query
    assert query is not None and query.data is not None
    async with context.unit() as session:
        community = await vol.community_by_id(session, int(query.data.split(":")[2]))
    _user_data(context).setdefault("vn", {})["community_id"] = community.id
    await query.answer()
    await show(
        update,
        context.tr.gettext(
            "%(community)s. When? Write the start and end, for example 2026-06-01 09:00-11:30.",
            community=community.name,
        ),
        answer=False,
    )
    return NEW_WHEN


async def new_when(update: Update, context: BranchContext) -> int:
    """Start and end; next, the places."""
    assert update.message is not None and update.message.text is not None
    start, end = parse_span(update.message.text, config(context).tz)
    if start <= now_utc():
        raise InvalidInput(N_("The start is in the past."))
    if end - start > vol.MAX_ACTIVITY_LENGTH:
        raise InvalidInput(N_("An activity lasts at most %(days)d days."), days=vol.MAX_ACTIVITY_LENGTH.days)
    draft = _user_data(context).setdefault("vn", {})
    draft["starts_at"], draft["ends_at"] = start.isoformat(), end.isoformat()
    await update.message.reply_text(context.tr.gettext("How many places?"))
    return NEW_SLOTS


async def new_slots(update: Update, context: BranchContext) -> int:
    """The places; next, the place and map pin."""
    assert update.message is not None and update.message.text is not None
    slots = _parse_slots(update.message.text)
    if not 1 <= slots <= vol.MAX_SLOTS:
        raise InvalidInput(N_("The number of places must be from 1 to %(max)d."), max=vol.MAX_SLOTS)
    _user_data(context).setdefault("vn", {})["slots"] = slots
    await update.message.reply_text(
        context.tr.gettext(
            "Where exactly? Write the meeting point, or share a location to pin it on the map "
            "(members check in within %(radius)d m of it).",
            radius=config(context).radius_m,
        ),
        reply_markup=keyboard([[(context.tr.gettext("Skip"), "vn:skip")]]),
    )
    return NEW_PLACE


async def new_place(update: Update, context: BranchContext) -> int:
    """The meeting point (text), a map pin (location), or nothing."""
    draft = _user_data(context).setdefault("vn", {})
    message = update.message
    if message is not None and message.location is not None:
        draft["latitude"], draft["longitude"] = message.location.latitude, message.location.longitude
    elif message is not None and message.text:
        if len(message.text) > 200:
            raise InvalidInput(N_("The text is too long (at most %(max)d characters)."), max=200)
        draft["place"] = message.text.strip()
    if update.callback_query is not None:
        await update.callback_query.answer()
    if message is not None and message.text and "latitude" not in draft:
        await say(
            update,
            context.tr.gettext("You may also share the location to pin it, or go on."),
            keyboard([[(context.tr.gettext("Go on"), "vn:skip")]]),
        )
        return NEW_PLACE
    await say(
        update,
        context.tr.gettext("Skills wanted? (for example: first aid, photography)"),
        keyboard([[(context.tr.gettext("Skip"), "vn:skip")]]),
    )
    return NEW_SKILLS


async def new_skills(update: Update, context: BranchContext) -> int:
    """Skills wanted; next, the description."""
    if update.message is not None and update.message.text:
        if len(update.message.text) > 300:
            raise InvalidInput(N_("The text is too long (at most %(max)d characters)."), max=300)
        _user_data(context).setdefault("vn", {})["skills"] = update.message.text.strip()
    if update.callback_query is not None:
        await update.callback_query.answer()
    await say(
        update,
        context.tr.gettext("A description for the members? (what to bring, whom to ask)"),
        keyboard([[(context.tr.gettext("Skip"), "vn:skip")]]),
    )
    return NEW_DESCRIPTION


async def new_description(update: Update, context: BranchContext) -> int:
    """The description; next, the branches to send it to (administrators) or the summary."""
    if update.message is not None and update.message.text:
        if len(update.message.text) > 4000:
            raise InvalidInput(N_("The text is too long (at most %(max)d characters)."), max=4000)
        _user_data(context).setdefault("vn", {})["description"] = update.message.text.strip()
    if update.callback_query is not None:
        await update.callback_query.answer()
    if context.actor.is_admin:
        _user_data(context)["vn"]["dispatch"] = []
        return await _dispatch_menu(update, context)
    return await _new_summary(update, context)


async def _dispatch_menu(update: Update, context: BranchContext) -> int:
    tr = context.tr
    chosen = set(_user_data(context)["vn"].get("dispatch", []))
    async with context.unit() as session:
        root = await session.get(Organisation, context.actor.org_id)
        branches = await queries.branches_in(session, await queries.subtree_ids(session, context.actor.org_id))
    assert root is not None
    rows = [[(("✅ " if root.id in chosen else "") + tr.gettext("All of %(org)s", org=root.name), f"vn:d:{root.id}")]]
    rows += [[(("✅ " if b.id in chosen else "") + b.name, f"vn:d:{b.id}")] for b in branches[:40]]
    rows.append([(tr.gettext("Done"), "vn:d:done")])
    text = tr.gettext("Send it to which branches? Press to choose, then Done.")
    if (
        update.callback_query is not None
        and update.callback_query.data
        and update.callback_query.data.startswith("vn:d:")
    ):
        await show(update, text, keyboard(rows), answer=False)
    else:
        await say(update, text, keyboard(rows))
    return NEW_DISPATCH


async def new_dispatch_toggle(update: Update, context: BranchContext) -> int:
    """Choose or unchoose a branch (or the whole subtree); Done goes on to the summary."""
    query = update.callback_query
    assert query is not None and query.data is not None
    value = query.data.split(":")[2]
    draft = _user_data(context).setdefault("vn", {})
    if value == "done":
        if not draft.get("dispatch"):
            await query.answer(context.tr.gettext("Choose at least one branch."), show_alert=True)
            return NEW_DISPATCH
        await query.answer()
        return await _new_summary(update, context)
    await query.answer()
    org_id = int(value)
    chosen = list(draft.get("dispatch", []))
    draft["dispatch"] = [o for o in chosen if o != org_id] if org_id in chosen else [*chosen, org_id]
    return await _dispatch_menu(update, context)


def _draft_of(context: BranchContext) -> vol.ActivityDraft:
    data = _user_data(context).get("vn") or {}
    try:
        return vol.ActivityDraft(
            title=data["title"],
            community_id=int(data["community_id"]),
            starts_at=datetime.fromisoformat(data["starts_at"]),
            ends_at=datetime.fromisoformat(data["ends_at"]),
            slots=int(data["slots"]),
            place=data.get("place"),
            latitude=data.get("latitude"),
            longitude=data.get("longitude"),
            skills=data.get("skills"),
            description=data.get("description"),
        )
    except (KeyError, ValueError):
        raise InvalidInput(N_("This draft is incomplete; start again with /activity_new.")) from None


async def _new_summary(update: Update, context: BranchContext) -> int:
    tr = context.tr
    draft = _draft_of(context)
    cfg = config(context)
    async with context.unit() as session:
        community = await vol.community_by_id(session, draft.community_id)
        names = [
            org.name
            for org_id in _user_data(context)["vn"].get("dispatch", [context.actor.org_id])
            if (org := await session.get(Organisation, org_id)) is not None
        ]
    text = render(
        "volunteer/activity_summary.html.j2",
        tr.locale,
        draft=draft,
        community=community,
        when=vol.span_text(draft.starts_at, draft.ends_at, cfg.tz),
        branches="、".join(names),
    )
    await say(update, text, keyboard([[(tr.gettext("Publish"), "vn:go"), (tr.gettext("Cancel"), "vn:x")]]))
    return NEW_CONFIRM


async def new_publish(update: Update, context: BranchContext) -> int:
    """Create the activity and send it to the chosen branches."""
    query = update.callback_query
    assert query is not None
    if query.data == "vn:x":
        _user_data(context).pop("vn", None)
        await query.answer()
        await show(update, context.tr.gettext("Cancelled. Nothing was saved."), answer=False)
        return END
    draft = _draft_of(context)
    dispatch = _user_data(context)["vn"].get("dispatch") if context.actor.is_admin else None
    async with context.unit(then=END) as session:
        activity = await vol.create_activity(session, context.actor, draft, config(context), dispatch_to=dispatch)
        names = await _dispatch_names(session, activity.id)
    _user_data(context).pop("vn", None)
    await query.answer()
    await _published(update, context, activity.id, activity.title, names)
    return END


# Self-reports -----------------------------------------------------------------------------------------


async def report_start(update: Update, context: BranchContext) -> int:
    """/report: service done elsewhere — when, how long, where, what, photos."""
    if not await _private_only(update, context):
        return END
    _user_data(context)["vp"] = {"ref": secrets.token_hex(8), "photos": [], "sizes": []}
    tr = context.tr
    await reply(
        update,
        tr.gettext("Report volunteer service. On which day? (YYYY-MM-DD; /cancel to stop)"),
        reply_markup=keyboard([[(tr.gettext("Today"), "vp:day:0"), (tr.gettext("Yesterday"), "vp:day:1")]]),
    )
    return REP_DAY


def _today(context: BranchContext) -> date:
    return now_utc().astimezone(config(context).tz).date()


async def report_day(update: Update, context: BranchContext) -> int:
    """The day (typed, or Today / Yesterday)."""
    today = _today(context)
    if update.callback_query is not None:
        await update.callback_query.answer()
        day = parse_day("yesterday" if (update.callback_query.data or "").endswith(":1") else "today", today)
    else:
        assert update.message is not None and update.message.text is not None
        day = parse_day(update.message.text, today)
    reports.check_day(day, today)
    _user_data(context).setdefault("vp", {})["day"] = day.isoformat()
    await say(
        update,
        context.tr.gettext(
            "How long? Write the hours (for example 2.5) or the start and end (for example 19:00-21:30), "
            "which also counts the time outside working hours."
        ),
    )
    return REP_TIME


async def report_time(update: Update, context: BranchContext) -> int:
    """Hours, or start and end."""
    assert update.message is not None and update.message.text is not None
    draft = _user_data(context).setdefault("vp", {})
    day = date.fromisoformat(draft["day"])
    cfg = config(context)
    span = parse_clock_span(update.message.text, day, cfg.tz)
    if span is not None:
        reports.check_span(span, now_utc())
        draft["start"], draft["end"] = span[0].isoformat(), span[1].isoformat()
        draft.pop("hours", None)
    else:
        hours = parse_hours(update.message.text)
        reports.check_not_after(day, reports.check_hours(hours), now_utc(), cfg)
        draft["hours"] = hours
        draft.pop("start", None)
        draft.pop("end", None)
    tr = context.tr
    buttons: list[list[tuple[str, str]]] = []
    async with context.unit() as session:
        current = await vol.current_registration(session, context.actor.member_id)
    if current is not None:
        buttons.append([(current.community.name, f"vp:c:{current.community.id}")])
    await reply(
        update,
        tr.gettext("Where? Press your community, or write the community or place."),
        reply_markup=keyboard(buttons),
    )
    return REP_WHERE


async def report_where(update: Update, context: BranchContext) -> int:
    """The community (pressed, or named exactly) or a place."""
    draft = _user_data(context).setdefault("vp", {})
    if update.callback_query is not None:
        await update.callback_query.answer()
        async with context.unit() as session:
            community = await vol.community_by_id(session, int((update.callback_query.data or "").split(":")[2]))
        draft["community_id"], draft["place"] = community.id, None
    else:
        assert update.message is not None and update.message.text is not None
        text = update.message.text.strip()
        if not text or len(text) > 200:
            raise InvalidInput(N_("The text is too long (at most %(max)d characters)."), max=200)
        async with context.unit() as session:
            try:
                community = await vol.resolve_community(session, text)
                exact = community.name == text or f"{community.town} {community.name}" == text
            except DomainError:
                exact = False
        if exact:
            draft["community_id"], draft["place"] = community.id, None
        else:
            draft["community_id"], draft["place"] = None, text
    await say(update, context.tr.gettext("What did you do? A sentence or two."))
    return REP_WHAT


async def report_what(update: Update, context: BranchContext) -> int:
    """What was done; next, photos."""
    assert update.message is not None and update.message.text is not None
    text = update.message.text.strip()
    if not text or len(text) > 1000:
        raise InvalidInput(N_("The text is too long (at most %(max)d characters)."), max=1000)
    _user_data(context).setdefault("vp", {})["what"] = text
    tr = context.tr
    await update.message.reply_text(
        tr.gettext("Photos? Send up to %(max)d, then press Done (or Done now for none).", max=reports.MAX_PHOTOS),
        reply_markup=keyboard([[(tr.gettext("Done"), "vp:done")]]),
    )
    return REP_PHOTOS


async def report_photo(update: Update, context: BranchContext) -> int:
    """A photo: its size is checked, its Telegram file id kept."""
    assert update.message is not None
    draft = _user_data(context).setdefault("vp", {})
    cfg = config(context)
    if update.message.document is not None:
        reports.check_photo(update.message.document.file_size, cfg)
        if not (update.message.document.mime_type or "").startswith("image/"):
            raise InvalidInput(N_("Send photos only."))
        file_id, size = update.message.document.file_id, update.message.document.file_size
    else:
        photo = update.message.photo[-1]  # the largest size Telegram made
        reports.check_photo(photo.file_size, cfg)
        file_id, size = photo.file_id, photo.file_size
    photos = list(draft.get("photos", []))
    if len(photos) >= reports.MAX_PHOTOS:
        raise InvalidInput(N_("At most %(max)d photos."), max=reports.MAX_PHOTOS)
    draft["photos"] = [*photos, file_id]
    draft["sizes"] = [*draft.get("sizes", []), size]
    await update.message.reply_text(
        context.tr.ngettext("%(num)d photo received.", "%(num)d photos received.", len(draft["photos"])),
        reply_markup=keyboard([[(context.tr.gettext("Done"), "vp:done")]]),
    )
    return REP_PHOTOS


def _report_input(context: BranchContext) -> reports.ReportInput:
    draft = _user_data(context).get("vp") or {}
    try:
        span = (
            (datetime.fromisoformat(draft["start"]), datetime.fromisoformat(draft["end"]))
            if draft.get("start")
            else None
        )
        return reports.ReportInput(
            day=date.fromisoformat(draft["day"]),
            description=draft["what"],
            hours=draft.get("hours"),
            span=span,
            community_id=draft.get("community_id"),
            place=draft.get("place"),
            photos=list(draft.get("photos", [])),
            photo_sizes=list(draft.get("sizes", [])),
        )
    except (KeyError, ValueError):
        raise InvalidInput(N_("This report is incomplete; start again with /report.")) from None


async def report_done(update: Update, context: BranchContext) -> int:
    """Show the report and ask to send it."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    data = _report_input(context)
    tr = context.tr
    cfg = config(context)
    community_name = None
    if data.community_id is not None:
        async with context.unit() as session:
            community_name = (await vol.community_by_id(session, data.community_id)).name
    minutes = round((data.span[1] - data.span[0]).total_seconds() / 60) if data.span else round((data.hours or 0) * 60)
    text = render(
        "volunteer/report_summary.html.j2",
        tr.locale,
        data=data,
        hours=reports.hours(minutes),
        where=", ".join(p for p in (community_name, data.place) if p),
        times=f"{data.span[0].astimezone(cfg.tz):%H:%M}–{data.span[1].astimezone(cfg.tz):%H:%M}" if data.span else "",
    )
    await show(
        update, text, keyboard([[(tr.gettext("Send"), "vp:send"), (tr.gettext("Cancel"), "vp:x")]]), answer=False
    )
    return REP_CONFIRM


async def report_send(update: Update, context: BranchContext) -> int:
    """Submit the report to the branch's approval queue."""
    query = update.callback_query
    assert query is not None
    if query.data == "vp:x":
        _user_data(context).pop("vp", None)
        await query.answer()
        await show(update, context.tr.gettext("Cancelled. Nothing was saved."), answer=False)
        return END
    data = _report_input(context)
    ref = str(_user_data(context)["vp"].get("ref") or secrets.token_hex(8))
    async with context.unit(then=END) as session:
        report = await reports.submit_report(
            session, context.actor, data, config(context), ref=f"{context.actor.member_id}:{ref}"
        )
    _user_data(context).pop("vp", None)
    await query.answer()
    await show(
        update,
        context.tr.gettext(
            "Sent (report #%(id)d). Your secretary will approve it; I will tell you the outcome. See /myservice.",
            id=report.id,
        ),
        answer=False,
    )
    return END


# Totals and the secretary's queue ---------------------------------------------------------------------


async def my_service(update: Update, context: BranchContext) -> None:
    """/myservice: the member's hours, activities and pending reports."""
    cfg = config(context)
    async with context.unit() as session:
        mine = await reports.my_service(session, context.actor, cfg)
    await reply(
        update,
        render("volunteer/myservice.html.j2", context.tr.locale, mine=mine, tz=cfg.tz, hours=reports.hours),
    )


def _period_buttons(context: BranchContext, current: str) -> list[tuple[str, str]]:
    tr = context.tr
    labels = {"month": tr.gettext("This month"), "quarter": tr.gettext("This quarter"), "year": tr.gettext("This year")}
    return [(("• " if p == current else "") + labels[p], f"vs:{p}") for p in Period.ALL]


async def _service_totals(update: Update, context: BranchContext, period: str) -> None:
    cfg = config(context)
    actor = context.actor
    async with context.unit() as session:
        totals = await reports.branch_totals(session, actor, period, _today(context), cfg)
        scope = await session.get(Organisation, actor.org_id)
    assert scope is not None
    text = render(
        "volunteer/service.html.j2",
        context.tr.locale,
        totals=totals,
        period=period,
        scope=scope,
        admin=actor.is_admin,
        hours=reports.hours,
        last_day=date.fromordinal(totals.following.toordinal() - 1),
    )
    await show(update, text, keyboard([_period_buttons(context, period)]), answer=False)


async def service(update: Update, context: BranchContext) -> None:
    """/service: the branch's (or subtree's) totals this quarter, who has none, the approval queue,
    check-outs to confirm."""
    actor = context.actor
    if not (actor.leads_branch or actor.is_admin):
        await reply(
            update, context.tr.gettext("Only the branch secretary (or a committee member acting for them) may do this.")
        )
        return
    await _service_totals(update, context, Period.QUARTER)
    await _send_queue(update, context)
    await _send_flagged(update, context)


async def service_period(update: Update, context: BranchContext) -> None:
    """Switch the totals to another period."""
    query = update.callback_query
    assert query is not None and query.data is not None
    period = query.data.split(":")[1]
    if period not in Period.ALL:
        await query.answer()
        return
    await query.answer()
    await _service_totals(update, context, period)


def _selection(context: BranchContext) -> list[int]:
    """The reports ticked in the approval queue (kept with the person, so a restart keeps them)."""
    return [int(i) for i in _user_data(context).get("vq", [])]


async def _send_queue(update: Update, context: BranchContext, *, edit: bool = False) -> None:
    tr = context.tr
    cfg = config(context)
    async with context.unit() as session:
        queue = await reports.approval_queue(session, context.actor)
        items = []
        for report, member in queue.items:
            community = await session.get(vol.Community, report.community_id) if report.community_id else None
            items.append((report, member, reports.describe(report, community, cfg)))
    shown = [r.id for r, _m, _d in items]
    selected = [i for i in _selection(context) if i in shown]  # decided meanwhile, or no longer on the page
    _user_data(context)["vq"] = selected
    text = render(
        "volunteer/queue.html.j2", tr.locale, items=items, total=queue.total, hours=reports.hours, selected=selected
    )
    several = len(items) > 1  # ticking is for approving several at once
    rows = [
        [
            *([(("☑ " if r.id in selected else "☐ ") + f"#{r.id}", f"vr:{r.id}:tick")] if several else []),
            (tr.gettext("✓ #%(id)d", id=r.id), f"vr:{r.id}:okq"),
            (tr.gettext("✗ #%(id)d", id=r.id), f"vr:{r.id}:no"),
        ]
        for r, _m, _d in items
    ]
    if selected:
        rows.append([(tr.gettext("Approve the %(count)d selected", count=len(selected)), "vr:sel")])
    if len(items) > 1:
        rows.append(
            [
                (
                    tr.gettext("Approve all %(count)d shown", count=len(items)),
                    f"vr:{items[0][0].id}-{items[-1][0].id}:all",
                )
            ]
        )
    if edit:
        await show(update, text, keyboard(rows), answer=False)
    else:
        await reply(update, text, reply_markup=keyboard(rows))


async def report_tick(update: Update, context: BranchContext) -> None:
    """Tick or untick a report in the approval queue."""
    query = update.callback_query
    assert query is not None and query.data is not None
    report_id = int(query.data.split(":")[1])
    async with context.unit() as session:
        report, _member = await reports.report_detail(session, context.actor, report_id)
        if report.member_id == context.actor.member_id or report.status != ReportStatus.PENDING:
            raise InvalidInput(N_("This report was already decided."))
    selected = _selection(context)
    _user_data(context)["vq"] = (
        [i for i in selected if i != report_id] if report_id in selected else [*selected, report_id]
    )
    await query.answer()
    await _send_queue(update, context, edit=True)


async def approve_selected(update: Update, context: BranchContext) -> None:
    """Approve the reports ticked in the queue."""
    query = update.callback_query
    assert query is not None
    selected = _selection(context)
    if not selected:
        await query.answer(context.tr.gettext("Tick the reports to approve first."), show_alert=True)
        return
    async with context.unit() as session:
        approved = await reports.approve_reports(session, context.actor, selected, config(context))
    _user_data(context)["vq"] = []
    await query.answer(context.tr.ngettext("%(num)d report approved.", "%(num)d reports approved.", len(approved)))
    await _send_queue(update, context, edit=True)


async def _send_flagged(update: Update, context: BranchContext) -> None:
    tr = context.tr
    cfg = config(context)
    async with context.unit() as session:
        lines = await vol.flagged_checkouts(session, context.actor)
        activities = {
            line.signup.activity_id: await session.get(vol.Activity, line.signup.activity_id) for line in lines
        }
    if not lines:
        return
    text = render(
        "volunteer/flagged.html.j2", tr.locale, lines=lines, activities=activities, tz=cfg.tz, hours=reports.hours
    )
    rows = [
        [
            (tr.gettext("✓ %(name)s", name=line.member.name), f"vh:{line.signup.id}:ok"),
            (tr.gettext("Correct %(name)s", name=line.member.name), f"vh:{line.signup.id}:fix"),
        ]
        for line in lines
    ]
    await reply(update, text, reply_markup=keyboard(rows))


_REPORT_DATA = re.compile(r"^vr:(\d+)(?:-(\d+))?:(ok|okq|all)$")


async def report_decision(update: Update, context: BranchContext) -> None:
    """Approve one report, or every report of the page shown."""
    query = update.callback_query
    assert query is not None
    match = _REPORT_DATA.match(query.data or "")
    if match is None:
        await query.answer()
        return
    cfg = config(context)
    tr = context.tr
    async with context.unit() as session:
        if match.group(3) == "all":
            approved = await reports.approve_range(
                session, context.actor, int(match.group(1)), int(match.group(2) or 0), cfg
            )
        else:
            approved = await reports.approve_reports(session, context.actor, [int(match.group(1))], cfg)
    await query.answer(tr.ngettext("%(num)d report approved.", "%(num)d reports approved.", len(approved)))
    if match.group(3) in ("okq", "all"):  # pressed in the queue: show what is left of it
        await _send_queue(update, context, edit=True)
    else:
        await show(
            update,
            tr.ngettext("%(num)d report approved.", "%(num)d reports approved.", len(approved))
            + " "
            + " ".join(f"#{r.id}" for r in approved),
            answer=False,
        )


async def hours_confirm(update: Update, context: BranchContext) -> None:
    """Confirm the hours of a check-out closed automatically."""
    query = update.callback_query
    assert query is not None and query.data is not None
    async with context.unit() as session:
        signup = await vol.confirm_hours(session, context.actor, int(query.data.split(":")[1]))
    await query.answer(
        context.tr.gettext("Confirmed: %(hours)s h.", hours=hours_text(signup.minutes, context.tr.locale))
    )


async def decide_start(update: Update, context: BranchContext) -> int:
    """Ask for the reason of a rejection, or the corrected hours and their reason."""
    query = update.callback_query
    assert query is not None and query.data is not None
    kind, object_id = query.data.split(":")[0], int(query.data.split(":")[1])
    tr = context.tr
    async with context.unit() as session:
        if kind == "vr":
            report, member = await reports.report_detail(session, context.actor, object_id)
            if report.status != "pending":
                raise InvalidInput(N_("This report was already decided."))
            prompt = tr.gettext(
                "Why is report #%(id)d of %(name)s rejected? Write the reason.", id=report.id, name=member.name
            )
        else:
            roll_line = await vol._leader_of_signup(session, context.actor, object_id)
            prompt = tr.gettext(
                "Hours of %(name)s at %(title)s: write the hours and the reason, for example: 2.5 left early.",
                name=roll_line[2].name,
                title=roll_line[1].title,
            )
    _user_data(context)["vd"] = {"kind": kind, "id": object_id}
    await query.answer()
    if query.message is not None:
        await say(update, prompt)
    return DECIDE_REASON if kind == "vr" else DECIDE_FIX


async def decide_reason(update: Update, context: BranchContext) -> int:
    """Reject the report with the reason written."""
    assert update.message is not None and update.message.text is not None
    pending = _user_data(context).get("vd") or {}
    async with context.unit(then=END) as session:
        report = await reports.reject_report(
            session, context.actor, int(pending.get("id", 0)), update.message.text, config(context)
        )
    _user_data(context).pop("vd", None)
    await update.message.reply_text(
        context.tr.gettext("Report #%(id)d rejected; the member is told why.", id=report.id)
    )
    return END


async def decide_fix(update: Update, context: BranchContext) -> int:
    """Correct the hours with the reason written."""
    assert update.message is not None and update.message.text is not None
    text = update.message.text.strip()
    number, _, reason = text.partition(" ")
    hours = parse_hours(number)
    pending = _user_data(context).get("vd") or {}
    async with context.unit(then=END) as session:
        signup = await vol.correct_hours(
            session, context.actor, int(pending.get("id", 0)), hours, reason, config(context)
        )
    _user_data(context).pop("vd", None)
    await update.message.reply_text(
        context.tr.gettext("Hours set to %(hours)s.", hours=hours_text(signup.minutes, context.tr.locale))
    )
    return END


# Assembly ---------------------------------------------------------------------------------------------

CANCEL = CommandHandler[BranchContext, object]("cancel", cancel)
TEXT = filters.TEXT & ~filters.COMMAND


# The guided flows; what each keeps in user_data is dropped when another flow or a new command ends it.
CONVERSATIONS: list[BaseHandler[Update, Any, Any]] = [
    Flow(
        name="volunteer_community",
        entry_points=[
            CommandHandler("community", community_start),
            CallbackQueryHandler(community_change, pattern=r"^vc:change$"),
        ],
        states={
            COMMUNITY_SEARCH: [
                MessageHandler(TEXT, community_search),
                MessageHandler(filters.LOCATION, community_nearby),
                CallbackQueryHandler(community_chosen, pattern=r"^vc:\d+$"),
            ]
        },
        fallbacks=[CANCEL],
    ),
    Flow(
        name="volunteer_edit",
        user_data_keys=("ve",),
        entry_points=[CallbackQueryHandler(edit_field_start, pattern=rf"^va:\d+:ed:({'|'.join(manage.FIELDS)})$")],
        states={EDIT_VALUE: [MessageHandler(TEXT | filters.LOCATION, edit_field_value)]},
        fallbacks=[CANCEL],
    ),
    Flow(
        name="volunteer_location",
        user_data_keys=("vl",),
        entry_points=[CallbackQueryHandler(location_start, pattern=r"^va:\d+:loc$")],
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
                CallbackQueryHandler(new_community_chosen, pattern=r"^vn:c:\d+$"),
            ],
            NEW_WHEN: [MessageHandler(TEXT, new_when)],
            NEW_SLOTS: [MessageHandler(TEXT, new_slots)],
            NEW_PLACE: [
                MessageHandler(TEXT | filters.LOCATION, new_place),
                CallbackQueryHandler(new_place, pattern=r"^vn:skip$"),
            ],
            NEW_SKILLS: [
                MessageHandler(TEXT, new_skills),
                CallbackQueryHandler(new_skills, pattern=r"^vn:skip$"),
            ],
            NEW_DESCRIPTION: [
                MessageHandler(TEXT, new_description),
                CallbackQueryHandler(new_description, pattern=r"^vn:skip$"),
            ],
            NEW_DISPATCH: [CallbackQueryHandler(new_dispatch_toggle, pattern=r"^vn:d:(\d+|done)$")],
            NEW_CONFIRM: [CallbackQueryHandler(new_publish, pattern=r"^vn:(go|x)$")],
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
                CallbackQueryHandler(report_day, pattern=r"^vp:day:[01]$"),
            ],
            REP_TIME: [MessageHandler(TEXT, report_time)],
            REP_WHERE: [
                MessageHandler(TEXT, report_where),
                CallbackQueryHandler(report_where, pattern=r"^vp:c:\d+$"),
            ],
            REP_WHAT: [MessageHandler(TEXT, report_what)],
            REP_PHOTOS: [
                MessageHandler(filters.PHOTO | filters.Document.IMAGE, report_photo),
                CallbackQueryHandler(report_done, pattern=r"^vp:done$"),
            ],
            REP_CONFIRM: [CallbackQueryHandler(report_send, pattern=r"^vp:(send|x)$")],
        },
        fallbacks=[CANCEL],
    ),
    Flow(
        name="volunteer_decide",
        user_data_keys=("vd",),
        entry_points=[
            CallbackQueryHandler(decide_start, pattern=r"^vr:\d+:no$"),
            CallbackQueryHandler(decide_start, pattern=r"^vh:\d+:fix$"),
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
    CallbackQueryHandler(community_chosen, pattern=r"^vc:\d+$"),
    CallbackQueryHandler(branch_registrations, pattern=r"^vc:list$"),
    CallbackQueryHandler(community_counts, pattern=r"^vc:counts$"),
    CallbackQueryHandler(activity_button, pattern=r"^va:\d+(:(join|leave|out|roll|qr|map|ed|cx|cxy))?$"),
    CallbackQueryHandler(report_decision, pattern=r"^vr:\d+(-\d+)?:(ok|okq|all)$"),
    CallbackQueryHandler(report_tick, pattern=r"^vr:\d+:tick$"),
    CallbackQueryHandler(approve_selected, pattern=r"^vr:sel$"),
    CallbackQueryHandler(hours_confirm, pattern=r"^vh:\d+:ok$"),
    CallbackQueryHandler(service_period, pattern=r"^vs:\w+$"),
]
