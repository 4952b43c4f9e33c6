"""The look-ups of the points feature that are not counts: publications, star-rating rows, the rules' versions,
who to tell. Each takes a session and never commits."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from sqlalchemy import Integer, String, bindparam, func, literal_column, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.membership import built_once, org_filter, org_ids_param
from storage.models import Member, Organisation, OrgKind
from storage.points.models import PointPublication, PointRules, StarRating, StarStatus
from storage.queries import upsert_insert


async def org_names(session: AsyncSession, org_ids: Sequence[int] | None = None) -> dict[int, str]:
    """The organisations' names (every one's without ``org_ids``), by id."""
    stmt = select(Organisation.id, Organisation.name)
    if org_ids is not None:
        stmt = stmt.where(org_filter(Organisation.id, org_ids))
    return {org_id: name for org_id, name in (await session.execute(stmt)).all()}


async def branch_ids_among(session: AsyncSession, org_ids: Iterable[int]) -> list[int]:
    """The branches among ``org_ids``, by id (ids only: a city's thousand branches as objects cost 20 ms)."""
    stmt = built_once("points.branch_ids_among", _branch_ids_among)  # built once: see storage.points.counts
    return sorted((await session.scalars(stmt, {"org_ids": [int(i) for i in org_ids]})).all())


def _branch_ids_among() -> Any:
    return select(Organisation.id).where(
        org_filter(Organisation.id, org_ids_param()), Organisation.kind == OrgKind.BRANCH
    )


async def org_parents(session: AsyncSession, org_ids: Sequence[int] | None = None) -> dict[int, int | None]:
    """Each organisation's parent, by id: every organisation's, or those of ``org_ids`` and all their ancestors
    (one recursive statement: one branch's chain is three rows, not the city's thousand)."""
    if org_ids is None:
        return {i: p for i, p in (await session.execute(select(Organisation.id, Organisation.parent_id))).all()}
    return {i: p for i, (p, _) in (await org_chains(session, org_ids)).items()}


async def org_chains(session: AsyncSession, org_ids: Sequence[int]) -> dict[int, tuple[int | None, str]]:
    """(parent, name) of each organisation of ``org_ids`` and of all their ancestors, by id: one recursive
    statement."""
    rows = await session.execute(built_once("points.org_chains", _org_chains), {"org_ids": [int(i) for i in org_ids]})
    return {i: (p, name) for i, p, name in rows.all()}


def _org_chains() -> Any:  # built once: a recursive statement took longer to build than to run for one branch
    chain = _chain()
    return select(chain.c.id, chain.c.parent_id, chain.c.name)


def _chain() -> Any:
    """The recursive CTE of :func:`org_chains`: (id, parent_id, name) of ``org_ids`` and all their ancestors."""
    chain = (
        select(Organisation.id.label("id"), Organisation.parent_id.label("parent_id"), Organisation.name.label("name"))
        .where(org_filter(Organisation.id, org_ids_param()))
        .cte("chain", recursive=True)
    )
    above = aliased(Organisation)
    return chain.union(select(above.id, above.parent_id, above.name).join(chain, chain.c.parent_id == above.id))


class OrgChains(NamedTuple):
    """Organisations' chains of units and those units' newest rules (:func:`org_chains_and_rules`)."""

    chains: dict[int, tuple[int | None, str]]  # (parent, name) of each organisation and its ancestors, by id
    own: dict[int, tuple[PointRules, str]]  # the newest rules of those that have some, with the unit's name


async def org_chains_and_rules(session: AsyncSession, org_ids: Sequence[int]) -> OrgChains:
    """:func:`org_chains` and, of the organisations in those chains, each one's newest rules with its name (what
    :func:`newest_rules` gives of them: the rules in force for ``org_ids`` are among them), in ONE statement: the
    chain left-joined to the newest versions (a round trip is about a millisecond of a branch's report)."""
    rows = await session.execute(
        built_once("points.org_chains_and_rules", lambda: _with_rules(_chain())),
        {"org_ids": [int(i) for i in org_ids]},
    )
    found = OrgChains({}, {})
    for org_id, parent_id, name, rules in rows.all():
        found.chains[org_id] = (parent_id, name)
        if rules is not None:
            found.own[org_id] = (rules, name)
    return found


async def org_by_ref_with_rules(session: AsyncSession, ref: str) -> tuple[Organisation | None, OrgChains]:
    """:func:`storage.queries.org_by_ref` (by code, or else by id written as digits: a code wins) with what
    :func:`org_chains_and_rules` gives of the organisation, in ONE statement: a branch leader's points name their
    branch, and the organisation, its units and their rules were two round trips of a report of a few milliseconds.
    The organisations of the chain are loaded as objects (a branch and its two or three units)."""
    by_id = int(ref) if ref.isdigit() and int(ref) < 2**63 else None
    rows = await session.execute(built_once("points.org_by_ref_with_rules", _by_ref), {"code": ref, "id": by_id})
    found = OrgChains({}, {})
    named: list[Organisation] = []
    for org, named_by_ref, rules in rows.all():
        found.chains[org.id] = (org.parent_id, org.name)
        if rules is not None:
            found.own[org.id] = (rules, org.name)
        if named_by_ref:
            named.append(org)
    return next((o for o in named if o.code == ref), named[0] if named else None), found


def _by_ref() -> Any:
    named = or_(Organisation.code == bindparam("code", type_=String), Organisation.id == bindparam("id", type_=Integer))
    chain = (
        select(
            Organisation.id.label("id"),
            Organisation.parent_id.label("parent_id"),
            Organisation.name.label("name"),
            literal_column("1", Integer).label("named"),
        )
        .where(named)
        .cte("chain", recursive=True)
    )
    above = aliased(Organisation)
    chain = chain.union(
        select(above.id, above.parent_id, above.name, literal_column("0", Integer)).join(
            chain, chain.c.parent_id == above.id
        )
    )
    newest = _newest_versions()
    return (
        select(Organisation, chain.c.named, PointRules)
        .select_from(chain)
        .join(Organisation, Organisation.id == chain.c.id)
        .outerjoin(newest, newest.c.org_id == chain.c.id)
        .outerjoin(PointRules, (PointRules.org_id == newest.c.org_id) & (PointRules.version == newest.c.version))
    )


def _with_rules(chain: Any) -> Any:
    """(id, parent, name, newest rules or None) of each organisation of ``chain``."""
    newest = _newest_versions()
    return (
        select(chain.c.id, chain.c.parent_id, chain.c.name, PointRules)
        .select_from(chain)
        .outerjoin(newest, newest.c.org_id == chain.c.id)
        .outerjoin(PointRules, (PointRules.org_id == newest.c.org_id) & (PointRules.version == newest.c.version))
    )


def _newest_versions() -> Any:
    return (
        select(PointRules.org_id, func.max(PointRules.version).label("version")).group_by(PointRules.org_id).subquery()
    )


async def publications(session: AsyncSession, branch_ids: Iterable[int], year: int) -> dict[int, PointPublication]:
    """The branches' published points of ``year``, by branch."""
    rows = await session.scalars(
        select(PointPublication).where(PointPublication.branch_id.in_(list(branch_ids)), PointPublication.year == year)
    )
    return {row.branch_id: row for row in rows.all()}


async def published_branch_ids(session: AsyncSession, branch_ids: Iterable[int], year: int) -> list[int]:
    """Which of the branches have published their points of ``year``."""
    rows = await session.scalars(
        select(PointPublication.branch_id).where(
            PointPublication.branch_id.in_(list(branch_ids)), PointPublication.year == year
        )
    )
    return list(rows.all())


async def is_published(session: AsyncSession, branch_id: int, year: int) -> bool:
    """Whether the branch's points of ``year`` are published."""
    found = await session.scalar(
        select(PointPublication.id).where(PointPublication.branch_id == branch_id, PointPublication.year == year)
    )
    return found is not None


async def rating_row(session: AsyncSession, branch_id: int, year: int) -> StarRating:
    """The branch's rating row for the year, created on first use (the unique key makes a race harmless)."""
    await session.execute(
        upsert_insert(session)(StarRating)
        .values(branch_id=branch_id, year=year, status=StarStatus.DRAFT, self_scores={}, adjustments={}, revision=0)
        .on_conflict_do_nothing(index_elements=["branch_id", "year"])
    )
    row = await session.scalar(
        select(StarRating)
        .where(StarRating.branch_id == branch_id, StarRating.year == year)
        .execution_options(populate_existing=True)
    )
    assert row is not None
    return row


async def move_rating(session: AsyncSession, rating_id: int, allowed: Sequence[str], **values: Any) -> bool:
    """One conditional write: the rating moves (its revision raised) only from an allowed status. True if it did."""
    result = await session.execute(
        update(StarRating)
        .where(StarRating.id == rating_id, StarRating.status.in_(list(allowed)))
        .values(revision=StarRating.revision + 1, **values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def ratings_of(session: AsyncSession, branch_ids: Iterable[int], year: int) -> dict[int, StarRating]:
    """The stored rating rows of the branches for ``year``, by branch."""
    rows = await session.scalars(
        select(StarRating).where(StarRating.branch_id.in_(list(branch_ids)), StarRating.year == year)
    )
    return {r.branch_id: r for r in rows.all()}


async def party_groups_of(session: AsyncSession, branch_ids: Iterable[int]) -> dict[int, list[int]]:
    """The Party groups (党小组) under each branch."""
    rows = await session.execute(
        select(Organisation.parent_id, Organisation.id).where(
            Organisation.parent_id.in_(list(branch_ids)), Organisation.kind == OrgKind.PARTY_GROUP
        )
    )
    groups_of: dict[int, list[int]] = {}
    for parent, group_org in rows.all():
        if parent is not None:
            groups_of.setdefault(parent, []).append(group_org)
    return groups_of


async def newest_rules(session: AsyncSession) -> list[tuple[PointRules, str]]:
    """Each unit's newest version of its rules, with the unit's name."""
    rows = await session.execute(built_once("points.newest_rules", _newest_rules))  # every report asks
    return [(row, name) for row, name in rows.all()]


def _newest_rules() -> Any:
    newest = (
        select(PointRules.org_id, func.max(PointRules.version).label("version")).group_by(PointRules.org_id).subquery()
    )
    return (
        select(PointRules, Organisation.name)
        .join(newest, (newest.c.org_id == PointRules.org_id) & (newest.c.version == PointRules.version))
        .join(Organisation, Organisation.id == PointRules.org_id)
    )


async def latest_rules_version(session: AsyncSession, org_id: int) -> int:
    """The unit's newest version number of its rules (0: none yet)."""
    return await session.scalar(select(func.max(PointRules.version)).where(PointRules.org_id == org_id)) or 0


async def branch_secretaries_on_telegram(session: AsyncSession) -> Sequence[Member]:
    """The active secretaries of every branch the bot can reach."""
    return (
        await session.scalars(
            select(Member)
            .join(Organisation, Organisation.id == Member.org_id)
            .where(
                Organisation.kind == OrgKind.BRANCH,
                Member.role == "secretary",
                Member.active.is_(True),
                Member.telegram_id.is_not(None),
            )
        )
    ).all()
