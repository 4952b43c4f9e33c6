"""The end of a binding or of a membership: unbinding a lost phone, transfers (组织关系转出 / 转入).

Every way a member leaves the branch (the CLI, the roster import's ``status`` column) goes through
:func:`transfer_out`, so the loss of access, the dropped pushes and the audit entry are the same everywhere.
History stays: attendance, service hours and reports keep pointing at the member's row, which is only made
inactive, never deleted.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import now_utc
from bot.errors import Conflict, InvalidInput, NotFound
from bot.i18n import N_
from bot.services.access import Actor, require_admin_of, require_branch_leader
from storage import people as people_store
from storage import queries
from storage.membership import sync_memberships
from storage.models import Member, Organisation, OrgKind, Role


async def find_member(session: AsyncSession, text: str) -> Member:
    """A member by roster number (编号), or by id as printed by ``roster export``."""
    found = await queries.member_by_ref(session, text)
    if found is None:
        raise NotFound(N_("No such member."))
    return found


async def require_may_manage(session: AsyncSession, actor: Actor | None, member: Member) -> None:
    """The command line (no actor) may; in chat, the member's branch leader or an administrator above them."""
    if actor is None:
        return
    org = await session.get(Organisation, member.org_id)
    if member.role == Role.ADMIN or org is None or org.kind != OrgKind.BRANCH:
        await require_admin_of(session, actor, member.org_id)
    else:
        await require_branch_leader(session, actor, member.org_id)


async def _drop_pending(session: AsyncSession, member: Member, telegram_id: int) -> None:
    """Pushes still queued for the account (a lost phone, a member who left) are not sent to it."""
    await people_store.drop_pending_pushes(session, telegram_id)


async def _close_invitations(session: AsyncSession, member: Member) -> None:
    await people_store.close_invitations(session, member.id, now_utc())


async def unbind(session: AsyncSession, actor: Actor | None, member_id: int) -> Member:
    """Free the member's roster entry from its Telegram account (a lost or changed phone), so a new invitation
    can bind another. One conditional write: of two leaders pressing at once, one unbinds, the other is told."""
    member = await session.get(Member, member_id)
    if member is None:
        raise NotFound(N_("No such member."))
    await require_may_manage(session, actor, member)
    old = member.telegram_id
    if old is None:
        raise Conflict(N_("%(name)s has no Telegram account bound."), name=member.name)
    if not await people_store.unbind_account(session, member.id, old, now_utc()):
        raise Conflict(N_("%(name)s has no Telegram account bound."), name=member.name)
    await session.refresh(member)
    await _drop_pending(session, member, old)
    await _close_invitations(session, member)
    leader = await session.get(Member, actor.member_id) if actor else None
    queries.audit(
        session, actor=leader, action="unbind", entity="member", entity_id=member.id, details={"telegram_id": old}
    )
    return member


async def transfer_out(
    session: AsyncSession, actor: Actor | None, member: Member, *, on: date, source: str | None = None
) -> Member:
    """组织关系转出: the member leaves the roster on ``on``. Their access ends with this transaction (the caller
    lookup only finds active members), queued pushes are dropped, and their records stay where they are.

    The one place a membership ends: a membership history (who belonged where, when) is written here."""
    await require_may_manage(session, actor, member)
    if not member.active:
        raise Conflict(N_("%(name)s has already been transferred out."), name=member.name)
    old = member.telegram_id
    from_org = member.org_id
    member.active = False
    member.delegated = False
    member.telegram_id = None  # the account is free again; the audit entry keeps which it was
    if old is not None:
        await _drop_pending(session, member, old)
    await _close_invitations(session, member)
    leader = await session.get(Member, actor.member_id) if actor else None
    details: dict[str, object] = {"date": on.isoformat(), "org_id": from_org, "telegram_id": old}
    if source:
        details["file"] = source
    queries.audit(session, actor=leader, action="transfer_out", entity="member", entity_id=member.id, details=details)
    await session.flush()
    await sync_memberships(session, on)  # the membership history closes on the day of the transfer
    return member


async def transfer_to(
    session: AsyncSession, actor: Actor | None, member: Member, branch: Organisation, *, on: date
) -> Member:
    """A transfer between two branches both on this bot: the member keeps their account and moves, as a plain
    member (a secretary of the old branch is not one of the new); past records stay with the old branch."""
    if actor is not None:
        await require_admin_of(session, actor, member.org_id)
        await require_admin_of(session, actor, branch.id)
    if branch.kind != OrgKind.BRANCH:
        raise InvalidInput(N_("%(code)s is not a branch."), code=branch.code)
    if not member.active:
        raise Conflict(N_("%(name)s has already been transferred out."), name=member.name)
    if member.org_id == branch.id:
        raise Conflict(N_("%(name)s is already in that branch."), name=member.name)
    from_org = member.org_id
    member.org_id = branch.id
    member.group_id = None
    if member.role != Role.ADMIN:
        member.role = Role.MEMBER
    member.delegated = False
    leader = await session.get(Member, actor.member_id) if actor else None
    queries.audit(
        session,
        actor=leader,
        action="transfer",
        entity="member",
        entity_id=member.id,
        details={"date": on.isoformat(), "from_org_id": from_org, "to_org_id": branch.id},
    )
    await session.flush()
    await sync_memberships(session, on)  # the old branch's membership closes and the new one opens that day
    await session.flush()
    return member


async def branch_by_code(session: AsyncSession, text: str) -> Organisation:
    """A branch by code (or id)."""
    org = await queries.org_by_ref(session, text.strip())
    if org is None:
        raise NotFound(N_("No such organisation."))
    return org


async def bound_members(session: AsyncSession, actor: Actor) -> list[Member]:
    """The members of the leader's branch whose Telegram account is bound, by name (the /unbind list)."""
    members = await queries.branch_members(session, actor.org_id)
    return [m for m in members if m.telegram_id is not None and m.id != actor.member_id]


# The command menu's entries (bot/commands.py adds them); descriptions are in this catalog.
PEOPLE_COMMANDS: list[tuple[str, str, frozenset[str]]] = [
    ("unbind", N_("Unbind a member's lost phone and issue a new link"), frozenset({Role.SECRETARY, Role.COMMITTEE})),
    ("audit", N_("Audit log: who changed what, when"), frozenset({Role.SECRETARY, Role.COMMITTEE, Role.ADMIN})),
]
