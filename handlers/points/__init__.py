"""Member points and branch stars in chat: /points for everyone (their own), leaders their branch, administrators
their subtree; /stars for branch leaders (self-assessment, submission, objection) and administrators (review,
adjustment, notice, publication). Screens with other members' names are shown in private chats only."""

from __future__ import annotations

from datetime import date
from typing import Any, NamedTuple

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.constants import ChatType
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import date_style
from bot.context import BranchContext
from bot.errors import InvalidInput
from bot.i18n import N_
from bot.services.access import Actor
from bot.services.points import service, star_steps
from bot.services.points.buttons import PointsAction, PointsBranch, PointsButton
from bot.services.points.rules import tenths_text
from bot.services.points.sheets import branch_sheet
from bot.services.points.stars import ratings
from bot.templates import render
from handlers.common import SUMMARY_LINES, keyboard, lowest_first, pairs, reply
from handlers.points.star_buttons import star_handlers
from handlers.points.star_forms import FORM_HANDLERS
from handlers.points.star_screens import list_screen, rating_year, star_markup, stars_text
from storage import queries
from storage.models import Organisation

EVENTS_SHOWN = 8  # per item on the events screen; the CLI lists them all


# What people may type after /points and /stars in Chinese (the Chinese screens show these words), as the English
# subcommand the handlers act on.
SUBCOMMANDS = {
    "认定": "add",
    "评议表": "sheet",
    "支部": "branch",
    "自评": "self",
    "提交": "submit",
    "异议": "object",
    "调整": "adjust",
    "公示": "announce",
    "发布": "publish",
    "照片": "photo",
}


def _sub(words: list[str]) -> str:
    word = words[1].lower() if len(words) > 1 else ""
    return SUBCOMMANDS.get(word, word)


def _today(context: BranchContext) -> date:
    return context.resources.env.today()


async def _private(update: Update, context: BranchContext) -> bool:
    chat = update.effective_chat
    if chat is not None and chat.type == ChatType.PRIVATE:
        return True
    await reply(update, context.tr.gettext("Points are personal: ask me in a private chat."))
    return False


def _year_arg(text: str | None, fallback: int) -> int:
    if text is None:
        return fallback
    if not (text.isdigit() and len(text) == 4 and 1921 <= int(text) <= 2100):
        raise InvalidInput(N_("A year is written as four digits, for example %(year)d."), year=fallback)
    return int(text)


# --- /points -----------------------------------------------------------------------------------------------------


async def points_command(update: Update, context: BranchContext) -> None:
    """``/points`` (own), ``/points branch``, ``/points add …``, ``/points sheet [YEAR]``."""
    assert update.message is not None and update.message.text is not None
    if not await _private(update, context):
        return
    actor = context.actor
    words = update.message.text.split(maxsplit=5)
    sub = _sub(words)
    if sub == "add":
        await _add(update, context, actor, update.message.text)
    elif sub == "sheet":
        await _sheet(update, context, actor, _year_arg(words[2] if len(words) > 2 else None, _today(context).year))
    elif sub == "branch" and (actor.leads_branch or actor.is_admin):
        await _branch(update, context, actor, words[2] if len(words) > 2 else None)
    elif sub == "" and actor.is_admin:
        await _admin(update, context, actor)
    else:
        text, markup = await _mine(context, actor)
        await update.message.reply_text(text, reply_markup=markup)


async def _mine(context: BranchContext, actor: Actor) -> tuple[str, InlineKeyboardMarkup]:
    local = _today(context)
    start = date(local.year, 1, 1)
    async with context.unit() as session:
        mine = await service.my_points(session, actor, start, local, context.resources.env.tz, context.tr.locale)
    text = render(
        "points/mine.html.j2",
        context.tr.locale,
        pt=tenths_text,
        start=start,
        end=local,
        result=mine.detail.result,
        band_range=mine.band_range,
        members=mine.members,
        ranking=mine.ranking,
        rules_example=mine.detail.rules.example,
    )
    events = PointsButton(action=PointsAction.EVENTS).pack()
    button = InlineKeyboardButton(context.tr.gettext("What my points come from"), callback_data=events)
    return text, InlineKeyboardMarkup([[button]])


