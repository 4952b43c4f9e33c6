"""What people do with member points: see them (each by their reach), enter manual items and corrections,
publish a closed year. Chat and the command line both come here, so they obey the same rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot import dates
from bot.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from bot.i18n import N_
from bot.services.access import Actor
from bot.services.points.details import Event, member_events
from bot.services.points.member_points import (
    MemberPoints,
    compute,
    rank_band,
    rules_of_branch,
    snapshot,
    with_publications,
)
from bot.services.points.rules import Rules, Tenths, tenths_text
from bot.services.points.versions import NO_ORG, resolve_org
from storage import points as store
from storage import queries
from storage.models import Member, Organisation, OrgKind
from storage.points import EntryKind, PointEntry, PointPublication

MAX_REASON = 500


def year_bounds(year: int) -> tuple[date, date]:
    """1 January … 31 December."""
    return date(year, 1, 1), date(year, 12, 31)


BAD_DAY = N_("Write the dates like %(example)s.")


def parse_day(text: str, today: date) -> date:
    """A day as :func:`bot.dates.parse_date` reads it (2026-03-01, 3月1日, 昨天…; a day without a year is the last
    such day: points count for what was done)."""
    try:
        return dates.parse_date(text, today, prefer="past")
    except dates.ParseError:
        raise InvalidInput(BAD_DAY, example=today.isoformat()) from None


def parse_period(start: str | None, end: str | None, today: date) -> tuple[date, date]:
    """``--from``/``--to`` (read by :func:`parse_day`); by default this year from 1 January to today."""
    first = parse_day(start, today) if start else date(today.year, 1, 1)
    last = parse_day(end, today) if end else (today if first.year == today.year else date(first.year, 12, 31))
    if last < first:
        raise InvalidInput(N_("The period ends before it starts."))
    return first, last


def parse_points(text: str) -> Tenths:
    """``"2"``, ``"-1.5"`` → tenths; anything else is refused."""
    try:
        value = Decimal(text.strip().replace("＋", "+").replace("－", "-"))
    except InvalidOperation:
        raise InvalidInput(N_("Points are a number such as 2 or -1.5, not “%(text)s”."), text=text) from None
    if not value.is_finite() or value * 10 != (value * 10).to_integral_value() or abs(value) > 1000:
        raise InvalidInput(N_("Points are a number such as 2 or -1.5, not “%(text)s”."), text=text)
    return int(value * 10)


async def branch_ids_for(session: AsyncSession, actor: Actor | None, org_ref: str | None) -> list[int]:
    """The branches a report covers: the given organisation's subtree (the whole city without one), within the
    actor's reach (a leader: their branch; an administrator: their subtree)."""
    org = await resolve_org(session, org_ref) if org_ref is not None else None
    return await _branch_ids(session, actor, org)


async def _branch_ids(session: AsyncSession, actor: Actor | None, org: Organisation | None) -> list[int]:
    """:func:`branch_ids_for` of the organisation found."""
    if actor is not None and not actor.is_admin and not actor.leads_branch:
        raise PermissionDenied(N_("Only the branch secretary (or a committee member acting for them) may do this."))
    ids: set[int]
    if actor is not None and not actor.is_admin:  # a leader: their branch, if it is in the organisation asked for
        if org is not None and org.id == actor.org_id:  # their branch named: read already, its kind says it all
            return [org.id] if org.kind == OrgKind.BRANCH else []
        # Otherwise their branch, if it is in the organisation asked for (none asked: no walk of the city's tree).
        ids = {actor.org_id} if org is None else await queries.subtree_ids(session, org.id) & {actor.org_id}
    elif org is not None:
        ids = await queries.subtree_ids(session, org.id)
        if actor is not None:
            ids &= await queries.subtree_ids(session, actor.org_id)
    elif actor is not None:
        ids = await queries.subtree_ids(session, actor.org_id)
    else:
        ids = {o.id for o in await queries.all_organisations(session)}
    return await store.branch_ids_among(session, ids)


