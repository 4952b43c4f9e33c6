"""Volunteer service (志愿服务, 到社区报到, measure 22): communities and registrations, activities with places,
sign-ups with a waiting list, check-in and check-out, forgotten check-outs, reminders, hours corrections.

Services take an AsyncSession and never commit. Whatever is pushed to people goes through the outbox in the
same transaction as its cause, with a dedup key that makes a repeat impossible.

Places never overbook: a sign-up takes a place only through ``UPDATE activities SET taken = taken + 1 WHERE
taken < slots`` — PostgreSQL re-checks the condition on the newest row version after waiting for a concurrent
writer, SQLite runs one writer at a time — and the (activity, member) pair is unique, so a double press stores
one row. A cancellation hands its place to the first of the waiting list with a compare-and-set on the
waiting row's status, so two cancellations never promote the same member twice.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import local_midnight_utc, now_utc
from bot.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from bot.i18n import N_, translator
from bot.services import outbox
from bot.services.access import Actor, require_branch_leader, visible_org_ids
from bot.services.geo import distance_m
from bot.services.identity import deep_link
from bot.services.outbox import inline_keyboard
from bot.services.tabular import ImportRejected, ImportResult, RowError, apply_changes, read_table
from bot.services.tokens import installation_secret, make_token, read_token
from bot.services.volunteer_time import VolunteerConfig, span_minutes
from bot.templates import render
from storage import queries
from storage.models import Member, Organisation, OrgKind
from storage.volunteer import (
    Activity,
    ActivityDispatch,
    ActivityStatus,
    Community,
    CommunityRegistration,
    SignUp,
    SignUpStatus,
)

CHECKIN_PREFIX = "vk_"
TOKEN_KIND = "v"
CHECKIN_OPENS_BEFORE = timedelta(minutes=30)  # check-in opens this long before the start
CHECKOUT_GRACE = timedelta(hours=1)  # after the end, a check-out is still accepted (hours are clipped)
MAX_ACTIVITY_LENGTH = timedelta(days=7)
MAX_SLOTS = 1000
SEARCH_LIMIT = 8

COMMUNITY_COLUMNS_REQUIRED = {"name", "town"}
COMMUNITY_COLUMNS_OPTIONAL = {"latitude", "longitude", "contact"}


def _locale(member: Member, cfg: VolunteerConfig) -> str:
    return member.language or cfg.default_locale


async def _member(session: AsyncSession, actor: Actor | None) -> Member | None:
    return await session.get(Member, actor.member_id) if actor is not None else None


# Communities ------------------------------------------------------------------------------------------


def _coordinate(text: str, limit: float) -> float:
    value = float(text)
    if not math.isfinite(value) or not -limit <= value <= limit:
        raise ValueError(text)
    return value


async def import_communities(session: AsyncSession, path: Path) -> ImportResult:
    """Create or update communities from CSV/XLSX (name, town, latitude, longitude, contact). All or nothing;
    keyed by town and name, so importing the same file again changes nothing."""
    rows = read_table(path, COMMUNITY_COLUMNS_REQUIRED, COMMUNITY_COLUMNS_OPTIONAL)
    errors: list[RowError] = []
    seen: dict[tuple[str, str], int] = {}
    records: list[dict[str, Any]] = []
    for number, row in rows:
        name, town = row["name"], row["town"]
        if not name:
            errors.append(RowError(number, N_("the community name is empty")))
        elif len(name) > 200:
            errors.append(RowError(number, N_("the name is longer than %(max)d characters"), {"max": 200}))
        if not town:
            errors.append(RowError(number, N_("the town is empty")))
        elif len(town) > 100:
            errors.append(RowError(number, N_("the town is longer than %(max)d characters"), {"max": 100}))
        key = (town, name)
        if name and town:
            if key in seen:
                errors.append(
                    RowError(
                        number,
                        N_("%(name)s in %(town)s is listed twice (also row %(other)d)"),
                        {"name": name, "town": town, "other": seen[key]},
                    )
                )
            seen.setdefault(key, number)
        latitude = longitude = None
        lat_text, lon_text = row.get("latitude", ""), row.get("longitude", "")
        if bool(lat_text) != bool(lon_text):
            errors.append(RowError(number, N_("give both latitude and longitude, or neither")))
        elif lat_text:
            try:
                latitude = _coordinate(lat_text, 90)
                longitude = _coordinate(lon_text, 180)
            except ValueError:
                errors.append(
                    RowError(
                        number,
                        N_("%(latitude)s, %(longitude)s is not a map position (latitude, longitude in degrees)"),
                        {"latitude": lat_text, "longitude": lon_text},
                    )
                )
        contact = row.get("contact") or None
        if contact and len(contact) > 200:
            errors.append(RowError(number, N_("the contact is longer than %(max)d characters"), {"max": 200}))
        records.append({"name": name, "town": town, "latitude": latitude, "longitude": longitude, "contact": contact})
    if errors:
        raise ImportRejected(errors)
    existing = {(c.town, c.name): c for c in (await session.scalars(select(Community))).all()}
    created = updated = unchanged = 0
    for record in records:
        community = existing.get((record["town"], record["name"]))
        if community is None:
            session.add(Community(**record, active=True))
            created += 1
            continue
        if apply_changes(community, {**record, "active": True}):
            updated += 1
        else:
            unchanged += 1
    await session.flush()
    queries.audit(
        session,
        actor=None,
        action="import",
        entity="communities",
        details={"file": path.name, "created": created, "updated": updated},
    )
    return ImportResult(created, updated, unchanged)


async def search_communities(session: AsyncSession, text: str, limit: int = SEARCH_LIMIT) -> list[Community]:
    """Communities whose name (or town) holds ``text``; exact names first."""
    needle = text.strip()
    if not needle:
        raise InvalidInput(N_("Send part of the community's name, for example 花园."))
    found = (
        await session.scalars(
            select(Community)
            .where(
                Community.active.is_(True),
                or_(
                    Community.name.contains(needle, autoescape=True),
                    Community.town.contains(needle, autoescape=True),
                ),
            )
            .order_by(Community.name, Community.town)
            .limit(200)
        )
    ).all()
    ranked = sorted(found, key=lambda c: (c.name != needle, needle not in c.name, len(c.name), c.name))
    return ranked[:limit]


async def nearest_communities(
    session: AsyncSession, latitude: float, longitude: float, limit: int = SEARCH_LIMIT
) -> list[tuple[Community, float]]:
    """Communities with a map position, nearest first, with their distance in metres."""
    placed = (
        await session.scalars(
            select(Community).where(
                Community.active.is_(True), Community.latitude.is_not(None), Community.longitude.is_not(None)
            )
        )
    ).all()
    ranked = sorted(
        ((c, distance_m(latitude, longitude, c.latitude or 0.0, c.longitude or 0.0)) for c in placed),
        key=lambda pair: pair[1],
    )
    return ranked[:limit]


async def resolve_community(session: AsyncSession, text: str) -> Community:
    """A community named by id, by exact name (or "town name"), or by a part of the name that fits one."""
    needle = text.strip()
    if needle.isdigit():
        community = await session.get(Community, int(needle))
        if community is not None and community.active:
            return community
    exact = (
        await session.scalars(
            select(Community).where(
                Community.active.is_(True),
                or_(Community.name == needle, (Community.town + " " + Community.name) == needle),
            )
        )
    ).all()
    if len(exact) == 1:
        return exact[0]
    matches = list(exact) or (await search_communities(session, needle) if needle else [])
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise NotFound(N_("Unknown community %(name)s."), name=needle)
    raise InvalidInput(
        N_("%(name)s fits several communities: %(choices)s. Give the id or the full name."),
        name=needle,
        choices="; ".join(f"{c.id} {c.town} {c.name}" for c in matches[:5]),
    )


async def community_by_id(session: AsyncSession, community_id: int) -> Community:
    """The community with this id, or a clear refusal."""
    # a forged button's huge id: no such row (and SQLite cannot even bind it)
    community = await session.get(Community, community_id) if 0 < community_id < 2**63 else None
    if community is None or not community.active:
        raise NotFound(N_("Unknown community %(name)s."), name=str(community_id))
    return community


# Registrations ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Registration:
    """A member's registration with a community."""

    community: Community
    registered_on: date
    ended_on: date | None


