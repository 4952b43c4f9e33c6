"""Meetings: scheduling, editing, postponing, cancelling, notices and answers, leave, reminders, closing.

Rules live here, not in the handlers, so chat, console and command line obey the same ones. Every function
takes the caller's session and never commits; whatever is pushed to members (notices, changes, reminders)
is written to the outbox in the same transaction, with a dedup key that makes a repeat impossible.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import now_utc
from bot.config import Settings
from bot.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied
from bot.i18n import N_, Translator, translator
from bot.services import outbox
from bot.services.access import Actor, require_admin_of, require_branch_leader
from bot.services.meeting_format import MeetingView
from bot.services.meeting_hooks import MeetingHooks
from bot.services.meeting_kinds import KINDS_BY_ID, MEETING_KINDS, TAGS_BY_ID, HeldBy, MeetingKind
from bot.services.outbox import inline_keyboard
from bot.templates import render
from storage import queries
from storage.meetings import CHECKED_IN, Attendance, AttendanceStatus, Meeting, MeetingStatus
from storage.models import Member, Organisation, OrgKind, Role

DEFAULT_DURATION = timedelta(minutes=90)
LONGEST_MEETING = timedelta(hours=12)
FURTHEST_AHEAD = timedelta(days=400)
FURTHEST_BACK = timedelta(days=800)  # a meeting recorded after the fact: this year's or last year's
FRESH_NOTICE = timedelta(hours=6)  # no "tomorrow" reminder right after the notice itself
FRESH_NOTICE_HOUR = timedelta(minutes=30)  # nor an "within the hour" one
MAX_PLACE = 200
MAX_TOPIC = 500
MAX_REASON = 500
MAX_RECORD = 4000
MAX_PHOTOS = 20
CODE_DIGITS = 6

# Organisations whose Party body holds the unit-level kinds (a unit's Party committee, the working committee).
UNIT_BODIES = (OrgKind.UNIT_COMMITTEE, OrgKind.WORKING_COMMITTEE)

# Kinds a branch holds (the unit-level kinds belong to the first agenda feature's unit bodies).
BRANCH_KINDS: tuple[MeetingKind, ...] = tuple(k for k in MEETING_KINDS if k.held_by is not HeldBy.UNIT)

UNIT_KINDS: tuple[MeetingKind, ...] = tuple(k for k in MEETING_KINDS if k.held_by is HeldBy.UNIT)

# What secretaries type for a kind, besides its id: Chinese names and the usual short forms.
KIND_ALIASES: dict[str, str] = {
    **{k.name_zh: k.id for k in MEETING_KINDS},
    **{k.name_en.lower(): k.id for k in MEETING_KINDS},
    "党员大会": "general_meeting",
    "支部大会": "general_meeting",
    "支委会": "committee_meeting",
    "支委会议": "committee_meeting",
    "小组会": "group_meeting",
    "民主评议": "democratic_appraisal",
    "评议": "democratic_appraisal",
    "生活会": "org_life_meeting",
    "general": "general_meeting",
    "committee": "committee_meeting",
    "group": "group_meeting",
    "lesson": "party_lesson",
    "theme": "theme_day",
}


# --- parsing what people type -------------------------------------------------------------------------------

_DATE_FULL = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_DATE_SHORT = re.compile(r"^(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_TIME = re.compile(r"^(\d{1,2})\s*[:：.点时]\s*(\d{2})?\s*分?$|^(\d{2})(\d{2})$")


def parse_date(text: str, today: date) -> date:
    """``2026-12-15``, ``2026/12/15``, ``2026年12月15日``; or ``12-15`` / ``12月15日`` (the next such day)."""
    text = text.strip()
    try:
        if match := _DATE_FULL.match(text):
            return date(int(match[1]), int(match[2]), int(match[3]))
        if match := _DATE_SHORT.match(text):
            day = date(today.year, int(match[1]), int(match[2]))
            # Without a year, take the nearest such day: "12-28" typed on 3 January is last week's meeting
            # being recorded, "1-5" typed on 28 December is next week's.
            candidates = [day, day.replace(year=today.year + 1), day.replace(year=today.year - 1)]
            return min(candidates, key=lambda d: abs((d - today).days))
    except ValueError:
        pass
    raise InvalidInput(N_("I could not read the date %(text)s. Write it like 2026-12-15."), text=text[:40])


def parse_time(text: str) -> time:
    """``14:30``, ``14：30``, ``1430``, ``9点``, ``9点30``."""
    text = text.strip()
    match = _TIME.match(text)
    if match:
        hour, minute = (match[1], match[2]) if match[1] is not None else (match[3], match[4])
        try:
            return time(int(hour), int(minute or 0))
        except ValueError:
            pass
    raise InvalidInput(N_("I could not read the time %(text)s. Write it like 14:30."), text=text[:40])


def parse_time_range(text: str) -> tuple[time, time | None]:
    """``14:30`` or ``14:30-16:00`` (also with ～, ~ or 至)."""
    parts = re.split(r"\s*[-~～至到]\s*", text.strip(), maxsplit=1)
    start = parse_time(parts[0])
    return start, (parse_time(parts[1]) if len(parts) > 1 and parts[1] else None)


def parse_local_datetime(text: str, tz: ZoneInfo, today: date) -> datetime:
    """``YYYY-MM-DD HH:MM`` (or a date and a time in any form above) in the configured zone, as UTC-aware."""
    parts = text.strip().split()
    if len(parts) == 1 and "T" in parts[0]:
        parts = parts[0].split("T", 1)
    if len(parts) != 2:
        raise InvalidInput(N_("I could not read %(text)s. Write the date and time like 2026-12-15 14:30."), text=text)
    day = parse_date(parts[0], today)
    return datetime.combine(day, parse_time(parts[1]), tzinfo=tz)


_LINE = re.compile(r"^(\S+)\s+(\S+)\s+(\S+?)(?:\s*([-~～至到])\s*(\S+))?(?:\s+|$)(.*)$", re.S)
_QUOTED = re.compile(r"^[\"“「『](.+?)[\"”」』]\s*(.*)$", re.S)


def split_place_topic(text: str) -> tuple[str | None, str | None]:
    """What follows the time in a one-line meeting: ``PLACE TOPIC…`` (a one-word place), ``PLACE | TOPIC`` or
    ``"Room 301" TOPIC`` (a place with spaces)."""
    text = text.strip()
    if "|" in text or "｜" in text:
        place, _, topic = text.replace("｜", "|").lstrip("|").partition("|")
        return place.strip() or None, topic.strip() or None
    if quoted := _QUOTED.match(text):
        return quoted[1].strip() or None, quoted[2].strip() or None
    place, _, topic = text.partition(" ")
    return place or None, topic.strip() or None


def parse_meeting_line(text: str, tz: ZoneInfo, today: date) -> Draft:
    """``KIND DATE TIME[-END] [PLACE [TOPIC…]]``, as typed after ``/newmeeting`` (see :func:`split_place_topic`)."""
    match = _LINE.match(text.strip())
    if match is None:
        raise InvalidInput(N_("Write it like: /newmeeting theme_day 2026-12-15 14:30-16:00 三楼会议室 重温入党誓词"))
    kind = resolve_kind(match[1])
    day = parse_date(match[2], today)
    start = parse_time(match[3])
    end = parse_time(match[5]) if match[5] else None
    place, topic = split_place_topic(match[6])
    return Draft(
        kind=kind.id,
        starts_at=datetime.combine(day, start, tzinfo=tz),
        ends_at=datetime.combine(day, end, tzinfo=tz) if end else None,
        place=place,
        topic=topic,
    )


def resolve_kind(text: str) -> MeetingKind:
    """A kind by id, Chinese or English name, or common short form; a clear refusal otherwise."""
    key = text.strip()
    kind_id = key if key in KINDS_BY_ID else KIND_ALIASES.get(key.lower(), KIND_ALIASES.get(key))
    if kind_id is None:
        raise InvalidInput(
            N_("Unknown meeting kind %(kind)s. Known kinds: %(kinds)s."),
            kind=key[:40],
            kinds=", ".join(k.id for k in MEETING_KINDS),
        )
    return KINDS_BY_ID[kind_id]


# --- looking things up --------------------------------------------------------------------------------------


async def get_meeting(session: AsyncSession, meeting_id: int) -> Meeting:
    """The meeting, or NotFound."""
    meeting = await session.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound(N_("No such meeting."))
    return meeting


async def meeting_for_leader(session: AsyncSession, actor: Actor | None, meeting_id: int) -> Meeting:
    """The meeting, if ``actor`` leads its branch or administers it (``None``: the command line); a meeting
    of a unit's Party body is its administrators'."""
    meeting = await get_meeting(session, meeting_id)
    if actor is not None:
        if is_unit_kind(meeting.kind):
            await require_admin_of(session, actor, meeting.org_id)
        else:
            await require_branch_leader(session, actor, meeting.org_id)
    return meeting


def is_unit_kind(kind_id: str) -> bool:
    """Whether meetings of this kind are held by a unit's Party body (no roster attendance)."""
    kind = KINDS_BY_ID.get(kind_id)
    return kind is not None and kind.held_by is HeldBy.UNIT