async def _events(context: BranchContext, actor: Actor) -> str:
    local = _today(context)
    start = date(local.year, 1, 1)
    async with context.unit() as session:
        mine = await service.my_points(session, actor, start, local, context.resources.env.tz, context.tr.locale)
    return render(
        "points/events.html.j2",
        context.tr.locale,
        pt=tenths_text,
        result=mine.detail.result,
        events=mine.detail.events,
        limit=EVENTS_SHOWN,
    )


async def _add(update: Update, context: BranchContext, actor: Actor, text: str) -> None:
    parts = text.split(maxsplit=5)
    if len(parts) < 5:
        raise InvalidInput(
            N_("Send /points add ROSTER_NO KEY POINTS REASON, for example /points add A03 commendation 2 Flood relief.")
        )
    _cmd, _sub, member, key, points = parts[:5]
    reason = parts[5] if len(parts) > 5 else ""
    async with context.unit() as session:
        await service.add_entry(session, actor, member, key, points, reason, today=_today(context))
    await reply(
        update,
        context.tr.gettext("Saved: %(points)s for “%(key)s” (%(member)s).", points=points, key=key, member=member),
    )


async def _branch(update: Update, context: BranchContext, actor: Actor, ref: str | None) -> None:
    local = _today(context)
    start = date(local.year, 1, 1)
    async with context.unit() as session:
        org = ref if ref is not None else str(actor.org_id)
        results = await service.report(session, actor, org, start, local, context.resources.env.tz)
        branch = await session.get(Organisation, results[0].branch_id) if results else None
    text = render(
        "points/branch.html.j2",
        context.tr.locale,
        pt=tenths_text,
        branch=branch.name if branch else "—",
        start=start,
        end=local,
        results=sorted(results, key=lambda r: (-r.points, r.name)),
    )
    await reply(update, text)


class BranchAverage(NamedTuple):
    """A line of the administrators' screen: a branch's members and their average points (tenths)."""

    id: int
    branch: str
    members: int
    average: int


