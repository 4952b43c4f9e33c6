"""Checking in to a meeting: what a check-in reads (the meeting and the member; for a typed code, the code's meetings
and the member's recent wrong codes) and its one conditional write, alone or for many members at once. Each query takes
the caller's session and never commits; the ``…_now`` twins read in a synchronous session, on the event loop's own
thread (bot/db.py, ``Database.read_orm_on_loop``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Integer, String, and_, bindparam, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from storage.meetings import CHECKED_IN, Attendance, Meeting, MeetingStatus
from storage.models import AuditEntry, Member
from storage.queries import upsert_insert


class TypedCode(NamedTuple):
    """What a typed check-in code needs, read in one statement (:func:`typed_code`)."""

    member: Member | None
    meetings: list[Meeting]  # the member's branch's scheduled meetings with that code, soonest first
    wrong_codes: int  # the member's wrong codes since the window's start
    first_wrong_at: datetime | None  # the oldest of them (it leaves the window first)


async def typed_code(
    session: AsyncSession, member_id: int, code: str, *, wrong_action: str, wrong_since: datetime
) -> TypedCode:
    """The member, their branch's scheduled meetings with this code, and their wrong codes (audited as
    ``wrong_action``) since ``wrong_since``: a typed code asks once for all three. While the caller holds the
    member, ``session.get(Member, …)`` finds it without asking."""
    asked = {"member_id": member_id, "code": code, "wrong_action": wrong_action, "wrong_since": wrong_since}
    return _typed_code_of((await session.execute(_TYPED_CODE, asked)).all())


def typed_code_now(
    session: Session, member_id: int, code: str, *, wrong_action: str, wrong_since: datetime
) -> TypedCode:
    """:func:`typed_code` in a synchronous session (the event loop's own read: bot/db.py)."""
    asked = {"member_id": member_id, "code": code, "wrong_action": wrong_action, "wrong_since": wrong_since}
    return _typed_code_of(session.execute(_TYPED_CODE, asked).all())


# Built once (as _MEETING_WITH_MEMBER below): building it anew was half of a typed code's time in a burst.
_WRONG_CODES = (
    AuditEntry.actor_id == bindparam("member_id", type_=Integer),
    AuditEntry.action == bindparam("wrong_action", type_=String),
    AuditEntry.at >= bindparam("wrong_since", type_=AuditEntry.__table__.c.at.type),
)
_TYPED_CODE = (
    select(
        Member,
        Meeting,
        select(func.count()).select_from(AuditEntry).where(*_WRONG_CODES).scalar_subquery(),
        select(func.min(AuditEntry.at)).where(*_WRONG_CODES).scalar_subquery(),
    )
    .outerjoin(
        Meeting,
        and_(
            Meeting.org_id == Member.org_id,
            Meeting.checkin_code == bindparam("code", type_=String),
            Meeting.status == MeetingStatus.SCHEDULED,
        ),
    )
    .where(Member.id == bindparam("member_id", type_=Integer))
    .order_by(Meeting.starts_at)
)


def _typed_code_of(rows: Sequence[Any]) -> TypedCode:
    if not rows:
        return TypedCode(None, [], 0, None)
    member, _meeting, wrong_codes, first = rows[0]
    return TypedCode(member, [meeting for _m, meeting, _c, _f in rows if meeting is not None], wrong_codes, first)


async def checked_in_at(session: AsyncSession, meeting_id: int, member_id: int) -> tuple[str, datetime | None] | None:
    """The member's attendance status and check-in time for a meeting, if they have a row."""
    found = (
        await session.execute(
            select(Attendance.status, Attendance.checked_in_at).where(
                Attendance.meeting_id == meeting_id, Attendance.member_id == member_id
            )
        )
    ).first()
    return None if found is None else (found[0], found[1])


async def meeting_with_member(
    session: AsyncSession, meeting_id: int, member_id: int
) -> tuple[Meeting | None, Member | None]:
    """The meeting and the member (None where there is none), in one statement: a check-in asked twice. While the
    caller holds the member, ``session.get(Member, member_id)`` finds it without asking (the identity map is weak)."""
    row = (await session.execute(_MEETING_WITH_MEMBER, {"meeting_id": meeting_id, "member_id": member_id})).one()
    return row[0], row[1]


def meeting_with_member_now(session: Session, meeting_id: int, member_id: int) -> tuple[Meeting | None, Member | None]:
    """:func:`meeting_with_member` in a synchronous session (the event loop's own read: bot/db.py)."""
    row = session.execute(_MEETING_WITH_MEMBER, {"meeting_id": meeting_id, "member_id": member_id}).one()
    return row[0], row[1]


# Built once: every check-in by a scanned code or a group's button runs it (a statement built anew is cache-keyed
# anew).
_MEETING_WITH_MEMBER = (
    select(Meeting, Member)
    .select_from(select(literal(1).label("one")).subquery())
    .outerjoin(Meeting, Meeting.id == bindparam("meeting_id", type_=Integer))
    .outerjoin(Member, Member.id == bindparam("member_id", type_=Integer))
)


_CHECK_INS: dict[tuple[str, tuple[str, ...]], Any] = {}  # the statement by dialect and columns, built once


async def record_check_in(session: AsyncSession, meeting_id: int, member_id: int, values: dict[str, Any]) -> bool:
    """Check a member in with ONE conditional write: the row inserted, or updated if it is not checked in yet;
    whether this call checked them in (False: they were already, perhaps a moment ago by a second tap)."""
    key = (session.get_bind().dialect.name, tuple(sorted(values)))
    stmt = _CHECK_INS.get(key)
    if stmt is None:
        insert = upsert_insert(session)(Attendance.__table__).values(  # the table: a plain statement, its rowcount
            meeting_id=bindparam("v_meeting_id"),
            member_id=bindparam("v_member_id"),
            **{name: bindparam(f"v_{name}") for name in key[1]},
        )
        stmt = _CHECK_INS[key] = _unless_checked_in(insert, key[1])
    params = {"v_meeting_id": meeting_id, "v_member_id": member_id, **{f"v_{k}": v for k, v in values.items()}}
    added = await session.execute(stmt, params)
    return bool(getattr(added, "rowcount", 0))


def _unless_checked_in(insert: Any, columns: Sequence[str]) -> Any:
    """``insert`` (of attendance rows) as the check-in's conditional write: a member's existing row takes ``columns``
    only while they are not checked in."""
    return insert.on_conflict_do_update(
        index_elements=["meeting_id", "member_id"],
        set_={name: insert.excluded[name] for name in columns},
        where=Attendance.__table__.c.status.not_in([s.value for s in CHECKED_IN]),
    )


class CheckIn(NamedTuple):
    """One member's check-in to one meeting, as :func:`record_check_ins` writes it."""

    meeting_id: int
    member_id: int
    values: dict[str, Any]  # the attendance columns to set: status, checked_in_at, checkin_method, updated_at


# At most this many check-ins in one statement: each binds a handful of parameters, and asyncpg takes 32,767.
CHECK_INS_PER_STATEMENT = 500


async def record_check_ins(session: AsyncSession, check_ins: Sequence[CheckIn]) -> list[bool]:
    """:func:`record_check_in` for many members at once (a group's burst, written together): one conditional write
    per :data:`CHECK_INS_PER_STATEMENT`, returning the rows it checked in. Whether each check-in of ``check_ins``
    checked its member in, in order; the same member and meeting twice: the first one (the second was too late)."""
    if len(check_ins) == 1:  # the usual moment, one check-in alone: the statement built once
        one = check_ins[0]
        return [await record_check_in(session, one.meeting_id, one.member_id, one.values)]
    done: set[tuple[int, int]] = set()
    first: dict[tuple[int, int], int] = {}  # each (meeting, member) once: a statement may not touch a row twice
    for index, one in enumerate(check_ins):
        first.setdefault((one.meeting_id, one.member_id), index)
    unique = [check_ins[index] for index in first.values()]
    for start in range(0, len(unique), CHECK_INS_PER_STATEMENT):
        chunk = unique[start : start + CHECK_INS_PER_STATEMENT]
        columns = sorted(chunk[0].values)
        if any(sorted(one.values) != columns for one in chunk):
            raise ValueError("check-ins written together set the same columns")
        table = Attendance.__table__
        insert = upsert_insert(session)(table).values(
            [{"meeting_id": one.meeting_id, "member_id": one.member_id, **one.values} for one in chunk]
        )
        statement = _unless_checked_in(insert, columns).returning(table.c.meeting_id, table.c.member_id)
        # RETURNING gives the rows inserted or updated, not those the WHERE kept as they were (SQLite ≥ 3.35).
        done.update((int(meeting), int(member)) for meeting, member in (await session.execute(statement)).all())
    return [
        first[(one.meeting_id, one.member_id)] == index and (one.meeting_id, one.member_id) in done
        for index, one in enumerate(check_ins)
    ]
