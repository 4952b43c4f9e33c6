"""Core query functions. Each takes a session and never commits; the caller's unit of work does."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, bindparam, or_, select
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.membership import org_ids_param
from storage.models import AuditEntry, Member, Organisation, OrgKind


def upsert_insert(session: AsyncSession) -> Any:
    """The backend's ``insert`` construct, which offers ``on_conflict_do_nothing`` / ``on_conflict_do_update``
    (both SQLite and PostgreSQL have them; the generic ``insert`` does not)."""
    if session.get_bind().dialect.name == "postgresql":
        return postgres_insert()
    return sqlite.insert


def postgres_insert() -> Any:
    """PostgreSQL's ``insert``, imported when first used: its dialect is 50 ms of a SQLite bot's start-up."""
    from sqlalchemy.dialects.postgresql import insert

    return insert


# Built once: the look-up of every caller the cache does not know (a statement object keeps its cache key).
_MEMBER_BY_TELEGRAM_ID = select(Member).where(Member.telegram_id == bindparam("telegram_id"), Member.active.is_(True))


async def member_by_telegram_id(session: AsyncSession, telegram_id: int) -> Member | None:
    """The active member bound to this Telegram account, if any."""
    return await session.scalar(_MEMBER_BY_TELEGRAM_ID, {"telegram_id": telegram_id})


async def member_by_no(session: AsyncSession, member_no: str) -> Member | None:
    """The member with this roster number."""
    return await session.scalar(select(Member).where(Member.member_no == member_no))


async def member_by_ref(session: AsyncSession, ref: str) -> Member | None:
    """A member by roster number (编号), or else by id written as digits (as ``roster export`` prints it)."""
    ref = ref.strip()
    found = await member_by_no(session, ref)
    if found is None and ref.isdigit() and int(ref) < 2**63:
        found = await session.get(Member, int(ref))
    return found


async def org_by_ref(session: AsyncSession, ref: str) -> Organisation | None:
    """An organisation by its code, or else by its id written as digits (one statement for both: a code wins)."""
    if not (ref.isdigit() and int(ref) < 2**63):
        return await session.scalar(_ORG_BY_CODE, {"code": ref})
    found = (await session.scalars(_ORG_BY_CODE_OR_ID, {"code": ref, "id": int(ref)})).all()
    return next((o for o in found if o.code == ref), found[0] if found else None)


# Built once (every report naming a branch asks): building a statement costs more than running it here.
_ORG_BY_CODE = select(Organisation).where(Organisation.code == bindparam("code"))
_ORG_BY_CODE_OR_ID = select(Organisation).where(
    or_(Organisation.code == bindparam("code"), Organisation.id == bindparam("id"))
)


async def org_by_chat_id(session: AsyncSession, chat_id: int) -> Organisation | None:
    """The branch whose group chat this is."""
    return await session.scalar(select(Organisation).where(Organisation.chat_id == chat_id))


async def all_organisations(session: AsyncSession) -> Sequence[Organisation]:
    """Every organisation, by id."""
    return (await session.scalars(select(Organisation).order_by(Organisation.id))).all()


async def subtree_ids(session: AsyncSession, root_id: int) -> set[int]:
    """Ids of ``root_id`` and everything below it (the tree is small; walk it in Python)."""
    rows = (await session.execute(select(Organisation.id, Organisation.parent_id))).all()
    children: dict[int | None, list[int]] = {}
    for org_id, parent_id in rows:
        children.setdefault(parent_id, []).append(org_id)
    found: set[int] = set()
    stack = [root_id]
    while stack:
        current = stack.pop()
        if current in found:
            continue
        found.add(current)
        stack.extend(children.get(current, []))
    return found


def subtree_select(root_id: int) -> Select[Any]:
    """``root_id`` and everything below it, as a SELECT of ids (a recursive CTE) to use inside other statements,
    so a report over a whole city binds one parameter rather than one per organisation."""
    tree = select(Organisation.id).where(Organisation.id == root_id).cte("subtree", recursive=True)
    tree = tree.union_all(select(Organisation.id).where(Organisation.parent_id == tree.c.id))
    return select(tree.c.id)


def org_scope(org_id: int, within: Select[Any] | None = None) -> Select[Any]:
    """One organisation (if it is ``within`` that scope), as a SELECT of its id, shaped like :func:`subtree_select`."""
    found = select(Organisation.id).where(Organisation.id == org_id)
    return found if within is None else found.where(Organisation.id.in_(within))


async def all_branches(session: AsyncSession) -> Sequence[Organisation]:
    """Every branch, in the order they were created."""
    return (
        await session.scalars(select(Organisation).where(Organisation.kind == OrgKind.BRANCH).order_by(Organisation.id))
    ).all()


async def branches_in(session: AsyncSession, org_ids: set[int]) -> Sequence[Organisation]:
    """The branches among ``org_ids``, by name."""
    return (await session.scalars(_BRANCHES_IN, {"org_ids": [int(i) for i in org_ids]})).all()


# Built once (a secretary's reports ask first): the ids rendered as literal integers, not a parameter each.
_BRANCHES_IN = (
    select(Organisation)
    .where(Organisation.id.in_(org_ids_param()), Organisation.kind == OrgKind.BRANCH)
    .order_by(Organisation.name)
)


async def branch_members(session: AsyncSession, branch_id: int, *, active: bool = True) -> Sequence[Member]:
    """Members of a branch (not administrators attached to it), by name."""
    stmt = select(Member).where(Member.org_id == branch_id).order_by(Member.name, Member.id)
    if active:
        stmt = stmt.where(Member.active.is_(True))
    return (await session.scalars(stmt)).all()


async def branch_leaders(session: AsyncSession, branch_id: int) -> Sequence[Member]:
    """The branch's secretary and the committee members who act for them."""
    members = await branch_members(session, branch_id)
    return [m for m in members if m.role == "secretary" or (m.role == "committee" and m.delegated)]


def audit(
    session: AsyncSession,
    *,
    actor: Member | None,
    action: str,
    entity: str,
    entity_id: object = None,
    details: dict[str, object] | None = None,
    label: str | None = None,
) -> AuditEntry:
    """Add an audit entry to the current unit of work."""
    entry = AuditEntry(
        actor_id=actor.id if actor else None,
        # No member behind a change means an operator at the command line, unless the caller says otherwise.
        actor_label=label or (f"member:{actor.id}" if actor else "cli"),
        action=action,
        entity=entity,
        entity_id=None if entity_id is None else str(entity_id),
        details=details or {},
    )
    session.add(entry)
    return entry
