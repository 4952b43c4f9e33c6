"""Look-ups of service hours: self-reports (自主申报) and their approval queue, and the hours served per member
and per branch. Each takes a session and never commits."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime

from sqlalchemy import CompoundSelect, Integer, and_, bindparam, case, func, literal_column, select, union_all, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.membership import org_ids_param
from storage.models import Member, Organisation, OrgKind
from storage.queries import subtree_select
from storage.volunteer.models import Activity, ReportStatus, ServiceReport, SignUp, SignUpStatus


async def decide_pending_reports(
    session: AsyncSession,
    report_ids: Sequence[int],
    *,
    status: ReportStatus,
    decided_by_id: int | None,
    decided_at: datetime,
    reason: str | None = None,
) -> list[int]:
    """Decide the reports among ``report_ids`` that are still pending, in ONE conditional write
    (``UPDATE … WHERE status = 'pending' RETURNING id``): of two leaders deciding at once only one wins.
    Returns the ids this call decided; the session's copies of them are refreshed."""
    if not report_ids:
        return []
    stmt = (
        update(ServiceReport)
        .where(ServiceReport.id.in_(list(report_ids)), ServiceReport.status == ReportStatus.PENDING)
        .values(status=status, decided_by_id=decided_by_id, decided_at=decided_at, decision_reason=reason)
        .returning(ServiceReport.id)
        .execution_options(synchronize_session="fetch")
    )
    return sorted((await session.execute(stmt)).scalars().all())


async def report_status(session: AsyncSession, report_id: int) -> str | None:
    """The stored status of a report, read afresh (not from the session's copy)."""
    stmt = select(ServiceReport.status).where(ServiceReport.id == report_id)
    return (await session.execute(stmt)).scalar_one_or_none()


BranchService = tuple[Organisation, int, int, int, int]
"""``(branch, active members, members with service, minutes, outside minutes)``."""


async def service_by_branch(
    session: AsyncSession, root_id: int, begin: datetime, end: datetime, first: date, following: date
) -> list[BranchService]:
    """Volunteer service of every branch under ``root_id``, by name, in ONE statement: attended activities that
    start in ``[begin, end)`` and approved self-reports dated ``[first, following)``, summed per member, then per
    branch. The city screen's cost does not grow with the number of branches or members."""
    attended = (
        select(
            SignUp.member_id.label("member_id"),
            func.coalesce(SignUp.minutes, 0).label("minutes"),
            func.coalesce(SignUp.outside_minutes, 0).label("outside"),
        )
        .join(Activity, Activity.id == SignUp.activity_id)
        .where(
            SignUp.checked_in_at.is_not(None),
            SignUp.status == SignUpStatus.CONFIRMED,
            Activity.starts_at >= begin,
            Activity.starts_at < end,
        )
    )
    reported = select(
        ServiceReport.member_id.label("member_id"),
        ServiceReport.minutes.label("minutes"),
        ServiceReport.outside_minutes.label("outside"),
    ).where(
        ServiceReport.status == ReportStatus.APPROVED,
        ServiceReport.service_date >= first,
        ServiceReport.service_date < following,
    )
    served = union_all(attended, reported).subquery("served")
    per_member = (
        select(
            served.c.member_id,
            func.sum(served.c.minutes).label("minutes"),
            func.sum(served.c.outside).label("outside"),
        )
        .group_by(served.c.member_id)
        .subquery("per_member")
    )
    stmt = (
        select(
            Organisation,
            func.count(Member.id),
            func.coalesce(func.sum(case((per_member.c.minutes > 0, 1), else_=0)), 0),
            func.coalesce(func.sum(per_member.c.minutes), 0),
            func.coalesce(func.sum(per_member.c.outside), 0),
        )
        .outerjoin(Member, and_(Member.org_id == Organisation.id, Member.active.is_(True)))
        .outerjoin(per_member, per_member.c.member_id == Member.id)
        .where(Organisation.id.in_(subtree_select(root_id)), Organisation.kind == OrgKind.BRANCH)
        .group_by(Organisation.id)
        .order_by(Organisation.name, Organisation.id)
    )
    return [
        (org, int(n), int(with_service), int(m), int(o)) for org, n, with_service, m, o in await session.execute(stmt)
    ]


async def report_sent(session: AsyncSession, ref: str) -> bool:
    """Whether a self-report with this submission key is stored already."""
    return await session.scalar(select(ServiceReport.id).where(ServiceReport.ref == ref)) is not None


async def minutes_served_on(session: AsyncSession, member_id: int, day: date, begin: datetime, end: datetime) -> int:
    """The member's minutes on ``day``: self-reports not rejected, and activities starting in ``[begin, end)``
    (the day's bounds in UTC)."""
    reported = await session.scalar(
        select(func.coalesce(func.sum(ServiceReport.minutes), 0)).where(
            ServiceReport.member_id == member_id,
            ServiceReport.service_date == day,
            ServiceReport.status != ReportStatus.REJECTED,
        )
    )
    attended = await session.scalar(
        select(func.coalesce(func.sum(SignUp.minutes), 0))
        .join(Activity, Activity.id == SignUp.activity_id)
        .where(SignUp.member_id == member_id, Activity.starts_at >= begin, Activity.starts_at < end)
    )
    return int(reported or 0) + int(attended or 0)