def is_committee_kind(kind_id: str) -> bool:
    """Whether meetings of this kind are for the branch committee only."""
    kind = KINDS_BY_ID.get(kind_id)
    return kind is not None and kind.committee_only


def require_editable(meeting: Meeting) -> None:
    """Refuse changes to a closed or cancelled meeting."""
    if meeting.status == MeetingStatus.CLOSED:
        raise InvalidInput(N_("This meeting is closed; it can no longer be changed."))
    if meeting.status == MeetingStatus.CANCELLED:
        raise InvalidInput(N_("This meeting was cancelled."))


def require_not_finished(meeting: Meeting) -> None:
    """Refuse check-in business for a meeting that was cancelled, closed or is over."""
    require_editable(meeting)
    if meeting.ends_at < now_utc():
        raise InvalidInput(N_("Check-in for this meeting has closed."))


async def _actor_member(session: AsyncSession, actor: Actor | None) -> Member | None:
    return await session.get(Member, actor.member_id) if actor is not None else None


def _audit(
    session: AsyncSession, who: Member | None, action: str, meeting: Meeting, details: dict[str, Any] | None = None
) -> None:
    queries.audit(
        session,
        actor=who,
        action=action,
        entity="meeting",
        entity_id=meeting.id,
        details=details or {},
    )


