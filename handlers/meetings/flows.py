"""The secretary's guided flows: scheduling a meeting (kind → day → time → place → topic, or one line),
editing and postponing it, setting a location check (closing is in :mod:`handlers.meetings.closing`).

Flow state lives in ``user_data`` (JSON-friendly: ids, strings, lists), persisted with the conversation, so a
restart in the middle of a flow loses nothing. Nothing is written until the last step's service call.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Any

from telegram import KeyboardButton, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update
from telegram.constants import ChatType
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import dates
from bot.clock import now_utc
from bot.context import BranchContext
from bot.errors import InvalidInput, PermissionDenied
from bot.i18n import N_
from bot.services import meetings
from bot.services.access import require_admin_of, require_branch_leader, visible_org_ids
from bot.services.kinds_of_meeting import HeldBy
from bot.services.meetings.buttons import (
    FLOW_BUTTONS,
    MeetingAction,
    MeetingButton,
    MeetingEditButton,
    NewMeetingButton,
    NewStep,
    RadiusButton,
    new_step,
    pressed,
)
from bot.services.meetings.format import kind_name, short_day
from bot.templates import render
from handlers.common import pairs, refused_in_group, reply, show
from handlers.flows import END, Flow, cancelled
from handlers.meetings.view import (
    card,
    env_of,
    keyboard,
    view_of,
)
from storage.meetings import Meeting, MeetingStatus
from storage.meetings import last_place as last_meeting_place
from storage.models import Organisation, OrgKind

N_BRANCH, N_KIND, N_GROUP, N_DAY, N_TIME, N_PLACE, N_TOPIC, N_CONFIRM = range(20, 28)
E_VALUE = 40
G_LOCATION, G_RADIUS = 50, 51

TIMES = ("08:30", "09:00", "10:00", "14:00", "14:30", "15:00", "16:00", "19:30")
RADII = (100, 300, 500, 1000)
DAYS_OFFERED = 14


def _data(context: BranchContext, key: str) -> dict[str, Any]:
    data = (context.user_data or {}).get(key)
    if not isinstance(data, dict):
        raise InvalidInput(N_("This has expired. Please start again."))
    return data


async def cancel(update: Update, context: BranchContext) -> int:
    """Leave any of these flows; nothing was saved."""
    return await cancelled(update, context, "mt_new", "mt_edit", "mt_geo", "mt_close")


# --- scheduling ---------------------------------------------------------------------------------------------


async def new_start(update: Update, context: BranchContext) -> int:
    """/newmeeting: the guided flow; with arguments, the whole meeting in one line."""
    actor = context.actor
    if await refused_in_group(update, context):
        return END
    if update.message is not None and context.args:
        return await _one_line(update, context)
    context.user_data["mt_new"] = {}  # type: ignore[index]
    tr = context.tr
    if actor.is_admin:
        async with context.unit() as session:
            orgs = await meetings.meeting_orgs(session, await visible_org_ids(session, actor))
        if not orgs:
            await show(update, tr.gettext("No branches to show."))
            return END
        buttons = [(o.name, _new(NewStep.BRANCH, o.id)) for o in orgs]
        question = (
            tr.gettext("Which branch is the meeting for?")
            if all(o.kind == OrgKind.BRANCH for o in orgs)
            else tr.gettext("Which branch is the meeting for? (Or your unit's Party body, for its own meetings.)")
        )
        await show(update, question, keyboard([*pairs(buttons), _cancel_row(context)]))
        return N_BRANCH
    async with context.unit() as session:
        await require_branch_leader(session, actor, actor.org_id)
    context.user_data["mt_new"]["branch"] = actor.org_id  # type: ignore[index]
    return await _ask_kind(update, context)


def _new(step: NewStep, value: object = None) -> str:
    """The packed data of a scheduling step's button."""
    return NewMeetingButton(step=step, value=None if value is None else str(value)).pack()


def _pressed_new(update: Update) -> NewMeetingButton:
    assert update.callback_query is not None
    return NewMeetingButton.parse(update.callback_query.data)


