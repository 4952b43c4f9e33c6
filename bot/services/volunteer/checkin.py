"""Checking in (QR deep link or location) and out of an activity."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.environment import ServiceEnv
from bot.errors import Conflict, InvalidInput
from bot.i18n import N_
from bot.services.access import Actor
from bot.services.geo import distance_m
from bot.services.identity import deep_link
from bot.services.tokens import installation_secret, make_token, read_token
from bot.services.volunteer.activities import _local_fmt, visible_activity
from bot.services.volunteer.base import CHECKIN_OPENS_BEFORE, CHECKIN_PREFIX, CHECKOUT_GRACE, TOKEN_KIND
from bot.services.volunteer.communities import community_by_id
from bot.services.volunteer.timing import span_minutes
from storage.volunteer import (
    Activity,
    ActivityStatus,
    Community,
    SignUp,
    SignUpStatus,
)
from storage.volunteer import activities as stored


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
    *,
    env: ServiceEnv,
    method: str,
    location: tuple[float, float] | None = None,
    now: datetime | None = None,
) -> CheckResult:
    """Check in at the activity (QR code or location within its radius, during the window).

    A member without a place gets one if any is free. Checking in again says when they did and offers to
    check out (``action == "already_in"``); nothing is stored twice.
    """
    now = now or env.now()
    activity = await visible_activity(session, actor, activity_id)
    if activity.status != ActivityStatus.OPEN:
        raise Conflict(N_("This activity was cancelled."))
    signup = await stored.signup_of(session, activity.id, actor.member_id)
    if signup is not None and signup.checked_out_at is not None:
        raise Conflict(
            N_("You already checked out at %(time)s."), time=_local_fmt(signup.checked_out_at, env.tz, "%H:%M")
        )
    if signup is not None and signup.checked_in_at is not None:
        return CheckResult(activity, signup, "already_in")
    if now < activity.starts_at - CHECKIN_OPENS_BEFORE:
        raise InvalidInput(
            N_("Check-in opens at %(time)s."),
            time=activity.starts_at - CHECKIN_OPENS_BEFORE,
        )
    if now > activity.ends_at:
        raise InvalidInput(N_("This activity has ended; check-in is closed."))
    await _require_near(session, activity, location)
    if signup is None or signup.status != SignUpStatus.CONFIRMED:
        # Walk-ins and the waiting list are welcome while places are free.
        if signup is None:
            await stored.claim_signup(session, activity.id, actor.member_id, SignUpStatus.CANCELLED, now)
        if not await stored.take_place(session, activity.id):
            raise Conflict(N_("This activity is full and you have no place at it."))
        await stored.confirm_signup(session, activity.id, actor.member_id, now)
    checked_in = await stored.record_check_in(session, activity.id, actor.member_id, now, method)
    signup = await stored.signup_of(session, activity.id, actor.member_id)
    assert signup is not None
    return CheckResult(activity, signup, "in" if checked_in else "already_in")


def counted_span(activity: Activity, checked_in_at: datetime, checked_out_at: datetime) -> tuple[datetime, datetime]:
    """Check-in to check-out, within the activity's span."""
    start = max(checked_in_at, activity.starts_at)
    end = min(checked_out_at, activity.ends_at)
    return start, max(start, end)


async def check_out(
    session: AsyncSession,
    actor: Actor,
    activity_id: int,
    *,
    env: ServiceEnv,
    method: str,
    location: tuple[float, float] | None = None,
    now: datetime | None = None,
) -> CheckResult:
    """Check out; the hours counted are check-out minus check-in, within the activity's span."""
    now = now or env.now()
    activity = await visible_activity(session, actor, activity_id)
    signup = await stored.signup_of(session, activity.id, actor.member_id)
    if signup is None or signup.checked_in_at is None:
        raise Conflict(N_("You have not checked in at this activity."))
    if signup.checked_out_at is not None:
        raise Conflict(
            N_("You already checked out at %(time)s."), time=_local_fmt(signup.checked_out_at, env.tz, "%H:%M")
        )
    if now > activity.ends_at + CHECKOUT_GRACE:
        raise InvalidInput(N_("Check-out has closed; your secretary will confirm your hours."))
    await _require_near(session, activity, location)
    start, end = counted_span(activity, signup.checked_in_at, now)
    minutes, outside = span_minutes(start, end, env)
    if not await stored.record_check_out(
        session, signup.id, at=now, method=method, minutes=minutes, outside=outside, now=now
    ):
        raise Conflict(N_("You already checked out."))
    signup = await stored.signup_of(session, activity.id, actor.member_id)
    assert signup is not None
    return CheckResult(activity, signup, "out")
