"""Binding Telegram accounts to roster entries through one-time invitations; linking group chats."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import now_utc
from bot.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from bot.i18n import N_, SUPPORTED_LOCALES
from bot.services.access import Actor, require_branch_leader
from bot.services.roster import normalize_phone
from storage import core as store
from storage import queries
from storage.models import Invitation, Member, Organisation, OrgKind

INVITE_PREFIX = "inv_"


def hash_token(token: str) -> str:
    """Only hashes are stored, so a leaked database does not leak working links."""
    return hashlib.sha256(token.encode()).hexdigest()


def deep_link(bot_username: str, payload: str) -> str:
    """``https://t.me/<bot>?start=<payload>``; payloads are at most 64 characters of A-Za-z0-9_-."""
    return f"https://t.me/{bot_username}?start={payload}"


@dataclass(frozen=True)
class IssuedInvitation:
    """A fresh invitation; ``token`` exists only here, the database keeps its hash."""

    member: Member
    token: str
    invitation: Invitation

    @property
    def payload(self) -> str:
        """The deep-link payload."""
        return INVITE_PREFIX + self.token


async def issue_invitation(
    session: AsyncSession, member: Member, *, ttl_days: int, created_by: Member | None = None
) -> IssuedInvitation:
    """A new one-time link for ``member``; earlier unused links of theirs stop working."""
    if member.telegram_id is not None:
        raise Conflict(N_("%(name)s is already bound to a Telegram account."), name=member.name)
    now = now_utc()
    for old in await store.open_invitations(session, member.id):
        old.expires_at = min(old.expires_at, now)
    token = secrets.token_urlsafe(24)  # 32 characters of A-Za-z0-9_-, 192 bits
    invitation = Invitation(
        member_id=member.id,
        token_hash=hash_token(token),
        expires_at=now + timedelta(days=ttl_days),
        created_by_id=created_by.id if created_by else None,
    )
    session.add(invitation)
    queries.audit(
        session,
        actor=created_by,
        action="invite",
        entity="member",
        entity_id=member.id,
    )
    await session.flush()
    return IssuedInvitation(member, token, invitation)


async def branch_invitations(
    session: AsyncSession, actor: Actor, branch_id: int, *, ttl_days: int
) -> list[IssuedInvitation]:
    """Fresh links for every unbound member of a branch, for its secretary."""
    await require_branch_leader(session, actor, branch_id)
    creator = await session.get(Member, actor.member_id)
    return [
        await issue_invitation(session, member, ttl_days=ttl_days, created_by=creator)
        for member in await queries.branch_members(session, branch_id)
        if member.telegram_id is None
    ]


@dataclass(frozen=True)
class Redemption:
    """The outcome of opening an invitation link."""

    member: Member
    needs_phone: bool  # bound only once the roster's phone number is shared


async def _usable_invitation(session: AsyncSession, token: str) -> Invitation:
    invitation = await store.invitation_by_hash(session, hash_token(token))
    if invitation is None:
        raise InvalidInput(N_("This invitation link is not valid. Ask your branch secretary for a new one."))
    if invitation.used_at is not None:
        raise Conflict(N_("This invitation link has already been used. Ask your branch secretary for a new one."))
    if invitation.expires_at <= now_utc():
        raise InvalidInput(N_("This invitation link has expired. Ask your branch secretary for a new one."))
    return invitation


async def redeem_invitation(
    session: AsyncSession, token: str, telegram_id: int, *, require_phone: bool, language: str | None = None
) -> Redemption:
    """Bind ``telegram_id`` to the invited member, or hold it until the phone number is confirmed."""
    used = await store.member_of_used_invitation(session, hash_token(token))
    if used is not None and used.telegram_id == telegram_id:
        # The member opened their own link again (a second tap, a forwarded copy to themself): nothing to do.
        raise Conflict(
            N_("You have already joined as %(name)s. Send /help to see what I can do for you."), name=used.name
        )
    invitation = await _usable_invitation(session, token)
    already = await queries.member_by_telegram_id(session, telegram_id)
    member = await session.get(Member, invitation.member_id)
    if member is None or not member.active:
        raise InvalidInput(N_("This invitation link is not valid. Ask your branch secretary for a new one."))
    if already is not None and already.id != member.id:
        raise Conflict(N_("Your Telegram account is already bound to %(name)s."), name=already.name)
    if member.telegram_id is not None:
        raise Conflict(N_("%(name)s is already bound to a Telegram account."), name=member.name)
    if require_phone and member.phone:
        invitation.pending_telegram_id = telegram_id
        return Redemption(member, needs_phone=True)
    await _bind(session, invitation, member, telegram_id, language)
    return Redemption(member, needs_phone=False)


