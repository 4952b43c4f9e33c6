"""Self-reported service (自主申报): the /report flow."""

from __future__ import annotations

import secrets
from datetime import date, datetime

from telegram import (
    Update,
)

from bot.clock import now_utc
from bot.context import BranchContext
from bot.errors import DomainError, InvalidInput
from bot.i18n import N_
from bot.services import volunteer as vol
from bot.services.volunteer import reports
from bot.services.volunteer.buttons import ReportCommunity, ReportConfirm, ReportDay, ReportPhotosDone
from bot.services.volunteer.timing import (
    parse_clock_span,
    parse_day,
    parse_hours,
)
from bot.templates import render
from handlers.common import keyboard, reply, show
from handlers.flows import END, cancelled
from handlers.volunteer.common import (
    REP_CONFIRM,
    REP_DAY,
    REP_PHOTOS,
    REP_TIME,
    REP_WHAT,
    REP_WHERE,
    _private_only,
    _user_data,
    config,
    env_of,
    say,
)


async def report_start(update: Update, context: BranchContext) -> int:
    """/report: service done elsewhere — when, how long, where, what, photos."""
    if not await _private_only(update, context):
        return END
    _user_data(context)["vp"] = {"ref": secrets.token_hex(8), "photos": [], "sizes": []}
    tr = context.tr
    await reply(
        update,
        tr.gettext(
            "Report volunteer service. On which day? Type it, for example “yesterday” or “1 Dec” (/cancel to stop)."
        ),
        reply_markup=keyboard(
            [
                [
                    (tr.gettext("Today"), ReportDay(yesterday=False).pack()),
                    (tr.gettext("Yesterday"), ReportDay(yesterday=True).pack()),
                ]
            ]
        ),
    )
    return REP_DAY


def _today(context: BranchContext) -> date:
    return env_of(context).today()


async def report_day(update: Update, context: BranchContext) -> int:
    """The day (typed, or Today / Yesterday)."""
    today = _today(context)
    if update.callback_query is not None:
        await update.callback_query.answer()
        day = parse_day("yesterday" if ReportDay.parse(update.callback_query.data).yesterday else "today", today)
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
    env = env_of(context)
    span = parse_clock_span(update.message.text, day, env)
    if span is not None:
        reports.check_span(span, now_utc())
        draft["start"], draft["end"] = span[0].isoformat(), span[1].isoformat()
        draft.pop("hours", None)
    else:
        hours = parse_hours(update.message.text)
        reports.check_not_after(day, reports.check_hours(hours), env.now(), env=env)
        draft["hours"] = hours
        draft.pop("start", None)
        draft.pop("end", None)
    tr = context.tr
    buttons: list[list[tuple[str, str]]] = []
    async with context.unit() as session:
        current = await vol.current_registration(session, context.actor.member_id)
    if current is not None:
        buttons.append([(current.community.name, ReportCommunity(community=current.community.id).pack())])
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
            community = await vol.community_by_id(session, ReportCommunity.parse(update.callback_query.data).community)
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
        reply_markup=keyboard([[(tr.gettext("Done"), ReportPhotosDone().pack())]]),
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
        reply_markup=keyboard([[(context.tr.gettext("Done"), ReportPhotosDone().pack())]]),
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
    env = env_of(context)
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
        times=f"{data.span[0].astimezone(env.tz):%H:%M}–{data.span[1].astimezone(env.tz):%H:%M}" if data.span else "",
    )
    await show(
        update,
        text,
        keyboard(
            [
                [
                    (tr.gettext("Send"), ReportConfirm(choice="send").pack()),
                    (tr.gettext("Cancel"), ReportConfirm(choice="x").pack()),
                ]
            ]
        ),
        answer=False,
    )
    return REP_CONFIRM


async def report_send(update: Update, context: BranchContext) -> int:
    """Submit the report to the branch's approval queue."""
    query = update.callback_query
    assert query is not None
    if ReportConfirm.parse(query.data).choice == "x":
        return await cancelled(update, context, "vp")
    data = _report_input(context)
    ref = str(_user_data(context)["vp"].get("ref") or secrets.token_hex(8))
    async with context.unit(then=END) as session:
        await reports.submit_report(
            session, context.actor, data, config(context), env=env_of(context), ref=f"{context.actor.member_id}:{ref}"
        )
    _user_data(context).pop("vp", None)
    await query.answer()
    await show(
        update,
        context.tr.gettext(
            "Sent to your secretary for approval; I will tell you the outcome. Your reports are in /myservice."
        ),
        answer=False,
    )
    return END
