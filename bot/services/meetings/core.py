"""Meetings' rules shared by every step: constants, what people type, look-ups, who is expected, lists.

Every function takes the caller's session and never commits; what is pushed to members is written to the
outbox in the same transaction, with a dedup key that makes a repeat impossible.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot import dates
from bot.clock import now_utc
from bot.errors import InvalidInput, NotFound, PermissionDenied
from bot.i18n import N_
from bot.services.access import Actor, require_admin_of, require_branch_leader
from bot.services.kinds_of_meeting import KINDS_BY_ID, MEETING_KINDS, HeldBy, MeetingKind
from storage import queries
from storage.meetings import (
    Attendance,
    Meeting,
    MeetingStatus,
    ensure_attendance,
)
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


@dataclass(frozen=True)
class Draft:
    """What a secretary asks for; validated by :func:`schedule_meeting`."""

    kind: str
    starts_at: datetime
    ends_at: datetime | None = None
    place: str | None = None
    topic: str | None = None
    group_id: int | None = None


# --- parsing what people type -------------------------------------------------------------------------------

# Dates and times are read by bot.dates, the one parser (also ``12月15日``, ``明天``, ``下午3点``, ``14:30-16:00``).


def read_span(text: str) -> tuple[time, time | None]:
    """A start time, or a start and an end (``14:30``, ``14:30-16:00``, ``下午2点到4点``), read by bot.dates; an end
    before the start is refused in the meetings' own words."""
    try:
        span = dates.parse_time_range(text, open_end=True)
    except dates.ParseError as error:
        if error.msgid == dates.END_BEFORE_START:
            raise InvalidInput(N_("The meeting must end after it starts.")) from None
        raise
    return span.start, span.end


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
    day = dates.parse_date(match[2], today)
    # A span is read as one, so 下午2点到4点 ends at 16:00.
    start, end = read_span(f"{match[3]}{match[4]}{match[5]}" if match[5] else match[3])
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


async def ensure_row(session: AsyncSession, meeting: Meeting, member: Member) -> Attendance:
    """The member's row for this meeting, created if they joined the roster after it was scheduled."""
    return await ensure_attendance(session, meeting.id, member.id)


async def _branch(session: AsyncSession, branch_id: int) -> Organisation:
    branch = await session.get(Organisation, branch_id)
    if branch is None or branch.kind != OrgKind.BRANCH:
        raise NotFound(N_("No such branch."))
    return branch


def kinds_for(org: Organisation) -> tuple[MeetingKind, ...]:
    """The kinds of meeting an organisation holds: a branch's, or a unit Party body's."""
    return BRANCH_KINDS if org.kind == OrgKind.BRANCH else UNIT_KINDS
