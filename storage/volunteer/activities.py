"""Look-ups and conditional writes of activities, their dispatches and sign-ups (places, the waiting list,
check-in and check-out). Each takes a session and never commits.

The writes that decide something are one conditional statement each (``UPDATE … WHERE`` and a look at the
row count), so two presses at once never both win: see :mod:`storage.volunteer.models`.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import queries
from storage.models import Member, Organisation
from storage.volunteer.models import Activity, ActivityDispatch, ActivityStatus, SignUp, SignUpStatus


def _changed(result: Any) -> bool:
    """Whether an UPDATE or INSERT touched a row (its rowcount)."""
    return bool(result.rowcount)


# Activities and where they were sent -----------------------------------------------------------------------


async def dispatched_org_ids(session: AsyncSession, activity_id: int) -> set[int]:
    """The organisations an activity was sent to."""
    rows = await session.scalars(select(ActivityDispatch.org_id).where(ActivityDispatch.activity_id == activity_id))
    return set(rows.all())


async def dispatched_branches(session: AsyncSession, activity_id: int) -> list[tuple[int, str]]:
    """``(id, name)`` of the organisations an activity was sent to, alphabetically."""
    rows = await session.execute(
        select(Organisation.id, Organisation.name)
        .join(ActivityDispatch, ActivityDispatch.org_id == Organisation.id)
        .where(ActivityDispatch.activity_id == activity_id)
        .order_by(Organisation.name)
    )
    return [(org_id, name) for org_id, name in rows.all()]


async def dispatched_branch_names(session: AsyncSession, activity_id: int) -> list[str]:
    """The names of the organisations an activity was sent to, alphabetically."""
    return [name for _id, name in await dispatched_branches(session, activity_id)]


async def sent_to_any(session: AsyncSession, activity_id: int, org_ids: Collection[int]) -> bool:
    """Whether the activity was sent to one of ``org_ids``."""
    found = await session.scalar(
        select(ActivityDispatch.id).where(
            ActivityDispatch.activity_id == activity_id, ActivityDispatch.org_id.in_(list(org_ids))
        )
    )
    return found is not None


async def bound_members_of(session: AsyncSession, org_ids: Collection[int]) -> list[Member]:
    """Active members of ``org_ids`` bound to a Telegram account (those an activity's notice reaches)."""
    return list(
        (
            await session.scalars(
                select(Member).where(
                    Member.org_id.in_(list(org_ids)), Member.active.is_(True), Member.telegram_id.is_not(None)
                )
            )
        ).all()
    )


async def open_activities_for(
    session: AsyncSession, org_ids: Collection[int], now: datetime, limit: int
) -> list[Activity]:
    """Open activities sent to (or posted by) ``org_ids`` that have not ended, soonest first."""
    orgs = list(org_ids)
    dispatched = select(ActivityDispatch.activity_id).where(ActivityDispatch.org_id.in_(orgs))
    return list(
        (
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
    )


# Places ------------------------------------------------------------------------------------------------------


async def take_place(session: AsyncSession, activity_id: int) -> bool:
    """Take one place if one is free: the database decides, so concurrent presses never overbook."""
    result = await session.execute(
        update(Activity)
        .where(Activity.id == activity_id, Activity.taken < Activity.slots, Activity.status == ActivityStatus.OPEN)
        .values(taken=Activity.taken + 1)
        .execution_options(synchronize_session=False)
    )
    return _changed(result)


async def free_place(session: AsyncSession, activity_id: int) -> None:
    """Give one place back (never below none)."""
    await session.execute(
        update(Activity)
        .where(Activity.id == activity_id, Activity.taken > 0)
        .values(taken=Activity.taken - 1)
        .execution_options(synchronize_session=False)
    )


# Sign-ups ----------------------------------------------------------------------------------------------------


async def claim_signup(
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


async def signup_of(session: AsyncSession, activity_id: int, member_id: int) -> SignUp | None:
    """The member's row at the activity, read afresh."""
    return await session.scalar(
        select(SignUp)
        .where(SignUp.activity_id == activity_id, SignUp.member_id == member_id)
        .execution_options(populate_existing=True)
    )


async def reopen_signup(session: AsyncSession, signup_id: int, now: datetime) -> bool:
    """A cancelled row joins the waiting list again at its end; False when it is no longer cancelled."""
    result = await session.execute(
        update(SignUp)
        .where(SignUp.id == signup_id, SignUp.status == SignUpStatus.CANCELLED)
        .values(status=SignUpStatus.WAITING, queued_at=now, promoted_at=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return _changed(result)


async def confirm_signup(session: AsyncSession, activity_id: int, member_id: int, now: datetime) -> None:
    """The member's row holds a place (after :func:`take_place` took one for it)."""
    await session.execute(
        update(SignUp)
        .where(
            SignUp.activity_id == activity_id,
            SignUp.member_id == member_id,
            SignUp.status != SignUpStatus.CONFIRMED,
        )
        .values(status=SignUpStatus.CONFIRMED, updated_at=now)
        .execution_options(synchronize_session=False)
    )


async def cancel_signup_row(session: AsyncSession, signup_id: int, observed: str, now: datetime) -> bool:
    """Cancel the row if its status is still ``observed`` (compare-and-set); True when this call did."""
    result = await session.execute(
        update(SignUp)
        .where(SignUp.id == signup_id, SignUp.status == observed)
        .values(status=SignUpStatus.CANCELLED, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return _changed(result)


async def first_waiting(session: AsyncSession, activity_id: int) -> int | None:
    """The id of the sign-up first on the waiting list."""
    return await session.scalar(
        select(SignUp.id)
        .where(SignUp.activity_id == activity_id, SignUp.status == SignUpStatus.WAITING)
        .order_by(SignUp.queued_at, SignUp.id)
        .limit(1)
    )


async def promote_waiting(session: AsyncSession, signup_id: int, now: datetime) -> bool:
    """Move a waiting row up to a place (compare-and-set); False when a concurrent cancellation did first."""
    result = await session.execute(
        update(SignUp)
        .where(SignUp.id == signup_id, SignUp.status == SignUpStatus.WAITING)
        .values(status=SignUpStatus.CONFIRMED, promoted_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return _changed(result)


async def waiting_ahead(session: AsyncSession, signup: SignUp) -> int:
    """How many wait before ``signup`` on its activity's waiting list."""
    ahead = await session.scalar(
        select(func.count())
        .select_from(SignUp)
        .where(
            SignUp.activity_id == signup.activity_id,
            SignUp.status == SignUpStatus.WAITING,
            or_(SignUp.queued_at < signup.queued_at, and_(SignUp.queued_at == signup.queued_at, SignUp.id < signup.id)),
        )
    )
    return int(ahead or 0)


async def signed_up(session: AsyncSession, activity_id: int) -> list[tuple[SignUp, Member]]:
    """Everyone with a place or waiting (not cancelled), in the order they signed up."""
    rows = await session.execute(
        select(SignUp, Member)
        .join(Member, Member.id == SignUp.member_id)
        .where(SignUp.activity_id == activity_id, SignUp.status != SignUpStatus.CANCELLED)
        .order_by(SignUp.queued_at, SignUp.id)
    )
    return [(signup, member) for signup, member in rows.all()]


async def signed_up_on_telegram(session: AsyncSession, activity_id: int) -> list[tuple[SignUp, Member]]:
    """Active bound members with a place or waiting, by sign-up (those told of a change)."""
    rows = await session.execute(
        select(SignUp, Member)
        .join(Member, Member.id == SignUp.member_id)
        .where(
            SignUp.activity_id == activity_id,
            SignUp.status.in_([SignUpStatus.CONFIRMED, SignUpStatus.WAITING]),
            Member.telegram_id.is_not(None),
            Member.active.is_(True),
        )
        .order_by(SignUp.id)
    )
    return [(signup, member) for signup, member in rows.all()]


async def places_starting(session: AsyncSession, begin: datetime, end: datetime) -> list[tuple[Activity, Member]]:
    """Open activities starting in ``[begin, end)`` and each active bound member with a place at them."""
    rows = await session.execute(
        select(Activity, Member)
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
    return [(activity, member) for activity, member in rows.all()]


async def member_upcoming(
    session: AsyncSession, member_id: int, now: datetime, limit: int = 10
) -> list[tuple[Activity, SignUp]]:
    """The member's open activities not over and not checked out of, soonest first."""
    rows = await session.execute(
        select(Activity, SignUp)
        .join(SignUp, SignUp.activity_id == Activity.id)
        .where(
            SignUp.member_id == member_id,
            SignUp.status != SignUpStatus.CANCELLED,
            SignUp.checked_out_at.is_(None),
            Activity.status == ActivityStatus.OPEN,
            Activity.ends_at > now,
        )
        .order_by(Activity.starts_at)
        .limit(limit)
    )
    return [(activity, signup) for activity, signup in rows.all()]


async def member_attended(session: AsyncSession, member_id: int, limit: int = 5) -> list[tuple[Activity, SignUp]]:
    """The activities the member checked in at, latest first."""
    rows = await session.execute(
        select(Activity, SignUp)
        .join(SignUp, SignUp.activity_id == Activity.id)
        .where(SignUp.member_id == member_id, SignUp.checked_in_at.is_not(None))
        .order_by(Activity.starts_at.desc())
        .limit(limit)
    )
    return [(activity, signup) for activity, signup in rows.all()]


# Check-in and check-out -----------------------------------------------------------------------------------


async def record_check_in(session: AsyncSession, activity_id: int, member_id: int, now: datetime, method: str) -> bool:
    """Note the check-in unless there is one; True when this call did."""
    result = await session.execute(
        update(SignUp)
        .where(SignUp.activity_id == activity_id, SignUp.member_id == member_id, SignUp.checked_in_at.is_(None))
        .values(checked_in_at=now, checkin_method=method, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return _changed(result)


async def record_check_out(
    session: AsyncSession,
    signup_id: int,
    *,
    at: datetime,
    method: str,
    minutes: int,
    outside: int,
    now: datetime,
    auto_closed: bool = False,
) -> bool:
    """Note the check-out and the hours counted unless there is one; True when this call did."""
    values: dict[str, Any] = {
        "checked_out_at": at,
        "checkout_method": method,
        "minutes": minutes,
        "outside_minutes": outside,
        "updated_at": now,
    }
    if auto_closed:
        values["auto_closed"] = True
    result = await session.execute(
        update(SignUp)
        .where(SignUp.id == signup_id, SignUp.checked_out_at.is_(None))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return _changed(result)


async def checked_in_count(session: AsyncSession, activity_id: int) -> int:
    """How many members have checked in at the activity."""
    return int(
        await session.scalar(
            select(func.count())
            .select_from(SignUp)
            .where(SignUp.activity_id == activity_id, SignUp.checked_in_at.is_not(None))
        )
        or 0
    )


async def forgotten_checkouts(session: AsyncSession, ended_before: datetime) -> list[tuple[SignUp, Activity]]:
    """Check-ins never checked out of, at activities that ended before ``ended_before``."""
    rows = await session.execute(
        select(SignUp, Activity)
        .join(Activity, Activity.id == SignUp.activity_id)
        .where(
            SignUp.checked_in_at.is_not(None),
            SignUp.checked_out_at.is_(None),
            Activity.ends_at <= ended_before,
        )
    )
    return [(signup, activity) for signup, activity in rows.all()]


async def unconfirmed_auto_closed(
    session: AsyncSession, org_ids: Collection[int], limit: int
) -> list[tuple[SignUp, Member]]:
    """Check-outs closed automatically, of members of ``org_ids``, that no secretary confirmed yet."""
    rows = await session.execute(
        select(SignUp, Member)
        .join(Member, Member.id == SignUp.member_id)
        .where(SignUp.auto_closed.is_(True), SignUp.confirmed_at.is_(None), Member.org_id.in_(list(org_ids)))
        .order_by(SignUp.checked_out_at, SignUp.id)
        .limit(limit)
    )
    return [(signup, member) for signup, member in rows.all()]