async def confirm_phone(
    session: AsyncSession, telegram_id: int, contact_user_id: int | None, phone: str, language: str | None = None
) -> Member:
    """Finish a binding held for phone confirmation; the shared contact must be the user's own."""
    invitation = await store.invitation_waiting_for_phone(session, telegram_id)
    if invitation is None or invitation.expires_at <= now_utc():
        raise NotFound(N_("There is no invitation waiting for your phone number. Open your invitation link first."))
    if contact_user_id != telegram_id:
        raise InvalidInput(N_("Please share your own phone number with the button, not someone else's contact."))
    member = await session.get(Member, invitation.member_id)
    if member is None or normalize_phone(member.phone) != normalize_phone(phone):
        raise InvalidInput(N_("This phone number does not match the roster. Ask your branch secretary to check it."))
    if member.telegram_id is not None:
        raise Conflict(N_("%(name)s is already bound to a Telegram account."), name=member.name)
    await _bind(session, invitation, member, telegram_id, language)
    return member


async def _bind(
    session: AsyncSession, invitation: Invitation, member: Member, telegram_id: int, language: str | None
) -> None:
    """One conditional write decides the binding: of two accounts opening one link at the same moment, only the
    one whose write finds the invitation unused (and the member unbound) is bound and welcomed; the other is
    told the link was already used, and its unit of work rolls back."""
    await session.flush()  # the pending-phone mark and the like go first; the claim below bypasses the ORM
    if not await store.claim_invitation(session, invitation.id, member.id, telegram_id, now_utc()):
        raise Conflict(N_("This invitation link has already been used. Ask your branch secretary for a new one."))
    await session.refresh(invitation)
    await session.refresh(member)
    if language and not member.language:
        member.language = language
    queries.audit(
        session,
        actor=member,
        action="bind",
        entity="member",
        entity_id=member.id,
        details={"invitation": invitation.id},
    )


async def set_language(session: AsyncSession, actor: Actor, locale: str) -> None:
    """Remember the member's chosen language."""
    if locale not in SUPPORTED_LOCALES:
        raise InvalidInput(N_("Unknown language. Choose zh or en."))
    member = await session.get(Member, actor.member_id)
    if member is not None:
        member.language = locale


async def link_group(session: AsyncSession, actor: Actor, chat_id: int) -> Organisation:
    """Link a group chat to the actor's branch (secretary or delegated committee member only)."""
    if actor.is_admin:
        # An administrator's organisation is the subtree's root, not a branch, and a group chat cannot say which
        # of their branches it belongs to: the branch's own secretary links it.
        own = await session.get(Organisation, actor.org_id)
        if own is None or own.kind != OrgKind.BRANCH:
            raise PermissionDenied(
                N_("A branch's group chat is linked by its secretary.\nAsk the secretary to send /linkgroup here.")
            )
    branch = await require_branch_leader(session, actor, actor.org_id)
    other = await queries.org_by_chat_id(session, chat_id)
    if other is not None and other.id != branch.id:
        raise Conflict(N_("This group is already linked to another branch."))  # whose is not the caller's business
    if other is not None:
        raise Conflict(N_("This group is already linked to your branch."))
    leader = await session.get(Member, actor.member_id)
    if branch.chat_id is not None and branch.chat_id != chat_id:
        queries.audit(
            session,
            actor=leader,
            action="unlink_group",
            entity="organisation",
            entity_id=branch.id,
            details={"chat_id": branch.chat_id},
        )
    branch.chat_id = chat_id
    queries.audit(
        session,
        actor=leader,
        action="link_group",
        entity="organisation",
        entity_id=branch.id,
        details={"chat_id": chat_id},
    )
    return branch