async def current_registration(session: AsyncSession, member_id: int) -> Registration | None:
    """The community a member is registered with now, if any."""
    row = (
        await session.execute(
            select(CommunityRegistration, Community)
            .join(Community, Community.id == CommunityRegistration.community_id)
            .where(CommunityRegistration.current_member_id == member_id)
        )
    ).first()
    if row is None:
        return None
    registration, community = row
    return Registration(community, registration.registered_on, None)


async def registration_history(session: AsyncSession, member_id: int) -> list[Registration]:
    """Every registration of a member, newest first."""
    rows = (
        await session.execute(
            select(CommunityRegistration, Community)
            .join(Community, Community.id == CommunityRegistration.community_id)
            .where(CommunityRegistration.member_id == member_id)
            .order_by(CommunityRegistration.registered_on.desc(), CommunityRegistration.id.desc())
        )
    ).all()
    return [Registration(c, r.registered_on, r.ended_on) for r, c in rows]


async def register_community(session: AsyncSession, actor: Actor, community_id: int, today: date) -> Registration:
    """Register the member with a community (报到) from today; a previous registration ends today."""
    community = await community_by_id(session, community_id)
    member = await session.get(Member, actor.member_id)
    if member is None:
        raise NotFound(N_("No such member."))
    current = await session.scalar(
        select(CommunityRegistration).where(CommunityRegistration.current_member_id == member.id)
    )
    if current is not None and current.community_id == community.id:
        raise Conflict(
            N_("You are already registered with %(community)s (since %(since)s)."),
            community=community.name,
            since=current.registered_on.isoformat(),
        )
    if current is not None:
        current.ended_on = today
        current.current_member_id = None
        await session.flush()  # release the unique "current" slot before the new row takes it
    session.add(
        CommunityRegistration(
            member_id=member.id, community_id=community.id, registered_on=today, current_member_id=member.id
        )
    )
    member.community = community.name  # the roster's free-text column follows the registration
    await session.flush()
    return Registration(community, today, None)


@dataclass(frozen=True)
class MemberRegistration:
    """One line of a branch's registration list."""

    member: Member
    registration: Registration | None


async def branch_registrations(session: AsyncSession, actor: Actor, branch_id: int) -> list[MemberRegistration]:
    """Who in the branch has registered with a community and who has not (for its secretary)."""
    await require_branch_leader(session, actor, branch_id)
    members = await queries.branch_members(session, branch_id)
    rows = (
        await session.execute(
            select(CommunityRegistration, Community)
            .join(Community, Community.id == CommunityRegistration.community_id)
            .where(CommunityRegistration.current_member_id.in_([m.id for m in members]))
        )
    ).all()
    by_member = {r.member_id: Registration(c, r.registered_on, None) for r, c in rows}
    return [MemberRegistration(m, by_member.get(m.id)) for m in members]


async def community_counts(session: AsyncSession, actor: Actor) -> list[tuple[Community, int]]:
    """How many members of the administrator's subtree are registered with each community, most first."""
    if not actor.is_admin:
        raise PermissionDenied(N_("Only an administrator of this organisation may do this."))
    org_ids = await visible_org_ids(session, actor)
    rows = (
        await session.execute(
            select(Community, func.count(CommunityRegistration.id))
            .join(CommunityRegistration, CommunityRegistration.community_id == Community.id)
            .join(Member, Member.id == CommunityRegistration.current_member_id)
            .where(Member.org_id.in_(org_ids), Member.active.is_(True))
            .group_by(Community.id)
            .order_by(func.count(CommunityRegistration.id).desc(), Community.name)
        )
    ).all()
    return [(community, int(count)) for community, count in rows]


# Activities -------------------------------------------------------------------------------------------


@dataclass
class ActivityDraft:
    """What a secretary or administrator fills in to post an activity."""

    title: str
    community_id: int
    starts_at: datetime
    ends_at: datetime
    slots: int
    place: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    radius_m: int | None = None
    skills: str | None = None
    description: str | None = None


