"""Volunteer activities: drafting, validating, publishing to branches, and what a member may see of one."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot import date_style
from bot.clock import now_utc
from bot.environment import ServiceEnv
from bot.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from bot.i18n import DEFAULT_LOCALE, N_
from bot.services.access import Actor, visible_org_ids
from bot.services.notifier import Message, Notifier, Recipient
from bot.services.volunteer.base import MAX_ACTIVITY_LENGTH, MAX_SLOTS, _member
from bot.services.volunteer.buttons import ActivityAction, ActivityButton
from bot.services.volunteer.communities import community_by_id
from bot.services.volunteer.timing import VolunteerConfig
from storage import queries
from storage.models import Member, Organisation, OrgKind
from storage.volunteer import Activity, ActivityDispatch, ActivityStatus, Community, SignUp, SignUpStatus
from storage.volunteer import activities as stored


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


async def dispatch_choices(session: AsyncSession, actor: Actor) -> tuple[Organisation, list[Organisation]]:
    """What an administrator may send an activity to: their whole organisation, or any branch in it (by name)."""
    root = await session.get(Organisation, actor.org_id)
    if root is None:
        raise NotFound(N_("No such organisation."))
    return root, list(await queries.branches_in(session, await queries.subtree_ids(session, actor.org_id)))


async def create_activity(
    session: AsyncSession,
    actor: Actor | None,
    draft: ActivityDraft,
    cfg: VolunteerConfig,
    *,
    env: ServiceEnv,
    dispatch_to: Sequence[int] | None = None,
    now: datetime | None = None,
) -> Activity:
    """Post an activity (``actor`` None: the command line) and dispatch it.

    A secretary posts for their own branch, which receives it; an administrator dispatches to chosen
    branches or whole subtrees of theirs (nothing chosen: none yet, ``dispatch_activity`` adds them later).
    """
    now = now or env.now()
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
    await _dispatch(session, activity, community, targets, creator, env)
    return activity


async def dispatch_activity(
    session: AsyncSession, actor: Actor | None, activity_id: int, org_ids: Sequence[int], *, env: ServiceEnv
) -> list[Organisation]:
    """Send an existing activity to more branches; returns those newly reached."""
    activity = await session.get(Activity, activity_id)
    if activity is None:
        raise NotFound(N_("No such activity."))
    if actor is not None and not await manages(session, actor, activity):
        raise PermissionDenied(N_("Only whoever posted the activity may send it on."))
    if activity.status != ActivityStatus.OPEN or activity.ends_at <= env.now():
        raise Conflict(N_("This activity is over or cancelled."))
    targets = await _dispatch_targets(session, actor, org_ids)
    community = await community_by_id(session, activity.community_id)
    if activity.org_id is None and len(org_ids) == 1:
        activity.org_id = org_ids[0]
    return await _dispatch(session, activity, community, targets, await _member(session, actor), env)


async def _dispatch(
    session: AsyncSession,
    activity: Activity,
    community: Community,
    targets: Sequence[Organisation],
    creator: Member | None,
    env: ServiceEnv,
) -> list[Organisation]:
    """Record the dispatches not made before and queue a notice to every bound member there."""
    already = await stored.dispatched_org_ids(session, activity.id)
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
    notice = Message(
        template="volunteer/notice.html.j2",
        params=activity_params(activity, community, env),
        buttons=lambda r: [[(r.gettext("Sign up"), ActivityButton(activity=activity.id, action=ActivityAction.JOIN))]],
    )
    await Notifier(session, env).tell(
        await stored.bound_members_of(session, [b.id for b in new]),
        notice,
        key=f"vol:notice:{activity.id}",
        expires_at=activity.starts_at,
    )
    return list(new)


async def dispatched_branches(session: AsyncSession, activity_id: int) -> list[tuple[int, str]]:
    """``(id, name)`` of the organisations an activity was sent to, alphabetically."""
    return await stored.dispatched_branches(session, activity_id)


async def dispatched_branch_names(session: AsyncSession, activity_id: int) -> list[str]:
    """The names of the organisations an activity was sent to, alphabetically."""
    return await stored.dispatched_branch_names(session, activity_id)


def _local_fmt(moment: datetime, tz: Any, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A UTC instant as local time text."""
    return moment.astimezone(tz).strftime(fmt)


def activity_params(activity: Activity, community: Any, env: ServiceEnv) -> Callable[[Recipient], dict[str, Any]]:
    """A notice's values about ``activity`` for one recipient: its time is written in their language."""
    return lambda r: {"activity": activity, "community": community, "when": when_text(activity, env.tz, r.locale)}


def when_text(activity: Activity, tz: Any, locale: str = DEFAULT_LOCALE) -> str:
    """``12月5日（周六）09:00–11:30``, or both days when the activity spans days (local time; bot.date_style)."""
    return span_text(activity.starts_at, activity.ends_at, tz, locale)


def span_text(starts_at: datetime, ends_at: datetime, tz: Any, locale: str = DEFAULT_LOCALE) -> str:
    """A start and end as local time text, in the one date style: the day once when both are on the same day."""
    return date_style.span(starts_at, ends_at, locale, tz=tz)


async def _can_see(session: AsyncSession, actor: Actor, activity: Activity) -> bool:
    orgs = await visible_org_ids(session, actor)
    if activity.org_id is not None and activity.org_id in orgs:
        return True
    return await stored.sent_to_any(session, activity.id, orgs)


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
    return await stored.waiting_ahead(session, signup) + 1


async def activity_view(session: AsyncSession, actor: Actor, activity_id: int) -> ActivityView:
    """One activity, with the actor's place in it."""
    activity = await visible_activity(session, actor, activity_id)
    await session.refresh(activity)
    community = await community_by_id(session, activity.community_id)
    signup = await stored.signup_of(session, activity.id, actor.member_id)
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
    activities = await stored.open_activities_for(session, orgs, now, limit)
    return [await activity_view(session, actor, a.id) for a in activities]