async def report(
    session: AsyncSession, actor: Actor | None, org_ref: str | None, start: date, end: date, tz: ZoneInfo
) -> list[MemberPoints]:
    """Every member's points in reach for the period; a published year as published."""
    if org_ref is not None and actor is not None and actor.leads_branch:
        # A leader naming their branch: the organisation, its units and their rules in one statement (what the
        # points need besides the counting statement), not three.
        org, known = await store.org_by_ref_with_rules(session, org_ref)
        if org is None:
            raise NotFound(NO_ORG, ref=org_ref)
        branch_ids = await _branch_ids(session, actor, org)
        return await with_publications(session, branch_ids, start, end, tz, known=known)
    return await with_publications(session, await branch_ids_for(session, actor, org_ref), start, end, tz)


async def find_member(session: AsyncSession, ref: str) -> Member:
    """A member by roster number, or by id."""
    member = await queries.member_by_no(session, ref)
    if member is None and ref.isdigit():
        member = await session.get(Member, int(ref))
    if member is None:
        raise NotFound(N_("No member with the roster number “%(ref)s”."), ref=ref)
    return member


@dataclass
class MemberDetail:
    """A member's points and the events behind each item."""

    result: MemberPoints
    events: dict[str, list[Event]]
    rules: Rules


async def member_detail(
    session: AsyncSession,
    actor: Actor | None,
    member: Member,
    start: date,
    end: date,
    tz: ZoneInfo,
    locale: str,
) -> MemberDetail:
    """One member's points in their current branch, with the events (a leader or admin sees their reach)."""
    if actor is not None and actor.member_id != member.id:
        from bot.services.access import require_can_see_member

        await require_can_see_member(session, actor, member.id)
    results = await with_publications(session, [member.org_id], start, end, tz)
    mine = next((r for r in results if r.member_id == member.id), None)
    rif = await rules_of_branch(session, member.org_id)
    if mine is None:
        raise NotFound(N_("%(name)s did not belong to a branch in this period."), name=member.name)
    events = await member_events(session, member.id, member.org_id, rif.rules, start, end, tz, locale)
    return MemberDetail(mine, events, rif.rules)


@dataclass
class MyPoints:
    """What a member sees of their own points."""

    detail: MemberDetail
    band: int | None
    band_range: tuple[int, int] | None
    members: int
    ranking: list[MemberPoints] | None  # others' names, only when the rules allow publication


async def my_points(session: AsyncSession, actor: Actor, start: date, end: date, tz: ZoneInfo, locale: str) -> MyPoints:
    """The caller's points, their rank band in the branch, and the ranking only if the rules publish names."""
    member = await session.get(Member, actor.member_id)
    if member is None:
        raise NotFound(N_("No such member."))
    detail = await member_detail(session, None, member, start, end, tz, locale)
    branch = await with_publications(session, [member.org_id], start, end, tz)
    band = rank_band(detail.rules, branch, member.id)
    limits = (0, *detail.rules.rank_bands, 100)
    band_range = (limits[band], limits[band + 1]) if band is not None else None
    ranking = sorted(branch, key=lambda r: (-r.points, r.name)) if detail.rules.publish_names else None
    return MyPoints(detail, band, band_range, len(branch), ranking)


