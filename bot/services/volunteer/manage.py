"""Changing and cancelling a posted volunteer activity: only whoever posted it (the secretary of its branch, or
an administrator above it; the command line as well) may do it. Everyone signed up or waiting is told through
the outbox, once per change (the activity's revision is in the dedup key); every change is audited.

A cancelled activity refuses sign-ups, cancellations and check-ins (see :mod:`bot.services.volunteer`); what
was still waiting in the outbox about it (notices, reminders, places handed on) is dropped, not sent late.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.environment import ServiceEnv
from bot.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from bot.i18n import N_
from bot.services.access import Actor
from bot.services.notifier import ButtonRows, Message, Notifier, Recipient
from bot.services.volunteer.activities import _can_see, manages, when_text
from bot.services.volunteer.base import MAX_ACTIVITY_LENGTH, MAX_SLOTS, _member
from bot.services.volunteer.buttons import leave_button
from bot.services.volunteer.communities import community_by_id
from bot.services.volunteer.signups import fill_places
from storage import outbox as stored_outbox
from storage import queries
from storage.models import Member
from storage.volunteer import Activity, ActivityStatus, SignUpStatus
from storage.volunteer import activities as stored

UNSET: Any = object()  # "leave this field as it is" (None clears an optional field)

# The fields a poster may change, in the order the edit menu offers them.
FIELDS = ("title", "when", "slots", "place", "skills", "description")

# How a change is named to the members (msgids of the volunteer catalog).
FIELD_NAMES = {
    "title": N_("the title"),
    "when": N_("the time"),
    "slots": N_("the number of places"),
    "place": N_("the place"),
    "skills": N_("the skills wanted"),
    "description": N_("the description"),
}

TEXT_LIMITS = {"title": 200, "place": 200, "skills": 300, "description": 4000}


@dataclass
class ActivityChange:
    """What an edit or a cancellation did: the fields changed, who moved up from the waiting list, how many
    members are told."""

    activity: Activity
    changed: list[str] = field(default_factory=list)
    promoted: list[Member] = field(default_factory=list)
    told: int = 0


async def managed_activity(session: AsyncSession, actor: Actor | None, activity_id: int) -> Activity:
    """The activity, if ``actor`` posted it (``None``: the command line may manage any)."""
    activity = await session.get(Activity, activity_id)
    if activity is None:
        raise NotFound(N_("No such activity."))
    if actor is not None and not await manages(session, actor, activity):
        if not await _can_see(session, actor, activity):
            raise NotFound(N_("No such activity."))
        raise PermissionDenied(N_("Only whoever posted the activity may change or cancel it."))
    return activity


def require_changeable(activity: Activity, now: datetime) -> None:
    """Refuse changes to a cancelled activity, or one that is over."""
    if activity.status != ActivityStatus.OPEN:
        raise Conflict(N_("This activity was cancelled."))
    if activity.ends_at <= now:
        raise Conflict(N_("This activity is over; it can no longer be changed or cancelled."))


def _text(name: str, value: str | None, *, required: bool = False) -> str | None:
    cleaned = (value or "").strip() or None
    if cleaned is None and required:
        raise InvalidInput(N_("The activity needs a title."))
    if cleaned is not None and len(cleaned) > TEXT_LIMITS[name]:
        raise InvalidInput(N_("The text is too long (at most %(max)d characters)."), max=TEXT_LIMITS[name])
    return cleaned


async def edit_activity(
    session: AsyncSession,
    actor: Actor | None,
    activity_id: int,
    *,
    env: ServiceEnv,
    title: Any = UNSET,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    slots: int | None = None,
    place: Any = UNSET,
    position: Any = UNSET,  # (latitude, longitude), or None to remove the map pin
    skills: Any = UNSET,
    description: Any = UNSET,
    now: datetime | None = None,
) -> ActivityChange:
    """Change a posted activity and tell everyone signed up or waiting. All checks come first; a refusal
    changes nothing.

    The time can change only before anyone has checked in; the places never drop below those already
    taken, and added places go to the waiting list in order (each one moved up is told)."""
    now = now or env.now()
    activity = await managed_activity(session, actor, activity_id)
    require_changeable(activity, now)
    updates: dict[str, Any] = {}
    if title is not UNSET:
        updates["title"] = _text("title", title, required=True)
    if starts_at is not None or ends_at is not None:
        start = starts_at or activity.starts_at
        # A new start alone keeps the activity's length.
        end = ends_at or (start + (activity.ends_at - activity.starts_at))
        if (start, end) != (activity.starts_at, activity.ends_at):
            if activity.starts_at <= now or await stored.checked_in_count(session, activity.id):
                raise Conflict(N_("This activity has begun; its time can no longer be changed."))
            if end <= start:
                raise InvalidInput(N_("The end must come after the start."))
            if start <= now:
                raise InvalidInput(N_("The start is in the past."))
            if end - start > MAX_ACTIVITY_LENGTH:
                raise InvalidInput(N_("An activity lasts at most %(days)d days."), days=MAX_ACTIVITY_LENGTH.days)
            updates["starts_at"], updates["ends_at"] = start, end
    if slots is not None:
        if not 1 <= slots <= MAX_SLOTS:
            raise InvalidInput(N_("The number of places must be from 1 to %(max)d."), max=MAX_SLOTS)
        await session.refresh(activity, ["taken"])
        if slots < activity.taken:
            raise InvalidInput(
                N_("%(taken)d members already have a place; there cannot be fewer places than that."),
                taken=activity.taken,
            )
        updates["slots"] = slots
    if place is not UNSET:
        updates["place"] = _text("place", place)
    if position is not UNSET:
        if position is None:
            updates["latitude"] = updates["longitude"] = None
        else:
            latitude, longitude = position
            if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
                raise InvalidInput(N_("That is not a map position."))
            updates["latitude"], updates["longitude"] = latitude, longitude
    if skills is not UNSET:
        updates["skills"] = _text("skills", skills)
    if description is not UNSET:
        updates["description"] = _text("description", description)
    changes = {column: value for column, value in updates.items() if getattr(activity, column) != value}
    if not changes:
        raise InvalidInput(N_("Nothing changed."))
    before = {column: _plain(getattr(activity, column)) for column in changes}
    for column, value in changes.items():
        setattr(activity, column, value)
    activity.revision += 1
    await session.flush()
    changed = _field_names(changes)
    queries.audit(
        session,
        actor=await _member(session, actor),
        action="edit",
        entity="activity",
        entity_id=activity.id,
        details={"before": before, "after": {c: _plain(v) for c, v in changes.items()}, "revision": activity.revision},
    )
    result = ActivityChange(activity, changed)
    if "when" in changed:
        # The reminders queued for the old time would be wrong; the day-before job queues new ones.
        await stored_outbox.drop_pending_keyed(session, [f"vol:remind:{activity.id}:%"], "activity rescheduled")
    if "slots" in changed:
        result.promoted = await fill_places(session, activity, now, env=env)
        await session.refresh(activity, ["taken"])  # the places were taken in SQL, past the ORM
    result.told = await _announce(
        session, activity, env, "changed", changed=changed, skip={m.id for m in result.promoted}
    )
    return result


async def cancel_activity(
    session: AsyncSession, actor: Actor | None, activity_id: int, *, env: ServiceEnv, now: datetime | None = None
) -> ActivityChange:
    """Cancel a posted activity before anyone has checked in; everyone signed up or waiting is told."""
    now = now or env.now()
    activity = await managed_activity(session, actor, activity_id)
    if activity.status == ActivityStatus.CANCELLED:
        raise Conflict(N_("This activity is already cancelled."))
    require_changeable(activity, now)
    if checked_in := await stored.checked_in_count(session, activity.id):
        raise Conflict(
            N_(
                "%(count)d members have already checked in, so the activity can no longer be cancelled; "
                "correct their hours instead."
            ),
            count=checked_in,
        )
    activity.status = ActivityStatus.CANCELLED
    activity.cancelled_at = now
    activity.revision += 1
    await session.flush()
    queries.audit(
        session,
        actor=await _member(session, actor),
        action="cancel",
        entity="activity",
        entity_id=activity.id,
        details={"title": activity.title, "taken": activity.taken},
    )
    await stored_outbox.drop_pending_keyed(
        session,
        [f"vol:{kind}:{activity.id}:%" for kind in ("notice", "remind", "promoted", "changed")],
        "activity cancelled",
    )
    return ActivityChange(activity, told=await _announce(session, activity, env, "cancelled"))


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _field_names(changes: dict[str, Any]) -> list[str]:
    columns = {"starts_at": "when", "ends_at": "when", "latitude": "place", "longitude": "place"}
    named = {columns.get(column, column) for column in changes}
    return [name for name in FIELDS if name in named]


async def _announce(
    session: AsyncSession,
    activity: Activity,
    env: ServiceEnv,
    event: str,
    *,
    changed: list[str] | None = None,
    skip: set[int] | None = None,
) -> int:
    """Tell every bound member signed up or waiting about a change or the cancellation, once per revision."""
    community = await community_by_id(session, activity.community_id)
    rows = await stored.signed_up_on_telegram(session, activity.id)
    waiting = {member.id for signup, member in rows if signup.status == SignUpStatus.WAITING}

    def params(r: Recipient) -> dict[str, Any]:
        return {
            "event": event,
            "activity": activity,
            "community": community,
            "when": when_text(activity, env.tz, r.locale),
            "changed": [r.gettext(FIELD_NAMES[name]) for name in changed or []],
            "waiting": r.member.id in waiting,
        }

    def buttons(r: Recipient) -> ButtonRows:
        label = r.gettext("Leave the waiting list") if r.member.id in waiting else r.gettext("Cancel my place")
        return leave_button(activity.id, label)

    key = f"vol:changed:{activity.id}:{activity.revision}" if event == "changed" else f"vol:cancelled:{activity.id}"
    sent = await Notifier(session, env).tell(
        [member for _signup, member in rows],
        # A cancelled activity has nothing left to leave: no button.
        Message(template="volunteer/changed.html.j2", params=params, buttons=buttons if event == "changed" else None),
        key=key,
        # moved up by this change: the "a place is yours" notice already has the new details
        exclude=skip or set(),
        expires_at=activity.ends_at,
    )
    return sent.queued
