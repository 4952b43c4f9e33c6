"""Signing up for an activity and cancelling; places never overbook and the waiting list moves up once.

A sign-up takes a place only through ``UPDATE activities SET taken = taken + 1 WHERE taken < slots`` —
PostgreSQL re-checks the condition on the newest row version after waiting for a concurrent writer, SQLite runs
one writer at a time — and the (activity, member) pair is unique, so a double press stores one row. A
cancellation hands its place to the first of the waiting list with a compare-and-set on the waiting row's
status, so two cancellations never promote the same member twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import now_utc
from bot.environment import ServiceEnv
from bot.errors import Conflict, InvalidInput
from bot.i18n import N_
from bot.services.access import Actor
from bot.services.notifier import Message, Notifier
from bot.services.volunteer.activities import _waiting_position, activity_params, visible_activity
from bot.services.volunteer.buttons import leave_button
from bot.services.volunteer.communities import community_by_id
from storage.models import Member
from storage.volunteer import Activity, ActivityStatus, SignUp, SignUpStatus
from storage.volunteer import activities as stored


@dataclass(frozen=True)
class SignUpResult:
    """The outcome of a sign-up: a place, or a place on the waiting list."""

    signup: SignUp
    confirmed: bool
    waiting_position: int | None


async def sign_up(session: AsyncSession, actor: Actor, activity_id: int, now: datetime | None = None) -> SignUpResult:
    """Take a place, or join the waiting list when the activity is full. A second sign-up is refused."""
    now = now or now_utc()
    activity = await visible_activity(session, actor, activity_id)
    if activity.status != ActivityStatus.OPEN:
        raise Conflict(N_("This activity was cancelled."))
    if activity.starts_at <= now:
        raise InvalidInput(N_("This activity has already started; sign-up is closed."))
    # Claim the (activity, member) row first: a concurrent second press waits here and then finds it.
    if not await stored.claim_signup(session, activity.id, actor.member_id, SignUpStatus.WAITING, now):
        existing = await stored.signup_of(session, activity.id, actor.member_id)
        assert existing is not None
        if existing.status != SignUpStatus.CANCELLED:
            raise Conflict(
                N_("You already have a place at this activity.")
                if existing.status == SignUpStatus.CONFIRMED
                else N_("You are already on the waiting list of this activity.")
            )
        if not await stored.reopen_signup(session, existing.id, now):
            raise Conflict(N_("You already have a place at this activity."))
    confirmed = await stored.take_place(session, activity.id)
    if confirmed:
        await stored.confirm_signup(session, activity.id, actor.member_id, now)
    signup = await stored.signup_of(session, activity.id, actor.member_id)
    assert signup is not None
    return SignUpResult(signup, confirmed, None if confirmed else await _waiting_position(session, signup))


@dataclass(frozen=True)
class CancelResult:
    """The outcome of a cancellation: who moved up from the waiting list, if anyone."""

    was_confirmed: bool
    promoted: Member | None


async def cancel_signup(
    session: AsyncSession, actor: Actor, activity_id: int, *, env: ServiceEnv, now: datetime | None = None
) -> CancelResult:
    """Give up a place (or leave the waiting list); the first one waiting moves up and is told."""
    now = now or env.now()
    activity = await visible_activity(session, actor, activity_id)
    if activity.status != ActivityStatus.OPEN:
        raise Conflict(N_("This activity was cancelled."))
    for _attempt in range(5):  # the row may change under us (a promotion); re-read and try again
        signup = await stored.signup_of(session, activity.id, actor.member_id)
        if signup is None or signup.status == SignUpStatus.CANCELLED:
            raise Conflict(N_("You are not signed up for this activity."))
        if signup.checked_in_at is not None:
            raise Conflict(N_("You already checked in; a place you used cannot be cancelled."))
        if activity.starts_at <= now:
            raise InvalidInput(N_("This activity has already started; it can no longer be cancelled."))
        observed = signup.status
        if await stored.cancel_signup_row(session, signup.id, observed, now):
            promoted = None
            if observed == SignUpStatus.CONFIRMED:
                promoted = await _hand_on_place(session, activity, env, now)
            return CancelResult(observed == SignUpStatus.CONFIRMED, promoted)
    raise Conflict(N_("Your place changed meanwhile; please try again."))  # pragma: no cover - needs a storm


async def _promote(
    session: AsyncSession, activity: Activity, signup_id: int, env: ServiceEnv, now: datetime
) -> tuple[bool, Member | None]:
    """Move one waiting member up (compare-and-set) and tell them: (moved, the member). Not moved when a
    concurrent cancellation moved them first."""
    if not await stored.promote_waiting(session, signup_id, now):
        return False, None
    signup = await session.get(SignUp, signup_id, populate_existing=True)
    assert signup is not None
    member = await session.get(Member, signup.member_id)
    if member is not None and member.telegram_id is not None:
        community = await community_by_id(session, activity.community_id)
        promoted = Message(
            template="volunteer/promoted.html.j2",
            params=activity_params(activity, community, env),
            buttons=lambda r: leave_button(activity.id, r.gettext("Cancel my place")),
        )
        # Once per move up: a member who cancels, signs up again and moves up again is told again.
        await Notifier(session, env).tell(
            [member],
            promoted,
            key=f"vol:promoted:{activity.id}:{signup.id}:{int(now.timestamp() * 1_000_000)}",
            expires_at=activity.starts_at,
        )
    return True, member


async def _hand_on_place(session: AsyncSession, activity: Activity, env: ServiceEnv, now: datetime) -> Member | None:
    """Give a freed place to the first member waiting (and tell them), or free it."""
    while True:
        candidate = await stored.first_waiting(session, activity.id)
        if candidate is None:
            await stored.free_place(session, activity.id)
            return None
        # Compare-and-set: a concurrent cancellation that promoted this member first makes this match nothing.
        moved, member = await _promote(session, activity, candidate, env, now)
        if moved:
            return member


async def fill_places(session: AsyncSession, activity: Activity, now: datetime, *, env: ServiceEnv) -> list[Member]:
    """Give free places (after more were added) to the waiting list in order; each one moved up is told."""
    promoted: list[Member] = []
    while (candidate := await stored.first_waiting(session, activity.id)) is not None:
        if not await stored.take_place(session, activity.id):
            break
        moved, member = await _promote(session, activity, candidate, env, now)
        if not moved:  # moved up meanwhile by someone else: give the place back and look again
            await stored.free_place(session, activity.id)
            continue
        if member is not None:
            promoted.append(member)
    return promoted
