"""Ledgers (台账): the set-based reads behind the Excel ledgers, the charts and the monthly digests, and the one
thing the feature stores itself: who turned the monthly digest off.

Every query takes a Select of branch ids (a branch alone, or a whole subtree through a recursive CTE) and runs
as one statement whatever the number of branches or members: no loop per branch or per member, and no
statement binding one parameter per id. The services assemble the sheets from the rows.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Select, and_, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, aliased, mapped_column

from storage.base import Base, utcnow
from storage.first_agenda import FirstAgendaItem, FirstAgendaMaterial, MaterialDispatch, StudyMaterial
from storage.meetings import Attendance, Meeting, MeetingStatus
from storage.membership import spans_select
from storage.models import Member, Organisation, OrgKind, OutboxMessage, OutboxStatus
from storage.volunteer import Activity, ReportStatus, ServiceReport, SignUp, SignUpStatus

STREAM_BATCH = 5_000  # rows per batch of a streamed read


class DigestPreference(Base):
    """A person's choice about the monthly digest; no row means it is on (``/digest off`` writes one)."""

    __tablename__ = "digest_preferences"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


# ---------------------------------------------------------------- scope


def subtree_select(root_id: int) -> Select[Any]:
    """Ids of ``root_id`` and everything below it, as one recursive query."""
    tree = select(Organisation.id.label("id")).where(Organisation.id == root_id).cte("tree", recursive=True)
    tree = tree.union_all(select(Organisation.id).where(Organisation.parent_id == tree.c.id))
    return select(tree.c.id)


def branch_ids_select(root_id: int) -> Select[Any]:
    """Ids of the branches in the subtree of ``root_id`` (the root itself when it is a branch)."""
    return select(Organisation.id).where(
        Organisation.id.in_(subtree_select(root_id)), Organisation.kind == OrgKind.BRANCH
    )


async def branches(session: AsyncSession, branch_ids: Select[Any]) -> Sequence[Organisation]:
    """The branches, by name."""
    return (
        await session.scalars(select(Organisation).where(Organisation.id.in_(branch_ids)).order_by(Organisation.name))
    ).all()


async def group_counts(session: AsyncSession, branch_ids: Select[Any]) -> dict[int, int]:
    """Number of Party groups of each branch (a Party group meeting is required of each)."""
    rows = await session.execute(
        select(Organisation.parent_id, func.count())
        .where(Organisation.parent_id.in_(branch_ids), Organisation.kind == OrgKind.PARTY_GROUP)
        .group_by(Organisation.parent_id)
    )
    return {int(parent): int(n) for parent, n in rows.all() if parent is not None}


def member_ids_select(branch_ids: Select[Any], start: date, end: date) -> Select[Any]:
    """Ids of everyone who belonged to one of the branches during the period (for ``IN (subquery)``)."""
    spans = spans_select(branch_ids, start, end).subquery()
    return select(spans.c.member_id)


async def members(session: AsyncSession, branch_ids: Select[Any], start: date, end: date) -> Sequence[Any]:
    """(id, name, member_no, join_date, role) of the period's members."""
    return (
        await session.execute(
            select(Member.id, Member.name, Member.member_no, Member.join_date, Member.role).where(
                Member.id.in_(member_ids_select(branch_ids, start, end))
            )
        )
    ).all()


# ---------------------------------------------------------------- meetings


def _in_period(column: Any, start: datetime, end: datetime) -> Any:
    return and_(column >= start, column < end)


async def meetings(session: AsyncSession, branch_ids: Select[Any], start: datetime, end: datetime) -> Sequence[Any]:
    """The branches' meetings in ``[start, end)`` (not cancelled) with their first agenda item and the names of
    whoever called and recorded them: one row per meeting, oldest first."""
    creator = aliased(Member)
    recorder = aliased(Member)
    return (
        await session.execute(
            select(
                Meeting.id,
                Meeting.org_id,
                Meeting.group_id,
                Meeting.kind,
                Meeting.starts_at,
                Meeting.ends_at,
                Meeting.place,
                Meeting.topic,
                Meeting.status,
                Meeting.tags,
                Meeting.record,
                creator.name.label("chair"),
                FirstAgendaItem.form.label("fa_form"),
                FirstAgendaItem.led_by_name.label("fa_leader"),
                FirstAgendaItem.id.label("fa_item"),
                recorder.name.label("recorder"),
            )
            .outerjoin(creator, creator.id == Meeting.created_by_id)
            .outerjoin(FirstAgendaItem, FirstAgendaItem.meeting_id == Meeting.id)
            .outerjoin(recorder, recorder.id == FirstAgendaItem.recorded_by_id)
            .where(
                Meeting.org_id.in_(branch_ids),
                _in_period(Meeting.starts_at, start, end),
                Meeting.status != MeetingStatus.CANCELLED,
            )
            .order_by(Meeting.starts_at, Meeting.id)
        )
    ).all()