async def pending_reports(
    session: AsyncSession,
    org_ids: Collection[int],
    *,
    not_of: int,
    first_id: int | None = None,
    last_id: int | None = None,
    limit: int | None = None,
) -> list[tuple[ServiceReport, Member]]:
    """Pending reports of ``org_ids``, except those of member ``not_of`` (nobody decides on their own), oldest
    first, optionally with ids from ``first_id`` to ``last_id``."""
    stmt = (
        select(ServiceReport, Member)
        .join(Member, Member.id == ServiceReport.member_id)
        .where(
            ServiceReport.status == ReportStatus.PENDING,
            ServiceReport.org_id.in_(list(org_ids)),
            ServiceReport.member_id != not_of,
        )
        .order_by(ServiceReport.id)
    )
    if first_id is not None:
        stmt = stmt.where(ServiceReport.id >= first_id)
    if last_id is not None:
        stmt = stmt.where(ServiceReport.id <= last_id)
    if limit is not None:
        stmt = stmt.limit(limit)
    return [(report, member) for report, member in (await session.execute(stmt)).all()]


async def pending_reports_of(session: AsyncSession, member_id: int) -> list[ServiceReport]:
    """The member's reports awaiting a decision, by service date."""
    return list(
        (
            await session.scalars(
                select(ServiceReport)
                .where(ServiceReport.member_id == member_id, ServiceReport.status == ReportStatus.PENDING)
                .order_by(ServiceReport.service_date)
            )
        ).all()
    )


async def rejected_reports_of(session: AsyncSession, member_id: int, since: datetime) -> list[ServiceReport]:
    """The member's reports rejected since ``since``, latest first."""
    return list(
        (
            await session.scalars(
                select(ServiceReport)
                .where(
                    ServiceReport.member_id == member_id,
                    ServiceReport.status == ReportStatus.REJECTED,
                    ServiceReport.decided_at >= since,
                )
                .order_by(ServiceReport.decided_at.desc())
            )
        ).all()
    )


async def active_members(
    session: AsyncSession, org_ids: Collection[int], member_ids: Collection[int] | None = None
) -> list[Member]:
    """Active members of ``org_ids`` (or, given ``member_ids``, those members), by organisation and name."""
    if member_ids is not None:
        return list((await session.scalars(_ACTIVE_MEMBERS_BY_ID, {"ids": [int(i) for i in member_ids]})).all())
    return list((await session.scalars(_ACTIVE_MEMBERS_OF, {"org_ids": [int(i) for i in org_ids]})).all())


# The statements of a branch's totals, built once with their ids as placeholders (given with each execution,
# rendered as literal integers: no parameter per member): building them afresh was most of the report's time.
_MEMBER_IDS = bindparam("ids", expanding=True, literal_execute=True, type_=Integer)
_ACTIVE = select(Member).where(Member.active.is_(True)).order_by(Member.org_id, Member.name, Member.id)
_ACTIVE_MEMBERS_BY_ID = _ACTIVE.where(Member.id.in_(_MEMBER_IDS))
_ACTIVE_MEMBERS_OF = _ACTIVE.where(Member.org_id.in_(org_ids_param()))


async def served_minutes(
    session: AsyncSession,
    member_ids: Collection[int],
    begin: datetime,
    end: datetime,
    first: date,
    following: date,
) -> list[tuple[bool, int, int | None, int | None]]:
    """``(reported, member, minutes, outside minutes)`` of each activity the members attended that starts in
    ``[begin, end)`` (``reported`` false) and of each of their approved self-reports dated ``[first, following)``
    (true), in ONE statement: a branch's totals are a handful of milliseconds, and each statement costs one."""
    params = {"ids": [int(i) for i in member_ids], "begin": begin, "end": end, "first": first, "following": following}
    rows = await session.execute(_SERVED_MINUTES, params)
    return [(bool(reported), member_id, minutes, outside) for reported, member_id, minutes, outside in rows.all()]


_ATTENDED_MINUTES = (
    select(literal_column("0", Integer).label("reported"), SignUp.member_id, SignUp.minutes, SignUp.outside_minutes)
    .join(Activity, Activity.id == SignUp.activity_id)
    .where(
        SignUp.member_id.in_(_MEMBER_IDS),
        SignUp.checked_in_at.is_not(None),
        SignUp.status == SignUpStatus.CONFIRMED,
        Activity.starts_at >= bindparam("begin"),
        Activity.starts_at < bindparam("end"),
    )
)
_APPROVED_MINUTES = select(
    literal_column("1", Integer).label("reported"),
    ServiceReport.member_id,
    ServiceReport.minutes,
    ServiceReport.outside_minutes,
).where(
    ServiceReport.member_id.in_(_MEMBER_IDS),
    ServiceReport.status == ReportStatus.APPROVED,
    ServiceReport.service_date >= bindparam("first"),
    ServiceReport.service_date < bindparam("following"),
)
_SERVED_MINUTES: CompoundSelect[int, int, int | None, int | None] = union_all(_ATTENDED_MINUTES, _APPROVED_MINUTES)


async def organisations_by_id(session: AsyncSession, org_ids: Collection[int]) -> dict[int, Organisation]:
    """The organisations among ``org_ids``, by id."""
    rows = await session.scalars(_ORGANISATIONS_BY_ID, {"org_ids": [int(i) for i in org_ids]})
    return {org.id: org for org in rows.all()}


_ORGANISATIONS_BY_ID = select(Organisation).where(Organisation.id.in_(org_ids_param()))
