"""The daily nudge about a dispatched material still unstudied."""

from __future__ import annotations

from datetime import time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.environment import ServiceEnv
from bot.services.first_agenda.catalog import (
    KIND_NAMES,
)
from bot.services.first_agenda.dispatch import (
    branch_recipient,
    view_button,
)
from bot.services.notifier import Message, Notifier
from storage import first_agenda as store
from storage.first_agenda import (
    StudyMaterial,
)
from storage.models import Organisation

# --------------------------------------------------------------------------------------------------------------
# The nudge


async def nudge_unstudied(session: AsyncSession, *, days: int, env: ServiceEnv) -> int:
    """Remind each branch once about every material dispatched ``days`` or more local days ago and not yet
    studied (nor planned for a scheduled meeting). Returns the reminders queued; idempotent."""
    now = env.now()
    today = env.today()
    cutoff = env.day_start(today - timedelta(days=days - 1))  # dispatched on or before today - days
    due = await store.due_nudges(session, cutoff)
    if not due:
        return 0
    planned = await store.first_studied(session, now=now, org_ids={b for _m, b, _d in due}, planned_too=True)
    notifier = Notifier(session, env)
    queued = 0
    for material_id, branch_id, dispatched_at in due:
        if (branch_id, material_id) in planned:
            continue
        recipient = await branch_recipient(session, branch_id)
        if recipient is None:
            continue  # nobody to tell yet: try again tomorrow
        if not await store.claim_nudge(session, material_id, branch_id, now):
            continue  # another process nudged it meanwhile
        material = await session.get(StudyMaterial, material_id)
        branch = await session.get(Organisation, branch_id)
        assert material is not None and branch is not None
        dispatched_on = env.local(dispatched_at).date()
        message = Message(
            template="first_agenda/nudge.html.j2",
            params={
                "material": material,
                "kind_names": KIND_NAMES,
                "branch": branch,
                "dispatched_on": dispatched_on,
                "days": (today - dispatched_on).days,
            },
            buttons=view_button(material),
        )
        sent = await notifier.tell([recipient], message, key=f"fa-nudge:{material_id}:{branch_id}", kind="reminder")
        queued += sent.queued
    return queued


NUDGE_JOB_ID = "first-agenda-nudge"
NUDGE_LOCAL_TIME = time(9, 0)
