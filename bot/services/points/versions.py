"""Which rules are in force where: each unit's applied versions, inherited down the tree from the city.

A unit without rules of its own uses its nearest ancestor's newest version; with none anywhere, the shipped
example (version 0, 示例), under which nothing can be published. Applying a file adds a new version; results
already published keep the version they were computed with.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import InvalidInput, NotFound, PermissionDenied
from bot.i18n import N_
from bot.services.access import Actor
from bot.services.points.rules import Rules, cached_rules, default_rules_text, parse_rules
from storage import points as store
from storage import queries
from storage.models import Organisation
from storage.points import PointRules


@dataclass(frozen=True)
class RulesInForce:
    """The rules a unit uses and where they come from."""

    rules: Rules
    rules_id: int | None  # None: the shipped example
    version: int  # 0 for the shipped example
    owner_id: int | None  # the unit whose version this is (None: shipped)
    owner_name: str | None
    applied_at: datetime | None = None

    @property
    def example(self) -> bool:
        """Labelled 示例: results cannot be published."""
        return self.rules.example


SHIPPED = "shipped"


async def resolve_org(session: AsyncSession, ref: str) -> Organisation:
    """An organisation by code, or by id."""
    org = await queries.org_by_ref(session, ref)
    if org is None:
        raise NotFound(NO_ORG, ref=ref)
    return org


NO_ORG = N_("No organisation with the code or id “%(ref)s”.")


async def rules_for(
    session: AsyncSession,
    org_ids: set[int] | list[int],
    parents: dict[int, int | None] | None = None,
    own: dict[int, tuple[PointRules, str]] | None = None,
) -> dict[int, RulesInForce]:
    """The rules in force for each organisation: two queries whatever the number asked for (the organisations'
    chains of parents, unless given, and the newest rules of each unit that has some, unless given: ``own``, by
    unit, holding at least those of the organisations' chains)."""
    if parents is None:
        parents = await store.org_parents(session, list(org_ids))
    if own is None:
        own = {row.org_id: (row, name) for row, name in await store.newest_rules(session)}
    shipped = RulesInForce(cached_rules(default_rules_text()), None, 0, None, None)
    result: dict[int, RulesInForce] = {}
    for org_id in org_ids:
        current: int | None = org_id
        seen: set[int] = set()
        found = shipped
        while current is not None and current not in seen:
            seen.add(current)
            if current in own:
                row, name = own[current]
                found = RulesInForce(cached_rules(row.text), row.id, row.version, row.org_id, name, row.applied_at)
                break
            current = parents.get(current)
        result[org_id] = found
    return result


async def rules_in_force(session: AsyncSession, org_id: int) -> RulesInForce:
    """The rules in force for one organisation."""
    return (await rules_for(session, [org_id]))[org_id]


async def rules_by_id(session: AsyncSession, rules_id: int | None) -> Rules:
    """A stored version (or the shipped example for None), as it was applied."""
    if rules_id is None:
        return cached_rules(default_rules_text())
    row = await session.get(PointRules, rules_id)
    if row is None:
        raise NotFound(N_("These rules no longer exist."))
    return cached_rules(row.text)


def read_rules_file(path: Path) -> str:
    """The file's text; a missing or non-UTF-8 file is a clear refusal."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInput(N_("No such file: %(path)s"), path=str(path)) from None
    except UnicodeDecodeError:
        raise InvalidInput(N_("The rules file must be UTF-8 text: %(path)s"), path=str(path)) from None


async def apply_rules(session: AsyncSession, actor: Actor | None, org_ref: str, text: str) -> RulesInForce:
    """Check ``text`` and put it in force for the unit as its next version (audited). Raises RulesInvalid."""
    rules = parse_rules(text)
    org = await resolve_org(session, org_ref)
    if actor is not None and (not actor.is_admin or org.id not in await queries.subtree_ids(session, actor.org_id)):
        raise PermissionDenied(N_("Only an administrator of this organisation may do this."))
    version = await store.latest_rules_version(session, org.id) + 1
    # The unique (org, version) key refuses a second apply racing this one; the loser's transaction fails whole.
    row = PointRules(
        org_id=org.id,
        version=version,
        name=rules.name,
        example=rules.example,
        text=text,
        digest=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        applied_by_id=actor.member_id if actor else None,
    )
    session.add(row)
    await session.flush()
    queries.audit(
        session,
        actor=None,
        label=f"member:{actor.member_id}" if actor else None,
        action="points.rules_applied",
        entity="organisation",
        entity_id=org.id,
        details={"version": version, "digest": row.digest, "example": rules.example, "name": rules.name},
    )
    return RulesInForce(rules, row.id, version, org.id, org.name, row.applied_at)
