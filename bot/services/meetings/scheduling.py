"""Scheduling, editing, postponing and cancelling meetings; the location check.

Every function takes the caller's session and never commits; what is pushed to members is written to the
outbox in the same transaction, with a dedup key that makes a repeat impossible.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.environment import ServiceEnv
from bot.errors import Conflict, InvalidInput, NotFound
from bot.i18n import N_
from bot.services.access import Actor, require_admin_of, require_branch_leader
from bot.services.kinds_of_meeting import HeldBy, MeetingKind
from bot.services.meetings.core import (
    CODE_DIGITS,
    DEFAULT_DURATION,
    FURTHEST_AHEAD,
    FURTHEST_BACK,
    LONGEST_MEETING,
    MAX_PLACE,
    MAX_TOPIC,
    Draft,
    _actor_member,
    _audit,
    _branch,
    expected_members,
    meeting_for_leader,
    require_editable,
    resolve_kind,
)
from bot.services.meetings.notices import _announce
from storage.meetings import (
    UNIT_BODIES,
    Attendance,
    AttendanceStatus,
    Meeting,
    MeetingStatus,
    branch_groups,
    codes_in_use,
    same_meeting,
)
from storage.models import Organisation

# --- scheduling ---------------------------------------------------------------------------------------------


def _clean_text(value: str | None, limit: int, msgid: str) -> str | None:
    if value is None:
        return None
    value = " ".join(value.split())
    if len(value) > limit:
        raise InvalidInput(msgid, limit=limit)
    return value or None


def _check_times(starts_at: datetime, ends_at: datetime, now: datetime) -> None:
    if ends_at <= starts_at:
        raise InvalidInput(N_("The meeting must end after it starts."))
    if ends_at - starts_at > LONGEST_MEETING:
        raise InvalidInput(N_("A meeting cannot last longer than 12 hours."))
    if starts_at > now + FURTHEST_AHEAD:
        raise InvalidInput(N_("That is more than a year ahead. Please check the date."))
    if starts_at < now - FURTHEST_BACK:
        raise InvalidInput(N_("That is more than two years ago. Please check the date."))


async def _new_code(session: AsyncSession, branch_id: int) -> str:
    """A 6-digit code no other scheduled meeting of the branch uses."""
    taken = await codes_in_use(session, branch_id)
    while True:
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        if code not in taken:
            return code


class AlreadyScheduled(Conflict):
    """The same kind of meeting of the same branch (and group) at the same time exists: the chat shows its card."""

    def __init__(self, meeting_id: int) -> None:
        super().__init__(N_("This meeting is already scheduled."))
        self.meeting_id = meeting_id


async def schedule_meeting(
    session: AsyncSession, actor: Actor | None, branch_id: int, draft: Draft, *, env: ServiceEnv
) -> Meeting:
    """Create a meeting; members and the linked group get the notice unless it is already in the past.

    ``branch_id`` is the branch; for a unit-level kind (the leading Party group meeting, the central study
    group session) it is the unit's Party organisation, and its administrators record the meeting."""
    kind = resolve_kind(draft.kind)
    if kind.held_by is HeldBy.UNIT:
        branch = await _unit_body(session, actor, branch_id, kind)
    else:
        if actor is not None:
            await require_branch_leader(session, actor, branch_id)
        branch = await _branch(session, branch_id)
    group_id = await _group_for(session, branch, kind, draft.group_id)
    now = env.now()
    starts_at = draft.starts_at.astimezone(now.tzinfo)
    ends_at = (draft.ends_at or starts_at + DEFAULT_DURATION).astimezone(now.tzinfo)
    _check_times(starts_at, ends_at, now)
    place = _clean_text(draft.place, MAX_PLACE, N_("The place is too long (at most %(limit)d characters)."))
    topic = _clean_text(draft.topic, MAX_TOPIC, N_("The topic is too long (at most %(limit)d characters)."))
    duplicate = await same_meeting(session, branch.id, kind.id, starts_at, group_id)
    if duplicate is not None:
        raise AlreadyScheduled(duplicate)
    who = await _actor_member(session, actor)
    meeting = Meeting(
        org_id=branch.id,
        group_id=group_id,
        kind=kind.id,
        starts_at=starts_at,
        ends_at=ends_at,
        place=place,
        topic=topic,
        status=MeetingStatus.SCHEDULED,
        tags=[],
        record_photos=[],
        details={},
        checkin_code=await _new_code(session, branch.id),
        created_by_id=who.id if who else None,
    )
    session.add(meeting)
    await session.flush()
    for member in await expected_members(session, meeting):
        session.add(Attendance(meeting_id=meeting.id, member_id=member.id, status=AttendanceStatus.NO_ANSWER))
    await session.flush()
    _audit(
        session,
        who,
        "meeting_create",
        meeting,
        {"kind": kind.id, "starts_at": starts_at.isoformat(), "place": place, "topic": topic, "group_id": group_id},
    )
    if starts_at > now:
        await _announce(session, meeting, "notice", env=env)
    return meeting