def validate_draft(draft: ActivityDraft, now: datetime) -> None:
    """Refuse a draft that cannot be posted (all checks, before anything is written)."""
    title = draft.title.strip()
    if not title:
        raise InvalidInput(N_("The activity needs a title."))
    if len(title) > 200:
        raise InvalidInput(N_("The title is too long (at most %(max)d characters)."), max=200)
    if draft.ends_at <= draft.starts_at:
        raise InvalidInput(N_("The end must come after the start."))
    if draft.starts_at <= now:
        raise InvalidInput(N_("The start is in the past."))
    if draft.ends_at - draft.starts_at > MAX_ACTIVITY_LENGTH:
        raise InvalidInput(N_("An activity lasts at most %(days)d days."), days=MAX_ACTIVITY_LENGTH.days)
    if not 1 <= draft.slots <= MAX_SLOTS:
        raise InvalidInput(N_("The number of places must be from 1 to %(max)d."), max=MAX_SLOTS)
    if (draft.latitude is None) != (draft.longitude is None):
        raise InvalidInput(N_("Give both latitude and longitude, or neither."))
    if (
        draft.latitude is not None
        and draft.longitude is not None
        and not (-90 <= draft.latitude <= 90 and -180 <= draft.longitude <= 180)
    ):
        raise InvalidInput(N_("That is not a map position."))
    if draft.radius_m is not None and not 20 <= draft.radius_m <= 20000:
        raise InvalidInput(N_("The check-in radius must be from 20 to 20000 metres."))
    for text, limit in ((draft.place, 200), (draft.skills, 300), (draft.description, 4000)):
        if text is not None and len(text) > limit:
            raise InvalidInput(N_("The text is too long (at most %(max)d characters)."), max=limit)


async def _dispatch_targets(session: AsyncSession, actor: Actor | None, org_ids: Sequence[int]) -> list[Organisation]:
    """The branches that ``org_ids`` name (a branch itself, or every branch under another organisation)."""
    allowed = await visible_org_ids(session, actor) if actor is not None else None
    branches: dict[int, Organisation] = {}
    for org_id in org_ids:
        org = await session.get(Organisation, org_id)
        if org is None:
            raise NotFound(N_("No such organisation."))
        if allowed is not None and org_id not in allowed:
            raise PermissionDenied(N_("You may only send activities to branches you lead or administer."))
        subtree = {org.id} if org.kind == OrgKind.BRANCH else await queries.subtree_ids(session, org.id)
        for branch in await queries.branches_in(session, subtree):
            branches[branch.id] = branch
    if org_ids and not branches:
        raise InvalidInput(N_("There is no branch there to send the activity to."))
    return list(branches.values())


async def create_activity(
    session: AsyncSession,
    actor: Actor | None,
    draft: ActivityDraft,
    cfg: VolunteerConfig,
    *,
    dispatch_to: Sequence[int] | None = None,
    now: datetime | None = None,
) -> Activity:
    """Post an activity (``actor`` None: the command line) and dispatch it.

    A secretary posts for their own branch, which receives it; an administrator dispatches to chosen
    branches or whole subtrees of theirs (nothing chosen: none yet, ``dispatch_activity`` adds them later).
    """
    now = now or now_utc()
    validate_draft(draft, now)
    community = await community_by_id(session, draft.community_id)
    owner_org: int | None = None
    if actor is not None:
        if actor.is_admin:
            owner_org = actor.org_id
        elif actor.leads_branch:
            owner_org = actor.org_id
            if dispatch_to is None:
                dispatch_to = [actor.org_id]
        else:
            raise PermissionDenied(N_("Only the branch secretary (or a committee member acting for them) may do this."))
    targets = await _dispatch_targets(session, actor, dispatch_to or [])
    if owner_org is None and dispatch_to is not None and len(dispatch_to) == 1:
        owner_org = dispatch_to[0]  # the command line's single target manages it
    activity = Activity(
        title=draft.title.strip(),
        community_id=community.id,
        place=(draft.place or "").strip() or None,
        latitude=draft.latitude,
        longitude=draft.longitude,
        radius_m=draft.radius_m or cfg.radius_m,
        starts_at=draft.starts_at,
        ends_at=draft.ends_at,
        slots=draft.slots,
        taken=0,
        skills=(draft.skills or "").strip() or None,
        description=(draft.description or "").strip() or None,
        org_id=owner_org,
        status=ActivityStatus.OPEN,
        created_by_id=actor.member_id if actor else None,
    )
    session.add(activity)
    await session.flush()
    creator = await _member(session, actor)
    queries.audit(
        session,
        actor=creator,
        action="create",
        entity="activity",
        entity_id=activity.id,
        details={"title": activity.title, "slots": activity.slots, "community": community.name},
    )
    await _dispatch(session, activity, community, targets, creator, cfg)
    return activity


async def dispatch_activity(
    session: AsyncSession, actor: Actor | None, activity_id: int, org_ids: Sequence[int], cfg: VolunteerConfig
) -> list[Organisation]:
    """Send an existing activity to more branches; returns those newly reached."""
    activity = await session.get(Activity, activity_id)
    if activity is None:
        raise NotFound(N_("No such activity."))
    if actor is not None and not await manages(session, actor, activity):
        raise PermissionDenied(N_("Only whoever posted the activity may send it on."))
    if activity.status != ActivityStatus.OPEN or activity.ends_at <= now_utc():
        raise Conflict(N_("This activity is over or cancelled."))
    targets = await _dispatch_targets(session, actor, org_ids)
    community = await community_by_id(session, activity.community_id)
    if activity.org_id is None and len(org_ids) == 1:
        activity.org_id = org_ids[0]
    return await _dispatch(session, activity, community, targets, await _member(session, actor), cfg)


