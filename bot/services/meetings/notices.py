"""Notices, changes, reminders and the check-in announcement, written to the outbox.

Every function takes the caller's session and never commits; what is pushed to members goes through the notifier
(bot/services/notifier.py), what goes to the branch's group straight to the outbox, both in the same transaction
and with a dedup key that makes a repeat impossible.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.environment import ServiceEnv
from bot.i18n import translator
from bot.services import outbox
from bot.services.meetings.buttons import MeetingAction, meeting_button
from bot.services.meetings.core import FRESH_NOTICE, FRESH_NOTICE_HOUR, announced_in_group, is_unit_kind
from bot.services.meetings.format import MeetingView
from bot.services.notifier import Message, Notifier
from bot.services.outbox import inline_keyboard
from bot.templates import render
from storage import queries
from storage.meetings import CHECKED_IN, AttendanceStatus, Meeting, attendance_rows, scheduled_between
from storage.models import Organisation

# The meetings' outbox keys begin as they always did, so a row queued before an upgrade is not queued again.
KEY_PREFIX = "mt"


def notice_key(meeting: Meeting, *parts: object) -> str:
    """The dedup key of a message about ``meeting`` (the notifier adds ``:<member id>``)."""
    return ":".join(str(part) for part in (KEY_PREFIX, meeting.id, *parts))


# --- notices, changes, reminders ----------------------------------------------------------------------------


def answer_buttons(meeting: Meeting, locale: str) -> list[list[tuple[str, str]]]:
    """The buttons "I will attend" and "ask for leave", in ``locale``."""
    tr = translator(locale)
    return [
        [
            (tr.gettext("✅ I will attend"), meeting_button(meeting.id, MeetingAction.ATTEND)),
            (tr.gettext("🙋 Ask for leave"), meeting_button(meeting.id, MeetingAction.LEAVE)),
        ]
    ]


async def _announce(
    session: AsyncSession, meeting: Meeting, event: str, *, env: ServiceEnv, changed: Sequence[str] = ()
) -> int:
    """Tell every bound expected member privately, and the linked group, about a new, changed or cancelled
    meeting. One outbox row per recipient and event (and revision, for changes)."""
    branch = await session.get(Organisation, meeting.org_id)
    group = await session.get(Organisation, meeting.group_id) if meeting.group_id else None
    key = {"notice": "notice", "changed": f"change:{meeting.revision}", "cancelled": "cancel"}[event]
    with_buttons = event != "cancelled"
    rows = [(member, row) for member, row in await attendance_rows(session, meeting.id) if member.active]
    unanswered = {member.id for member, row in rows if row.status not in CHECKED_IN}
    message = Message(
        template="meetings/notice.html.j2",
        params=lambda r: {
            "event": event,
            "m": MeetingView.of(meeting, r.locale, env.tz, group.name if group else None),
            "branch": branch.name if branch else "",
            "changed": list(changed),
            "member_name": r.member.name,
        },
        buttons=lambda r: answer_buttons(meeting, r.locale) if with_buttons and r.member.id in unanswered else [],
    )
    sent = await Notifier(session, env).tell(
        [member for member, _ in rows], message, key=notice_key(meeting, key), kind="meeting"
    )
    if branch is not None and branch.chat_id is not None and announced_in_group(meeting):
        locale = env.default_locale
        text = render(
            "meetings/notice.html.j2",
            locale,
            event=event,
            m=MeetingView.of(meeting, locale, env.tz, group.name if group else None),
            branch=branch.name,
            changed=list(changed),
            member_name=None,
        )
        await outbox.enqueue(
            session,
            dedup_key=notice_key(meeting, key, "group"),
            chat_id=branch.chat_id,
            kind="meeting",
            text=text,
            reply_markup=inline_keyboard(answer_buttons(meeting, locale)) if with_buttons else None,
        )
    meeting.notified_at = env.now()
    return sent.queued


def checkin_window(meeting: Meeting, settings: Settings) -> tuple[datetime, datetime]:
    """When check-in opens and closes (``CHECKIN_OPENS_MINUTES`` before the start, until the end)."""
    return meeting.starts_at - timedelta(minutes=settings.CHECKIN_OPENS_MINUTES), meeting.ends_at


async def send_due_reminders(
    session: AsyncSession, *, env: ServiceEnv, settings: Settings, now: datetime | None = None
) -> int:
    """Reminders the day before and an hour before (to those attending or silent), and the check-in
    announcement in the group when the window opens. Idempotent: every row has its dedup key. ``settings`` for
    when check-in opens."""
    now = now or env.now()
    meetings = await scheduled_between(session, now + timedelta(hours=24), now)
    queued = 0
    for meeting in meetings:
        stamp = int(meeting.starts_at.timestamp())
        event: str | None = None
        if meeting.starts_at - timedelta(hours=1) <= now < meeting.starts_at:
            # Not right after the notice of a meeting called at short notice: the notice itself just went out.
            if meeting.notified_at is None or now - meeting.notified_at >= FRESH_NOTICE_HOUR:
                event = "hour"
        elif meeting.starts_at - timedelta(hours=24) <= now < meeting.starts_at - timedelta(hours=1) and (
            meeting.notified_at is None or now - meeting.notified_at >= FRESH_NOTICE
        ):
            event = "day"
        if event is not None:
            queued += await _remind(session, meeting, event, stamp, env=env)
        opens, closes = checkin_window(meeting, settings)
        if opens <= now <= closes and not is_unit_kind(meeting.kind):
            queued += await _announce_checkin(session, meeting, stamp, env=env)
    return queued


async def _remind(session: AsyncSession, meeting: Meeting, event: str, stamp: int, *, env: ServiceEnv) -> int:
    group = await session.get(Organisation, meeting.group_id) if meeting.group_id else None
    rows = [
        (member, row)
        for member, row in await attendance_rows(session, meeting.id)
        if row.status in (AttendanceStatus.ATTENDING, AttendanceStatus.NO_ANSWER)
    ]
    silent = {member.id for member, row in rows if row.status == AttendanceStatus.NO_ANSWER}
    message = Message(
        template="meetings/notice.html.j2",
        params=lambda r: {
            "event": event,
            "m": MeetingView.of(meeting, r.locale, env.tz, group.name if group else None),
            "branch": "",
            "changed": [],
            "member_name": r.member.name,
        },
        buttons=lambda r: answer_buttons(meeting, r.locale) if r.member.id in silent else [],
    )
    sent = await Notifier(session, env).tell(
        [member for member, _ in rows],
        message,
        key=notice_key(meeting, f"remind-{event}", stamp),
        kind="reminder",
        expires_at=meeting.starts_at,
        # The hour before is time-critical (it goes before other pushes); the day before is not.
        priority=outbox.Priority.URGENT if event == "hour" else None,
    )
    return sent.queued


async def _announce_checkin(session: AsyncSession, meeting: Meeting, stamp: int, *, env: ServiceEnv) -> int:
    """Check-in is open: a button in the linked group, and a reminder to the leaders to show the QR code."""
    branch = await session.get(Organisation, meeting.org_id)
    count = 0
    if branch is not None and branch.chat_id is not None and announced_in_group(meeting):
        locale = env.default_locale
        tr = translator(locale)
        text = render("meetings/checkin_open.html.j2", locale, m=MeetingView.of(meeting, locale, env.tz))
        count += await outbox.enqueue(
            session,
            dedup_key=notice_key(meeting, "open", stamp, "group"),
            chat_id=branch.chat_id,
            kind="meeting",
            text=text,
            reply_markup=inline_keyboard(
                [[(tr.gettext("📍 Check in"), meeting_button(meeting.id, MeetingAction.CHECK_IN))]]
            ),
            expires_at=meeting.ends_at,
            priority=outbox.Priority.URGENT,  # check-in is open now
        )
    message = Message(
        template="meetings/checkin_open_leader.html.j2",
        params=lambda r: {"m": MeetingView.of(meeting, r.locale, env.tz), "code": meeting.checkin_code},
        buttons=lambda r: [[(r.gettext("📷 Show the check-in QR code"), meeting_button(meeting.id, MeetingAction.QR))]],
    )
    sent = await Notifier(session, env).tell(
        await queries.branch_leaders(session, meeting.org_id),
        message,
        key=notice_key(meeting, "open", stamp),
        kind="meeting",
        expires_at=meeting.ends_at,
        priority=outbox.Priority.URGENT,  # check-in is open now
    )
    return count + sent.queued
