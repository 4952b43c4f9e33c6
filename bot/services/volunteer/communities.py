"""Communities (村/社区) and members' registrations with them (到社区报到), with history."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from bot.i18n import N_
from bot.services.access import Actor, require_branch_leader, visible_org_ids
from bot.services.geo import distance_m
from bot.services.tabular import ImportRejected, ImportResult, RowError, apply_changes, read_table
from bot.services.volunteer.base import COMMUNITY_COLUMNS_OPTIONAL, COMMUNITY_COLUMNS_REQUIRED, SEARCH_LIMIT
from storage import queries
from storage.models import Member
from storage.volunteer import Community, CommunityRegistration
from storage.volunteer import communities as stored


def _coordinate(text: str, limit: float) -> float:
    value = float(text)
    if not math.isfinite(value) or not -limit <= value <= limit:
        raise ValueError(text)
    return value


async def import_communities(session: AsyncSession, path: Path) -> ImportResult:
    """Create or update communities from CSV/XLSX (name, town, latitude, longitude, contact). All or nothing;
    keyed by town and name, so importing the same file again changes nothing."""
    rows = read_table(path, COMMUNITY_COLUMNS_REQUIRED, COMMUNITY_COLUMNS_OPTIONAL)
    errors: list[RowError] = []
    seen: dict[tuple[str, str], int] = {}
    records: list[dict[str, Any]] = []
    for number, row in rows:
        name, town = row["name"], row["town"]
        if not name:
            errors.append(RowError(number, N_("the community name is empty")))
        elif len(name) > 200:
            errors.append(RowError(number, N_("the name is longer than %(max)d characters"), {"max": 200}))
        if not town:
            errors.append(RowError(number, N_("the town is empty")))
        elif len(town) > 100:
            errors.append(RowError(number, N_("the town is longer than %(max)d characters"), {"max": 100}))
        key = (town, name)
        if name and town:
            if key in seen:
                errors.append(
                    RowError(
                        number,
                        N_("%(name)s in %(town)s is listed twice (also row %(other)d)"),
                        {"name": name, "town": town, "other": seen[key]},
                    )
                )
            seen.setdefault(key, number)
        latitude = longitude = None
        lat_text, lon_text = row.get("latitude", ""), row.get("longitude", "")
        if bool(lat_text) != bool(lon_text):
            errors.append(RowError(number, N_("give both latitude and longitude, or neither")))
        elif lat_text:
            try:
                latitude = _coordinate(lat_text, 90)
                longitude = _coordinate(lon_text, 180)
            except ValueError:
                errors.append(
                    RowError(
                        number,
                        N_("%(latitude)s, %(longitude)s is not a map position (latitude, longitude in degrees)"),
                        {"latitude": lat_text, "longitude": lon_text},
                    )
                )
        contact = row.get("contact") or None
        if contact and len(contact) > 200:
            errors.append(RowError(number, N_("the contact is longer than %(max)d characters"), {"max": 200}))
        records.append({"name": name, "town": town, "latitude": latitude, "longitude": longitude, "contact": contact})
    if errors:
        raise ImportRejected(errors)
    existing = {(c.town, c.name): c for c in await stored.all_communities(session)}
    created = updated = unchanged = 0
    for record in records:
        community = existing.get((record["town"], record["name"]))
        if community is None:
            session.add(Community(**record, active=True))
            created += 1
            continue
        if apply_changes(community, {**record, "active": True}):
            updated += 1
        else:
            unchanged += 1
    await session.flush()
    queries.audit(
        session,
        actor=None,
        action="import",
        entity="communities",
        details={"file": path.name, "created": created, "updated": updated},
    )
    return ImportResult(created, updated, unchanged)


async def all_communities(session: AsyncSession) -> list[Community]:
    """Every community, active or not, by town and name (the command line's list)."""
    return await stored.all_communities(session)


async def search_communities(session: AsyncSession, text: str, limit: int = SEARCH_LIMIT) -> list[Community]:
    """Communities whose name (or town) holds ``text``; exact names first."""
    needle = text.strip()
    if not needle:
        raise InvalidInput(N_("Send part of the community's name, for example 花园."))
    found = await stored.communities_containing(session, needle)
    ranked = sorted(found, key=lambda c: (c.name != needle, needle not in c.name, len(c.name), c.name))
    return ranked[:limit]


async def nearest_communities(
    session: AsyncSession, latitude: float, longitude: float, limit: int = SEARCH_LIMIT
) -> list[tuple[Community, float]]:
    """Communities with a map position, nearest first, with their distance in metres."""
    placed = await stored.placed_communities(session)
    ranked = sorted(
        ((c, distance_m(latitude, longitude, c.latitude or 0.0, c.longitude or 0.0)) for c in placed),
        key=lambda pair: pair[1],
    )
    return ranked[:limit]


async def resolve_community(session: AsyncSession, text: str) -> Community:
    """A community named by id, by exact name (or "town name"), or by a part of the name that fits one."""
    needle = text.strip()
    if needle.isdigit():
        community = await session.get(Community, int(needle))
        if community is not None and community.active:
            return community
    exact = await stored.communities_named(session, needle)
    if len(exact) == 1:
        return exact[0]
    matches = list(exact) or (await search_communities(session, needle) if needle else [])
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise NotFound(N_("Unknown community %(name)s."), name=needle)
    raise InvalidInput(
        N_("%(name)s fits several communities: %(choices)s. Give the id or the full name."),
        name=needle,
        choices="; ".join(f"{c.id} {c.town} {c.name}" for c in matches[:5]),
    )


async def community_by_id(session: AsyncSession, community_id: int) -> Community:
    """The community with this id, or a clear refusal."""
    # a forged button's huge id: no such row (and SQLite cannot even bind it)
    community = await session.get(Community, community_id) if 0 < community_id < 2**63 else None
    if community is None or not community.active:
        raise NotFound(N_("Unknown community %(name)s."), name=str(community_id))
    return community


@dataclass(frozen=True)
class Registration:
    """A member's registration with a community."""

    community: Community
    registered_on: date
    ended_on: date | None


async def current_registration(session: AsyncSession, member_id: int) -> Registration | None:
    """The community a member is registered with now, if any."""
    rows = await stored.current_registrations(session, [member_id])
    if not rows:
        return None
    registration, community = rows[0]
    return Registration(community, registration.registered_on, None)


async def registration_history(session: AsyncSession, member_id: int) -> list[Registration]:
    """Every registration of a member, newest first."""
    rows = await stored.registrations_of(session, member_id)
    return [Registration(c, r.registered_on, r.ended_on) for r, c in rows]


async def register_community(session: AsyncSession, actor: Actor, community_id: int, today: date) -> Registration:
    """Register the member with a community (报到) from today; a previous registration ends today."""
    community = await community_by_id(session, community_id)
    member = await session.get(Member, actor.member_id)
    if member is None:
        raise NotFound(N_("No such member."))
    current = await stored.current_registration_of(session, member.id)
    if current is not None and current.community_id == community.id:
        raise Conflict(
            N_("You are already registered with %(community)s (since %(since)s)."),
            community=community.name,
            since=current.registered_on,
        )
    if current is not None:
        current.ended_on = today
        current.current_member_id = None
        await session.flush()  # release the unique "current" slot before the new row takes it
    session.add(
        CommunityRegistration(
            member_id=member.id, community_id=community.id, registered_on=today, current_member_id=member.id
        )
    )
    member.community = community.name  # the roster's free-text column follows the registration
    await session.flush()
    return Registration(community, today, None)


@dataclass(frozen=True)
class MemberRegistration:
    """One line of a branch's registration list."""

    member: Member
    registration: Registration | None


async def branch_registrations(session: AsyncSession, actor: Actor, branch_id: int) -> list[MemberRegistration]:
    """Who in the branch has registered with a community and who has not (for its secretary)."""
    await require_branch_leader(session, actor, branch_id)
    members = await queries.branch_members(session, branch_id)
    rows = await stored.current_registrations(session, [m.id for m in members])
    by_member = {r.member_id: Registration(c, r.registered_on, None) for r, c in rows}
    return [MemberRegistration(m, by_member.get(m.id)) for m in members]


async def community_counts(session: AsyncSession, actor: Actor) -> list[tuple[Community, int]]:
    """How many members of the administrator's subtree are registered with each community, most first."""
    if not actor.is_admin:
        raise PermissionDenied(N_("Only an administrator of this organisation may do this."))
    org_ids = await visible_org_ids(session, actor)
    return await stored.registered_counts(session, org_ids)