def _cancel_row(context: BranchContext) -> list[tuple[str, str]]:
    return [(context.tr.gettext("✖ Cancel"), _new(NewStep.CANCEL))]


async def new_branch(update: Update, context: BranchContext) -> int:
    """An administrator chose the branch."""
    branch_id = _pressed_new(update).number()
    async with context.unit() as session:
        org = await session.get(Organisation, branch_id)
        if org is not None and org.kind in meetings.UNIT_BODIES:
            await require_admin_of(session, context.actor, branch_id)
        else:
            await require_branch_leader(session, context.actor, branch_id)
    _data(context, "mt_new")["branch"] = branch_id
    return await _ask_kind(update, context)


async def _ask_kind(update: Update, context: BranchContext) -> int:
    locale = context.tr.locale
    async with context.unit() as session:
        org = await session.get(Organisation, _data(context, "mt_new")["branch"])
    kinds = meetings.kinds_for(org) if org is not None else meetings.BRANCH_KINDS
    buttons = [(kind_name(k.id, locale), _new(NewStep.KIND, k.id)) for k in kinds]
    await show(update, context.tr.gettext("What kind of meeting?"), keyboard([*pairs(buttons), _cancel_row(context)]))
    return N_KIND


async def new_kind(update: Update, context: BranchContext) -> int:
    """The kind: a Party group meeting also needs the group."""
    kind = meetings.resolve_kind(_pressed_new(update).word())
    data = _data(context, "mt_new")
    data["kind"] = kind.id
    data["group"] = None
    if kind.held_by is HeldBy.GROUP:
        async with context.unit() as session:
            branch = await session.get(Organisation, data["branch"])
            groups = await meetings.branch_groups(session, data["branch"])
        if not groups:
            raise InvalidInput(
                N_("%(branch)s has no Party groups on the roster."), branch=branch.name if branch else ""
            )
        if len(groups) > 1:
            buttons = [(g.name, _new(NewStep.GROUP, g.id)) for g in groups]
            await show(
                update, context.tr.gettext("Which Party group?"), keyboard([*pairs(buttons), _cancel_row(context)])
            )
            return N_GROUP
        data["group"] = groups[0].id
    return await _ask_day(update, context)


async def new_group(update: Update, context: BranchContext) -> int:
    """The Party group."""
    _data(context, "mt_new")["group"] = _pressed_new(update).number()
    return await _ask_day(update, context)


async def _ask_day(update: Update, context: BranchContext) -> int:
    env = env_of(context)
    first = env.today()
    locale = context.tr.locale
    days = [first + timedelta(days=i) for i in range(DAYS_OFFERED)]
    buttons = [(short_day(d, locale), _new(NewStep.DAY, d.isoformat())) for d in days]
    text = context.tr.gettext(
        "Which day? Choose one, or type a date like 2026-12-15. A past date records a meeting that was already held."
    )
    await show(update, text, keyboard([*pairs(buttons, 4), _cancel_row(context)]))
    return N_DAY


async def new_day(update: Update, context: BranchContext) -> int:
    """The day: a button or a typed date."""
    if update.callback_query is not None and update.callback_query.data is not None:
        day = _pressed_new(update).day()
    else:
        assert update.message is not None and update.message.text is not None
        day = dates.parse_date(update.message.text, env_of(context).today())
    _data(context, "mt_new")["day"] = day.isoformat()
    buttons = [(t, NewMeetingButton.of_time(time.fromisoformat(t)).pack()) for t in TIMES]
    text = context.tr.gettext("What time? Choose one, or type it like 14:30 or 14:30-16:00.")
    await show(update, text, keyboard([*pairs(buttons, 4), _cancel_row(context)]))
    return N_TIME


