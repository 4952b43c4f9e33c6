"""Checking in to a meeting: by QR-code deep link, by a button in the group, by a short code, or marked by
the secretary; optionally only within a radius of the meeting place; late after the start.

One member has one attendance row per meeting (a unique key). Checking in is a single conditional UPDATE
("set present where not yet present"), with an INSERT … ON CONFLICT DO NOTHING for a member who joined the
roster after the meeting was scheduled, so two check-ins at the same instant store one row and the second is
told "already checked in", on SQLite and on PostgreSQL alike.
"""

from __future__ import annotations

import enum
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from bot import date_style
from bot.clock import now_utc
from bot.config import Settings
from bot.environment import ServiceEnv
from bot.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from bot.i18n import N_
from bot.services import tokens
from bot.services.geo import distance_m
from bot.services.identity import deep_link
from bot.services.meetings.core import belongs, not_expected
from bot.services.meetings.notices import checkin_window
from storage import queries
from storage.checkins import (
    checked_in_at,
    meeting_with_member,
    meeting_with_member_now,
    record_check_in,
    typed_code,
    typed_code_now,
)
from storage.meetings import CHECKED_IN, AttendanceStatus, Meeting, MeetingStatus
from storage.models import Member

CHECKIN_PREFIX = "ck_"
# Guessing a 6-digit code: at most this many wrong codes per member in the window, then a cool-down. Per member,
# not per meeting, so a few typos by others never lock the branch out; wrong codes are audited.
WRONG_CODE_LIMIT = 5
WRONG_CODE_WINDOW = timedelta(minutes=10)
WRONG_CODE_ACTION = "checkin.wrong_code"
TOKEN_KIND = "m"
_CODE = re.compile(r"^\d{4,8}$")


T = TypeVar("T")


class QuickRead(Protocol):
    """A short read that does not wait on the database's thread (bot/db.py, ``Database.read_orm_on_loop``): what
    ``read`` returns, detached; None when it cannot (not a SQLite file, or busy), and then the session reads."""

    def __call__(self, read: Callable[[Session], T], /) -> T | None: ...


# How a check-in is written: in the caller's session (storage.checkins.record_check_in), or by the bot's batches of
# check-ins arriving together (bot/checkin_batches.py). Whether it checked the member in.
RecordCheckIn = Callable[[AsyncSession, int, int, dict[str, Any]], Awaitable[bool]]


class WrongCode(InvalidInput):
    """A well-formed code that no open meeting of the member's branch has: a guess, counted against the limit."""


class Method(enum.StrEnum):
    """How a member checked in."""

    QR = "qr"
    CODE = "code"
    BUTTON = "button"
    SECRETARY = "secretary"


@dataclass(frozen=True)
class Outcome:
    """The result of a check-in attempt."""

    meeting: Meeting
    member: Member
    status: str  # present or late; empty when a location is still needed
    at: datetime
    needs_location: bool = False


async def checkin_link(session: AsyncSession, meeting: Meeting, bot_username: str, *, live: bool) -> tuple[str, int]:
    """The deep link ``t.me/<bot>?start=ck_<token>`` and its slot: a live link works for about a minute,
    a static one (slot 0, for printing) for the whole check-in window."""
    secret = await tokens.installation_secret(session)
    slot = tokens.current_slot() if live else tokens.STATIC_SLOT
    token = tokens.make_token(secret, TOKEN_KIND, meeting.id, slot)
    return deep_link(bot_username, CHECKIN_PREFIX + token), slot


async def meeting_from_token(session: AsyncSession, token: str, *, now: float | None = None) -> Meeting:
    """The meeting a scanned token admits to; forged, mangled or expired tokens are refused."""
    meeting, _member = await meeting_and_member_from_token(session, token, None, now=now)
    return meeting