def _meeting_filter(branch_ids: Select[Any], start: datetime, end: datetime) -> Any:
    return and_(
        Meeting.org_id.in_(branch_ids),
        _in_period(Meeting.starts_at, start, end),
        Meeting.status != MeetingStatus.CANCELLED,
    )


async def attendance_counts(
    session: AsyncSession, branch_ids: Select[Any], start: datetime, end: datetime
) -> Sequence[Any]:
    """(meeting_id, status, count): counted by the database, so a city's million rows never leave it."""
    return (
        await session.execute(
            select(Attendance.meeting_id, Attendance.status, func.count())
            .join(Meeting, Meeting.id == Attendance.meeting_id)
            .where(_meeting_filter(branch_ids, start, end))
            .group_by(Attendance.meeting_id, Attendance.status)
        )
    ).all()


async def not_attended(
    session: AsyncSession, branch_ids: Select[Any], start: datetime, end: datetime, statuses: Sequence[str]
) -> AsyncIterator[Sequence[Any]]:
    """(meeting_id, name, status, leave_reason) of those not present at each meeting, by meeting and name, in
    batches: a city's year is some 200,000 rows, read a batch at a time rather than held all at once."""
    result = await session.stream(
        select(Attendance.meeting_id, Member.name, Attendance.status, Attendance.leave_reason)
        .join(Meeting, Meeting.id == Attendance.meeting_id)
        .join(Member, Member.id == Attendance.member_id)
        .where(_meeting_filter(branch_ids, start, end), Attendance.status.in_(statuses))
        .order_by(Attendance.meeting_id, Member.name)
    )
    async for batch in result.partitions(STREAM_BATCH):
        yield batch


async def attendance(session: AsyncSession, branch_ids: Select[Any], start: datetime, end: datetime) -> Sequence[Any]:
    """(meeting_id, member_id, status) of every expected person: the member × meeting matrix (branch level)."""
    return (
        await session.execute(
            select(Attendance.meeting_id, Attendance.member_id, Attendance.status)
            .join(Meeting, Meeting.id == Attendance.meeting_id)
            .where(_meeting_filter(branch_ids, start, end))
        )
    ).all()


async def first_agenda_materials(
    session: AsyncSession, branch_ids: Select[Any], start: datetime, end: datetime
) -> Sequence[Any]:
    """(meeting_id, material_id, title, source, position) studied under the meetings' first agenda items."""
    return (
        await session.execute(
            select(
                FirstAgendaItem.meeting_id,
                StudyMaterial.id,
                StudyMaterial.title,
                StudyMaterial.source,
                FirstAgendaMaterial.position,
            )
            .join(FirstAgendaMaterial, FirstAgendaMaterial.item_id == FirstAgendaItem.id)
            .join(StudyMaterial, StudyMaterial.id == FirstAgendaMaterial.material_id)
            .join(Meeting, Meeting.id == FirstAgendaItem.meeting_id)
            .where(_meeting_filter(branch_ids, start, end))
            .order_by(FirstAgendaItem.meeting_id, FirstAgendaMaterial.position)
        )
    ).all()


async def dispatches(session: AsyncSession, branch_ids: Select[Any], start: datetime, end: datetime) -> Sequence[Any]:
    """Materials dispatched to the branches in ``[start, end)``: (branch_id, material_id, title, source,
    dispatched_at)."""
    return (
        await session.execute(
            select(
                MaterialDispatch.branch_id,
                StudyMaterial.id,
                StudyMaterial.title,
                StudyMaterial.source,
                MaterialDispatch.dispatched_at,
            )
            .join(StudyMaterial, StudyMaterial.id == MaterialDispatch.material_id)
            .where(MaterialDispatch.branch_id.in_(branch_ids), _in_period(MaterialDispatch.dispatched_at, start, end))
            .order_by(MaterialDispatch.dispatched_at, StudyMaterial.title)
        )
    ).all()