async def new_time(update: Update, context: BranchContext) -> int:
    """The start (and optionally the end) time."""
    if update.callback_query is not None and update.callback_query.data is not None:
        start, end = _pressed_new(update).time(), None
    else:
        assert update.message is not None and update.message.text is not None
        start, end = meetings.read_span(update.message.text)
    if end is not None and end <= start:
        raise InvalidInput(N_("The meeting must end after it starts."))
    data = _data(context, "mt_new")
    data["start"] = start.strftime("%H:%M")
    data["end"] = end.strftime("%H:%M") if end else None
    async with context.unit() as session:
        last_place = await last_meeting_place(session, data["branch"])
    data["last_place"] = last_place
    rows: list[list[tuple[str, str]]] = []
    if last_place:
        rows.append([(context.tr.gettext("📍 %(place)s", place=last_place[:40]), _new(NewStep.PLACE, "last"))])
    rows.append([(context.tr.gettext("Skip"), _new(NewStep.PLACE, "skip")), *_cancel_row(context)])
    await show(update, context.tr.gettext("Where? Type the place."), keyboard(rows))
    return N_PLACE


async def new_place(update: Update, context: BranchContext) -> int:
    """The place: typed, the last one used, or none."""
    data = _data(context, "mt_new")
    if update.callback_query is not None and update.callback_query.data is not None:
        choice = _pressed_new(update).word()
        data["place"] = data.get("last_place") if choice == "last" else None
    else:
        assert update.message is not None and update.message.text is not None
        data["place"] = update.message.text.strip()
    rows = [[(context.tr.gettext("Skip"), _new(NewStep.TOPIC, "skip")), *_cancel_row(context)]]
    await show(update, context.tr.gettext("The topic? Type it, or skip."), keyboard(rows))
    return N_TOPIC


async def new_topic(update: Update, context: BranchContext) -> int:
    """The topic; then the summary to confirm."""
    data = _data(context, "mt_new")
    if update.message is not None and update.message.text is not None:
        data["topic"] = update.message.text.strip()
    else:
        data["topic"] = None
    draft = _draft(context, data)
    env = env_of(context)
    preview = Meeting(
        id=0,
        org_id=data["branch"],
        group_id=data.get("group"),
        kind=draft.kind,
        starts_at=draft.starts_at,
        ends_at=draft.ends_at or draft.starts_at + meetings.DEFAULT_DURATION,
        place=draft.place,
        topic=draft.topic,
        status=MeetingStatus.SCHEDULED,
        tags=[],
    )
    async with context.unit() as session:
        view = await view_of(session, preview, context.tr.locale, env)
        count = sum(1 for m in await meetings.expected_members(session, preview) if m.telegram_id is not None)
    past = draft.starts_at <= now_utc()
    unit = meetings.is_unit_kind(draft.kind)
    text = render("meetings/draft.html.j2", context.tr.locale, m=view, past=past, count=count, unit=unit)
    rows = [[(context.tr.gettext("✅ Create"), _new(NewStep.CONFIRM)), *_cancel_row(context)]]
    await show(update, text, keyboard(rows))
    return N_CONFIRM


def _draft(context: BranchContext, data: dict[str, Any]) -> meetings.Draft:
    tz = env_of(context).tz
    day = date.fromisoformat(data["day"])
    # "HH:MM" as this flow stored them (what was typed was read by bot.dates before)
    starts_at = datetime.combine(day, time.fromisoformat(data["start"]), tzinfo=tz)
    ends_at = datetime.combine(day, time.fromisoformat(data["end"]), tzinfo=tz) if data.get("end") else None
    return meetings.Draft(
        kind=data["kind"],
        starts_at=starts_at,
        ends_at=ends_at,
        place=data.get("place"),
        topic=data.get("topic"),
        group_id=data.get("group"),
    )


async def new_confirm(update: Update, context: BranchContext) -> int:
    """Create the meeting; the notices go out through the outbox."""
    data = _data(context, "mt_new")
    env = env_of(context)
    try:
        async with context.unit(then=END) as session:
            meeting = await meetings.schedule_meeting(
                session, context.actor, data["branch"], _draft(context, data), env=env
            )
            text, markup = await card(session, meeting, context.tr.locale, env, context.resources.meeting_hooks)
    except meetings.AlreadyScheduled as existing:
        context.user_data.pop("mt_new", None)  # type: ignore[union-attr]
        text, markup = await _existing_card(context, existing)
        await show(update, text, markup)
        return END
    context.user_data.pop("mt_new", None)  # type: ignore[union-attr]
    await show(update, _created(context, meeting) + "\n\n" + text, markup)
    return END


