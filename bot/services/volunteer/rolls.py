"""The leader's view of an activity: its roll, confirming or correcting hours, flagged check-outs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import now_utc
from bot.environment import ServiceEnv
from bot.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from bot.i18n import N_
from bot.services.access import Actor, require_branch_leader, visible_org_ids
from bot.services.volunteer.activities import _can_see, manages
from bot.services.volunteer.base import _member
from bot.services.volunteer.communities import community_by_id
from bot.services.volunteer.timing import span_minutes
from storage import queries
from storage.models import Member
from storage.volunteer import (
    Activity,
    Community,
    SignUp,
    SignUpStatus,
)
from storage.volunteer import activities as stored


async def leader_of_signup(session: AsyncSession, actor: Actor, signup_id: int) -> tuple[SignUp, Activity, Member]:
    """The sign-up, its activity and member, for a leader who may confirm or correct its hours."""
    signup = await session.get(SignUp, signup_id)
    if signup is None:
        raise NotFound(N_("No such sign-up."))
    member = await session.get(Member, signup.member_id)
    activity = await session.get(Activity, signup.activity_id)
    assert member is not None and activity is not None
    await require_branch_leader(session, actor, member.org_id)
    return signup, activity, member


async def confirm_hours(session: AsyncSession, actor: Actor, signup_id: int, now: datetime | None = None) -> SignUp:
    """The secretary confirms the hours of a check-out closed automatically."""
    signup, _activity, member = await leader_of_signup(session, actor, signup_id)
    if signup.checked_out_at is None:
        raise Conflict(N_("%(name)s has not checked out yet."), name=member.name)
    if signup.confirmed_at is not None or not signup.auto_closed:
        raise Conflict(N_("These hours are already confirmed."))
    signup.confirmed_at = now or now_utc()
    queries.audit(
        session,
        actor=await _member(session, actor),
        action="confirm_hours",
        entity="activity_signup",
        entity_id=signup.id,
        details={"member": member.id, "minutes": signup.minutes},
    )
    return signup


async def correct_hours(
    session: AsyncSession,
    actor: Actor,
    signup_id: int,
    hours: float,
    reason: str,
    *,
    env: ServiceEnv,
    now: datetime | None = None,
) -> SignUp:
    """The secretary sets the hours counted for a member at an activity, with a reason (audited)."""
    signup, activity, member = await leader_of_signup(session, actor, signup_id)
    if signup.checked_in_at is None:
        raise Conflict(N_("%(name)s did not check in at this activity."), name=member.name)
    reason = reason.strip()
    if not reason:
        raise InvalidInput(N_("Give a reason for the correction."))
    if len(reason) > 300:
        raise InvalidInput(N_("The text is too long (at most %(max)d characters)."), max=300)
    span_hours = (activity.ends_at - activity.starts_at).total_seconds() / 3600
    if not 0 <= hours <= span_hours:
        raise InvalidInput(
            N_("The hours must be from 0 to %(max)s, the length of the activity."), max=f"{span_hours:g}"
        )
    minutes = round(hours * 60)
    old_minutes, old_outside = signup.minutes or 0, signup.outside_minutes or 0
    # The correction keeps the share outside working hours of what was recorded (or of the whole span).
    if old_minutes:
        outside = round(old_outside * minutes / old_minutes)
    else:
        total, whole_outside = span_minutes(activity.starts_at, activity.ends_at, env)
        outside = round(whole_outside * minutes / total) if total else 0
    signup.minutes = minutes
    signup.outside_minutes = min(minutes, outside)
    if signup.checked_out_at is None:
        signup.checked_out_at = now or env.now()
        signup.checkout_method = "secretary"
    signup.corrected_by_id = actor.member_id
    signup.correction_reason = reason
    if signup.auto_closed and signup.confirmed_at is None:
        signup.confirmed_at = now or env.now()
    queries.audit(
        session,
        actor=await _member(session, actor),
        action="correct_hours",
        entity="activity_signup",
        entity_id=signup.id,
        details={"member": member.id, "old_minutes": old_minutes, "new_minutes": minutes, "reason": reason},
    )
    return signup


@dataclass(frozen=True)
class RollLine:
    """One member on an activity's roll."""

    member: Member
    signup: SignUp
    waiting_position: int | None = None


@dataclass
class Roll:
    """Who signed up, who waits, who checked in and out, and the hours (for the poster or the CLI)."""

    activity: Activity
    community: Community
    lines: list[RollLine] = field(default_factory=list)

    @property
    def confirmed(self) -> list[RollLine]:
        """Those with a place."""
        return [line for line in self.lines if line.signup.status == SignUpStatus.CONFIRMED]

    @property
    def waiting(self) -> list[RollLine]:
        """The waiting list, in order."""
        return sorted(
            (line for line in self.lines if line.signup.status == SignUpStatus.WAITING),
            key=lambda line: line.waiting_position or 0,
        )


async def activity_roll(session: AsyncSession, actor: Actor | None, activity_id: int) -> Roll:
    """The roll of an activity: everyone for its poster (and the CLI); a branch leader sees their members."""
    activity = await session.get(Activity, activity_id)
    if activity is None:
        raise NotFound(N_("No such activity."))
    visible: set[int] | None = None
    if actor is not None:
        if not await _can_see(session, actor, activity):
            raise NotFound(N_("No such activity."))
        if not await manages(session, actor, activity):
            if not (actor.leads_branch or actor.is_admin):
                raise PermissionDenied(
                    N_("Only the branch secretary (or a committee member acting for them) may do this.")
                )
            visible = await visible_org_ids(session, actor)
    community = await community_by_id(session, activity.community_id)
    rows = await stored.signed_up(session, activity.id)
    roll = Roll(activity, community)
    position = 0
    for signup, member in rows:
        if signup.status == SignUpStatus.WAITING:
            position += 1
        if visible is not None and member.org_id not in visible:
            continue
        roll.lines.append(RollLine(member, signup, position if signup.status == SignUpStatus.WAITING else None))
    return roll


async def flagged_checkouts(session: AsyncSession, actor: Actor, limit: int = 20) -> list[RollLine]:
    """Check-outs closed automatically that the actor's branch (or subtree) still has to confirm."""
    orgs = await visible_org_ids(session, actor)
    rows = await stored.unconfirmed_auto_closed(session, orgs, limit)
    return [RollLine(member, signup) for signup, member in rows]
