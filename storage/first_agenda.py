"""The first agenda item (第一议题, measure 7): study materials, their dispatch to branches, what each meeting
studied first, and the nudges sent when a dispatched material stays unstudied: the tables, then their queries
(each takes a session and never commits)."""

from __future__ import annotations

import enum
from collections.abc import Collection
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    Integer,
    Select,
    String,
    Text,
    UniqueConstraint,
    bindparam,
    delete,
    func,
    literal_column,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage import queries
from storage.base import Base, utcnow
from storage.meetings import Meeting, MeetingRef, MeetingStatus
from storage.models import Organisation, OrgKind


class MaterialKind(enum.StrEnum):
    """What a study material is."""

    SPEECH = "speech"  # 重要讲话
    INSTRUCTION = "instruction"  # 重要指示（批示）
    ARTICLE = "article"  # 文章
    MEETING_SPIRIT = "meeting_spirit"  # 会议精神


class StudyForm(enum.StrEnum):
    """How the branch studied it."""

    CONVEYING = "conveying"  # 传达学习
    DISCUSSION = "discussion"  # 集中研讨
    TUTORIAL = "tutorial"  # 专题辅导
    EXCHANGE = "exchange"  # 交流发言


class StudyMaterial(Base):
    """A speech, instruction, article or meeting spirit to study; in the catalog of ``owner_org_id``.

    Administrators' materials live in their organisation's catalog and are seen by every branch below it;
    a secretary's own (or typed while recording) live in the branch's catalog.
    """

    __tablename__ = "study_materials"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    source: Mapped[str | None] = mapped_column(String(200))  # issuing source: 新华社, 中央办公厅 …
    issued_on: Mapped[date | None] = mapped_column(Date)  # date of the speech or instruction
    kind: Mapped[str | None] = mapped_column(String(16))  # a MaterialKind; unknown for a typed title
    body: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(500))
    attachment_file_id: Mapped[str | None] = mapped_column(String(200))  # a Telegram file id
    attachment_name: Mapped[str | None] = mapped_column(String(200))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MaterialDispatch(Base):
    """A material sent to one branch; the unique key makes a second dispatch to it impossible."""

    __tablename__ = "material_dispatches"
    __table_args__ = (
        UniqueConstraint("material_id", "branch_id"),
        # The report's "dispatched to these branches in the period" (migration 0013_first_agenda_report).
        Index("ix_material_dispatches_branch_dispatched", "branch_id", "dispatched_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    material_id: Mapped[int] = mapped_column(ForeignKey("study_materials.id", ondelete="CASCADE"))
    branch_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    dispatched_at: Mapped[datetime] = mapped_column(default=utcnow)
    dispatched_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))