COMMITTEE_ROLES = (Role.SECRETARY, Role.COMMITTEE)


def belongs(member: Member, meeting: Meeting) -> bool:
    """Whether ``member`` is expected at ``meeting``: its branch; for a Party group meeting, that group; for a
    committee meeting, the secretary and the committee members; nobody on the roster for a unit's meeting."""
    if not member.active or member.org_id != meeting.org_id or is_unit_kind(meeting.kind):
        return False
    if is_committee_kind(meeting.kind):
        return member.role in COMMITTEE_ROLES
    return meeting.group_id is None or member.group_id == meeting.group_id


def announced_in_group(meeting: Meeting) -> bool:
    """Whether the branch's group chat hears about the meeting (not a committee's or a unit's meeting)."""
    return not is_committee_kind(meeting.kind) and not is_unit_kind(meeting.kind)


async def not_expected(session: AsyncSession, meeting: Meeting, member: Member | None) -> PermissionDenied:
    """The refusal for someone who is not expected at ``meeting``: another branch, group or the committee."""
    if member is not None and member.org_id == meeting.org_id and is_committee_kind(meeting.kind):
        return PermissionDenied(N_("This meeting is for the branch committee only."))
    if member is not None and member.org_id == meeting.org_id:
        # Their own branch's Party group: naming it tells them nothing they may not know.
        group = await session.get(Organisation, meeting.group_id or meeting.org_id)
        return PermissionDenied(
            N_("This meeting is for the members of %(branch)s."), branch=group.name if group else ""
        )
    # Someone from outside hears only that it is not theirs: the name of another branch is not theirs to learn.
    return PermissionDenied(N_("This meeting is not for your branch."))


async def expected_members(session: AsyncSession, meeting: Meeting) -> list[Member]:
    """Everyone expected at the meeting, by name."""
    members = await queries.branch_members(session, meeting.org_id)
    return [m for m in members if belongs(m, meeting)]


async def attendance_rows(session: AsyncSession, meeting_id: int) -> list[tuple[Member, Attendance]]:
    """Every attendance row of a meeting with its member, by name."""
    rows = await session.execute(
        select(Member, Attendance)
        .join(Attendance, Attendance.member_id == Member.id)
        .where(Attendance.meeting_id == meeting_id)
        .order_by(Member.name, Member.id)
    )
    return [(m, a) for m, a in rows.all()]


async def ensure_row(session: AsyncSession, meeting: Meeting, member: Member) -> Attendance:
    """The member's row for this meeting, created if they joined the roster after it was scheduled."""
    row = await session.scalar(
        select(Attendance).where(Attendance.meeting_id == meeting.id, Attendance.member_id == member.id)
    )
    if row is None:
        row = Attendance(meeting_id=meeting.id, member_id=member.id, status=AttendanceStatus.NO_ANSWER)
        session.add(row)
        await session.flush()
    return row


async def _branch(session: AsyncSession, branch_id: int) -> Organisation:
    branch = await session.get(Organisation, branch_id)
    if branch is None or branch.kind != OrgKind.BRANCH:
        raise NotFound(N_("No such branch."))
    return branch


async def meeting_orgs(session: AsyncSession, org_ids: set[int]) -> Sequence[Organisation]:
    """The organisations among ``org_ids`` that hold meetings: branches, then units' Party bodies, by name."""
    orgs = (
        await session.scalars(
            select(Organisation)
            .where(Organisation.id.in_(org_ids), Organisation.kind.in_([OrgKind.BRANCH, *UNIT_BODIES]))
            .order_by(Organisation.name)
        )
    ).all()
    return sorted(orgs, key=lambda o: o.kind != OrgKind.BRANCH)


def kinds_for(org: Organisation) -> tuple[MeetingKind, ...]:
    """The kinds of meeting an organisation holds: a branch's, or a unit Party body's."""
    return BRANCH_KINDS if org.kind == OrgKind.BRANCH else UNIT_KINDS