async def add_entry(
    session: AsyncSession,
    actor: Actor | None,
    member_ref: str,
    key: str,
    points_text: str,
    reason: str,
    *,
    today: date,
    ref: str | None = None,
    on_date: date | None = None,
) -> PointEntry:
    """A leader's manual item (within the rule's range) or a correction of a computed item; audited."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(N_("Give a reason: it is kept with the entry and shown to the member."))
    if len(reason) > MAX_REASON:
        raise InvalidInput(N_("The reason is too long (at most %(max)d characters)."), max=MAX_REASON)
    member = await find_member(session, member_ref)
    branch = await session.get(Organisation, member.org_id)
    if branch is None or branch.kind != OrgKind.BRANCH or member.role == "admin":
        raise InvalidInput(N_("%(name)s is not a member of a branch."), name=member.name)
    if actor is not None:
        if actor.is_admin:
            if member.org_id not in await queries.subtree_ids(session, actor.org_id):
                raise PermissionDenied(N_("%(name)s is a member of another branch."), name=member.name)
        elif not actor.leads_branch:
            raise PermissionDenied(N_("Only the branch secretary (or a committee member acting for them) may do this."))
        elif member.org_id != actor.org_id:
            raise PermissionDenied(N_("%(name)s is a member of another branch."), name=member.name)
    day = on_date or today
    if day > today:
        raise InvalidInput(N_("An entry cannot be dated in the future."))
    if await store.is_published(session, branch.id, day.year):
        raise Conflict(N_("The points of %(year)d are published; they stay as published."), year=day.year)
    rules = (await rules_of_branch(session, branch.id)).rules
    item = rules.item(key)
    if item is None:
        raise InvalidInput(
            N_("No item “%(key)s” in the rules in force; the items are: %(keys)s."),
            key=key,
            keys=", ".join(i.key for i in rules.items),
        )
    points = parse_points(points_text)
    if item.source == "manual":
        assert item.min is not None and item.max is not None
        if not item.min <= points <= item.max:
            raise InvalidInput(
                N_("“%(key)s” takes from %(min)s to %(max)s points per entry, not %(points)s."),
                key=key,
                min=tenths_text(item.min),
                max=tenths_text(item.max),
                points=tenths_text(points),
            )
        kind = EntryKind.MANUAL
    else:
        if points == 0:
            raise InvalidInput(N_("A correction changes the points: give a number other than 0."))
        kind = EntryKind.CORRECTION
    entry = PointEntry(
        member_id=member.id,
        branch_id=branch.id,
        rule_key=key,
        kind=kind,
        points=points,
        reason=reason,
        ref=(ref or "").strip()[:100] or None,
        on_date=day,
        created_by_id=actor.member_id if actor else None,
    )
    session.add(entry)
    await session.flush()
    queries.audit(
        session,
        actor=None,
        label=f"member:{actor.member_id}" if actor else None,
        action=f"points.{kind}",
        entity="point_entry",
        entity_id=entry.id,
        details={
            "member": member.member_no,
            "key": key,
            "points": tenths_text(points),
            "reason": reason,
            "ref": entry.ref,
            "on": day.isoformat(),
        },
    )
    return entry


async def publish_points(
    session: AsyncSession, actor: Actor | None, org_ref: str, year: int, today: date, tz: ZoneInfo
) -> int:
    """Publish a closed year's points for every branch under ``org_ref`` (as computed now); returns how many
    branches. Refused for a year not yet over, under example rules, or when already published."""
    if year >= today.year:
        raise InvalidInput(N_("%(year)d is not over yet: its results can be published from 1 January."), year=year)
    branch_ids = await branch_ids_for(session, actor, org_ref)
    if actor is not None and not actor.is_admin:
        raise PermissionDenied(N_("Only an administrator of this organisation may do this."))
    if not branch_ids:
        raise NotFound(N_("There is no branch under this organisation."))
    from bot.services.points.versions import rules_for

    in_force = await rules_for(session, branch_ids)
    examples = [b for b in branch_ids if in_force[b].example]
    if examples:
        raise Conflict(N_("The rules in force are the shipped example: apply your own rules before publishing."))
    already = await store.published_branch_ids(session, branch_ids, year)
    if already:
        raise Conflict(N_("The points of %(year)d are published; they stay as published."), year=year)
    start, end = year_bounds(year)
    results = await compute(session, branch_ids, start, end, tz)
    by_branch: dict[int, list[MemberPoints]] = {b: [] for b in branch_ids}
    for result in results:
        by_branch[result.branch_id].append(result)
    for branch_id, rows in by_branch.items():
        rules_id = in_force[branch_id].rules_id
        assert rules_id is not None  # not the example, so a stored version
        session.add(
            PointPublication(
                branch_id=branch_id,
                year=year,
                rules_id=rules_id,
                results=[snapshot(r) for r in rows],
                published_by_id=actor.member_id if actor else None,
            )
        )
    await session.flush()
    queries.audit(
        session,
        actor=None,
        label=f"member:{actor.member_id}" if actor else None,
        action="points.published",
        entity="organisation",
        entity_id=org_ref,
        details={"year": year, "branches": len(branch_ids), "members": len(results)},
    )
    return len(branch_ids)
