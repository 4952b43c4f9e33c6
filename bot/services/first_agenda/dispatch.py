"""Dispatching a material to every branch under an organisation (下发), each branch once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.environment import ServiceEnv
from bot.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from bot.i18n import N_
from bot.services.access import require_admin_of
from bot.services.first_agenda.buttons import MaterialButton
from bot.services.first_agenda.catalog import (
    KIND_NAMES,
    Who,
    _audit,
    _member,
    get_material,
)
from bot.services.notifier import ButtonRows, Message, Notifier, Recipient
from storage import first_agenda as store
from storage import queries
from storage.first_agenda import (
    StudyMaterial,
)
from storage.models import Member, Organisation, Role

# --------------------------------------------------------------------------------------------------------------
# Dispatch


@dataclass(frozen=True)
class DispatchResult:
    """Which branches the material newly reached, and which had it already."""

    material: StudyMaterial
    target: Organisation
    new: list[Organisation]
    already: list[Organisation]
    notified: int  # notices queued (branches without a reachable secretary get none)


async def branch_recipient(session: AsyncSession, branch_id: int) -> Member | None:
    """Who hears about the branch's study materials: its secretary, else a delegated committee member."""
    leaders = [m for m in await queries.branch_leaders(session, branch_id) if m.telegram_id is not None]
    leaders.sort(key=lambda m: (m.role != Role.SECRETARY, m.id))
    return leaders[0] if leaders else None


def view_button(material: StudyMaterial) -> Callable[[Recipient], ButtonRows]:
    """The buttons of a notice about ``material``: one that shows it (in the recipient's language)."""
    return lambda r: [[(r.gettext(N_("View the material")), MaterialButton(material=material.id))]]


async def preview_dispatch(
    session: AsyncSession, actor: Who, material_id: int, org_id: int | None = None
) -> DispatchResult:
    """What :func:`dispatch_material` would do, without doing it (for the confirmation)."""
    material, target, branches = await _dispatch_scope(session, actor, material_id, org_id)
    had = await _already_dispatched(session, material.id, [b.id for b in branches])
    return DispatchResult(
        material, target, [b for b in branches if b.id not in had], [b for b in branches if b.id in had], 0
    )


async def _dispatch_scope(
    session: AsyncSession, actor: Who, material_id: int, org_id: int | None
) -> tuple[StudyMaterial, Organisation, list[Organisation]]:
    if actor is not None and not actor.is_admin:
        raise PermissionDenied(N_("Only an administrator may dispatch study materials to branches."))
    target_id = org_id if org_id is not None else (actor.org_id if actor is not None else None)
    if target_id is None:
        raise InvalidInput(N_("Say which organisation to dispatch to."))
    material = await get_material(session, actor, material_id)
    if actor is not None:
        target = await require_admin_of(session, actor, target_id)
    else:
        found = await session.get(Organisation, target_id)
        if found is None:
            raise NotFound(N_("No such organisation."))
        target = found
    branches = list(await queries.branches_in(session, await queries.subtree_ids(session, target.id)))
    if not branches:
        raise InvalidInput(N_("There is no branch under %(org)s to dispatch to."), org=target.name)
    return material, target, branches


async def _already_dispatched(session: AsyncSession, material_id: int, branch_ids: list[int]) -> set[int]:
    return await store.dispatched_among(session, material_id, branch_ids)


async def dispatch_material(
    session: AsyncSession,
    actor: Who,
    material_id: int,
    org_id: int | None = None,
    *,
    env: ServiceEnv,
) -> DispatchResult:
    """Send a material to every branch under ``org_id`` (the administrator's own organisation by default).

    Each branch gets it once: the unique (material, branch) key refuses a second row even when two
    administrators press at the same moment, and only a branch whose row this call inserted is told.
    """
    material, target, branches = await _dispatch_scope(session, actor, material_id, org_id)
    who = await _member(session, actor)
    now = env.now()
    notifier = Notifier(session, env)
    new: list[Organisation] = []
    already: list[Organisation] = []
    notified = 0
    for branch in branches:
        if not await store.claim_dispatch(session, material.id, branch.id, now, who.id if who else None):
            already.append(branch)
            continue
        new.append(branch)
        recipient = await branch_recipient(session, branch.id)
        if recipient is None:
            continue
        message = Message(
            template="first_agenda/dispatch_notice.html.j2",
            params={"material": material, "branch": branch, "kind_names": KIND_NAMES},
            buttons=view_button(material),
        )
        sent = await notifier.tell(
            [recipient], message, key=f"fa-dispatch:{material.id}:{branch.id}", kind="study_material"
        )
        notified += sent.queued
    if not new:
        raise Conflict(
            N_("《%(title)s》 has already been dispatched to every branch of %(org)s."),
            title=material.title,
            org=target.name,
        )
    _audit(
        session,
        who,
        "material.dispatch",
        "study_material",
        material.id,
        org=target.id,
        branches=[b.id for b in new],
    )
    return DispatchResult(material, target, new, already, notified)