async def branch_groups(session: AsyncSession, branch_id: int) -> Sequence[Organisation]:
    """The Party groups of a branch, by name."""
    return (
        await session.scalars(
            select(Organisation)
            .where(Organisation.parent_id == branch_id, Organisation.kind == OrgKind.PARTY_GROUP)
            .order_by(Organisation.name)
        )
    ).all()


# --- scheduling ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Draft:
    """What a secretary asks for; validated by :func:`schedule_meeting`."""

    kind: str
    starts_at: datetime
    ends_at: datetime | None = None
    place: str | None = None
    topic: str | None = None
    group_id: int | None = None


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
    taken = set(
        (
            await session.scalars(
                select(Meeting.checkin_code).where(
                    Meeting.org_id == branch_id, Meeting.status == MeetingStatus.SCHEDULED
                )
            )
        ).all()
    )
    while True:
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        if code not in taken:
            return code


async def schedule_meeting(
    session: AsyncSession, actor: Actor | None, branch_id: int, draft: Draft, *, settings: Settings
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
    now = now_utc()
    starts_at = draft.starts_at.astimezone(now.tzinfo)
    ends_at = (draft.ends_at or starts_at + DEFAULT_DURATION).astimezone(now.tzinfo)
    _check_times(starts_at, ends_at, now)
    place = _clean_text(draft.place, MAX_PLACE, N_("The place is too long (at most %(limit)d characters)."))
    topic = _clean_text(draft.topic, MAX_TOPIC, N_("The topic is too long (at most %(limit)d characters)."))
    duplicate = await session.scalar(
        select(Meeting.id).where(
            Meeting.org_id == branch.id,
            Meeting.kind == kind.id,
            Meeting.starts_at == starts_at,
            Meeting.status != MeetingStatus.CANCELLED,
            Meeting.group_id.is_(None) if group_id is None else Meeting.group_id == group_id,
        )
    )
    if duplicate is not None:
        raise Conflict(N_("This meeting is already scheduled (number %(id)d)."), id=duplicate)
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
        await _announce(session, meeting, "notice", settings=settings)
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
    settings: Settings,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    place: str | None = _UNSET,
    topic: str | None = _UNSET,
) -> list[str]:
    """Change a scheduled meeting; a new start keeps the duration. Returns the changed fields (announced)."""
    meeting = await meeting_for_leader(session, actor, meeting_id)
    require_editable(meeting)
    now = now_utc()
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
        await _announce(session, meeting, "changed", settings=settings, changed=changed)
    return changed


async def cancel_meeting(session: AsyncSession, actor: Actor | None, meeting_id: int, *, settings: Settings) -> Meeting:
    """Cancel a scheduled meeting and tell everyone who was told about it."""
    meeting = await meeting_for_leader(session, actor, meeting_id)
    if meeting.status == MeetingStatus.CANCELLED:
        raise Conflict(N_("This meeting is already cancelled."))
    require_editable(meeting)
    meeting.status = MeetingStatus.CANCELLED
    meeting.cancelled_at = now_utc()
    _audit(session, await _actor_member(session, actor), "meeting_cancel", meeting)
    if meeting.notified_at is not None and meeting.ends_at > now_utc():
        await _announce(session, meeting, "cancelled", settings=settings)
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


# --- answers and leave --------------------------------------------------------------------------------------


async def _member_at(session: AsyncSession, actor: Actor, meeting: Meeting) -> Member:
    """The actor's roster entry, if they are expected at the meeting; a clear refusal otherwise."""
    member = await session.get(Member, actor.member_id)
    if member is None or not belongs(member, meeting):
        raise await not_expected(session, meeting, member)
    return member


def require_open_for_answers(meeting: Meeting, now: datetime) -> None:
    """Refuse answers to a meeting that was cancelled, closed or has begun."""
    if meeting.status == MeetingStatus.CANCELLED:
        raise InvalidInput(N_("This meeting was cancelled."))
    if meeting.status == MeetingStatus.CLOSED:
        raise InvalidInput(N_("This meeting is already closed."))
    if now >= meeting.starts_at:
        raise InvalidInput(N_("This meeting has already begun; answers are closed. Please talk to your secretary."))


async def answer_attend(session: AsyncSession, actor: Actor, meeting_id: int) -> Attendance:
    """The member will attend (this also withdraws a leave request)."""
    meeting = await get_meeting(session, meeting_id)
    member = await _member_at(session, actor, meeting)
    now = now_utc()
    require_open_for_answers(meeting, now)
    row = await ensure_row(session, meeting, member)
    if row.status == AttendanceStatus.ATTENDING:
        raise Conflict(N_("You have already said you will attend."))
    if row.status in CHECKED_IN:
        raise Conflict(N_("You have already checked in."))
    row.status = AttendanceStatus.ATTENDING
    row.leave_reason = None
    row.answered_at = now
    return row


