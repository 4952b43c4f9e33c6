"""The scheduler's volunteer work: closing forgotten check-outs and queueing reminders."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.environment import ServiceEnv
from bot.services.notifier import ButtonRows, Message, Notifier, Recipient
from bot.services.volunteer.activities import _local_fmt, activity_params
from bot.services.volunteer.base import CHECKOUT_GRACE
from bot.services.volunteer.buttons import leave_button
from bot.services.volunteer.checkin import counted_span
from bot.services.volunteer.communities import community_by_id
from bot.services.volunteer.timing import VolunteerConfig, span_minutes
from storage import queries
from storage.models import Member
from storage.volunteer import (
    Activity,
)
from storage.volunteer import activities as stored


async def close_forgotten_checkouts(session: AsyncSession, *, env: ServiceEnv, now: datetime | None = None) -> int:
    """Close check-ins left open past the grace time at the activity's end, flagged for the secretary,
    and tell the branch's leaders once per activity. Running it again finds nothing more to do."""
    now = now or env.now()
    rows = await stored.forgotten_checkouts(session, now - CHECKOUT_GRACE)
    affected: dict[tuple[int, int], list[Member]] = {}
    for signup, activity in rows:
        assert signup.checked_in_at is not None
        start, end = counted_span(activity, signup.checked_in_at, activity.ends_at)
        minutes, outside = span_minutes(start, end, env)
        closed_now = await stored.record_check_out(
            session,
            signup.id,
            at=activity.ends_at,
            method="auto",
            minutes=minutes,
            outside=outside,
            now=now,
            auto_closed=True,
        )
        if not closed_now:
            continue
        member = await session.get(Member, signup.member_id)
        if member is not None:
            affected.setdefault((activity.id, member.org_id), []).append(member)
    notifier = Notifier(session, env)
    for (activity_id, branch_id), members in affected.items():
        closed = await session.get(Activity, activity_id)
        assert closed is not None
        autoclosed = Message(
            template="volunteer/autoclosed.html.j2",
            params={"activity": closed, "names": [m.name for m in members], "end": _local_fmt(closed.ends_at, env.tz)},
        )
        await notifier.tell_leaders(branch_id, autoclosed, key=f"vol:autoclosed:{activity_id}")
    if rows:
        queries.audit(
            session,
            actor=None,
            label="scheduler",
            action="auto_checkout",
            entity="activity_signups",
            details={"count": sum(len(m) for m in affected.values())},
        )
    return sum(len(m) for m in affected.values())


def _cancel_place(activity_id: int) -> Callable[[Recipient], ButtonRows]:
    return lambda r: leave_button(activity_id, r.gettext("Cancel my place"))


def reminder_key(activity: Activity) -> str:
    """The day-before reminder is sent once per member (the notifier adds the member) and start time: a
    rescheduled activity is reminded anew."""
    return f"vol:remind:{activity.id}:{int(activity.starts_at.timestamp())}"


async def queue_reminders(
    session: AsyncSession, cfg: VolunteerConfig, *, env: ServiceEnv, now: datetime | None = None
) -> int:
    """Queue the day-before reminder to everyone with a place at an activity starting tomorrow (local),
    to be sent at the configured hour; the dedup key makes it once per member and activity."""
    now = now or env.now()
    today = env.local(now).date()
    tomorrow = today + timedelta(days=1)
    begin, end = env.day_start(tomorrow), env.day_end(tomorrow)
    send_at = max(now, env.at(today, time(cfg.reminder_hour)))
    rows = await stored.places_starting(session, begin, end)
    with_places: dict[int, tuple[Activity, list[Member]]] = {}
    for activity, member in rows:
        with_places.setdefault(activity.id, (activity, []))[1].append(member)
    notifier = Notifier(session, env)
    queued = 0
    for activity, members in with_places.values():
        community = await community_by_id(session, activity.community_id)
        reminder = Message(
            template="volunteer/reminder.html.j2",
            params=activity_params(activity, community, env),
            buttons=_cancel_place(activity.id),
        )
        sent = await notifier.tell(
            members,
            reminder,
            key=reminder_key(activity),
            kind="reminder",
            not_before=send_at,
            expires_at=activity.starts_at,
        )
        queued += sent.queued
    return queued
