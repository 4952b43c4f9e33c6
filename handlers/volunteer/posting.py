"""Posting a volunteer activity: the /activity_new flow."""

from __future__ import annotations

from datetime import datetime
from html import escape

from telegram import (
    Update,
)

from bot.clock import now_utc
from bot.context import BranchContext
from bot.errors import InvalidInput
from bot.i18n import N_
from bot.services import volunteer as vol
from bot.services.volunteer.activities import dispatched_branch_names
from bot.services.volunteer.buttons import ActivityButton, NewCommunity, NewConfirm, NewDispatch, NewSkip
from bot.services.volunteer.timing import (
    parse_span,
)
from bot.templates import render
from handlers.common import keyboard, reply, show
from handlers.flows import END, cancelled
from handlers.volunteer.common import (
    NEW_COMMUNITY,
    NEW_CONFIRM,
    NEW_DESCRIPTION,
    NEW_DISPATCH,
    NEW_PLACE,
    NEW_SKILLS,
    NEW_SLOTS,
    NEW_TITLE,
    NEW_WHEN,
    _private_only,
    _user_data,
    config,
    env_of,
    say,
)
from storage.models import Organisation


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
        raise InvalidInput(
            N_(
                "Write the title, community, time and places (and where to meet, if you like), separated by “|”, "
                "for example /activity_new Litter pick | Dongcheng | 2026-06-01 09:00-11:30 | 10"
            )
        )
    env = env_of(context)
    start, end = parse_span(parts[2], env)
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
        activity = await vol.create_activity(session, context.actor, draft, config(context), env=env)
        dispatched = await dispatched_branch_names(session, activity.id)
    await _published(update, context, activity.id, activity.title, dispatched)
    return END


def _parse_slots(text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise InvalidInput(N_("Write the number of places as a whole number, for example 10.")) from None


async def _published(update: Update, context: BranchContext, activity_id: int, title: str, branches: list[str]) -> None:
    tr = context.tr
    text = (
        tr.gettext(
            "Published <b>%(title)s</b> and sent it to %(branches)s. Open it to see the roll and its check-in QR code.",
            title=escape(title),
            branches=escape(("、" if tr.locale.startswith("zh") else ", ").join(branches)),
        )
        if branches
        else tr.gettext("Published <b>%(title)s</b>. It has not been sent to any branch yet.", title=escape(title))
    )
    await show(
        update, text, keyboard([[(tr.gettext("Open"), ActivityButton(activity=activity_id).pack())]]), answer=False
    )


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
        reply_markup=keyboard([[(f"{c.name} · {c.town}", NewCommunity(community=c.id).pack())] for c in found]),
    )
    return NEW_COMMUNITY


async def new_community_chosen(update: Update, context: BranchContext) -> int:
    """The community pressed; next, when."""
    query = update.callback_query
    assert query is not None
    community_id = NewCommunity.parse(query.data).community
    async with context.unit() as session:
        community = await vol.community_by_id(session, community_id)
    _user_data(context).setdefault("vn", {})["community_id"] = community.id
    await query.answer()
    await show(
        update,
        context.tr.gettext(
            "%(community)s. When? Write the day and the hours, for example 12 Dec 09:00-11:30.",
            community=escape(community.name),
        ),
        answer=False,
    )
    return NEW_WHEN


async def new_when(update: Update, context: BranchContext) -> int:
    """Start and end; next, the places."""
    assert update.message is not None and update.message.text is not None
    start, end = parse_span(update.message.text, env_of(context))
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
        reply_markup=keyboard([[(context.tr.gettext("Skip"), NewSkip().pack())]]),
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
            keyboard([[(context.tr.gettext("Go on"), NewSkip().pack())]]),
        )
        return NEW_PLACE
    await say(
        update,
        context.tr.gettext("Skills wanted? (for example: first aid, photography)"),
        keyboard([[(context.tr.gettext("Skip"), NewSkip().pack())]]),
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
        keyboard([[(context.tr.gettext("Skip"), NewSkip().pack())]]),
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
        root, branches = await vol.dispatch_choices(session, context.actor)
    rows = [
        [
            (
                ("✅ " if root.id in chosen else "") + tr.gettext("All of %(org)s", org=root.name),
                NewDispatch(org=root.id).pack(),
            )
        ]
    ]
    rows += [[(("✅ " if b.id in chosen else "") + b.name, NewDispatch(org=b.id).pack())] for b in branches[:40]]
    rows.append([(tr.gettext("Done"), NewDispatch().pack())])
    text = tr.gettext("Send it to which branches? Press to choose, then Done.")
    if update.callback_query is not None and NewDispatch.try_parse(update.callback_query.data) is not None:
        await show(update, text, keyboard(rows), answer=False)
    else:
        await say(update, text, keyboard(rows))
    return NEW_DISPATCH


async def new_dispatch_toggle(update: Update, context: BranchContext) -> int:
    """Choose or unchoose a branch (or the whole subtree); Done goes on to the summary."""
    query = update.callback_query
    assert query is not None
    org_id = NewDispatch.parse(query.data).org
    draft = _user_data(context).setdefault("vn", {})
    if org_id is None:  # Done
        if not draft.get("dispatch"):
            await query.answer(context.tr.gettext("Choose at least one branch."), show_alert=True)
            return NEW_DISPATCH
        await query.answer()
        return await _new_summary(update, context)
    await query.answer()
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
    env = env_of(context)
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
        when=vol.span_text(draft.starts_at, draft.ends_at, env.tz, context.tr.locale),
        branches=("、" if tr.locale.startswith("zh") else ", ").join(names),
    )
    await say(
        update,
        text,
        keyboard(
            [
                [
                    (tr.gettext("Publish"), NewConfirm(choice="go").pack()),
                    (tr.gettext("Cancel"), NewConfirm(choice="x").pack()),
                ]
            ]
        ),
    )
    return NEW_CONFIRM


async def new_publish(update: Update, context: BranchContext) -> int:
    """Create the activity and send it to the chosen branches."""
    query = update.callback_query
    assert query is not None
    if NewConfirm.parse(query.data).choice == "x":
        return await cancelled(update, context, "vn")
    draft = _draft_of(context)
    dispatch = _user_data(context)["vn"].get("dispatch") if context.actor.is_admin else None
    async with context.unit(then=END) as session:
        activity = await vol.create_activity(
            session, context.actor, draft, config(context), env=env_of(context), dispatch_to=dispatch
        )
        names = await dispatched_branch_names(session, activity.id)
    _user_data(context).pop("vn", None)
    await query.answer()
    await _published(update, context, activity.id, activity.title, names)
    return END