async def prepare_leave(session: AsyncSession, actor: Actor, meeting_id: int) -> Meeting:
    """Check that the member may ask for leave, before asking them for the reason."""
    meeting = await get_meeting(session, meeting_id)
    member = await _member_at(session, actor, meeting)
    require_open_for_answers(meeting, now_utc())
    row = await session.scalar(
        select(Attendance).where(Attendance.meeting_id == meeting.id, Attendance.member_id == member.id)
    )
    if row is not None and row.status == AttendanceStatus.LEAVE_REQUESTED:
        raise Conflict(N_("You have already asked for leave; your secretary will answer."))
    if row is not None and row.status == AttendanceStatus.ON_LEAVE:
        raise Conflict(N_("Your leave for this meeting is already approved."))
    return meeting


async def request_leave(
    session: AsyncSession, actor: Actor, meeting_id: int, reason: str, *, settings: Settings
) -> Attendance:
    """Ask for leave with a reason; the branch's leaders get it with approve / refuse buttons."""
    reason = " ".join((reason or "").split())
    if len(reason) < 2:
        raise InvalidInput(N_("Please give a reason for your leave request."))
    if len(reason) > MAX_REASON:
        raise InvalidInput(N_("The reason is too long (at most %(limit)d characters)."), limit=MAX_REASON)
    meeting = await prepare_leave(session, actor, meeting_id)
    member = await _member_at(session, actor, meeting)
    row = await ensure_row(session, meeting, member)
    if row.status in CHECKED_IN:
        raise Conflict(N_("You have already checked in."))
    now = now_utc()
    row.status = AttendanceStatus.LEAVE_REQUESTED
    row.leave_reason = reason
    row.answered_at = now
    row.decided_by_id = None
    await session.flush()
    for leader in await queries.branch_leaders(session, meeting.org_id):
        if leader.telegram_id is None or leader.id == member.id:
            continue
        locale = leader.language or settings.DEFAULT_LOCALE
        tr = translator(locale)
        text = render(
            "meetings/leave_request.html.j2",
            locale,
            m=MeetingView.of(meeting, locale, settings.tz),
            member_name=member.name,
            reason=reason,
        )
        markup = inline_keyboard(
            [
                [
                    (tr.gettext("✅ Approve leave"), f"mt:{meeting.id}:ok:{member.id}"),
                    (tr.gettext("❌ Refuse"), f"mt:{meeting.id}:no:{member.id}"),
                ]
            ]
        )
        await outbox.enqueue(
            session,
            dedup_key=f"mt:{meeting.id}:leave:{row.id}:{int(now.timestamp())}:{leader.id}",
            chat_id=leader.telegram_id,
            member_id=leader.id,
            kind="meeting",
            text=text,
            reply_markup=markup,
        )
    return row


async def decide_leave(
    session: AsyncSession, actor: Actor | None, meeting_id: int, member_id: int, approve: bool, *, settings: Settings
) -> tuple[Member, Attendance]:
    """Approve or refuse a leave request; the member is told."""
    meeting = await meeting_for_leader(session, actor, meeting_id)
    require_editable(meeting)
    member = await session.get(Member, member_id)
    row = await session.scalar(
        select(Attendance).where(Attendance.meeting_id == meeting.id, Attendance.member_id == member_id)
    )
    if member is None or row is None:
        raise NotFound(N_("No such member."))
    if row.status != AttendanceStatus.LEAVE_REQUESTED:
        raise Conflict(N_("There is no open leave request from %(name)s."), name=member.name)
    who = await _actor_member(session, actor)
    row.status = AttendanceStatus.ON_LEAVE if approve else AttendanceStatus.NO_ANSWER
    row.decided_by_id = who.id if who else None
    _audit(
        session,
        who,
        "leave_approve" if approve else "leave_refuse",
        meeting,
        {"member_id": member.id, "reason": row.leave_reason},
    )
    if member.telegram_id is not None:
        locale = member.language or settings.DEFAULT_LOCALE
        text = render(
            "meetings/leave_decision.html.j2", locale, m=MeetingView.of(meeting, locale, settings.tz), approved=approve
        )
        markup = None if approve else _answer_keyboard(meeting, translator(locale))
        await outbox.enqueue(
            session,
            dedup_key=f"mt:{meeting.id}:leave-decided:{row.id}:{int(now_utc().timestamp())}",
            chat_id=member.telegram_id,
            member_id=member.id,
            kind="meeting",
            text=text,
            reply_markup=markup,
        )
    return member, row


# --- secretary's marks and closing --------------------------------------------------------------------------

MARKABLE = {
    AttendanceStatus.PRESENT,
    AttendanceStatus.LATE,
    AttendanceStatus.ON_LEAVE,
    AttendanceStatus.ABSENT,
}