async def _dispatch(
    session: AsyncSession,
    activity: Activity,
    community: Community,
    targets: Sequence[Organisation],
    creator: Member | None,
    cfg: VolunteerConfig,
) -> list[Organisation]:
    """Record the dispatches not made before and queue a notice to every bound member there."""
    already = set(
        (
            await session.scalars(select(ActivityDispatch.org_id).where(ActivityDispatch.activity_id == activity.id))
        ).all()
    )
    new = [t for t in targets if t.id not in already]
    for branch in new:
        session.add(
            ActivityDispatch(activity_id=activity.id, org_id=branch.id, created_by_id=creator.id if creator else None)
        )
    if not new:
        return []
    await session.flush()
    queries.audit(
        session,
        actor=creator,
        action="dispatch",
        entity="activity",
        entity_id=activity.id,
        details={"branches": [b.id for b in new]},
    )
    members = (
        await session.scalars(
            select(Member).where(
                Member.org_id.in_([b.id for b in new]), Member.active.is_(True), Member.telegram_id.is_not(None)
            )
        )
    ).all()
    for member in members:
        locale = _locale(member, cfg)
        tr = translator(locale)
        await outbox.enqueue(
            session,
            dedup_key=f"vol:notice:{activity.id}:{member.id}",
            chat_id=int(member.telegram_id or 0),
            member_id=member.id,
            kind="notice",
            text=render(
                "volunteer/notice.html.j2",
                locale,
                activity=activity,
                community=community,
                when=when_text(activity, cfg.tz),
            ),
            reply_markup=inline_keyboard([[(tr.gettext("Sign up"), f"va:{activity.id}:join")]]),
            expires_at=activity.starts_at,
        )
    return list(new)


