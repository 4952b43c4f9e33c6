"""Who may do what. Every service checks here, so the console, the CLI and chat obey the same rules."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import NotFound, PermissionDenied
from bot.i18n import N_
from storage import queries
from storage.flows import CallerMember
from storage.models import Member, Organisation, OrgKind, Role


@dataclass(frozen=True)
class Actor:
    """The person behind an update: resolved once per update by the pre-handler."""

    member_id: int
    name: str
    role: Role
    org_id: int  # the branch for members, secretaries and committee members; the subtree root for admins
    delegated: bool
    locale: str

    @classmethod
    def of(cls, member: Member | CallerMember, locale: str) -> Actor:
        """The actor for a roster entry."""
        return cls(
            member_id=member.id,
            name=member.name,
            role=Role(member.role),
            org_id=member.org_id,
            delegated=member.delegated,
            locale=locale,
        )

    @property
    def is_admin(self) -> bool:
        """An administrator of a subtree."""
        return self.role is Role.ADMIN

    @property
    def leads_branch(self) -> bool:
        """The secretary, or a committee member the secretary delegated to."""
        return self.role is Role.SECRETARY or (self.role is Role.COMMITTEE and self.delegated)


async def visible_org_ids(session: AsyncSession, actor: Actor) -> set[int]:
    """The organisations whose records this person may see: an admin's subtree, otherwise their branch."""
    if actor.is_admin:
        return await queries.subtree_ids(session, actor.org_id)
    return {actor.org_id}


async def require_branch_leader(session: AsyncSession, actor: Actor, branch_id: int) -> Organisation:
    """Refuse unless ``actor`` leads ``branch_id`` or administers a subtree that holds it."""
    branch = await session.get(Organisation, branch_id)
    if branch is None or branch.kind != OrgKind.BRANCH:
        raise NotFound(N_("No such branch."))
    if actor.is_admin and branch_id in await queries.subtree_ids(session, actor.org_id):
        return branch
    if actor.leads_branch and actor.org_id == branch_id:
        return branch
    raise PermissionDenied(N_("Only the branch secretary (or a committee member acting for them) may do this."))


async def require_admin_of(session: AsyncSession, actor: Actor, org_id: int) -> Organisation:
    """Refuse unless ``actor`` administers a subtree that holds ``org_id``."""
    org = await session.get(Organisation, org_id)
    if org is None:
        raise NotFound(N_("No such organisation."))
    if not actor.is_admin or org_id not in await queries.subtree_ids(session, actor.org_id):
        raise PermissionDenied(N_("Only an administrator of this organisation may do this."))
    return org


async def require_can_see_member(session: AsyncSession, actor: Actor, member_id: int) -> Member:
    """A member sees themself, a branch leader their branch, an admin their subtree; others are refused."""
    member = await session.get(Member, member_id)
    if member is None:
        raise NotFound(N_("No such member."))
    if member.id == actor.member_id:
        return member
    if actor.leads_branch and member.org_id == actor.org_id:
        return member
    if actor.is_admin and member.org_id in await queries.subtree_ids(session, actor.org_id):
        return member
    raise PermissionDenied(N_("You may only see your own records."))