async def mark_attendance(
    session: AsyncSession, actor: Actor | None, meeting_id: int, member_id: int, status: str
) -> tuple[Member, Attendance]:
    """The secretary records a member's presence (no phone, came late, leave given in person)."""
    if status not in MARKABLE:
        raise InvalidInput(N_("That is not an attendance status."))
    meeting = await meeting_for_leader(session, actor, meeting_id)
    require_editable(meeting)
    now = now_utc()
    if status in CHECKED_IN and now < meeting.starts_at - timedelta(hours=2):
        raise InvalidInput(N_("The meeting has not begun yet; mark presence once it has."))
    member = await session.get(Member, member_id)
    if member is None or not belongs(member, meeting):
        raise NotFound(N_("No such member."))
    row = await ensure_row(session, meeting, member)
    if row.status == status:
        raise Conflict(N_("%(name)s is already marked so."), name=member.name)
    previous = row.status
    row.status = status
    who = await _actor_member(session, actor)
    row.decided_by_id = who.id if who else None
    if status in CHECKED_IN:
        row.checked_in_at = row.checked_in_at or now
        row.checkin_method = row.checkin_method if previous in CHECKED_IN else "secretary"
    _audit(session, who, "attendance_mark", meeting, {"member_id": member.id, "from": previous, "to": status})
    return member, row


@dataclass(frozen=True)
class ClosingPreview:
    """What the secretary confirms before closing."""

    meeting: Meeting
    unconfirmed: list[tuple[Member, Attendance]]  # did not check in and are not on leave: absent unless marked
    missing: list[tuple[str, dict[str, Any]]]  # what other features still need (e.g. the first agenda item)


async def closing_preview(
    session: AsyncSession, actor: Actor | None, meeting_id: int, *, hooks: MeetingHooks
) -> ClosingPreview:
    """Check the meeting can be closed now and list whom closing would record absent (and what ``hooks``, the
    other features, say is still missing)."""
    meeting = await meeting_for_leader(session, actor, meeting_id)
    require_editable(meeting)
    if now_utc() < meeting.starts_at:
        raise InvalidInput(N_("This meeting has not begun yet; close it after it is held."))
    unconfirmed = [
        (member, row)
        for member, row in await attendance_rows(session, meeting.id)
        if row.status not in CHECKED_IN and row.status != AttendanceStatus.ON_LEAVE
    ]
    return ClosingPreview(meeting, unconfirmed, await hooks.missing_before_closing(session, meeting))


@dataclass(frozen=True)
class ClosingResult:
    """What closing did."""

    meeting: Meeting
    absent: list[str]  # names of members recorded absent


class ClosingBlocked(InvalidInput):
    """Other features say something is missing (e.g. the first agenda item): each item is localized."""

    def __init__(self, missing: list[tuple[str, dict[str, Any]]]) -> None:
        super().__init__(N_("This meeting cannot be closed yet. Still missing: %(missing)s"), missing="")
        self.missing = missing

    def localized(self, tr: Translator, *, escape: bool = True) -> str:
        """The list of missing items, each in the user's language."""
        items = [DomainError(msgid, **params).localized(tr, escape=escape) for msgid, params in self.missing]
        return tr.gettext(self.msgid, missing="; ".join(items))


async def close_meeting(
    session: AsyncSession,
    actor: Actor | None,
    meeting_id: int,
    *,
    present: Iterable[int] = (),
    on_leave: Iterable[int] = (),
    record: str | None = None,
    photos: Sequence[str] = (),
    tags: Sequence[str] = (),
    hooks: MeetingHooks,
) -> ClosingResult:
    """Close a held meeting: confirm who was absent, keep the record and tags. Nothing can change afterwards."""
    meeting = await meeting_for_leader(session, actor, meeting_id)
    require_editable(meeting)
    now = now_utc()
    if now < meeting.starts_at:
        raise InvalidInput(N_("This meeting has not begun yet; close it after it is held."))
    unknown = [t for t in tags if t not in TAGS_BY_ID]
    if unknown:
        raise InvalidInput(N_("Unknown tag %(tag)s."), tag=unknown[0])
    record = (record or "").strip() or None
    if record and len(record) > MAX_RECORD:
        raise InvalidInput(N_("The record is too long (at most %(limit)d characters)."), limit=MAX_RECORD)
    if len(photos) > MAX_PHOTOS:
        raise InvalidInput(N_("At most %(limit)d photos can be kept with a record."), limit=MAX_PHOTOS)
    missing = await hooks.missing_before_closing(session, meeting)
    if missing:
        raise ClosingBlocked(missing)
    who = await _actor_member(session, actor)
    present_ids, leave_ids = set(present), set(on_leave)
    absent: list[str] = []
    for member, row in await attendance_rows(session, meeting.id):
        if row.status in CHECKED_IN or row.status == AttendanceStatus.ON_LEAVE:
            continue
        if member.id in present_ids:
            row.status = AttendanceStatus.PRESENT
            row.checked_in_at = row.checked_in_at or meeting.starts_at
            row.checkin_method = "secretary"
            row.decided_by_id = who.id if who else None
        elif member.id in leave_ids:
            row.status = AttendanceStatus.ON_LEAVE
            row.decided_by_id = who.id if who else None
        else:
            row.status = AttendanceStatus.ABSENT
            absent.append(member.name)
    meeting.status = MeetingStatus.CLOSED
    meeting.closed_at = now
    meeting.record = record
    meeting.record_photos = list(photos)
    meeting.tags = sorted(set(tags), key=list(TAGS_BY_ID).index)
    _audit(
        session,
        who,
        "meeting_close",
        meeting,
        {"absent": absent, "tags": meeting.tags, "photos": len(photos), "record": bool(record)},
    )
    return ClosingResult(meeting, absent)


