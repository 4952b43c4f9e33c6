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
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import now_utc
from bot.errors import Conflict, InvalidInput
from bot.i18n import N_, translator
from bot.services import outbox
from bot.services.access import Actor
from bot.services.notifier import locale_of
from bot.services.volunteer.activities import _waiting_position, visible_activity, when_text
from bot.services.volunteer.buttons import leave_markup
from bot.services.volunteer.communities import community_by_id
from bot.services.volunteer.timing import VolunteerConfig
from bot.templates import render
from storage import queries
from storage.models import Member
from storage.volunteer import (
    Activity,
    ActivityStatus,
    SignUp,
    SignUpStatus,
)


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
        locale = locale_of(member, cfg.default_locale)
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
                when=when_text(activity, cfg.tz, locale),
            ),
            reply_markup=leave_markup(activity.id, translator(locale).gettext("Cancel my place")),
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