class FirstAgendaItem(Base):
    """Agenda item 1 of one meeting: what was studied (see :class:`FirstAgendaMaterial`), how, led by whom."""

    __tablename__ = "first_agenda_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), unique=True)
    form: Mapped[str | None] = mapped_column(String(16))  # a StudyForm; None until the secretary says
    led_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    led_by_name: Mapped[str | None] = mapped_column(String(100))  # kept even for a guest lecturer
    note: Mapped[str | None] = mapped_column(String(500))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class FirstAgendaMaterial(Base):
    """One material studied under a meeting's first agenda item, in the order given."""

    __tablename__ = "first_agenda_materials"
    __table_args__ = (UniqueConstraint("item_id", "material_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("first_agenda_items.id", ondelete="CASCADE"))
    material_id: Mapped[int] = mapped_column(ForeignKey("study_materials.id", ondelete="RESTRICT"), index=True)
    position: Mapped[int] = mapped_column(default=1)


class FirstAgendaNudge(Base):
    """A branch was reminded that a dispatched material is still unstudied: once per (material, branch)."""

    __tablename__ = "first_agenda_nudges"
    __table_args__ = (UniqueConstraint("material_id", "branch_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    material_id: Mapped[int] = mapped_column(ForeignKey("study_materials.id", ondelete="CASCADE"))
    branch_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    nudged_at: Mapped[datetime] = mapped_column(default=utcnow)


# --------------------------------------------------------------------------------------------------------------
# Queries


class OneBranch(NamedTuple):
    """A branch leader's scope: the branch and its Party groups. Its select names them without the recursive CTE:
    PostgreSQL cannot tell a recursive CTE's size, guesses thousands of organisations, and then scans every
    meeting of the city for one branch (256 ms against 6 ms by the index on the city database)."""

    branch_id: int


class BranchOrgs(tuple[int, ...]):
    """A branch leader's scope once its organisations (the branch and its Party groups) are read: a report's
    statements name them as literal ids, with no look-up of the organisations in each part (PostgreSQL planned the
    report's statement of three parts in a third of the time: planning was most of it)."""

    __slots__ = ()


def subtree_select(roots: Collection[int] | None) -> Select[Any]:
    """The ids of ``roots`` and everything below them, as a select (a recursive CTE: one statement whatever the
    size of the tree, one parameter per root); None: every organisation."""
    if roots is None:
        return select(Organisation.id)
    if isinstance(roots, OneBranch):  # a branch's Party groups are the only organisations below it
        return _ONE_BRANCH  # executed with {"branch_id": roots.branch_id} (see _scoped)
    if isinstance(roots, BranchOrgs):  # the organisations themselves
        return select(Organisation.id).where(Organisation.id.in_(list(roots)))
    tree = select(Organisation.id).where(Organisation.id.in_(list(roots))).cte("fa_tree", recursive=True)
    tree = tree.union_all(select(Organisation.id).where(Organisation.parent_id == tree.c.id))
    return select(tree.c.id)


# One branch's scope, its id given with each execution (``{"branch_id": …}``: see :func:`_scoped`).
_BRANCH_ID = bindparam("branch_id", type_=Integer)
_ONE_BRANCH = select(Organisation.id).where(or_(Organisation.id == _BRANCH_ID, Organisation.parent_id == _BRANCH_ID))
# The organisations of a branch read already, as literal ids (``{"scope_ids": […]}``).
_SCOPE_IDS = bindparam("scope_ids", expanding=True, literal_execute=True, type_=Integer)
_BUILT: dict[str, Any] = {}


def _scoped(name: str, roots: Collection[int] | None, make: Any) -> tuple[Any, dict[str, Any]]:
    """``make(subtree_select(roots))`` and the parameters it needs. A branch leader's statement (the same for every
    branch, its id a parameter) is built once and reused: building it afresh cost more than running it, a
    secretary's report being milliseconds; a subtree's is built each time (its report takes far longer)."""
    if isinstance(roots, OneBranch | BranchOrgs):
        key, under, params = (
            (name, _ONE_BRANCH, {"branch_id": roots.branch_id})
            if isinstance(roots, OneBranch)
            else (f"{name}/ids", _SCOPE_IDS, {"scope_ids": list(roots)})
        )
        found = _BUILT.get(key)
        if found is None:
            found = _BUILT[key] = make(under)
        return found, params
    return make(subtree_select(roots)), {}


async def org_parents(session: AsyncSession) -> dict[int, int | None]:
    """Every organisation's parent."""
    return {k: v for k, v in await session.execute(select(Organisation.id, Organisation.parent_id))}


async def org_kinds(session: AsyncSession) -> dict[int, str]:
    """Every organisation's kind."""
    return {k: v for k, v in await session.execute(select(Organisation.id, Organisation.kind))}


async def top_org_ids(session: AsyncSession) -> list[int]:
    """The organisations with nothing above them, by id."""
    stmt = select(Organisation.id).where(Organisation.parent_id.is_(None)).order_by(Organisation.id)
    return list((await session.scalars(stmt)).all())


async def orgs_under(session: AsyncSession, roots: Collection[int] | None) -> list[Organisation]:
    """The organisations of the subtrees of ``roots`` (None: all)."""
    stmt, params = _scoped("orgs_under", roots, lambda under: select(Organisation).where(Organisation.id.in_(under)))
    return list((await session.scalars(stmt, params)).all())


async def is_dispatched(
    session: AsyncSession, material_id: int, *, branch_id: int | None = None, under: int | None = None
) -> bool:
    """Whether ``material_id`` was dispatched to ``branch_id`` (or to any branch under ``under``)."""
    stmt = select(MaterialDispatch.id).where(MaterialDispatch.material_id == material_id)
    if branch_id is not None:
        stmt = stmt.where(MaterialDispatch.branch_id == branch_id)
    if under is not None:
        stmt = stmt.where(MaterialDispatch.branch_id.in_(subtree_select([under])))
    return await session.scalar(stmt.limit(1)) is not None


async def material_titled(
    session: AsyncSession, owner_org_id: int, title: str, *, issued_on: date | None = None
) -> StudyMaterial | None:
    """The first material of that title in the organisation's catalog (of that date, when given)."""
    stmt = select(StudyMaterial).where(StudyMaterial.owner_org_id == owner_org_id, StudyMaterial.title == title)
    if issued_on is not None:
        stmt = stmt.where(StudyMaterial.issued_on == issued_on)
    return await session.scalar(stmt.order_by(StudyMaterial.id).limit(1))


async def dispatched_to(session: AsyncSession, branch_id: int) -> dict[int, datetime]:
    """material id → when it was dispatched to the branch."""
    stmt = select(MaterialDispatch.material_id, MaterialDispatch.dispatched_at).where(
        MaterialDispatch.branch_id == branch_id
    )
    return {k: v for k, v in await session.execute(stmt)}


async def materials_for_branch(session: AsyncSession, owners: Collection[int], branch_id: int) -> list[StudyMaterial]:
    """The materials of the catalogs ``owners`` and those dispatched to ``branch_id``."""
    dispatched = select(MaterialDispatch.material_id).where(MaterialDispatch.branch_id == branch_id)
    stmt = select(StudyMaterial).where(StudyMaterial.owner_org_id.in_(list(owners)) | StudyMaterial.id.in_(dispatched))
    return list((await session.scalars(stmt)).all())


async def latest_materials(session: AsyncSession, owners: Collection[int] | None, limit: int) -> list[StudyMaterial]:
    """The latest materials of the catalogs ``owners`` (None: every dated material), newest first."""
    stmt = select(StudyMaterial).order_by(StudyMaterial.created_at.desc(), StudyMaterial.id.desc()).limit(limit)
    if owners is not None:
        stmt = stmt.where(StudyMaterial.owner_org_id.in_(list(owners)))
    else:
        stmt = stmt.where(StudyMaterial.issued_on.is_not(None))
    return list((await session.scalars(stmt)).all())


async def dispatch_totals(
    session: AsyncSession, material_ids: Collection[int], *, under: int | None
) -> dict[int, tuple[int, datetime | None]]:
    """material id → (branches it was dispatched to, the latest dispatch), within ``under``'s subtree (None: all)."""
    stmt = (
        select(MaterialDispatch.material_id, func.count(MaterialDispatch.id), func.max(MaterialDispatch.dispatched_at))
        .where(MaterialDispatch.material_id.in_(list(material_ids)))
        .group_by(MaterialDispatch.material_id)
    )
    if under is not None:
        stmt = stmt.where(MaterialDispatch.branch_id.in_(subtree_select([under])))
    return {material_id: (int(count), latest) for material_id, count, latest in await session.execute(stmt)}


async def dispatched_among(session: AsyncSession, material_id: int, branch_ids: Collection[int]) -> set[int]:
    """Which of ``branch_ids`` have the material already."""
    stmt = select(MaterialDispatch.branch_id).where(
        MaterialDispatch.material_id == material_id, MaterialDispatch.branch_id.in_(list(branch_ids))
    )
    return set((await session.scalars(stmt)).all())


async def claim_dispatch(
    session: AsyncSession, material_id: int, branch_id: int, at: datetime, by_id: int | None
) -> bool:
    """Dispatch the material to the branch; False when it had it already (one conditional write: the unique key
    decides between two administrators pressing at once)."""
    insert = queries.upsert_insert(session)
    result = await session.execute(
        insert(MaterialDispatch)
        .values(material_id=material_id, branch_id=branch_id, dispatched_at=at, dispatched_by_id=by_id)
        .on_conflict_do_nothing(index_elements=["material_id", "branch_id"])
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def item_of(session: AsyncSession, meeting_id: int) -> FirstAgendaItem | None:
    """The meeting's first agenda item, if recorded."""
    return await session.scalar(select(FirstAgendaItem).where(FirstAgendaItem.meeting_id == meeting_id))


async def item_materials(session: AsyncSession, item_id: int) -> list[StudyMaterial]:
    """The materials of an item, in their order."""
    stmt = (
        select(StudyMaterial)
        .join(FirstAgendaMaterial, FirstAgendaMaterial.material_id == StudyMaterial.id)
        .where(FirstAgendaMaterial.item_id == item_id)
        .order_by(FirstAgendaMaterial.position, FirstAgendaMaterial.id)
    )
    return list((await session.scalars(stmt)).all())


async def clear_item_materials(session: AsyncSession, item_id: int) -> None:
    """Forget an item's materials (before recording them again)."""
    await session.execute(delete(FirstAgendaMaterial).where(FirstAgendaMaterial.item_id == item_id))


async def first_studied(
    session: AsyncSession,
    *,
    now: datetime,
    org_ids: Collection[int] | None = None,
    roots: Collection[int] | None = None,
    material_id: int | None = None,
    planned_too: bool = False,
) -> dict[tuple[int, int], datetime]:
    """(org, material) → the first meeting at which the org studied it (taken place by ``now``, unless
    ``planned_too``; not cancelled), for ``org_ids`` or the subtrees of ``roots``."""
    if org_ids is None and material_id is None and not planned_too:  # a report's: built once for one branch
        stmt, params = _scoped("first_studied", roots, lambda under: _first_studied(under, until_now=True))
    else:
        params = {"branch_id": roots.branch_id} if org_ids is None and isinstance(roots, OneBranch) else {}
        orgs = list(org_ids) if org_ids is not None else subtree_select(roots)
        stmt = _first_studied(orgs, until_now=not planned_too)
        if material_id is not None:
            stmt = stmt.where(FirstAgendaMaterial.material_id == material_id)
    return {(org_id, mat_id): at for org_id, mat_id, at in await session.execute(stmt, params | {"now": now})}


def _first_studied(orgs: Any, until_now: bool) -> Any:
    """:func:`first_studied`'s statement for the organisations ``orgs`` (ids, or a select of them)."""
    stmt = (
        select(Meeting.org_id, FirstAgendaMaterial.material_id, func.min(Meeting.starts_at))
        .join(FirstAgendaItem, FirstAgendaItem.meeting_id == Meeting.id)
        .join(FirstAgendaMaterial, FirstAgendaMaterial.item_id == FirstAgendaItem.id)
        .where(Meeting.status != MeetingStatus.CANCELLED, Meeting.org_id.in_(orgs))
        .group_by(Meeting.org_id, FirstAgendaMaterial.material_id)
    )
    return stmt.where(Meeting.starts_at <= bindparam("now")) if until_now else stmt


async def held_meetings(
    session: AsyncSession, roots: Collection[int] | None, start: datetime, end: datetime, now: datetime
) -> list[tuple[int, MeetingRef, int | None]]:
    """The meetings of the subtrees held in [start, end) by ``now`` (not cancelled): each one's organisation, the
    meeting as a report names it and its item's id. Three columns, not whole rows: a city's year is tens of
    thousands of meetings, and loading each as an object with its JSON record and details cost seconds."""
    stmt, params = _scoped("held_meetings", roots, _held_meetings)
    rows = await session.execute(stmt, params | {"start": start, "end": end, "now": now})
    return [
        (org_id, MeetingRef(meeting_id, kind, starts_at), item_id)
        for org_id, meeting_id, kind, starts_at, item_id in rows
    ]


def _held_meetings(under: Any) -> Any:
    return (
        select(Meeting.org_id, Meeting.id, Meeting.kind, Meeting.starts_at, FirstAgendaItem.id)
        .outerjoin(FirstAgendaItem, FirstAgendaItem.meeting_id == Meeting.id)
        .where(
            Meeting.org_id.in_(under),
            Meeting.status != MeetingStatus.CANCELLED,
            Meeting.starts_at >= bindparam("start"),
            Meeting.starts_at < bindparam("end"),
            Meeting.starts_at <= bindparam("now"),
        )
        .order_by(Meeting.starts_at)
    )


async def branch_dispatches(
    session: AsyncSession, roots: Collection[int] | None, start: datetime, end: datetime
) -> list[tuple[int, int, datetime]]:
    """(branch, material, when) of the dispatches to the branches of the subtrees in [start, end)."""
    stmt, params = _scoped("branch_dispatches", roots, _branch_dispatches)
    rows = await session.execute(stmt, params | {"start": start, "end": end})
    return [tuple(row) for row in rows]


def _branch_dispatches(under: Any) -> Any:
    return (
        select(MaterialDispatch.branch_id, MaterialDispatch.material_id, MaterialDispatch.dispatched_at)
        .join(Organisation, Organisation.id == MaterialDispatch.branch_id)
        .where(
            MaterialDispatch.branch_id.in_(under),
            Organisation.kind == OrgKind.BRANCH,
            MaterialDispatch.dispatched_at >= bindparam("start"),
            MaterialDispatch.dispatched_at < bindparam("end"),
        )
        .order_by(MaterialDispatch.dispatched_at, MaterialDispatch.material_id)
    )


class ReportRecords(NamedTuple):
    """What the first agenda report reads of the subtrees, in one statement (:func:`report_records`)."""

    held: list[tuple[int, MeetingRef, int | None]]  # as held_meetings returns them
    dispatches: list[tuple[int, int, datetime]]  # as branch_dispatches returns them
    studied: dict[tuple[int, int], datetime]  # as first_studied returns it (studied by now)


HELD, DISPATCHED, STUDIED = 0, 1, 2  # the part of report_records' statement a row comes from


async def report_records(
    session: AsyncSession, roots: Collection[int] | None, start: datetime, end: datetime, now: datetime
) -> ReportRecords:
    """:func:`held_meetings`, :func:`branch_dispatches` and :func:`first_studied` (by ``now``) of the subtrees.

    For one branch in ONE statement: three round trips were half of a branch's report (each costs about a
    millisecond of driver overhead whatever its rows). The rows differ in shape, so each part fills the columns it
    has, tagged; the same rows as the three functions (a test compares). A subtree's are the three statements: a
    city's rows are tens of thousands, and PostgreSQL took 1.7 times as long over them as one sorted union."""
    if not isinstance(roots, OneBranch | BranchOrgs):
        return ReportRecords(
            await held_meetings(session, roots, start, end, now),
            await branch_dispatches(session, roots, start, end),
            await first_studied(session, now=now, roots=roots),
        )
    stmt, params = _scoped("report_records", roots, _report_records)
    found = ReportRecords([], [], {})
    rows = await session.execute(stmt, params | {"start": start, "end": end, "now": now})
    for part, org_id, ref_id, kind, at, item_id in rows:
        if part == HELD:
            found.held.append((org_id, MeetingRef(ref_id, kind, at), item_id))
        elif part == DISPATCHED:
            found.dispatches.append((org_id, ref_id, at))
        else:
            found.studied[(org_id, ref_id)] = at
    return found


def _report_records(under: Any) -> Any:
    def part(value: int) -> Any:
        return literal_column(str(value), Integer).label("part")

    no_kind, no_item = null().cast(String), null().cast(Integer)
    # The meetings first: a union's columns take their types (and so their result processing) from its first part.
    held = _held_meetings(under).with_only_columns(
        part(HELD),
        Meeting.org_id.label("org_id"),
        Meeting.id.label("ref_id"),
        Meeting.kind.label("kind"),
        Meeting.starts_at.label("at"),
        FirstAgendaItem.id.label("item_id"),
        maintain_column_froms=True,
    )
    dispatched = _branch_dispatches(under).with_only_columns(
        part(DISPATCHED),
        MaterialDispatch.branch_id,
        MaterialDispatch.material_id,
        no_kind,
        MaterialDispatch.dispatched_at,
        no_item,
        maintain_column_froms=True,
    )
    studied = _first_studied(under, until_now=True).with_only_columns(
        part(STUDIED),
        Meeting.org_id,
        FirstAgendaMaterial.material_id,
        no_kind,
        func.min(Meeting.starts_at),
        no_item,
        maintain_column_froms=True,
    )
    records = union_all(held.order_by(None), dispatched.order_by(None), studied)
    columns = records.selected_columns
    return records.order_by(columns.part, columns.at, columns.ref_id)


async def material_dispatches(
    session: AsyncSession, material_id: int, *, under: int | None = None, branch_id: int | None = None
) -> list[tuple[MaterialDispatch, Organisation]]:
    """The material's dispatches with their branches, within ``under``'s subtree or to ``branch_id`` if given."""
    stmt = (
        select(MaterialDispatch, Organisation)
        .join(Organisation, Organisation.id == MaterialDispatch.branch_id)
        .where(MaterialDispatch.material_id == material_id)
    )
    if under is not None:
        stmt = stmt.where(MaterialDispatch.branch_id.in_(subtree_select([under])))
    if branch_id is not None:
        stmt = stmt.where(MaterialDispatch.branch_id == branch_id)
    return [(d, o) for d, o in await session.execute(stmt)]


async def study_progress(
    session: AsyncSession, material_ids: Collection[int], *, under: int, now: datetime
) -> dict[int, tuple[int, int]]:
    """material id → (branches under ``under`` that studied it at a meeting held by ``now``, branches it was
    dispatched to): one statement for any number of branches and materials."""
    studied = (
        select(Meeting.org_id.label("org_id"), FirstAgendaMaterial.material_id.label("material_id"))
        .join(FirstAgendaItem, FirstAgendaItem.meeting_id == Meeting.id)
        .join(FirstAgendaMaterial, FirstAgendaMaterial.item_id == FirstAgendaItem.id)
        .where(Meeting.status != MeetingStatus.CANCELLED, Meeting.starts_at <= now)
        .distinct()
        .subquery()
    )
    stmt = (
        select(MaterialDispatch.material_id, func.count(studied.c.org_id), func.count(MaterialDispatch.id))
        .outerjoin(
            studied,
            (studied.c.org_id == MaterialDispatch.branch_id) & (studied.c.material_id == MaterialDispatch.material_id),
        )
        .where(
            MaterialDispatch.material_id.in_(list(material_ids)),
            MaterialDispatch.branch_id.in_(subtree_select([under])),
        )
        .group_by(MaterialDispatch.material_id)
    )
    return {material_id: (int(done), int(total)) for material_id, done, total in await session.execute(stmt)}


async def due_nudges(session: AsyncSession, before: datetime) -> list[tuple[int, int, datetime]]:
    """(material, branch, when) of the dispatches made before ``before`` that nobody was nudged about yet."""
    stmt = (
        select(MaterialDispatch.material_id, MaterialDispatch.branch_id, MaterialDispatch.dispatched_at)
        .outerjoin(
            FirstAgendaNudge,
            (FirstAgendaNudge.material_id == MaterialDispatch.material_id)
            & (FirstAgendaNudge.branch_id == MaterialDispatch.branch_id),
        )
        .where(MaterialDispatch.dispatched_at < before, FirstAgendaNudge.id.is_(None))
        .order_by(MaterialDispatch.dispatched_at, MaterialDispatch.id)
    )
    return [tuple(row) for row in await session.execute(stmt)]  # type: ignore[misc]


async def claim_nudge(session: AsyncSession, material_id: int, branch_id: int, at: datetime) -> bool:
    """Mark the branch nudged about the material; False when another process did it meanwhile."""
    insert = queries.upsert_insert(session)
    claimed = await session.execute(
        insert(FirstAgendaNudge)
        .values(material_id=material_id, branch_id=branch_id, nudged_at=at)
        .on_conflict_do_nothing(index_elements=["material_id", "branch_id"])
    )
    return bool(claimed.rowcount)  # type: ignore[attr-defined]


async def materials_by_id(session: AsyncSession, material_ids: Collection[int]) -> dict[int, StudyMaterial]:
    """The materials of these ids (one statement)."""
    if not material_ids:
        return {}
    rows = await session.scalars(_MATERIALS_BY_ID, {"ids": [int(i) for i in material_ids]})
    return {m.id: m for m in rows.all()}


_MATERIALS_BY_ID = select(StudyMaterial).where(  # built once: a secretary's report asks
    StudyMaterial.id.in_(bindparam("ids", expanding=True, literal_execute=True, type_=Integer))
)
