"""The scheduler's volunteer work: closing forgotten check-outs and queueing reminders."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import local_midnight_utc, now_utc
from bot.i18n import translator
from bot.services import outbox
from bot.services.notifier import locale_of
from bot.services.volunteer.activities import _local_fmt, when_text
from bot.services.volunteer.base import CHECKOUT_GRACE
from bot.services.volunteer.buttons import leave_markup
from bot.services.volunteer.checkin import counted_span
from bot.services.volunteer.communities import community_by_id
from bot.services.volunteer.signups import _changed
from bot.services.volunteer.timing import VolunteerConfig, span_minutes
from bot.templates import render
from storage import queries
from storage.models import Member
from storage.volunteer import (
    Activity,
    ActivityStatus,
    Community,
    SignUp,
    SignUpStatus,
)


async def close_forgotten_checkouts(session: AsyncSession, cfg: VolunteerConfig, now: datetime | None = None) -> int:
    """Close check-ins left open past the grace time at the activity's end, flagged for the secretary,
    and tell the branch's leaders once per activity. Running it again finds nothing more to do."""
    now = now or now_utc()
    rows = (
        await session.execute(
            select(SignUp, Activity)
            .join(Activity, Activity.id == SignUp.activity_id)
            .where(
                SignUp.checked_in_at.is_not(None),
                SignUp.checked_out_at.is_(None),
                Activity.ends_at <= now - CHECKOUT_GRACE,
            )
        )
    ).all()
    affected: dict[tuple[int, int], list[Member]] = {}
    for signup, activity in rows:
        assert signup.checked_in_at is not None
        start, end = counted_span(activity, signup.checked_in_at, activity.ends_at)
        minutes, outside = span_minutes(start, end, cfg)
        result = await session.execute(
            update(SignUp)
            .where(SignUp.id == signup.id, SignUp.checked_out_at.is_(None))
            .values(
                checked_out_at=activity.ends_at,
                checkout_method="auto",
                auto_closed=True,
                minutes=minutes,
                outside_minutes=outside,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        if not _changed(result):
            continue
        member = await session.get(Member, signup.member_id)
        if member is not None:
            affected.setdefault((activity.id, member.org_id), []).append(member)
    for (activity_id, branch_id), members in affected.items():
        closed = await session.get(Activity, activity_id)
        assert closed is not None
        for leader in await queries.branch_leaders(session, branch_id):
            if leader.telegram_id is None:
                continue
            locale = locale_of(leader, cfg.default_locale)
            await outbox.enqueue(
                session,
                dedup_key=f"vol:autoclosed:{activity_id}:{leader.id}",
                chat_id=leader.telegram_id,
                member_id=leader.id,
                kind="notice",
                text=render(
                    "volunteer/autoclosed.html.j2",
                    locale,
                    activity=closed,
                    names=[m.name for m in members],
                    end=_local_fmt(closed.ends_at, cfg.tz),
                ),
            )
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


def reminder_key(activity: Activity, member_id: int) -> str:
    """The day-before reminder is sent once per member and start time: a rescheduled activity is reminded anew."""
    return f"vol:remind:{activity.id}:{member_id}:{int(activity.starts_at.timestamp())}"


async def queue_reminders(session: AsyncSession, cfg: VolunteerConfig, now: datetime | None = None) -> int:
    """Queue the day-before reminder to everyone with a place at an activity starting tomorrow (local),
    to be sent at the configured hour; the dedup key makes it once per member and activity."""
    now = now or now_utc()
    today = now.astimezone(cfg.tz).date()
    tomorrow = today + timedelta(days=1)
    begin, end = local_midnight_utc(tomorrow, cfg.tz), local_midnight_utc(tomorrow + timedelta(days=1), cfg.tz)
    send_at = max(now, datetime.combine(today, time(cfg.reminder_hour), tzinfo=cfg.tz).astimezone(UTC))
    rows = (
        await session.execute(
            select(Activity, SignUp, Member)
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
    ).all()
    queued = 0
    communities: dict[int, Community] = {}
    for activity, _signup, member in rows:
        community = communities.get(activity.community_id) or await community_by_id(session, activity.community_id)
        communities[community.id] = community
        locale = locale_of(member, cfg.default_locale)
        queued += await outbox.enqueue(
            session,
            dedup_key=reminder_key(activity, member.id),
            chat_id=int(member.telegram_id or 0),
            member_id=member.id,
            kind="reminder",
            text=render(
                "volunteer/reminder.html.j2",
                locale,
                activity=activity,
                community=community,
                when=when_text(activity, cfg.tz, locale),
            ),
            reply_markup=leave_markup(activity.id, translator(locale).gettext("Cancel my place")),
            not_before=send_at,
            expires_at=activity.starts_at,
        )
    return queued
