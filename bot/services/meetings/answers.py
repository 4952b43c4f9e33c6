"""Members' answers to a notice: attending, asking for leave, and the leaders' decision on leave.

Every function takes the caller's session and never commits; what is pushed to members goes through the
notifier (bot/services/notifier.py) into the outbox in the same transaction, with a dedup key that makes a
repeat impossible.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import now_utc
from bot.environment import ServiceEnv
from bot.errors import Conflict, InvalidInput, NotFound
from bot.i18n import N_
from bot.services.access import Actor
from bot.services.meetings.buttons import MeetingAction, meeting_button
from bot.services.meetings.core import (
    MAX_REASON,
    _actor_member,
    _audit,
    belongs,
    ensure_row,
    get_meeting,
    meeting_for_leader,
    not_expected,
    require_editable,
)
from bot.services.meetings.format import MeetingView
from bot.services.meetings.notices import answer_buttons, notice_key
from bot.services.notifier import Message, Notifier, Recipient
from storage import queries
from storage.meetings import (
    CHECKED_IN,
    Attendance,
    AttendanceStatus,
    Meeting,
    MeetingStatus,
    attendance_of,
    decide_attendance,
)
from storage.models import Member

# --- answers and leave --------------------------------------------------------------------------------------


async def _member_at(session: AsyncSession, actor: Actor, meeting: Meeting) -> Member:
    """The actor's roster entry, if they are expected at the meeting; a clear refusal otherwise."""
    member = await session.get(Member, actor.member_id)
    if member is None or not belongs(member, meeting):
        raise await not_expected(session, meeting, member)
    return member


def require_open_for_answers(meeting: Meeting, now: datetime) -> None:
    """Refuse answers to a meeting that was cancelled, closed or has begun."""
    if meeting.status == MeetingStatus.CANCELLED:
        raise InvalidInput(N_("This meeting was cancelled."))
    if meeting.status == MeetingStatus.CLOSED:
        raise InvalidInput(N_("This meeting is already closed."))
    if now >= meeting.starts_at:
        raise InvalidInput(N_("This meeting has already begun; answers are closed. Please talk to your secretary."))


async def answer_attend(session: AsyncSession, actor: Actor, meeting_id: int) -> Attendance:
    """The member will attend (this also withdraws a leave request)."""
    meeting = await get_meeting(session, meeting_id)
    member = await _member_at(session, actor, meeting)
    now = now_utc()
    require_open_for_answers(meeting, now)
    row = await ensure_row(session, meeting, member)
    if row.status == AttendanceStatus.ATTENDING:
        raise Conflict(N_("You have already said you will attend."))
    if row.status in CHECKED_IN:
        raise Conflict(N_("You have already checked in."))
    row.status = AttendanceStatus.ATTENDING
    row.leave_reason = None
    row.answered_at = now
    return row


async def prepare_leave(session: AsyncSession, actor: Actor, meeting_id: int) -> Meeting:
    """Check that the member may ask for leave, before asking them for the reason."""
    meeting = await get_meeting(session, meeting_id)
    member = await _member_at(session, actor, meeting)
    require_open_for_answers(meeting, now_utc())
    row = await attendance_of(session, meeting.id, member.id)
    if row is not None and row.status == AttendanceStatus.LEAVE_REQUESTED:
        raise Conflict(N_("You have already asked for leave; your secretary will answer."))
    if row is not None and row.status == AttendanceStatus.ON_LEAVE:
        raise Conflict(N_("Your leave for this meeting is already approved."))
    return meeting