def _local_fmt(moment: datetime, tz: Any, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A UTC instant as local time text."""
    return moment.astimezone(tz).strftime(fmt)


def when_text(activity: Activity, tz: Any) -> str:
    """``2026-06-01 09:00–11:30``, or both dates when the activity spans days (local time)."""
    return span_text(activity.starts_at, activity.ends_at, tz)


def span_text(starts_at: datetime, ends_at: datetime, tz: Any) -> str:
    """A start and end as local time text: the date once when both are on the same day."""
    start, end = starts_at.astimezone(tz), ends_at.astimezone(tz)
    if start.date() == end.date():
        return f"{start:%Y-%m-%d %H:%M}–{end:%H:%M}"
    return f"{start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M}"


async def _can_see(session: AsyncSession, actor: Actor, activity: Activity) -> bool:
    orgs = await visible_org_ids(session, actor)
    if activity.org_id is not None and activity.org_id in orgs:
        return True
    found = await session.scalar(
        select(ActivityDispatch.id).where(
            ActivityDispatch.activity_id == activity.id, ActivityDispatch.org_id.in_(orgs)
        )
    )
    return found is not None


async def manages(session: AsyncSession, actor: Actor, activity: Activity) -> bool:
    """Whether ``actor`` posted the activity: the secretary of its branch, or an administrator above it."""
    if activity.org_id is None:
        return False
    if actor.is_admin:
        return activity.org_id in await queries.subtree_ids(session, actor.org_id)
    return actor.leads_branch and actor.org_id == activity.org_id


async def visible_activity(session: AsyncSession, actor: Actor, activity_id: int) -> Activity:
    """The activity, if it was sent to the actor's branch (or subtree) or posted there."""
    if not 0 < activity_id < 2**63:  # a forged button's id: no such row (and SQLite cannot even bind it)
        raise NotFound(N_("No such activity."))
    activity = await session.get(Activity, activity_id)
    if activity is None or not await _can_see(session, actor, activity):
        raise NotFound(N_("No such activity."))
    return activity


@dataclass(frozen=True)
class ActivityView:
    """An activity as one member sees it."""

    activity: Activity
    community: Community
    signup: SignUp | None
    waiting_position: int | None  # 1 = next to get a place
    is_manager: bool

    @property
    def places_left(self) -> int:
        """Free places."""
        return max(0, self.activity.slots - self.activity.taken)


async def _waiting_position(session: AsyncSession, signup: SignUp) -> int | None:
    if signup.status != SignUpStatus.WAITING:
        return None
    ahead = await session.scalar(
        select(func.count())
        .select_from(SignUp)
        .where(
            SignUp.activity_id == signup.activity_id,
            SignUp.status == SignUpStatus.WAITING,
            or_(SignUp.queued_at < signup.queued_at, and_(SignUp.queued_at == signup.queued_at, SignUp.id < signup.id)),
        )
    )
    return int(ahead or 0) + 1


async def activity_view(session: AsyncSession, actor: Actor, activity_id: int) -> ActivityView:
    """One activity, with the actor's place in it."""
    activity = await visible_activity(session, actor, activity_id)
    await session.refresh(activity)
    community = await community_by_id(session, activity.community_id)
    signup = await session.scalar(
        select(SignUp)
        .where(SignUp.activity_id == activity.id, SignUp.member_id == actor.member_id)
        .execution_options(populate_existing=True)
    )
    return ActivityView(
        activity,
        community,
        signup,
        await _waiting_position(session, signup) if signup else None,
        await manages(session, actor, activity),
    )


async def upcoming_activities(
    session: AsyncSession, actor: Actor, now: datetime | None = None, limit: int = 10
) -> list[ActivityView]:
    """Open activities sent to the actor's branch (or posted there) that have not ended, soonest first."""
    now = now or now_utc()
    orgs = await visible_org_ids(session, actor)
    dispatched = select(ActivityDispatch.activity_id).where(ActivityDispatch.org_id.in_(orgs))
    activities = (
        await session.scalars(
            select(Activity)
            .where(
                Activity.status == ActivityStatus.OPEN,
                Activity.ends_at > now,
                or_(Activity.id.in_(dispatched), Activity.org_id.in_(orgs)),
            )
            .order_by(Activity.starts_at, Activity.id)
            .limit(limit)
        )
    ).all()
    return [await activity_view(session, actor, a.id) for a in activities]


# Sign-up and cancellation -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SignUpResult:
    """The outcome of a sign-up: a place, or a place on the waiting list."""

    signup: SignUp
    confirmed: bool
    waiting_position: int | None


def _changed(result: Any) -> bool:
    """Whether an UPDATE or INSERT touched a row (its rowcount)."""
    return bool(result.rowcount)


async def _take_place(session: AsyncSession, activity_id: int) -> bool:
    """Take one place if one is free: the database decides, so concurrent presses never overbook."""
    result = await session.execute(
        update(Activity)
        .where(Activity.id == activity_id, Activity.taken < Activity.slots, Activity.status == ActivityStatus.OPEN)
        .values(taken=Activity.taken + 1)
        .execution_options(synchronize_session=False)
    )
    return _changed(result)


async def _claim_signup_row(
    session: AsyncSession, activity_id: int, member_id: int, status: SignUpStatus, now: datetime
) -> bool:
    """Insert the one (activity, member) row unless it exists; True when this call created it. A concurrent
    second press waits on the unique key here and then finds the row."""
    inserted = await session.execute(
        queries.upsert_insert(session)(SignUp)
        .values(
            activity_id=activity_id,
            member_id=member_id,
            status=status.value,
            queued_at=now,
            auto_closed=False,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["activity_id", "member_id"])
    )
    return _changed(inserted)


async def _signup_row(session: AsyncSession, activity_id: int, member_id: int) -> SignUp | None:
    return await session.scalar(
        select(SignUp)
        .where(SignUp.activity_id == activity_id, SignUp.member_id == member_id)
        .execution_options(populate_existing=True)
    )


async def sign_up(session: AsyncSession, actor: Actor, activity_id: int, now: datetime | None = None) -> SignUpResult:
    """Take a place, or join the waiting list when the activity is full. A second sign-up is refused."""
    now = now or now_utc()
    activity = await visible_activity(session, actor, activity_id)
    if activity.status != ActivityStatus.OPEN:
        raise Conflict(N_("This activity was cancelled."))
    if activity.starts_at <= now:
        raise InvalidInput(N_("This activity has already started; sign-up is closed."))
    # Claim the (activity, member) row first: a concurrent second press waits here and then finds it.
    if not await _claim_signup_row(session, activity.id, actor.member_id, SignUpStatus.WAITING, now):
        existing = await _signup_row(session, activity.id, actor.member_id)
        assert existing is not None
        if existing.status != SignUpStatus.CANCELLED:
            raise Conflict(
                N_("You already have a place at this activity.")
                if existing.status == SignUpStatus.CONFIRMED
                else N_("You are already on the waiting list of this activity.")
            )
        reopened = await session.execute(
            update(SignUp)
            .where(SignUp.id == existing.id, SignUp.status == SignUpStatus.CANCELLED)
            .values(status=SignUpStatus.WAITING, queued_at=now, promoted_at=None, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if not _changed(reopened):
            raise Conflict(N_("You already have a place at this activity."))
    confirmed = await _take_place(session, activity.id)
    if confirmed:
        await session.execute(
            update(SignUp)
            .where(SignUp.activity_id == activity.id, SignUp.member_id == actor.member_id)
            .values(status=SignUpStatus.CONFIRMED, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    signup = await _signup_row(session, activity.id, actor.member_id)
    assert signup is not None
    return SignUpResult(signup, confirmed, None if confirmed else await _waiting_position(session, signup))


@dataclass(frozen=True)
class CancelResult:
    """The outcome of a cancellation: who moved up from the waiting list, if anyone."""

    was_confirmed: bool
    promoted: Member | None


async def cancel_signup(
    session: AsyncSession, actor: Actor, activity_id: int, cfg: VolunteerConfig, now: datetime | None = None
) -> CancelResult:
    """Give up a place (or leave the waiting list); the first one waiting moves up and is told."""
    now = now or now_utc()
    activity = await visible_activity(session, actor, activity_id)
    if activity.status != ActivityStatus.OPEN:
        raise Conflict(N_("This activity was cancelled."))
    for _attempt in range(5):  # the row may change under us (a promotion); re-read and try again
        signup = await _signup_row(session, activity.id, actor.member_id)
        if signup is None or signup.status == SignUpStatus.CANCELLED:
            raise Conflict(N_("You are not signed up for this activity."))
        if signup.checked_in_at is not None:
            raise Conflict(N_("You already checked in; a place you used cannot be cancelled."))
        if activity.starts_at <= now:
            raise InvalidInput(N_("This activity has already started; it can no longer be cancelled."))
        observed = signup.status
        result = await session.execute(
            update(SignUp)
            .where(SignUp.id == signup.id, SignUp.status == observed)
            .values(status=SignUpStatus.CANCELLED, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if _changed(result):
            promoted = None
            if observed == SignUpStatus.CONFIRMED:
                promoted = await _hand_on_place(session, activity, cfg, now)
            return CancelResult(observed == SignUpStatus.CONFIRMED, promoted)
    raise Conflict(N_("Your place changed meanwhile; please try again."))  # pragma: no cover - needs a storm


async def _first_waiting(session: AsyncSession, activity_id: int) -> int | None:
    return await session.scalar(
        select(SignUp.id)
        .where(SignUp.activity_id == activity_id, SignUp.status == SignUpStatus.WAITING)
        .order_by(SignUp.queued_at, SignUp.id)
        .limit(1)
    )


async def _promote(
    session: AsyncSession, activity: Activity, signup_id: int, cfg: VolunteerConfig, now: datetime
) -> tuple[bool, Member | None]:
    """Move one waiting member up (compare-and-set) and tell them: (moved, the member). Not moved when a
    concurrent cancellation moved them first."""
    moved = await session.execute(
        update(SignUp)
        .where(SignUp.id == signup_id, SignUp.status == SignUpStatus.WAITING)
        .values(status=SignUpStatus.CONFIRMED, promoted_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if not _changed(moved):
        return False, None
    signup = await session.get(SignUp, signup_id, populate_existing=True)
    assert signup is not None
    member = await session.get(Member, signup.member_id)
    if member is not None and member.telegram_id is not None:
        community = await community_by_id(session, activity.community_id)
        locale = _locale(member, cfg)
        await outbox.enqueue(
            session,
            dedup_key=f"vol:promoted:{activity.id}:{signup.id}:{int(now.timestamp() * 1_000_000)}",
            chat_id=member.telegram_id,
            member_id=member.id,
            kind="notice",
            text=render(
                "volunteer/promoted.html.j2",
                locale,
                activity=activity,
                community=community,
                when=when_text(activity, cfg.tz),
            ),
            reply_markup=inline_keyboard(
                [[(translator(locale).gettext("Cancel my place"), f"va:{activity.id}:leave")]]
            ),
            expires_at=activity.starts_at,
        )
    return True, member


async def _hand_on_place(
    session: AsyncSession, activity: Activity, cfg: VolunteerConfig, now: datetime
) -> Member | None:
    """Give a freed place to the first member waiting (and tell them), or free it."""
    while True:
        candidate = await _first_waiting(session, activity.id)
        if candidate is None:
            await session.execute(
                update(Activity)
                .where(Activity.id == activity.id, Activity.taken > 0)
                .values(taken=Activity.taken - 1)
                .execution_options(synchronize_session=False)
            )
            return None
        # Compare-and-set: a concurrent cancellation that promoted this member first makes this match nothing.
        moved, member = await _promote(session, activity, candidate, cfg, now)
        if moved:
            return member


async def fill_places(session: AsyncSession, activity: Activity, cfg: VolunteerConfig, now: datetime) -> list[Member]:
    """Give free places (after more were added) to the waiting list in order; each one moved up is told."""
    promoted: list[Member] = []
    while (candidate := await _first_waiting(session, activity.id)) is not None:
        if not await _take_place(session, activity.id):
            break
        moved, member = await _promote(session, activity, candidate, cfg, now)
        if not moved:  # moved up meanwhile by someone else: give the place back and look again
            await session.execute(
                update(Activity)
                .where(Activity.id == activity.id, Activity.taken > 0)
                .values(taken=Activity.taken - 1)
                .execution_options(synchronize_session=False)
            )
            continue
        if member is not None:
            promoted.append(member)
    return promoted


# Check-in and check-out -------------------------------------------------------------------------------


async def checkin_link(session: AsyncSession, activity: Activity, bot_username: str) -> str:
    """The deep link printed as the activity's QR code: ``t.me/<bot>?start=vk_<token>``."""
    secret = await installation_secret(session)
    return deep_link(bot_username, CHECKIN_PREFIX + make_token(secret, TOKEN_KIND, activity.id))


async def activity_from_token(session: AsyncSession, token: str) -> int:
    """The activity a scanned token admits to; forged or mangled tokens are refused."""
    secret = await installation_secret(session)
    return read_token(secret, token, kind=TOKEN_KIND).object_id


@dataclass(frozen=True)
class CheckResult:
    """The outcome of a scan or a shared location."""

    activity: Activity
    signup: SignUp
    action: str  # "in", "out", "already_in"


def activity_position(activity: Activity, community: Community) -> tuple[float, float] | None:
    """The activity's map pin, else its community's position."""
    if activity.latitude is not None and activity.longitude is not None:
        return activity.latitude, activity.longitude
    if community.latitude is not None and community.longitude is not None:
        return community.latitude, community.longitude
    return None


async def _require_near(session: AsyncSession, activity: Activity, location: tuple[float, float] | None) -> None:
    if location is None:
        return
    community = await community_by_id(session, activity.community_id)
    position = activity_position(activity, community)
    if position is None:
        raise InvalidInput(N_("This activity has no map position; scan its QR code instead."))
    distance = distance_m(location[0], location[1], *position)
    if distance > activity.radius_m:
        raise InvalidInput(
            N_("You are %(distance)d m from the activity's place; checking in works within %(radius)d m."),
            distance=round(distance),
            radius=activity.radius_m,
        )


async def check_in(
    session: AsyncSession,
    actor: Actor,
    activity_id: int,
    cfg: VolunteerConfig,
    *,
    method: str,
    location: tuple[float, float] | None = None,
    now: datetime | None = None,
) -> CheckResult:
    """Check in at the activity (QR code or location within its radius, during the window).

    A member without a place gets one if any is free. Checking in again says when they did and offers to
    check out (``action == "already_in"``); nothing is stored twice.
    """
    now = now or now_utc()
    activity = await visible_activity(session, actor, activity_id)
    if activity.status != ActivityStatus.OPEN:
        raise Conflict(N_("This activity was cancelled."))
    signup = await _signup_row(session, activity.id, actor.member_id)
    if signup is not None and signup.checked_out_at is not None:
        raise Conflict(
            N_("You already checked out at %(time)s."), time=_local_fmt(signup.checked_out_at, cfg.tz, "%H:%M")
        )
    if signup is not None and signup.checked_in_at is not None:
        return CheckResult(activity, signup, "already_in")
    if now < activity.starts_at - CHECKIN_OPENS_BEFORE:
        raise InvalidInput(
            N_("Check-in opens at %(time)s."),
            time=_local_fmt(activity.starts_at - CHECKIN_OPENS_BEFORE, cfg.tz),
        )
    if now > activity.ends_at:
        raise InvalidInput(N_("This activity has ended; check-in is closed."))
    await _require_near(session, activity, location)
    if signup is None or signup.status != SignUpStatus.CONFIRMED:
        # Walk-ins and the waiting list are welcome while places are free.
        if signup is None:
            await _claim_signup_row(session, activity.id, actor.member_id, SignUpStatus.CANCELLED, now)
        if not await _take_place(session, activity.id):
            raise Conflict(N_("This activity is full and you have no place at it."))
        await session.execute(
            update(SignUp)
            .where(
                SignUp.activity_id == activity.id,
                SignUp.member_id == actor.member_id,
                SignUp.status != SignUpStatus.CONFIRMED,
            )
            .values(status=SignUpStatus.CONFIRMED, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    result = await session.execute(
        update(SignUp)
        .where(
            SignUp.activity_id == activity.id,
            SignUp.member_id == actor.member_id,
            SignUp.checked_in_at.is_(None),
        )
        .values(checked_in_at=now, checkin_method=method, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    signup = await _signup_row(session, activity.id, actor.member_id)
    assert signup is not None
    return CheckResult(activity, signup, "in" if _changed(result) else "already_in")


def counted_span(activity: Activity, checked_in_at: datetime, checked_out_at: datetime) -> tuple[datetime, datetime]:
    """Check-in to check-out, within the activity's span."""
    start = max(checked_in_at, activity.starts_at)
    end = min(checked_out_at, activity.ends_at)
    return start, max(start, end)


async def check_out(
    session: AsyncSession,
    actor: Actor,
    activity_id: int,
    cfg: VolunteerConfig,
    *,
    method: str,
    location: tuple[float, float] | None = None,
    now: datetime | None = None,
) -> CheckResult:
    """Check out; the hours counted are check-out minus check-in, within the activity's span."""
    now = now or now_utc()
    activity = await visible_activity(session, actor, activity_id)
    signup = await _signup_row(session, activity.id, actor.member_id)
    if signup is None or signup.checked_in_at is None:
        raise Conflict(N_("You have not checked in at this activity."))
    if signup.checked_out_at is not None:
        raise Conflict(
            N_("You already checked out at %(time)s."), time=_local_fmt(signup.checked_out_at, cfg.tz, "%H:%M")
        )
    if now > activity.ends_at + CHECKOUT_GRACE:
        raise InvalidInput(N_("Check-out has closed; your secretary will confirm your hours."))
    await _require_near(session, activity, location)
    start, end = counted_span(activity, signup.checked_in_at, now)
    minutes, outside = span_minutes(start, end, cfg)
    result = await session.execute(
        update(SignUp)
        .where(SignUp.id == signup.id, SignUp.checked_out_at.is_(None))
        .values(checked_out_at=now, checkout_method=method, minutes=minutes, outside_minutes=outside, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if not _changed(result):
        raise Conflict(N_("You already checked out."))
    signup = await _signup_row(session, activity.id, actor.member_id)
    assert signup is not None
    return CheckResult(activity, signup, "out")


# The scheduler's work ---------------------------------------------------------------------------------


async def close_forgotten_checkouts(session: AsyncSession, cfg: VolunteerConfig, now: datetime | None = None) -> int:
    """Close check-ins left open past the grace time at the activity's end, flagged for the secretary,
    and tell the branch's leaders once per activity. Running it again finds nothing more to do."""
    now = now or now_utc()
    rows = (
        await session.execute(
            select(SignUp, Activity)
            .join(Activity, Activity.id == SignUp.activity_id)
            .where(
                SignUp.checked_in_at.is_not(None),
                SignUp.checked_out_at.is_(None),
                Activity.ends_at <= now - CHECKOUT_GRACE,
            )
        )
    ).all()
    affected: dict[tuple[int, int], list[Member]] = {}
    for signup, activity in rows:
        assert signup.checked_in_at is not None
        start, end = counted_span(activity, signup.checked_in_at, activity.ends_at)
        minutes, outside = span_minutes(start, end, cfg)
        result = await session.execute(
            update(SignUp)
            .where(SignUp.id == signup.id, SignUp.checked_out_at.is_(None))
            .values(
                checked_out_at=activity.ends_at,
                checkout_method="auto",
                auto_closed=True,
                minutes=minutes,
                outside_minutes=outside,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        if not _changed(result):
            continue
        member = await session.get(Member, signup.member_id)
        if member is not None:
            affected.setdefault((activity.id, member.org_id), []).append(member)
    for (activity_id, branch_id), members in affected.items():
        closed = await session.get(Activity, activity_id)
        assert closed is not None
        for leader in await queries.branch_leaders(session, branch_id):
            if leader.telegram_id is None:
                continue
            locale = _locale(leader, cfg)
            await outbox.enqueue(
                session,
                dedup_key=f"vol:autoclosed:{activity_id}:{leader.id}",
                chat_id=leader.telegram_id,
                member_id=leader.id,
                kind="notice",
                text=render(
                    "volunteer/autoclosed.html.j2",
                    locale,
                    activity=closed,
                    names=[m.name for m in members],
                    end=_local_fmt(closed.ends_at, cfg.tz),
                ),
            )
    if rows:
        queries.audit(
            session,
            actor=None,
            label="scheduler",
            action="auto_checkout",
            entity="activity_signups",
            details={"count": sum(len(m) for m in affected.values())},
        )
    return sum(len(m) for m in affected.values())


def reminder_key(activity: Activity, member_id: int) -> str:
    """The day-before reminder is sent once per member and start time: a rescheduled activity is reminded anew."""
    return f"vol:remind:{activity.id}:{member_id}:{int(activity.starts_at.timestamp())}"


async def queue_reminders(session: AsyncSession, cfg: VolunteerConfig, now: datetime | None = None) -> int:
    """Queue the day-before reminder to everyone with a place at an activity starting tomorrow (local),
    to be sent at the configured hour; the dedup key makes it once per member and activity."""
    now = now or now_utc()
    today = now.astimezone(cfg.tz).date()
    tomorrow = today + timedelta(days=1)
    begin, end = local_midnight_utc(tomorrow, cfg.tz), local_midnight_utc(tomorrow + timedelta(days=1), cfg.tz)
    send_at = max(now, datetime.combine(today, time(cfg.reminder_hour), tzinfo=cfg.tz).astimezone(UTC))
    rows = (
        await session.execute(
            select(Activity, SignUp, Member)
            .join(SignUp, SignUp.activity_id == Activity.id)
            .join(Member, Member.id == SignUp.member_id)
            .where(
                Activity.status == ActivityStatus.OPEN,
                Activity.starts_at >= begin,
                Activity.starts_at < end,
                SignUp.status == SignUpStatus.CONFIRMED,
                Member.telegram_id.is_not(None),
                Member.active.is_(True),
            )
        )
    ).all()
    queued = 0
    communities: dict[int, Community] = {}
    for activity, _signup, member in rows:
        community = communities.get(activity.community_id) or await community_by_id(session, activity.community_id)
        communities[community.id] = community
        locale = _locale(member, cfg)
        queued += await outbox.enqueue(
            session,
            dedup_key=reminder_key(activity, member.id),
            chat_id=int(member.telegram_id or 0),
            member_id=member.id,
            kind="reminder",
            text=render(
                "volunteer/reminder.html.j2",
                locale,
                activity=activity,
                community=community,
                when=when_text(activity, cfg.tz),
            ),
            reply_markup=inline_keyboard(
                [[(translator(locale).gettext("Cancel my place"), f"va:{activity.id}:leave")]]
            ),
            not_before=send_at,
            expires_at=activity.starts_at,
        )
    return queued


# The secretary's corrections --------------------------------------------------------------------------


async def _leader_of_signup(session: AsyncSession, actor: Actor, signup_id: int) -> tuple[SignUp, Activity, Member]:
    signup = await session.get(SignUp, signup_id)
    if signup is None:
        raise NotFound(N_("No such sign-up."))
    member = await session.get(Member, signup.member_id)
    activity = await session.get(Activity, signup.activity_id)
    assert member is not None and activity is not None
    await require_branch_leader(session, actor, member.org_id)
    return signup, activity, member


async def confirm_hours(session: AsyncSession, actor: Actor, signup_id: int, now: datetime | None = None) -> SignUp:
    """The secretary confirms the hours of a check-out closed automatically."""
    signup, _activity, member = await _leader_of_signup(session, actor, signup_id)
    if signup.checked_out_at is None:
        raise Conflict(N_("%(name)s has not checked out yet."), name=member.name)
    if signup.confirmed_at is not None or not signup.auto_closed:
        raise Conflict(N_("These hours are already confirmed."))
    signup.confirmed_at = now or now_utc()
    queries.audit(
        session,
        actor=await _member(session, actor),
        action="confirm_hours",
        entity="activity_signup",
        entity_id=signup.id,
        details={"member": member.id, "minutes": signup.minutes},
    )
    return signup


async def correct_hours(
    session: AsyncSession,
    actor: Actor,
    signup_id: int,
    hours: float,
    reason: str,
    cfg: VolunteerConfig,
    now: datetime | None = None,
) -> SignUp:
    """The secretary sets the hours counted for a member at an activity, with a reason (audited)."""
    signup, activity, member = await _leader_of_signup(session, actor, signup_id)
    if signup.checked_in_at is None:
        raise Conflict(N_("%(name)s did not check in at this activity."), name=member.name)
    reason = reason.strip()
    if not reason:
        raise InvalidInput(N_("Give a reason for the correction."))
    if len(reason) > 300:
        raise InvalidInput(N_("The text is too long (at most %(max)d characters)."), max=300)
    span_hours = (activity.ends_at - activity.starts_at).total_seconds() / 3600
    if not 0 <= hours <= span_hours:
        raise InvalidInput(
            N_("The hours must be from 0 to %(max)s, the length of the activity."), max=f"{span_hours:g}"
        )
    minutes = round(hours * 60)
    old_minutes, old_outside = signup.minutes or 0, signup.outside_minutes or 0
    # The correction keeps the share outside working hours of what was recorded (or of the whole span).
    if old_minutes:
        outside = round(old_outside * minutes / old_minutes)
    else:
        total, whole_outside = span_minutes(activity.starts_at, activity.ends_at, cfg)
        outside = round(whole_outside * minutes / total) if total else 0
    signup.minutes = minutes
    signup.outside_minutes = min(minutes, outside)
    if signup.checked_out_at is None:
        signup.checked_out_at = now or now_utc()
        signup.checkout_method = "secretary"
    signup.corrected_by_id = actor.member_id
    signup.correction_reason = reason
    if signup.auto_closed and signup.confirmed_at is None:
        signup.confirmed_at = now or now_utc()
    queries.audit(
        session,
        actor=await _member(session, actor),
        action="correct_hours",
        entity="activity_signup",
        entity_id=signup.id,
        details={"member": member.id, "old_minutes": old_minutes, "new_minutes": minutes, "reason": reason},
    )
    return signup


@dataclass(frozen=True)
class RollLine:
    """One member on an activity's roll."""

    member: Member
    signup: SignUp
    waiting_position: int | None = None


@dataclass
class Roll:
    """Who signed up, who waits, who checked in and out, and the hours (for the poster or the CLI)."""

    activity: Activity
    community: Community
    lines: list[RollLine] = field(default_factory=list)

    @property
    def confirmed(self) -> list[RollLine]:
        """Those with a place."""
        return [line for line in self.lines if line.signup.status == SignUpStatus.CONFIRMED]

    @property
    def waiting(self) -> list[RollLine]:
        """The waiting list, in order."""
        return sorted(
            (line for line in self.lines if line.signup.status == SignUpStatus.WAITING),
            key=lambda line: line.waiting_position or 0,
        )


async def activity_roll(session: AsyncSession, actor: Actor | None, activity_id: int) -> Roll:
    """The roll of an activity: everyone for its poster (and the CLI); a branch leader sees their members."""
    activity = await session.get(Activity, activity_id)
    if activity is None:
        raise NotFound(N_("No such activity."))
    visible: set[int] | None = None
    if actor is not None:
        if not await _can_see(session, actor, activity):
            raise NotFound(N_("No such activity."))
        if not await manages(session, actor, activity):
            if not (actor.leads_branch or actor.is_admin):
                raise PermissionDenied(
                    N_("Only the branch secretary (or a committee member acting for them) may do this.")
                )
            visible = await visible_org_ids(session, actor)
    community = await community_by_id(session, activity.community_id)
    rows = (
        await session.execute(
            select(SignUp, Member)
            .join(Member, Member.id == SignUp.member_id)
            .where(SignUp.activity_id == activity.id, SignUp.status != SignUpStatus.CANCELLED)
            .order_by(SignUp.queued_at, SignUp.id)
        )
    ).all()
    roll = Roll(activity, community)
    position = 0
    for signup, member in rows:
        if signup.status == SignUpStatus.WAITING:
            position += 1
        if visible is not None and member.org_id not in visible:
            continue
        roll.lines.append(RollLine(member, signup, position if signup.status == SignUpStatus.WAITING else None))
    return roll


async def flagged_checkouts(session: AsyncSession, actor: Actor, limit: int = 20) -> list[RollLine]:
    """Check-outs closed automatically that the actor's branch (or subtree) still has to confirm."""
    orgs = await visible_org_ids(session, actor)
    rows = (
        await session.execute(
            select(SignUp, Member)
            .join(Member, Member.id == SignUp.member_id)
            .where(SignUp.auto_closed.is_(True), SignUp.confirmed_at.is_(None), Member.org_id.in_(orgs))
            .order_by(SignUp.checked_out_at, SignUp.id)
            .limit(limit)
        )
    ).all()
    return [RollLine(member, signup) for signup, member in rows]