async def _existing_card(context: BranchContext, existing: meetings.AlreadyScheduled) -> tuple[str, Any]:
    """The card of the meeting a new one would duplicate, under a line that says so (no new meeting is made)."""
    env = env_of(context)
    async with context.unit(then=END) as session:
        meeting = await meetings.meeting_for_leader(session, context.actor, existing.meeting_id)
        text, markup = await card(session, meeting, context.tr.locale, env, context.resources.meeting_hooks)
    return existing.localized(context.tr) + "\n\n" + text, markup


async def _one_line(update: Update, context: BranchContext) -> int:
    """``/newmeeting KIND DATE TIME[-END] [PLACE [TOPIC…]]`` (``PLACE | TOPIC`` for a place with spaces)."""
    actor = context.actor
    env = env_of(context)
    if actor.is_admin:
        raise InvalidInput(
            N_("Administrators: use /newmeeting without arguments and choose the branch, or the command line.")
        )
    assert update.message is not None and update.message.text is not None
    line = update.message.text.split(maxsplit=1)[1]
    draft = meetings.parse_meeting_line(line, env.tz, env.today())
    try:
        async with context.unit(then=END) as session:
            meeting = await meetings.schedule_meeting(session, actor, actor.org_id, draft, env=env)
            text, markup = await card(session, meeting, context.tr.locale, env, context.resources.meeting_hooks)
    except meetings.AlreadyScheduled as existing:
        text, markup = await _existing_card(context, existing)
        await reply(update, text, reply_markup=markup)
        return END
    await reply(update, _created(context, meeting) + "\n\n" + text, reply_markup=markup)
    return END


def _created(context: BranchContext, meeting: Meeting) -> str:
    """The first line after creating: scheduled, or (a meeting already held) recorded, and what to do next."""
    if meeting.starts_at > now_utc():
        return context.tr.gettext("✅ Scheduled.")
    return context.tr.gettext("✅ Recorded. Mark who attended and close it from this card when you are ready.")


# --- editing and postponing ---------------------------------------------------------------------------------

EDIT_PROMPTS = {
    "when": N_("Send the new date and time, like 2026-12-15 14:30. The meeting keeps its length."),
    "end": N_("Send the new end time, like 16:00."),
    "place": N_("Send the new place (or - to clear it)."),
    "topic": N_("Send the new topic (or - to clear it)."),
}


async def edit_start(update: Update, context: BranchContext) -> int:
    """Which field to change was chosen on the card: ask for the new value."""
    assert update.callback_query is not None and update.callback_query.data is not None
    if await refused_in_group(update, context):
        return END
    pressed_edit = MeetingEditButton.parse(update.callback_query.data)
    meeting_id, field = pressed_edit.meeting, pressed_edit.field.value
    async with context.unit() as session:
        meeting = await meetings.meeting_for_leader(session, context.actor, int(meeting_id))
        meetings.require_editable(meeting)
    context.user_data["mt_edit"] = {"meeting": meeting.id, "field": field}  # type: ignore[index]
    await update.callback_query.answer()
    await reply(update, context.tr.gettext(EDIT_PROMPTS[field]))
    return E_VALUE


async def edit_value(update: Update, context: BranchContext) -> int:
    """The new value: the change is saved and announced."""
    assert update.message is not None and update.message.text is not None
    data = _data(context, "mt_edit")
    env = env_of(context)
    value = update.message.text.strip()
    kwargs: dict[str, Any] = {}
    async with context.unit(then=END) as session:
        meeting = await meetings.meeting_for_leader(session, context.actor, data["meeting"])
        if data["field"] == "when":
            when = dates.parse_when(value, env.today(), time_required=True)
            assert when.start is not None  # a time is required
            kwargs["starts_at"] = datetime.combine(when.day, when.start, tzinfo=env.tz)
        elif data["field"] == "end":
            local_start = meeting.starts_at.astimezone(env.tz)
            kwargs["ends_at"] = datetime.combine(local_start.date(), dates.parse_time(value), tzinfo=env.tz)
        else:
            kwargs[data["field"]] = None if value in ("-", "—") else value
        await meetings.edit_meeting(session, context.actor, meeting.id, env=env, **kwargs)
        text, markup = await card(session, meeting, context.tr.locale, env, context.resources.meeting_hooks)
    context.user_data.pop("mt_edit", None)  # type: ignore[union-attr]
    await reply(update, context.tr.gettext("✅ Changed; members have been told.") + "\n\n" + text, reply_markup=markup)
    return END