async def _admin(update: Update, context: BranchContext, actor: Actor) -> None:
    """Every branch's average with a button for its table; for a city, the lowest averages first and the rest
    counted (a thousand lines would be seven messages nobody reads)."""
    local = _today(context)
    start = date(local.year, 1, 1)
    async with context.unit() as session:
        results = await service.report(session, actor, None, start, local, context.resources.env.tz)
    by_branch: dict[int, tuple[str, list[int]]] = {}
    for result in results:
        by_branch.setdefault(result.branch_id, (result.branch, []))[1].append(result.points)
    rows = [
        BranchAverage(branch_id, name, len(points), sum(points) // len(points))
        for branch_id, (name, points) in by_branch.items()
    ]
    tr = context.tr
    if len(rows) > SUMMARY_LINES:  # a city: the lowest averages first, the rest counted
        listed, more = lowest_first(rows, key=lambda row: (row.average, row.branch))
    else:
        listed, more = sorted(rows, key=lambda row: row.branch), 0
    members = len(results)
    text = render(
        "points/admin.html.j2",
        tr.locale,
        pt=tenths_text,
        start=start,
        end=local,
        count=len(rows),
        members=members,
        average=sum(result.points for result in results) // members if members else 0,
        rows=listed,
        more=more,
    )
    buttons = [(row.branch, PointsBranch(branch=row.id).pack()) for row in listed]
    await reply(update, text, reply_markup=keyboard(pairs(buttons)))


async def points_branch(update: Update, context: BranchContext) -> None:
    """The button of one branch under an administrator's summary: that branch's members' points (the service
    checks that the branch is in the administrator's reach)."""
    query = update.callback_query
    assert query is not None
    button = PointsBranch.parse(query.data)
    if not await _private(update, context):
        return
    await query.answer()
    await _branch(update, context, context.actor, str(button.branch))


async def _sheet(update: Update, context: BranchContext, actor: Actor, year: int) -> None:
    assert update.message is not None
    env = context.resources.env
    async with context.unit() as session:
        name, content = await branch_sheet(
            session, actor, actor.org_id, year, _today(context), env.tz, context.tr.locale
        )
    await update.message.reply_document(
        InputFile(content, filename=name),
        caption=context.tr.gettext("Members' points for %(year)d, for the democratic appraisal.", year=year),
    )


async def points_button(update: Update, context: BranchContext) -> None:
    """My events, or the appraisal sheet (from the year-end notice); the data parsed by the codec."""
    query = update.callback_query
    assert query is not None
    button = PointsButton.parse(query.data)
    if button.action is PointsAction.EVENTS:
        await reply(update, await _events(context, context.actor))
        return
    if button.action is PointsAction.SHEET:
        year = button.year or _today(context).year
        await query.answer()
        env = context.resources.env
        async with context.unit() as session:
            name, content = await branch_sheet(
                session, context.actor, context.actor.org_id, year, _today(context), env.tz, context.tr.locale
            )
        assert query.message is not None
        await context.bot.send_document(
            query.message.chat.id,
            InputFile(content, filename=name),
            caption=context.tr.gettext("Members' points for %(year)d, for the democratic appraisal.", year=year),
        )
        return
    raise InvalidInput(N_("This button is out of date. Send /points again."))


# --- /stars ------------------------------------------------------------------------------------------------------


async def stars_command(update: Update, context: BranchContext) -> None:
    """``/stars [YEAR]``; leaders: ``self KEY SCORE NOTE``, ``submit``, ``object REASON``; administrators:
    ``CODE [YEAR]``, ``adjust CODE KEY SCORE REASON``, ``announce CODE [YEAR]``, ``publish CODE [YEAR] [ANSWER]``."""
    assert update.message is not None and update.message.text is not None
    actor = context.actor
    if not (actor.leads_branch or actor.is_admin):
        await reply(
            update, context.tr.gettext("Only the branch secretary (or a committee member acting for them) may do this.")
        )
        return
    if not await _private(update, context):
        return
    text = update.message.text
    words = text.split()
    sub = _sub(words)
    local = _today(context)
    env = context.resources.env
    db = context.resources.db
    if sub == "self":
        parts = text.split(maxsplit=4)
        if len(parts) < 5:
            raise InvalidInput(
                N_("Send /stars self KEY SCORE NOTE, for example /stars self innovation 4 Red post project.")
            )
        async with db.session() as session:
            await star_steps.self_assess(session, actor, parts[2], parts[3], parts[4], rating_year(local))
        await _show_branch(update, context, actor, rating_year(local))
    elif sub == "submit":
        async with db.session() as session:
            await star_steps.submit(session, actor, rating_year(local), local, env=env)
        await reply(update, context.tr.gettext("Submitted: the administrators will review it."))
    elif sub == "object":
        parts = text.split(maxsplit=2)
        year = rating_year(local)
        async with db.session() as session:
            await star_steps.object_to(session, actor, parts[2] if len(parts) > 2 else "", year, local, env=env)
        await reply(update, context.tr.gettext("Your objection was sent to the administrators."))
    elif sub in ("adjust", "announce", "publish") and actor.is_admin:
        await _admin_step(update, context, actor, sub, text, local)
    elif actor.is_admin and sub and not sub.isdigit():
        year = _year_arg(words[2] if len(words) > 2 else None, rating_year(local))
        async with db.session() as session:
            branch = await star_steps.find_branch(session, words[1])
            stars = await star_steps.view(session, actor, year, local, env.tz, branch.id)
        markup = star_markup(stars, context.tr, admin=True, today=local)
        await reply(update, stars_text(context, stars, branch.code, admin=True), reply_markup=markup)
    elif actor.is_admin:
        await _admin_list(update, context, actor, _year_arg(sub or None, rating_year(local)))
    else:
        await _show_branch(update, context, actor, _year_arg(sub or None, rating_year(local)))


async def _show_branch(update: Update, context: BranchContext, actor: Actor, year: int) -> None:
    async with context.unit() as session:
        stars = await star_steps.view(session, actor, year, _today(context), context.resources.env.tz)
        branch = await session.get(Organisation, actor.org_id)
    markup = star_markup(stars, context.tr, admin=False, today=_today(context))
    await reply(update, stars_text(context, stars, branch.code if branch else "", admin=False), reply_markup=markup)


async def _admin_list(update: Update, context: BranchContext, actor: Actor, year: int) -> None:
    async with context.unit() as session:
        branches = list(await queries.branches_in(session, await queries.subtree_ids(session, actor.org_id)))
        found = await ratings(session, branches, year, _today(context), context.resources.env.tz)
    text, markup = list_screen(context, found, branches, year, _today(context))
    await reply(update, text, reply_markup=markup)


async def _admin_step(update: Update, context: BranchContext, actor: Actor, sub: str, text: str, local: date) -> None:
    async with context.unit() as session:
        if sub == "adjust":
            parts = text.split(maxsplit=5)
            if len(parts) < 6:
                raise InvalidInput(N_("Send /stars adjust CODE KEY SCORE REASON."))
            await star_steps.adjust(
                session, actor, parts[2], parts[3], parts[4], parts[5], rating_year(local), env=context.resources.env
            )
            done = context.tr.gettext("Saved; the branch is told.")
        elif sub == "announce":
            parts = text.split()
            if len(parts) < 3:
                raise InvalidInput(N_("Send /stars announce CODE YEAR."))
            year = _year_arg(parts[3] if len(parts) > 3 else None, rating_year(local))
            stars = await star_steps.announce(session, actor, parts[2], year, local, env=context.resources.env)
            assert stars.notice_ends_on is not None
            done = context.tr.gettext(
                "Announced; the notice period runs until %(day)s.",
                day=date_style.day(stars.notice_ends_on, context.tr.locale),
            )
        else:
            parts = text.split(maxsplit=4)
            if len(parts) < 3:
                raise InvalidInput(N_("Send /stars publish CODE YEAR [ANSWER]."))
            year = _year_arg(parts[3] if len(parts) > 3 else None, rating_year(local))
            answer = parts[4] if len(parts) > 4 else None
            await star_steps.publish(session, actor, parts[2], year, local, answer, env=context.resources.env)
            done = context.tr.gettext("Published.")
    await reply(update, done)


async def stars_photo(update: Update, context: BranchContext) -> None:
    """A photo captioned ``/stars photo KEY``: evidence for a manual criterion's self-assessment."""
    message = update.message
    assert message is not None and message.caption is not None and message.photo
    parts = message.caption.split()
    if len(parts) < 3:
        raise InvalidInput(N_("Caption the photo with /stars photo KEY."))
    async with context.unit() as session:
        count = await star_steps.add_photo(
            session, context.actor, parts[2], message.photo[-1].file_id, rating_year(_today(context))
        )
    await reply(
        update,
        context.tr.ngettext(
            "Saved: %(num)d photo for this criterion.", "Saved: %(num)d photos for this criterion.", count
        ),
    )


HANDLERS: list[Any] = [
    CommandHandler("points", points_command),
    CommandHandler("stars", stars_command),
    MessageHandler(filters.PHOTO & filters.CaptionRegex(r"^/stars(@\w+)?\s+(?:photo\b|照片)"), stars_photo),
    CallbackQueryHandler(points_button, pattern=PointsButton.pattern()),
    CallbackQueryHandler(points_branch, pattern=PointsBranch.pattern()),
    *FORM_HANDLERS,
    *star_handlers(stars_text),
]