async def _unit_body(session: AsyncSession, actor: Actor | None, org_id: int, kind: MeetingKind) -> Organisation:
    """The unit's Party organisation that holds a unit-level meeting, if ``actor`` administers it."""
    org = await session.get(Organisation, org_id)
    if org is None:
        raise NotFound(N_("No such organisation."))
    if org.kind not in UNIT_BODIES:
        raise InvalidInput(N_("%(kind)s meetings are held by the unit's Party body, not by a branch."), kind=kind.id)
    if actor is not None:
        await require_admin_of(session, actor, org.id)
    return org


async def _group_for(
    session: AsyncSession, branch: Organisation, kind: MeetingKind, group_id: int | None
) -> int | None:
    if kind.held_by is not HeldBy.GROUP:
        return None
    groups = await branch_groups(session, branch.id)
    if not groups:
        raise InvalidInput(N_("%(branch)s has no Party groups on the roster."), branch=branch.name)
    if group_id is None:
        if len(groups) > 1:
            raise InvalidInput(N_("Which Party group? This branch has several: choose one."))
        return groups[0].id
    if group_id not in {g.id for g in groups}:
        raise InvalidInput(N_("That Party group is not in %(branch)s."), branch=branch.name)
    return group_id


# --- editing, postponing, cancelling ------------------------------------------------------------------------

_UNSET: Any = object()


async def edit_meeting(
    session: AsyncSession,
    actor: Actor | None,
    meeting_id: int,
    *,
    env: ServiceEnv,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    place: str | None = _UNSET,
    topic: str | None = _UNSET,
) -> list[str]:
    """Change a scheduled meeting; a new start keeps the duration. Returns the changed fields (announced)."""
    meeting = await meeting_for_leader(session, actor, meeting_id)
    require_editable(meeting)
    now = env.now()
    before = {
        "starts_at": meeting.starts_at.isoformat(),
        "ends_at": meeting.ends_at.isoformat(),
        "place": meeting.place,
        "topic": meeting.topic,
    }
    new_start = starts_at.astimezone(now.tzinfo) if starts_at else meeting.starts_at
    if ends_at is not None:
        new_end = ends_at.astimezone(now.tzinfo)
    else:
        new_end = new_start + (meeting.ends_at - meeting.starts_at)
    _check_times(new_start, new_end, now)
    changed: list[str] = []
    if new_start != meeting.starts_at:
        changed.append("starts_at")
        meeting.starts_at = new_start
    if new_end != meeting.ends_at:
        changed.append("ends_at")
        meeting.ends_at = new_end
    if place is not _UNSET:
        value = _clean_text(place, MAX_PLACE, N_("The place is too long (at most %(limit)d characters)."))
        if value != meeting.place:
            changed.append("place")
            meeting.place = value
    if topic is not _UNSET:
        value = _clean_text(topic, MAX_TOPIC, N_("The topic is too long (at most %(limit)d characters)."))
        if value != meeting.topic:
            changed.append("topic")
            meeting.topic = value
    if not changed:
        raise InvalidInput(N_("Nothing changed."))
    meeting.revision += 1
    after = {
        "starts_at": meeting.starts_at.isoformat(),
        "ends_at": meeting.ends_at.isoformat(),
        "place": meeting.place,
        "topic": meeting.topic,
    }
    _audit(
        session,
        await _actor_member(session, actor),
        "meeting_postpone" if "starts_at" in changed else "meeting_edit",
        meeting,
        {"before": {k: before[k] for k in changed}, "after": {k: after[k] for k in changed}},
    )
    if meeting.ends_at > now:
        await _announce(session, meeting, "changed", env=env, changed=changed)
    return changed


async def cancel_meeting(session: AsyncSession, actor: Actor | None, meeting_id: int, *, env: ServiceEnv) -> Meeting:
    """Cancel a scheduled meeting and tell everyone who was told about it."""
    meeting = await meeting_for_leader(session, actor, meeting_id)
    if meeting.status == MeetingStatus.CANCELLED:
        raise Conflict(N_("This meeting is already cancelled."))
    require_editable(meeting)
    meeting.status = MeetingStatus.CANCELLED
    meeting.cancelled_at = env.now()
    _audit(session, await _actor_member(session, actor), "meeting_cancel", meeting)
    if meeting.notified_at is not None and meeting.ends_at > env.now():
        await _announce(session, meeting, "cancelled", env=env)
    return meeting


async def set_location_check(
    session: AsyncSession,
    actor: Actor | None,
    meeting_id: int,
    *,
    latitude: float | None,
    longitude: float | None,
    radius_m: int | None,
) -> Meeting:
    """Require check-ins within ``radius_m`` of a point (``None`` everywhere: no location check)."""
    meeting = await meeting_for_leader(session, actor, meeting_id)
    require_editable(meeting)
    if radius_m is None:
        meeting.latitude = meeting.longitude = meeting.radius_m = None
    else:
        if latitude is None or longitude is None or not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise InvalidInput(N_("That is not a valid location."))
        if not 20 <= radius_m <= 5000:
            raise InvalidInput(N_("The radius must be between 20 and 5000 metres."))
        meeting.latitude, meeting.longitude, meeting.radius_m = latitude, longitude, radius_m
    _audit(
        session,
        await _actor_member(session, actor),
        "meeting_location",
        meeting,
        {"latitude": latitude, "longitude": longitude, "radius_m": radius_m},
    )
    return meeting