# --- notices, changes, reminders ----------------------------------------------------------------------------


def _answer_keyboard(meeting: Meeting, tr: Translator) -> dict[str, Any]:
    return inline_keyboard(
        [
            [
                (tr.gettext("✅ I will attend"), f"mt:{meeting.id}:att"),
                (tr.gettext("🙋 Ask for leave"), f"mt:{meeting.id}:lv"),
            ]
        ]
    )


async def _announce(
    session: AsyncSession, meeting: Meeting, event: str, *, settings: Settings, changed: Sequence[str] = ()
) -> int:
    """Tell every bound expected member privately, and the linked group, about a new, changed or cancelled
    meeting. One outbox row per recipient and event (and revision, for changes)."""
    branch = await session.get(Organisation, meeting.org_id)
    group = await session.get(Organisation, meeting.group_id) if meeting.group_id else None
    key = {"notice": "notice", "changed": f"change:{meeting.revision}", "cancelled": "cancel"}[event]
    count = 0
    with_buttons = event != "cancelled"
    for member, row in await attendance_rows(session, meeting.id):
        if member.telegram_id is None or not member.active:
            continue
        locale = member.language or settings.DEFAULT_LOCALE
        text = render(
            "meetings/notice.html.j2",
            locale,
            event=event,
            m=MeetingView.of(meeting, locale, settings.tz, group.name if group else None),
            branch=branch.name if branch else "",
            changed=list(changed),
            member_name=member.name,
        )
        markup = (
            _answer_keyboard(meeting, translator(locale)) if with_buttons and row.status not in CHECKED_IN else None
        )
        count += await outbox.enqueue(
            session,
            dedup_key=f"mt:{meeting.id}:{key}:{member.id}",
            chat_id=member.telegram_id,
            member_id=member.id,
            kind="meeting",
            text=text,
            reply_markup=markup,
        )
    if branch is not None and branch.chat_id is not None and announced_in_group(meeting):
        locale = settings.DEFAULT_LOCALE
        text = render(
            "meetings/notice.html.j2",
            locale,
            event=event,
            m=MeetingView.of(meeting, locale, settings.tz, group.name if group else None),
            branch=branch.name,
            changed=list(changed),
            member_name=None,
        )
        await outbox.enqueue(
            session,
            dedup_key=f"mt:{meeting.id}:{key}:group",
            chat_id=branch.chat_id,
            kind="meeting",
            text=text,
            reply_markup=_answer_keyboard(meeting, translator(locale)) if with_buttons else None,
        )
    meeting.notified_at = now_utc()
    return count


def checkin_window(meeting: Meeting, settings: Settings) -> tuple[datetime, datetime]:
    """When check-in opens and closes."""
    return meeting.starts_at - timedelta(minutes=settings.CHECKIN_OPENS_MINUTES), meeting.ends_at


async def send_due_reminders(session: AsyncSession, *, settings: Settings, now: datetime | None = None) -> int:
    """Reminders the day before and an hour before (to those attending or silent), and the check-in
    announcement in the group when the window opens. Idempotent: every row has its dedup key."""
    now = now or now_utc()
    meetings = (
        await session.scalars(
            select(Meeting).where(
                Meeting.status == MeetingStatus.SCHEDULED,
                Meeting.starts_at <= now + timedelta(hours=24),
                Meeting.ends_at >= now,
            )
        )
    ).all()
    queued = 0
    for meeting in meetings:
        stamp = int(meeting.starts_at.timestamp())
        event: str | None = None
        if meeting.starts_at - timedelta(hours=1) <= now < meeting.starts_at:
            # Not right after the notice of a meeting called at short notice: the notice itself just went out.
            if meeting.notified_at is None or now - meeting.notified_at >= FRESH_NOTICE_HOUR:
                event = "hour"
        elif meeting.starts_at - timedelta(hours=24) <= now < meeting.starts_at - timedelta(hours=1) and (
            meeting.notified_at is None or now - meeting.notified_at >= FRESH_NOTICE
        ):
            event = "day"
        if event is not None:
            queued += await _remind(session, meeting, event, stamp, settings=settings)
        opens, closes = checkin_window(meeting, settings)
        if opens <= now <= closes and not is_unit_kind(meeting.kind):
            queued += await _announce_checkin(session, meeting, stamp, settings=settings)
    return queued


