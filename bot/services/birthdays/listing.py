"""For the command line: who has a political birthday on a day or in a month, under an organisation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import NotFound
from bot.i18n import N_
from bot.services.birthdays.anniversaries import Birthday, DataIssue, birthdays_in_month, birthdays_on, data_issues
from storage import birthdays as store
from storage import queries
from storage.models import Organisation, OrgKind


@dataclass(frozen=True)
class Listing:
    """Who has a political birthday on a day or in a month, in an organisation's subtree (or everywhere)."""

    entries: list[Birthday]
    issues: list[DataIssue]
    org_names: dict[int, str]


async def listing(
    session: AsyncSession,
    *,
    today: date,
    day: date | None = None,
    month: tuple[int, int] | None = None,
    org: str | None = None,
) -> Listing:
    """For the command line: ``day``'s or ``month``'s birthdays (default: ``today``) under ``org`` (id or code)."""
    org_ids: set[int] | None = None
    group: Organisation | None = None
    if org is not None:
        found = await queries.org_by_ref(session, org)
        if found is None:
            raise NotFound(N_("No such organisation."))
        if found.kind == OrgKind.PARTY_GROUP and found.parent_id is not None:
            group = found  # a Party group's members belong to its branch: list the branch's, keep the group's
            org_ids = {found.parent_id}
        else:
            org_ids = await queries.subtree_ids(session, found.id)
    if month is not None:
        entries = await birthdays_in_month(session, month[0], month[1], today=today, org_ids=org_ids)
    else:
        entries = await birthdays_on(session, day or today, today=today, org_ids=org_ids)
    issues = await data_issues(session, today=today, org_ids=org_ids)
    if group is not None:
        in_group = await store.active_member_ids_in_group(session, group.id)
        entries = [e for e in entries if e.member_id in in_group]
        issues = [i for i in issues if i.member_id in in_group]
    org_names = {o.id: o.name for o in await queries.all_organisations(session)}
    return Listing(entries, issues, org_names)
