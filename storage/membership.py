"""Membership history (党员组织关系): which branch each member belonged to, and when.

A period's ledger counts the members of that period: someone who joined, transferred or left during it
counts only for their time. ``members.org_id`` says where a member is now; ``memberships`` says where they were.

Conventions:

- a row covers the days ``started_on <= day < ended_on``: ``ended_on`` is the first day the member no longer
  belonged (a transfer on day D closes the old row with D and opens the new one with D, so no day counts twice);
  ``ended_on`` is NULL while the membership lasts;
- ``reason`` says why the row ended (``transfer``, ``left``); NULL while open;
- :func:`sync_memberships` brings the history in line with ``members`` (the roster import calls it): a changed
  branch closes the old row and opens a new one, an inactive member's row is closed. It is set-based: three
  statements whatever the number of members;
- a member with no row at all (created by code that bypasses the import) counts in their current branch from
  their join date, so a ledger is never silently empty.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, TypeVar

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Date,
    ForeignKey,
    Index,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    case,
    exists,
    insert,
    literal,
    null,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base
from storage.models import Member

_T = TypeVar("_T")


class EndReason:
    """Why a membership row ended."""

    TRANSFER = "transfer"  # 组织关系转出
    LEFT = "left"  # removed from the roster: left, died (去世), expelled


class Membership(Base):
    """One stretch of a member's belonging to one branch (or, for an administrator, one organisation)."""

    __tablename__ = "memberships"
    __table_args__ = (Index("ix_memberships_org_started", "org_id", "started_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    started_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)  # first day no longer a member; NULL while it lasts
    reason: Mapped[str | None] = mapped_column(String(32))  # an EndReason once ended


@dataclass(frozen=True, slots=True)
class MembershipSpan:
    """A member's time in a branch within a period: ``start`` and ``end`` are both included."""

    member_id: int
    org_id: int
    start: date
    end: date

    @property
    def days(self) -> int:
        """Number of days covered."""
        return (self.end - self.start).days + 1


def org_filter(
    column: Any, org_ids: Sequence[int] | Select[Any] | BindParameter[Any], name: str = "org_ids_literal"
) -> ColumnElement[bool]:
    """``column IN org_ids`` without one bound parameter per id: a subquery for a Select, and literal
    integers (rendered into the statement, not bound) for a list — safe because they are ints. One statement
    with two different lists gives each its own ``name`` (the same name would render one list twice). A statement
    built once passes :func:`org_ids_param` instead, and the list with each execution."""
    if isinstance(org_ids, Select | BindParameter):
        return column.in_(org_ids)
    ids = [int(i) for i in org_ids]
    return column.in_(bindparam(name, ids, expanding=True, literal_execute=True))


def org_ids_param(name: str = "org_ids") -> BindParameter[Any]:
    """The placeholder of :func:`org_filter`'s list in a statement built once and run many times: the ids are given
    with each execution (``{name: [3, 7]}``) and rendered as literal integers then, as :func:`org_filter` renders
    them. (Building a statement costs more than running it for one branch: a couple of milliseconds each.)"""
    return bindparam(name, expanding=True, literal_execute=True, type_=Integer)


_BUILT: dict[Hashable, Any] = {}


def built_once(key: Hashable, make: Callable[[], _T]) -> _T:
    """The statement ``make()`` builds, built on the first call for ``key`` and reused afterwards (``key`` names
    everything the statement's text depends on: a dialect, a time zone, the rules' kinds; the values vary by
    bound parameters). A statement object reused also keeps its cache key, so SQLAlchemy's compiled cache
    finds it without walking it again."""
    found = _BUILT.get(key)
    if found is None:
        found = _BUILT[key] = make()
    return found


def member_on(day: Any, org_column: Any = None) -> ColumnElement[bool]:
    """SQL: a :class:`Membership` row covers ``day`` (a date or a date expression), optionally in the
    organisation given by ``org_column`` — for joins such as "attendance rows of members of the branch then"."""
    clause = and_(Membership.started_on <= day, or_(Membership.ended_on.is_(None), Membership.ended_on > day))
    if org_column is not None:
        clause = and_(clause, Membership.org_id == org_column)
    return clause


def overlaps(start: date | BindParameter[Any], end: date | BindParameter[Any]) -> ColumnElement[bool]:
    """SQL: a :class:`Membership` row covers at least one day of ``start``..``end`` (both included)."""
    return and_(Membership.started_on <= end, or_(Membership.ended_on.is_(None), Membership.ended_on > start))


def spans_select(
    org_ids: Sequence[int] | Select[Any] | BindParameter[Any],
    start: date | BindParameter[Any],
    end: date | BindParameter[Any],
) -> Select[Any]:
    """One statement: (member_id, org_id, started_on, ended_on) of the recorded rows overlapping the period,
    plus members without any history row (their current organisation, from their join date)."""
    recorded = select(
        Membership.member_id.label("member_id"),
        Membership.org_id.label("org_id"),
        Membership.started_on.label("started_on"),
        Membership.ended_on.label("ended_on"),
    ).where(org_filter(Membership.org_id, org_ids), overlaps(start, end))
    no_history = ~exists().where(Membership.member_id == Member.id)
    unrecorded = select(
        Member.id.label("member_id"),
        Member.org_id.label("org_id"),
        Member.join_date.label("started_on"),
        null().cast(Date).label("ended_on"),
    ).where(
        org_filter(Member.org_id, org_ids),
        Member.active.is_(True),
        no_history,
        or_(Member.join_date.is_(None), Member.join_date <= end),
    )
    return recorded.union_all(unrecorded)  # type: ignore[return-value]


async def members_during(
    session: AsyncSession, org_ids: Sequence[int] | Select[Any], start: date, end: date
) -> list[MembershipSpan]:
    """Who belonged to the organisations ``org_ids`` (a list, or a Select of ids for a whole subtree) between
    ``start`` and ``end`` (both included), each stretch clipped to the period; ordered by org, member, start.

    One statement whatever the number of organisations or members."""
    if end < start:
        return []
    rows = (await session.execute(spans_select(org_ids, start, end))).all()
    spans: list[MembershipSpan] = []
    for member_id, org_id, started_on, ended_on in rows:
        first = max(start, started_on) if started_on is not None else start
        last = min(end, ended_on - timedelta(days=1)) if ended_on is not None else end
        if first <= last:
            spans.append(MembershipSpan(member_id, org_id, first, last))
    spans.sort(key=lambda s: (s.org_id, s.member_id, s.start))
    return spans


async def sync_memberships(session: AsyncSession, today: date) -> None:
    """Bring the history in line with ``members`` as of ``today`` (three statements, whatever the roster size).

    - an open row whose member now belongs elsewhere is closed (``transfer``), one whose member is inactive too
      (``left``);
    - an active member without an open row gets one: from their join date when they have no history at all
      (the roster's first import), else from today (a transfer, or a return).
    """
    open_row = Membership.ended_on.is_(None)
    member = select(Member.id).where(Member.id == Membership.member_id)
    await session.execute(
        update(Membership)
        .where(open_row, exists(member.where(Member.active.is_(False))))
        .values(ended_on=today, reason=EndReason.LEFT)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(Membership)
        .where(open_row, exists(member.where(Member.active.is_(True), Member.org_id != Membership.org_id)))
        .values(ended_on=today, reason=EndReason.TRANSFER)
        .execution_options(synchronize_session=False)
    )
    any_row = exists().where(Membership.member_id == Member.id)
    has_open = exists().where(Membership.member_id == Member.id, Membership.ended_on.is_(None))
    first_day = case(
        (any_row, literal(today, Date)),
        (and_(Member.join_date.is_not(None), Member.join_date <= today), Member.join_date),
        else_=literal(today, Date),
    )
    await session.execute(
        insert(Membership).from_select(
            ["member_id", "org_id", "started_on"],
            select(Member.id, Member.org_id, first_day).where(Member.active.is_(True), ~has_open),
        )
    )