async def meeting_and_member_from_token(
    session: AsyncSession,
    token: str,
    member_id: int | None,
    *,
    now: float | None = None,
    quick: QuickRead | None = None,
) -> tuple[Meeting, Member | None]:
    """:func:`meeting_from_token`, and the member checking in read in the same statement: while the caller holds
    it, :func:`check_in` finds the member in the session instead of asking again (``quick``: as in
    :func:`meeting_and_member`)."""
    secret = await tokens.installation_secret(session)
    claim = tokens.read_token(secret, token, kind=TOKEN_KIND, now=now)
    if member_id is None:
        meeting, member = await session.get(Meeting, claim.object_id), None
    else:
        meeting, member = await _meeting_with_member(session, claim.object_id, member_id, quick)
    if meeting is None:
        raise InvalidInput(N_("This check-in code is not valid."))
    return meeting, member


async def meeting_and_member(
    session: AsyncSession, meeting_id: int, member_id: int, *, quick: QuickRead | None = None
) -> tuple[Meeting, Member | None]:
    """The meeting of a pressed check-in button, or NotFound, and the member checking in read in the same
    statement (as :func:`meeting_and_member_from_token`): a group's burst of presses asks once each, not twice.
    With ``quick``, read without waiting on the database's thread where it can be."""
    meeting, member = await _meeting_with_member(session, meeting_id, member_id, quick)
    if meeting is None:
        raise NotFound(N_("No such meeting."))
    return meeting, member


async def _meeting_with_member(
    session: AsyncSession, meeting_id: int, member_id: int, quick: QuickRead | None
) -> tuple[Meeting | None, Member | None]:
    found = quick(partial(meeting_with_member_now, meeting_id=meeting_id, member_id=member_id)) if quick else None
    if found is None:
        return await meeting_with_member(session, meeting_id, member_id)
    return await _held(session, found[0]), await _held(session, found[1])


Row = TypeVar("Row", Meeting, Member)


async def _held(session: AsyncSession, found: Row | None) -> Row | None:
    """An object read elsewhere, in ``session`` (no statement): ``session.get`` finds it there."""
    return None if found is None else await session.merge(found, load=False)


async def meeting_from_code(
    session: AsyncSession,
    member_id: int,
    code: str,
    *,
    env: ServiceEnv,
    settings: Settings,
    now: datetime | None = None,
    quick: QuickRead | None = None,
) -> tuple[Meeting, Member]:
    """The meeting of the member's branch whose short code this is and whose check-in is open (``settings``: when
    check-in opens), and the member: while the caller holds it, :func:`check_in` finds it in the session
    (``quick``: as in :func:`meeting_and_member`)."""
    code = code.strip()
    if not _CODE.match(code):
        raise InvalidInput(N_("A check-in code is 6 digits, like 482913."))
    now = now or env.now()
    since = now - WRONG_CODE_WINDOW
    read = partial(typed_code_now, member_id=member_id, code=code, wrong_action=WRONG_CODE_ACTION, wrong_since=since)
    typed = quick(read) if quick else None
    if typed is None:
        typed = await typed_code(session, member_id, code, wrong_action=WRONG_CODE_ACTION, wrong_since=since)
    else:
        meetings = [await session.merge(meeting, load=False) for meeting in typed.meetings]
        typed = typed._replace(member=await _held(session, typed.member), meetings=meetings)
    member, candidates = typed.member, typed.meetings
    if member is None:
        raise InvalidInput(N_("This check-in code is not valid."))
    if typed.wrong_codes >= WRONG_CODE_LIMIT and typed.first_wrong_at is not None:
        # Any code is refused while the recent wrong codes have reached the limit. The oldest wrong code of the
        # window leaves it first: the member may try again from then on.
        raise InvalidInput(
            N_("Too many wrong check-in codes. Please try again after %(time)s, or ask the secretary to mark you."),
            time=date_style.clock_time(typed.first_wrong_at + WRONG_CODE_WINDOW, env.tz),
        )
    if not candidates:
        raise WrongCode(N_("No meeting of your branch has the check-in code %(code)s."), code=code)
    for meeting in candidates:
        opens, closes = checkin_window(meeting, settings)
        if opens <= now <= closes:
            return meeting, member
    return candidates[0], member  # check_in explains whether its window is yet to open or has closed