async def _remind(session: AsyncSession, meeting: Meeting, event: str, stamp: int, *, settings: Settings) -> int:
    group = await session.get(Organisation, meeting.group_id) if meeting.group_id else None
    count = 0
    for member, row in await attendance_rows(session, meeting.id):
        if member.telegram_id is None or row.status not in (AttendanceStatus.ATTENDING, AttendanceStatus.NO_ANSWER):
            continue
        locale = member.language or settings.DEFAULT_LOCALE
        text = render(
            "meetings/notice.html.j2",
            locale,
            event=event,
            m=MeetingView.of(meeting, locale, settings.tz, group.name if group else None),
            branch="",
            changed=[],
            member_name=member.name,
        )
        markup = _answer_keyboard(meeting, translator(locale)) if row.status == AttendanceStatus.NO_ANSWER else None
        count += await outbox.enqueue(
            session,
            dedup_key=f"mt:{meeting.id}:remind-{event}:{stamp}:{member.id}",
            chat_id=member.telegram_id,
            member_id=member.id,
            kind="reminder",
            text=text,
            reply_markup=markup,
            expires_at=meeting.starts_at,
            # The hour before is time-critical (it goes before other pushes); the day before is not.
            priority=outbox.Priority.URGENT if event == "hour" else None,
        )
    return count


async def _announce_checkin(session: AsyncSession, meeting: Meeting, stamp: int, *, settings: Settings) -> int:
    """Check-in is open: a button in the linked group, and a reminder to the leaders to show the QR code."""
    branch = await session.get(Organisation, meeting.org_id)
    count = 0
    if branch is not None and branch.chat_id is not None and announced_in_group(meeting):
        locale = settings.DEFAULT_LOCALE
        tr = translator(locale)
        text = render("meetings/checkin_open.html.j2", locale, m=MeetingView.of(meeting, locale, settings.tz))
        count += await outbox.enqueue(
            session,
            dedup_key=f"mt:{meeting.id}:open:{stamp}:group",
            chat_id=branch.chat_id,
            kind="meeting",
            text=text,
            reply_markup=inline_keyboard([[(tr.gettext("📍 Check in"), f"mt:{meeting.id}:ck")]]),
            expires_at=meeting.ends_at,
            priority=outbox.Priority.URGENT,  # check-in is open now
        )
    for leader in await queries.branch_leaders(session, meeting.org_id):
        if leader.telegram_id is None:
            continue
        locale = leader.language or settings.DEFAULT_LOCALE
        tr = translator(locale)
        text = render(
            "meetings/checkin_open_leader.html.j2",
            locale,
            m=MeetingView.of(meeting, locale, settings.tz),
            code=meeting.checkin_code,
        )
        count += await outbox.enqueue(
            session,
            dedup_key=f"mt:{meeting.id}:open:{stamp}:{leader.id}",
            chat_id=leader.telegram_id,
            member_id=leader.id,
            kind="meeting",
            text=text,
            reply_markup=inline_keyboard(
                [[(tr.gettext("📷 Show the check-in QR code"), f"mt:{meeting.id}:qr")]],
            ),
            expires_at=meeting.ends_at,
            priority=outbox.Priority.URGENT,  # check-in is open now
        )
    return count


# --- lists --------------------------------------------------------------------------------------------------


async def branch_meetings(
    session: AsyncSession, org_ids: set[int], *, since: datetime, limit: int = 20, offset: int = 0
) -> Sequence[Meeting]:
    """Meetings of these branches that end after ``since``, in order of their start (a page of them)."""
    return (
        await session.scalars(
            select(Meeting)
            .where(Meeting.org_id.in_(org_ids), Meeting.ends_at >= since, Meeting.status != MeetingStatus.CANCELLED)
            .order_by(Meeting.starts_at, Meeting.id)
            .offset(offset)
            .limit(limit)
        )
    ).all()


async def upcoming_for_member(session: AsyncSession, member_id: int, now: datetime) -> list[tuple[Meeting, Attendance]]:
    """Scheduled meetings a member is expected at that have not ended, soonest first."""
    rows = await session.execute(
        select(Meeting, Attendance)
        .join(Attendance, Attendance.meeting_id == Meeting.id)
        .where(
            Attendance.member_id == member_id,
            Meeting.status == MeetingStatus.SCHEDULED,
            Meeting.ends_at >= now,
        )
        .order_by(Meeting.starts_at)
        .limit(10)
    )
    return [(m, a) for m, a in rows.all()]


async def status_counts(session: AsyncSession, meeting_id: int) -> dict[str, int]:
    """How many members are in each attendance status."""
    rows = await session.execute(
        select(Attendance.status, func.count()).where(Attendance.meeting_id == meeting_id).group_by(Attendance.status)
    )
    return {status: int(count) for status, count in rows.all()}
