"""Self-reported volunteer service (自主申报) and its approval queue.

A member reports service done elsewhere; it waits in the branch's approval queue and counts only once a
secretary (or a committee member acting for them, or an administrator above) approves it. Nobody decides
on their own report. A decision is one conditional write, so of two leaders deciding at once one wins.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.environment import ServiceEnv
from bot.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from bot.i18n import N_
from bot.services.access import Actor, visible_org_ids
from bot.services.notifier import Message, Notifier
from bot.services.volunteer.buttons import ReportApprove, ReportReject
from bot.services.volunteer.communities import community_by_id
from bot.services.volunteer.timing import (
    VolunteerConfig,
    day_minutes_outside,
    span_minutes,
    utc_bounds,
)
from bot.services.volunteer.timing import hours_of as hours
from storage import queries
from storage.models import Member
from storage.volunteer import (
    Community,
    ReportStatus,
    ServiceReport,
)
from storage.volunteer import hours as stored

MIN_HOURS = 0.5


MAX_HOURS_PER_DAY = 12.0


MAX_AGE_DAYS = 180  # older service is for the secretary to enter, not a self-report


MAX_PHOTOS = 5


QUEUE_PAGE = 10


def check_photo(file_size: int | None, cfg: VolunteerConfig) -> None:
    """Refuse a photo larger than the configured limit."""
    if file_size is not None and file_size > cfg.photo_max_bytes:
        raise InvalidInput(
            N_("This photo is too large (%(size)s MB); the limit is %(limit)s MB. Send a smaller one."),
            size=f"{file_size / 1024 / 1024:.1f}",
            limit=f"{cfg.photo_max_bytes / 1024 / 1024:g}",
        )


@dataclass
class ReportInput:
    """What a member reports: when, how long (hours, or start and end), where, what, photos."""

    day: date
    description: str
    hours: float | None = None
    span: tuple[datetime, datetime] | None = None
    community_id: int | None = None
    place: str | None = None
    photos: list[str] = field(default_factory=list)
    photo_sizes: list[int | None] = field(default_factory=list)


def check_day(day: date, today: date) -> None:
    """The service date: not in the future, not older than the limit."""
    if day > today:
        raise InvalidInput(N_("The date is in the future. Report service after you have done it."))
    if day < today - timedelta(days=MAX_AGE_DAYS):
        raise InvalidInput(
            N_("That is more than %(days)d days ago; ask your secretary to record it."), days=MAX_AGE_DAYS
        )


def check_hours(hours: float) -> int:
    """Hours within 0.5–12 → minutes."""
    if not MIN_HOURS <= hours <= MAX_HOURS_PER_DAY:
        raise InvalidInput(
            N_("Hours must be from %(min)s to %(max)s a day."), min=f"{MIN_HOURS:g}", max=f"{MAX_HOURS_PER_DAY:g}"
        )
    return round(hours * 60)


def check_not_after(day: date, minutes: int, now: datetime, *, env: ServiceEnv) -> None:
    """Hours reported for today cannot be more than the time since midnight: the rest is in the future."""
    local_now = env.local(now)
    if day == local_now.date():
        elapsed = local_now.hour * 60 + local_now.minute
        if minutes > elapsed:
            raise InvalidInput(
                N_("It is only %(time)s: today cannot hold %(hours)s hours of service yet."),
                time=local_now.strftime("%H:%M"),
                hours=f"{minutes / 60:g}",
            )


def check_span(span: tuple[datetime, datetime], now: datetime) -> int:
    """A start and end: in order, not in the future, 0.5–12 hours → minutes."""
    start, end = span
    if end <= start:
        raise InvalidInput(N_("The end must come after the start."))
    if end > now:
        raise InvalidInput(N_("The end is in the future. Report service after you have done it."))
    return check_hours((end - start).total_seconds() / 3600)


async def _minutes_that_day(session: AsyncSession, member_id: int, day: date, env: ServiceEnv) -> int:
    begin, end = utc_bounds(day, day + timedelta(days=1), env.tz)
    return await stored.minutes_served_on(session, member_id, day, begin, end)


async def submit_report(
    session: AsyncSession,
    actor: Actor,
    data: ReportInput,
    cfg: VolunteerConfig,
    *,
    env: ServiceEnv,
    ref: str | None = None,
    now: datetime | None = None,
) -> ServiceReport:
    """Store a self-report in the branch's approval queue and tell the branch's leaders."""
    now = now or env.now()
    today = env.local(now).date()
    check_day(data.day, today)
    if data.span is not None:
        if data.span[0].astimezone(env.tz).date() != data.day:
            raise InvalidInput(N_("The start must be on the day of the service."))
        minutes = check_span(data.span, now)
        outside = span_minutes(data.span[0], data.span[1], env)[1]
    elif data.hours is not None:
        minutes = check_hours(data.hours)
        check_not_after(data.day, minutes, now, env=env)
        outside = day_minutes_outside(data.day, minutes, env)
    else:
        raise InvalidInput(N_("Say how long: hours, or the start and end."))
    description = data.description.strip()
    if not description:
        raise InvalidInput(N_("Say what you did."))
    if len(description) > 1000:
        raise InvalidInput(N_("The text is too long (at most %(max)d characters)."), max=1000)
    place = (data.place or "").strip() or None
    if place is not None and len(place) > 200:
        raise InvalidInput(N_("The text is too long (at most %(max)d characters)."), max=200)
    community: Community | None = None
    if data.community_id is not None:
        community = await community_by_id(session, data.community_id)
    if community is None and place is None:
        raise InvalidInput(N_("Say where: a community or a place."))
    if len(data.photos) > MAX_PHOTOS:
        raise InvalidInput(N_("At most %(max)d photos."), max=MAX_PHOTOS)
    for size in data.photo_sizes:
        check_photo(size, cfg)
    if ref is not None and await stored.report_sent(session, ref):
        raise Conflict(N_("This report was already sent."))
    already = await _minutes_that_day(session, actor.member_id, data.day, env)
    if already + minutes > MAX_HOURS_PER_DAY * 60:
        raise InvalidInput(
            N_("With this report you would have more than %(max)s hours on %(day)s (already %(hours)s)."),
            max=f"{MAX_HOURS_PER_DAY:g}",
            day=data.day,
            hours=f"{already / 60:g}",
        )
    member = await session.get(Member, actor.member_id)
    assert member is not None
    report = ServiceReport(
        ref=ref,
        member_id=member.id,
        org_id=member.org_id,
        service_date=data.day,
        starts_at=data.span[0] if data.span else None,
        ends_at=data.span[1] if data.span else None,
        minutes=minutes,
        outside_minutes=min(minutes, outside),
        community_id=community.id if community else None,
        place=place,
        description=description,
        photos=list(data.photos),
        status=ReportStatus.PENDING,
        created_at=now,
    )
    session.add(report)
    try:
        await session.flush()
    except IntegrityError:  # the same submission racing itself: the unique ref keeps one; all rolls back
        raise Conflict(N_("This report was already sent.")) from None
    new_report = Message(
        template="volunteer/report_new.html.j2",
        params={"report": report, "member": member, "hours": hours, **describe(report, community, env=env)},
        buttons=lambda r: [
            [
                (r.gettext("Approve"), ReportApprove(report=report.id)),
                (r.gettext("Reject"), ReportReject(report=report.id)),
            ]
        ],
    )
    # A leader reporting their own service is not asked to decide on it.
    await Notifier(session, env).tell_leaders(
        member.org_id, new_report, key=f"vol:report:{report.id}", exclude={member.id}
    )
    return report


async def _decidable(session: AsyncSession, actor: Actor, report_id: int) -> ServiceReport:
    report = await session.get(ServiceReport, report_id)
    if report is None:
        raise NotFound(N_("No such report."))
    if not (actor.leads_branch or actor.is_admin):
        raise PermissionDenied(N_("Only the branch secretary (or a committee member acting for them) may do this."))
    if report.org_id not in await visible_org_ids(session, actor):
        raise PermissionDenied(N_("This report is not from your branch."))
    if report.member_id == actor.member_id:
        raise PermissionDenied(N_("You cannot decide on your own report."))
    return report


async def _tell_outcome(session: AsyncSession, report: ServiceReport, env: ServiceEnv) -> None:
    member = await session.get(Member, report.member_id)
    if member is None:
        return
    outcome = Message(template="volunteer/report_outcome.html.j2", params={"report": report, "hours": hours})
    await Notifier(session, env).tell([member], outcome, key=f"vol:outcome:{report.id}")


def _decided_elsewhere(status: str | None) -> Conflict:
    """What the leader who lost a race is told: who won does not matter, what was decided does."""
    if status == ReportStatus.APPROVED:
        return Conflict(N_("Already handled by another leader: approved."))
    if status == ReportStatus.REJECTED:
        return Conflict(N_("Already handled by another leader: not approved."))
    return Conflict(N_("This report was already decided."))


async def approve_reports(
    session: AsyncSession,
    actor: Actor,
    report_ids: Sequence[int],
    *,
    env: ServiceEnv,
    now: datetime | None = None,
) -> list[ServiceReport]:
    """Approve reports; any from outside the actor's reach refuses the whole batch. One report already
    decided is refused; in a batch, those already decided are left as they are. Returns those approved.

    The decision is one conditional write (only reports still pending change), so of two leaders pressing at
    once exactly one approves, writes the audit entry and tells the member; the other is told what happened."""
    now = now or env.now()
    reports = [await _decidable(session, actor, report_id) for report_id in dict.fromkeys(report_ids)]
    won = set(
        await stored.decide_pending_reports(
            session,
            [r.id for r in reports if r.status == ReportStatus.PENDING],
            status=ReportStatus.APPROVED,
            decided_by_id=actor.member_id,
            decided_at=now,
        )
    )
    if len(reports) == 1 and not won:
        raise _decided_elsewhere(await stored.report_status(session, reports[0].id))
    approved = []
    for report in reports:
        if report.id not in won:
            continue
        await session.refresh(report)
        approved.append(report)
        await _tell_outcome(session, report, env)
    if approved:
        queries.audit(
            session,
            actor=await session.get(Member, actor.member_id),
            action="approve",
            entity="service_report",
            entity_id=",".join(str(r.id) for r in approved)[:64],
            details={"reports": [r.id for r in approved]},
        )
    return approved


async def approve_range(
    session: AsyncSession, actor: Actor, first_id: int, last_id: int, *, env: ServiceEnv
) -> list[ServiceReport]:
    """Approve every pending report the actor may decide on with an id from ``first_id`` to ``last_id``
    (the page of the queue they were shown: later reports have higher ids and are not approved unseen)."""
    reports = await _queue(session, actor, first_id=first_id, last_id=last_id)
    if not reports:
        raise Conflict(N_("There is nothing left to approve here."))
    return await approve_reports(session, actor, [r.id for r, _ in reports], env=env)


async def reject_report(
    session: AsyncSession,
    actor: Actor,
    report_id: int,
    reason: str,
    *,
    env: ServiceEnv,
    now: datetime | None = None,
) -> ServiceReport:
    """Reject a report with a reason; the member is told."""
    report = await _decidable(session, actor, report_id)
    if report.status != ReportStatus.PENDING:
        raise _decided_elsewhere(report.status)
    reason = reason.strip()
    if not reason:
        raise InvalidInput(N_("Give a reason for the rejection."))
    if len(reason) > 500:
        raise InvalidInput(N_("The text is too long (at most %(max)d characters)."), max=500)
    won = await stored.decide_pending_reports(
        session,
        [report.id],
        status=ReportStatus.REJECTED,
        decided_by_id=actor.member_id,
        decided_at=now or env.now(),
        reason=reason,
    )
    if not won:  # another leader decided between the look and the write
        raise _decided_elsewhere(await stored.report_status(session, report.id))
    await session.refresh(report)
    await _tell_outcome(session, report, env)
    queries.audit(
        session,
        actor=await session.get(Member, actor.member_id),
        action="reject",
        entity="service_report",
        entity_id=report.id,
        details={"reason": reason},
    )
    return report


async def _queue(
    session: AsyncSession,
    actor: Actor,
    *,
    first_id: int | None = None,
    last_id: int | None = None,
    limit: int | None = None,
) -> list[tuple[ServiceReport, Member]]:
    if not (actor.leads_branch or actor.is_admin):
        raise PermissionDenied(N_("Only the branch secretary (or a committee member acting for them) may do this."))
    return await stored.pending_reports(
        session,
        await visible_org_ids(session, actor),
        not_of=actor.member_id,
        first_id=first_id,
        last_id=last_id,
        limit=limit,
    )


@dataclass(frozen=True)
class Queue:
    """A page of the approval queue and how many wait in all."""

    items: list[tuple[ServiceReport, Member]]
    total: int


async def approval_queue(session: AsyncSession, actor: Actor, limit: int = QUEUE_PAGE) -> Queue:
    """The oldest pending reports the actor may decide on."""
    everything = await _queue(session, actor)
    return Queue(everything[:limit], len(everything))


async def report_detail(session: AsyncSession, actor: Actor, report_id: int) -> tuple[ServiceReport, Member]:
    """One report, for its member or someone who may decide on it."""
    report = await session.get(ServiceReport, report_id)
    if report is None:
        raise NotFound(N_("No such report."))
    if report.member_id != actor.member_id:
        report = await _decidable(session, actor, report_id)
    member = await session.get(Member, report.member_id)
    assert member is not None
    return report, member


def describe(report: ServiceReport, community: Community | None, *, env: ServiceEnv) -> dict[str, str]:
    """The place and the local times of a report, as text for its templates."""
    where = ", ".join(part for part in (community.name if community else None, report.place) if part)
    times = ""
    if report.starts_at is not None and report.ends_at is not None:
        times = f"{report.starts_at.astimezone(env.tz):%H:%M}–{report.ends_at.astimezone(env.tz):%H:%M}"
    return {"where": where, "times": times}