async def record_wrong_code(session: AsyncSession, member_id: int, code: str, *, now: datetime | None = None) -> None:
    """Audit a wrong code (in its own unit of work: the refused attempt itself wrote nothing)."""
    member = await session.get(Member, member_id)
    entry = queries.audit(session, actor=member, action=WRONG_CODE_ACTION, entity="member", entity_id=member_id)
    entry.details = {"code": code.strip()}
    entry.at = now or now_utc()


def _local(value: datetime, env: ServiceEnv) -> str:
    # A refusal's parameters do not know the reader's language: today's time alone, another day's in the default.
    if value.astimezone(env.tz).date() == env.today():
        return date_style.clock_time(value, env.tz)
    return date_style.moment(value, env.default_locale, tz=env.tz)


async def check_in(
    session: AsyncSession,
    member_id: int,
    meeting: Meeting,
    *,
    method: Method,
    env: ServiceEnv,
    settings: Settings,
    location: tuple[float, float] | None = None,
    now: datetime | None = None,
    record: RecordCheckIn = record_check_in,
) -> Outcome:
    """Check ``member_id`` in; refusals say why (cancelled, closed, other branch, window, distance, twice).
    ``settings``: when check-in opens and when a check-in counts as late; ``record``: how the check-in is written
    (in ``session`` unless told otherwise)."""
    now = now or env.now()
    member = await session.get(Member, member_id)
    if meeting.status == MeetingStatus.CANCELLED:
        raise InvalidInput(N_("This meeting was cancelled."))
    if meeting.status == MeetingStatus.CLOSED:
        raise InvalidInput(N_("This meeting is already closed."))
    if member is None or member.org_id != meeting.org_id:
        raise PermissionDenied(N_("This check-in code belongs to another branch's meeting."))
    if not belongs(member, meeting):
        raise await not_expected(session, meeting, member)
    opens, closes = checkin_window(meeting, settings)
    if now < opens:
        raise InvalidInput(N_("Check-in opens at %(time)s."), time=_local(opens, env))
    if now > closes:
        raise InvalidInput(N_("Check-in for this meeting has closed."))
    if meeting.radius_m is not None and method is not Method.SECRETARY:
        # Before asking for (or measuring) the location; elsewhere the conditional write below tells.
        existing = await checked_in_at(session, meeting.id, member.id)
        if existing is not None and existing[0] in CHECKED_IN:
            raise _already(existing[1], env)
        if location is None:
            return Outcome(meeting, member, "", now, needs_location=True)
        assert meeting.latitude is not None and meeting.longitude is not None
        distance = distance_m(location[0], location[1], meeting.latitude, meeting.longitude)
        if distance > meeting.radius_m:
            raise InvalidInput(
                N_("You are %(distance)d m from the meeting place; check-in needs you within %(radius)d m."),
                distance=round(distance),
                radius=meeting.radius_m,
            )
    late = now > meeting.starts_at + timedelta(minutes=settings.CHECKIN_LATE_MINUTES)
    status = AttendanceStatus.LATE if late else AttendanceStatus.PRESENT
    values = {"status": status.value, "checked_in_at": now, "checkin_method": method.value, "updated_at": now}
    if not await record(session, meeting.id, member.id, values):
        again = await checked_in_at(session, meeting.id, member.id)
        raise _already(again[1] if again else None, env)
    return Outcome(meeting, member, status.value, now)


def _already(at: datetime | None, env: ServiceEnv) -> Conflict:
    if at is None:
        return Conflict(N_("You have already checked in."))
    return Conflict(N_("You have already checked in (at %(time)s)."), time=date_style.clock_time(at, env.tz))


def seconds_to_next_slot(now: float | None = None) -> float:
    """How long the current live QR code stays the newest one."""
    now = now if now is not None else time.time()
    return tokens.SLOT_SECONDS - (now % tokens.SLOT_SECONDS)