async def studies_since(session: AsyncSession, branch_ids: Select[Any], since: datetime) -> Sequence[Any]:
    """(branch_id, material_id, meeting_id, starts_at, kind, form, leader) of closed meetings from ``since`` on
    that studied a material dispatched to their branch: when each dispatched material was studied, even after
    the period (the lag is still the lag)."""
    dispatched = and_(
        MaterialDispatch.branch_id == Meeting.org_id, MaterialDispatch.material_id == FirstAgendaMaterial.material_id
    )
    return (
        await session.execute(
            select(
                Meeting.org_id,
                FirstAgendaMaterial.material_id,
                Meeting.id,
                Meeting.starts_at,
                Meeting.kind,
                FirstAgendaItem.form,
                FirstAgendaItem.led_by_name,
            )
            .join(FirstAgendaItem, FirstAgendaItem.meeting_id == Meeting.id)
            .join(FirstAgendaMaterial, FirstAgendaMaterial.item_id == FirstAgendaItem.id)
            .join(MaterialDispatch, dispatched)
            .where(
                Meeting.org_id.in_(branch_ids),
                Meeting.starts_at >= since,
                Meeting.status == MeetingStatus.CLOSED,
            )
            .order_by(Meeting.starts_at)
        )
    ).all()


# ---------------------------------------------------------------- volunteer service, birthdays


async def service_done(session: AsyncSession, member_ids: Select[Any], start: datetime, end: datetime) -> Sequence[Any]:
    """(member_id, activity_id, starts_at, minutes, outside_minutes) of activities served in ``[start, end)``."""
    return (
        await session.execute(
            select(SignUp.member_id, Activity.id, Activity.starts_at, SignUp.minutes, SignUp.outside_minutes)
            .join(Activity, Activity.id == SignUp.activity_id)
            .where(
                SignUp.member_id.in_(member_ids),
                SignUp.status == SignUpStatus.CONFIRMED,
                SignUp.minutes.is_not(None),
                _in_period(Activity.starts_at, start, end),
            )
        )
    ).all()


async def service_reported(session: AsyncSession, member_ids: Select[Any], start: date, end: date) -> Sequence[Any]:
    """(member_id, service_date, minutes, outside_minutes) of approved self-reports dated in the period."""
    return (
        await session.execute(
            select(
                ServiceReport.member_id,
                ServiceReport.service_date,
                ServiceReport.minutes,
                ServiceReport.outside_minutes,
            ).where(
                ServiceReport.member_id.in_(member_ids),
                ServiceReport.status == ReportStatus.APPROVED,
                ServiceReport.service_date >= start,
                ServiceReport.service_date <= end,
            )
        )
    ).all()


async def greetings_sent(
    session: AsyncSession, member_ids: Select[Any], start: datetime, end: datetime
) -> Sequence[Any]:
    """(member_id, sent_at) of political-birthday greetings delivered in ``[start, end)``."""
    return (
        await session.execute(
            select(OutboxMessage.member_id, OutboxMessage.sent_at).where(
                OutboxMessage.member_id.in_(member_ids),
                OutboxMessage.dedup_key.like(literal("birthday:") + "%"),
                OutboxMessage.status == OutboxStatus.SENT,
                _in_period(OutboxMessage.sent_at, start, end),
            )
        )
    ).all()


# ---------------------------------------------------------------- digests


async def digest_recipients(session: AsyncSession) -> Sequence[Any]:
    """(member_id, telegram_id, language, role, org_id, delegated) of every reachable secretary, delegated
    committee member and administrator who has not turned the digest off."""
    off = select(DigestPreference.member_id).where(DigestPreference.enabled.is_(False))
    return (
        await session.execute(
            select(Member.id, Member.telegram_id, Member.language, Member.role, Member.org_id, Member.delegated)
            .where(
                Member.active.is_(True),
                Member.telegram_id.is_not(None),
                Member.role.in_(("secretary", "committee", "admin")),
                Member.id.not_in(off),
            )
            .order_by(Member.org_id, Member.id)
        )
    ).all()


async def sent_digest_keys(session: AsyncSession, month: str) -> set[str]:
    """The dedup keys of the digests already queued for ``month`` (YYYY-MM)."""
    rows = await session.scalars(
        select(OutboxMessage.dedup_key).where(OutboxMessage.dedup_key.like(f"digest:%:{month}"))
    )
    return set(rows.all())


async def first_agenda_of(
    session: AsyncSession, meeting_id: int
) -> tuple[FirstAgendaItem | None, list[tuple[str, str | None]]]:
    """A meeting's first agenda item and the (title, source) of its materials, in their order."""
    item = await session.scalar(select(FirstAgendaItem).where(FirstAgendaItem.meeting_id == meeting_id))
    if item is None:
        return None, []
    rows = await session.execute(
        select(StudyMaterial.title, StudyMaterial.source)
        .join(FirstAgendaMaterial, FirstAgendaMaterial.material_id == StudyMaterial.id)
        .where(FirstAgendaMaterial.item_id == item.id)
        .order_by(FirstAgendaMaterial.position)
    )
    return item, [(title, source) for title, source in rows.all()]