async def request_leave(
    session: AsyncSession, actor: Actor, meeting_id: int, reason: str, *, env: ServiceEnv
) -> Attendance:
    """Ask for leave with a reason; the branch's leaders get it with approve / refuse buttons."""
    reason = " ".join((reason or "").split())
    if len(reason) < 2:
        raise InvalidInput(N_("Please give a reason for your leave request."))
    if len(reason) > MAX_REASON:
        raise InvalidInput(N_("The reason is too long (at most %(limit)d characters)."), limit=MAX_REASON)
    meeting = await prepare_leave(session, actor, meeting_id)
    member = await _member_at(session, actor, meeting)
    row = await ensure_row(session, meeting, member)
    if row.status in CHECKED_IN:
        raise Conflict(N_("You have already checked in."))
    now = env.now()
    row.status = AttendanceStatus.LEAVE_REQUESTED
    row.leave_reason = reason
    row.answered_at = now
    row.decided_by_id = None
    await session.flush()

    def decision_buttons(r: Recipient) -> list[list[tuple[str, str]]]:
        return [
            [
                (r.gettext("✅ Approve leave"), meeting_button(meeting.id, MeetingAction.APPROVE, member.id)),
                (r.gettext("❌ Refuse"), meeting_button(meeting.id, MeetingAction.REFUSE, member.id)),
            ]
        ]

    message = Message(
        template="meetings/leave_request.html.j2",
        params=lambda r: {"m": MeetingView.of(meeting, r.locale, env.tz), "member_name": member.name, "reason": reason},
        buttons=decision_buttons,
    )
    await Notifier(session, env).tell(
        await queries.branch_leaders(session, meeting.org_id),
        message,
        key=notice_key(meeting, "leave", row.id, int(now.timestamp())),
        kind="meeting",
        exclude=(member.id,),
    )
    return row


def _already_decided(row: Attendance, member: Member, who: Member | None) -> Conflict:
    """What a leader hears when the request is no longer open: most often, the other leader was quicker."""
    by_another = row.decided_by_id is not None and (who is None or row.decided_by_id != who.id)
    if by_another and row.status == AttendanceStatus.ON_LEAVE:
        return Conflict(N_("Another leader has already handled this: leave approved for %(name)s."), name=member.name)
    if by_another and row.status == AttendanceStatus.NO_ANSWER:
        return Conflict(N_("Another leader has already handled this: leave refused for %(name)s."), name=member.name)
    return Conflict(N_("There is no open leave request from %(name)s."), name=member.name)


async def decide_leave(
    session: AsyncSession, actor: Actor | None, meeting_id: int, member_id: int, approve: bool, *, env: ServiceEnv
) -> tuple[Member, Attendance]:
    """Approve or refuse a leave request; the member is told."""
    meeting = await meeting_for_leader(session, actor, meeting_id)
    require_editable(meeting)
    member = await session.get(Member, member_id)
    row = await attendance_of(session, meeting.id, member_id)
    if member is None or row is None:
        raise NotFound(N_("No such member."))
    who = await _actor_member(session, actor)
    if row.status != AttendanceStatus.LEAVE_REQUESTED:
        raise _already_decided(row, member, who)
    won = await decide_attendance(
        session,
        row.id,
        expected=AttendanceStatus.LEAVE_REQUESTED,
        status=AttendanceStatus.ON_LEAVE if approve else AttendanceStatus.NO_ANSWER,
        decided_by_id=who.id if who else None,
    )
    await session.refresh(row)
    if not won:  # another leader decided between our read and our write: they told the member, we do not
        raise _already_decided(row, member, who)
    _audit(
        session,
        who,
        "leave_approve" if approve else "leave_refuse",
        meeting,
        {"member_id": member.id, "reason": row.leave_reason},
    )
    message = Message(
        template="meetings/leave_decision.html.j2",
        params=lambda r: {"m": MeetingView.of(meeting, r.locale, env.tz), "approved": approve},
        buttons=None if approve else lambda r: answer_buttons(meeting, r.locale),  # refused: they may answer again
    )
    await Notifier(session, env).tell(
        [member], message, key=notice_key(meeting, "leave-decided", row.id, int(env.now().timestamp())), kind="meeting"
    )
    return member, row