# --- location check -----------------------------------------------------------------------------------------


async def geo_start(update: Update, context: BranchContext) -> int:
    """Ask for the meeting place's location (a private chat: only there can Telegram share it)."""
    query = update.callback_query
    assert query is not None and query.data is not None and update.effective_chat is not None
    if update.effective_chat.type != ChatType.PRIVATE:
        await query.answer(context.tr.gettext("Please do this in our private chat."), show_alert=True)
        return END
    meeting_id = MeetingButton.parse(query.data).meeting
    async with context.unit() as session:
        meeting = await meetings.meeting_for_leader(session, context.actor, meeting_id)
        meetings.require_editable(meeting)
    context.user_data["mt_geo"] = {"meeting": meeting_id}  # type: ignore[index]
    button = KeyboardButton(context.tr.gettext("📍 Share the meeting place"), request_location=True)
    text = context.tr.gettext(
        "Members will only be able to check in near the meeting place. Share its location with the button "
        "(at the place itself, or choose it on the map). Send 0 to remove the location check."
    )
    await query.answer()
    await reply(
        update, text, reply_markup=ReplyKeyboardMarkup([[button]], one_time_keyboard=True, resize_keyboard=True)
    )
    return G_LOCATION


async def geo_location(update: Update, context: BranchContext) -> int:
    """The place's location: now the radius."""
    assert update.message is not None and update.message.location is not None
    data = _data(context, "mt_geo")
    data["lat"] = update.message.location.latitude
    data["lon"] = update.message.location.longitude
    buttons = [(context.tr.gettext("%(metres)d m", metres=r), RadiusButton(metres=r).pack()) for r in RADII]
    await update.message.reply_text(context.tr.gettext("Thank you."), reply_markup=ReplyKeyboardRemove())
    await update.message.reply_text(
        context.tr.gettext("Within how many metres? Choose, or type a number."), reply_markup=keyboard([buttons])
    )
    return G_RADIUS


async def geo_remove(update: Update, context: BranchContext) -> int:
    """``0``: no location check."""
    data = _data(context, "mt_geo")
    env = env_of(context)
    async with context.unit(then=END) as session:
        meeting = await meetings.set_location_check(
            session, context.actor, data["meeting"], latitude=None, longitude=None, radius_m=None
        )
        text, markup = await card(session, meeting, context.tr.locale, env, context.resources.meeting_hooks)
    context.user_data.pop("mt_geo", None)  # type: ignore[union-attr]
    await reply(update, context.tr.gettext("The location check is off."), reply_markup=ReplyKeyboardRemove())
    await reply(update, text, reply_markup=markup)
    return END


async def geo_radius(update: Update, context: BranchContext) -> int:
    """The radius: saved."""
    data = _data(context, "mt_geo")
    if update.callback_query is not None and update.callback_query.data is not None:
        radius = RadiusButton.parse(update.callback_query.data).metres
    else:
        assert update.message is not None and update.message.text is not None
        digits = update.message.text.strip().lower().removesuffix("m").strip()
        if not digits.isdigit():
            raise InvalidInput(N_("The radius must be between 20 and 5000 metres."))
        radius = int(digits)
    env = env_of(context)
    async with context.unit(then=END) as session:
        meeting = await meetings.set_location_check(
            session, context.actor, data["meeting"], latitude=data["lat"], longitude=data["lon"], radius_m=radius
        )
        text, markup = await card(session, meeting, context.tr.locale, env, context.resources.meeting_hooks)
    context.user_data.pop("mt_geo", None)  # type: ignore[union-attr]
    await show(update, text, markup)
    return END


async def expired_button(update: Update, context: BranchContext) -> None:
    """A button of a flow that has ended (or of another person's flow)."""
    assert update.callback_query is not None
    await update.callback_query.answer(context.tr.gettext("This has expired. Please start again."), show_alert=True)


def _leaders_only_entry(callback: Any) -> Any:
    """Entry points re-check in the services; this only refuses members politely before a flow starts."""

    async def wrapper(update: Update, context: BranchContext) -> Any:
        actor = context.caller.actor
        if actor is None or not (actor.leads_branch or actor.is_admin):
            raise PermissionDenied(N_("Only the branch secretary (or a committee member acting for them) may do this."))
        return await callback(update, context)

    wrapper.__doc__ = callback.__doc__
    return wrapper


TEXT = filters.TEXT & ~filters.COMMAND
# The place and topic steps take only these words (the other buttons of the state are typed text).
_PLACE_CHOICES = "|".join(f"^{re.escape(_new(NewStep.PLACE, choice))}$" for choice in ("last", "skip"))
_TOPIC_SKIP = "^" + re.escape(_new(NewStep.TOPIC, "skip")) + "$"

NEW_CONVERSATION = Flow(
    name="meeting_new",
    user_data_keys=("mt_new",),
    entry_points=[
        CommandHandler("newmeeting", _leaders_only_entry(new_start)),
        CallbackQueryHandler(_leaders_only_entry(new_start), pattern=new_step(NewStep.NEW)),
    ],
    states={
        N_BRANCH: [CallbackQueryHandler(new_branch, pattern=new_step(NewStep.BRANCH))],
        N_KIND: [CallbackQueryHandler(new_kind, pattern=new_step(NewStep.KIND))],
        N_GROUP: [CallbackQueryHandler(new_group, pattern=new_step(NewStep.GROUP))],
        N_DAY: [CallbackQueryHandler(new_day, pattern=new_step(NewStep.DAY)), MessageHandler(TEXT, new_day)],
        N_TIME: [CallbackQueryHandler(new_time, pattern=new_step(NewStep.TIME)), MessageHandler(TEXT, new_time)],
        N_PLACE: [CallbackQueryHandler(new_place, pattern=_PLACE_CHOICES), MessageHandler(TEXT, new_place)],
        N_TOPIC: [CallbackQueryHandler(new_topic, pattern=_TOPIC_SKIP), MessageHandler(TEXT, new_topic)],
        N_CONFIRM: [CallbackQueryHandler(new_confirm, pattern=new_step(NewStep.CONFIRM))],
    },
    fallbacks=[CommandHandler("cancel", cancel), CallbackQueryHandler(cancel, pattern=new_step(NewStep.CANCEL))],
)

EDIT_CONVERSATION = Flow(
    name="meeting_edit",
    user_data_keys=("mt_edit",),
    entry_points=[CallbackQueryHandler(_leaders_only_entry(edit_start), pattern=MeetingEditButton.pattern())],
    states={E_VALUE: [MessageHandler(TEXT, edit_value)]},
    fallbacks=[CommandHandler("cancel", cancel)],
)

GEO_CONVERSATION = Flow(
    name="meeting_location",
    user_data_keys=("mt_geo",),
    entry_points=[CallbackQueryHandler(_leaders_only_entry(geo_start), pattern=pressed(MeetingAction.LOCATION))],
    states={
        G_LOCATION: [
            MessageHandler(filters.LOCATION, geo_location),
            MessageHandler(filters.Regex(r"^\s*0\s*$"), geo_remove),
        ],
        G_RADIUS: [CallbackQueryHandler(geo_radius, pattern=RadiusButton.pattern()), MessageHandler(TEXT, geo_radius)],
    },
    fallbacks=[CommandHandler("cancel", cancel)],
)


# Any flow button no flow took (its flow ended, or it is someone else's, or its value is malformed).
STALE_BUTTONS = CallbackQueryHandler(
    expired_button, pattern="|".join(f"(?:{kind.prefix_pattern()})" for kind in FLOW_BUTTONS)
)
