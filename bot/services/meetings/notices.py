"""Notices, changes, reminders and the check-in announcement, written to the outbox.

Every function takes the caller's session and never commits; what is pushed to members is written to the
outbox in the same transaction, with a dedup key that makes a repeat impossible.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import now_utc
from bot.config import Settings
from bot.i18n import Translator, translator
from bot.services import outbox
from bot.services.meetings.buttons import MeetingAction, meeting_button
from bot.services.meetings.core import FRESH_NOTICE, FRESH_NOTICE_HOUR, announced_in_group, is_unit_kind
from bot.services.meetings.format import MeetingView
from bot.services.outbox import inline_keyboard
from bot.templates import render
from storage import queries
from storage.meetings import CHECKED_IN, AttendanceStatus, Meeting, attendance_rows, scheduled_between
from storage.models import Organisation

# --- notices, changes, reminders ----------------------------------------------------------------------------


def _answer_keyboard(meeting: Meeting, tr: Translator) -> dict[str, Any]:
    return inline_keyboard(
        [
            [
                (tr.gettext("✅ I will attend"), meeting_button(meeting.id, MeetingAction.ATTEND)),
                (tr.gettext("🙋 Ask for leave"), meeting_button(meeting.id, MeetingAction.LEAVE)),
            ]
        ]
    )


async def _announce(
    session: AsyncSession, meeting: Meeting, event: str, *, settings: Settings, changed: Sequence[str] = ()
) -> int:
    """Tell every bound expected member privately, and the linked group, about a new, changed or cancelled
    meeting. One outbox row per recipient and event (and revision, for changes)."""
    branch = await session.get(Organisation, meeting.org_id)
    group = await session.get(Organisation, meeting.group_id) if meeting.group_id else None
    key = {"notice": "notice", "changed": f"change:{meeting.revision}", "cancelled": "cancel"}[event]
    count = 0
    with_buttons = event != "cancelled"
    for member, row in await attendance_rows(session, meeting.id):
        if member.telegram_id is None or not member.active:
            continue
        locale = member.language or settings.DEFAULT_LOCALE
        text = render(
            "meetings/notice.html.j2",
            locale,
            event=event,
            m=MeetingView.of(meeting, locale, settings.tz, group.name if group else None),
            branch=branch.name if branch else "",
            changed=list(changed),
            member_name=member.name,
        )
        markup = (
            _answer_keyboard(meeting, translator(locale)) if with_buttons and row.status not in CHECKED_IN else None
        )
        count += await outbox.enqueue(
            session,
            dedup_key=f"mt:{meeting.id}:{key}:{member.id}",
            chat_id=member.telegram_id,
            member_id=member.id,
            kind="meeting",
            text=text,
            reply_markup=markup,
        )
    if branch is not None and branch.chat_id is not None and announced_in_group(meeting):
        locale = settings.DEFAULT_LOCALE
        text = render(
            "meetings/notice.html.j2",
            locale,
            event=event,
            m=MeetingView.of(meeting, locale, settings.tz, group.name if group else None),
            branch=branch.name,
            changed=list(changed),
            member_name=None,
        )
        await outbox.enqueue(
            session,
            dedup_key=f"mt:{meeting.id}:{key}:group",
            chat_id=branch.chat_id,
            kind="meeting",
            text=text,
            reply_markup=_answer_keyboard(meeting, translator(locale)) if with_buttons else None,
        )
    meeting.notified_at = now_utc()
    return count


def checkin_window(meeting: Meeting, settings: Settings) -> tuple[datetime, datetime]:
    """When check-in opens and closes."""
    return meeting.starts_at - timedelta(minutes=settings.CHECKIN_OPENS_MINUTES), meeting.ends_at


async def send_due_reminders(session: AsyncSession, *, settings: Settings, now: datetime | None = None) -> int:
    """Reminders the day before and an hour before (to those attending or silent), and the check-in
    announcement in the group when the window opens. Idempotent: every row has its dedup key."""
    now = now or now_utc()
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
            queued += await _remind(session, meeting, event, stamp, settings=settings)
        opens, closes = checkin_window(meeting, settings)
        if opens <= now <= closes and not is_unit_kind(meeting.kind):
            queued += await _announce_checkin(session, meeting, stamp, settings=settings)
    return queued


async def _remind(session: AsyncSession, meeting: Meeting, event: str, stamp: int, *, settings: Settings) -> int:
    group = await session.get(Organisation, meeting.group_id) if meeting.group_id else None
    count = 0
    for member, row in await attendance_rows(session, meeting.id):
        if member.telegram_id is None or row.status not in (AttendanceStatus.ATTENDING, AttendanceStatus.NO_ANSWER):
            continue
        locale = member.language or settings.DEFAULT_LOCALE
        text = render(
            "meetings/notice.html.j2",
            locale,
            event=event,
            m=MeetingView.of(meeting, locale, settings.tz, group.name if group else None),
            branch="",
            changed=[],
            member_name=member.name,
        )
        markup = _answer_keyboard(meeting, translator(locale)) if row.status == AttendanceStatus.NO_ANSWER else None
        count += await outbox.enqueue(
            session,
            dedup_key=f"mt:{meeting.id}:remind-{event}:{stamp}:{member.id}",
            chat_id=member.telegram_id,
            member_id=member.id,
            kind="reminder",
            text=text,
            reply_markup=markup,
            expires_at=meeting.starts_at,
            # The hour before is time-critical (it goes before other pushes); the day before is not.
            priority=outbox.Priority.URGENT if event == "hour" else None,
        )
    return count


async def _announce_checkin(session: AsyncSession, meeting: Meeting, stamp: int, *, settings: Settings) -> int:
    """Check-in is open: a button in the linked group, and a reminder to the leaders to show the QR code."""
    branch = await session.get(Organisation, meeting.org_id)
    count = 0
    if branch is not None and branch.chat_id is not None and announced_in_group(meeting):
        locale = settings.DEFAULT_LOCALE
        tr = translator(locale)
        text = render("meetings/checkin_open.html.j2", locale, m=MeetingView.of(meeting, locale, settings.tz))
        count += await outbox.enqueue(
            session,
            dedup_key=f"mt:{meeting.id}:open:{stamp}:group",
            chat_id=branch.chat_id,
            kind="meeting",
            text=text,
            reply_markup=inline_keyboard(
                [[(tr.gettext("📍 Check in"), meeting_button(meeting.id, MeetingAction.CHECK_IN))]]
            ),
            expires_at=meeting.ends_at,
            priority=outbox.Priority.URGENT,  # check-in is open now
        )
    for leader in await queries.branch_leaders(session, meeting.org_id):
        if leader.telegram_id is None:
            continue
        locale = leader.language or settings.DEFAULT_LOCALE
        tr = translator(locale)
        text = render(
            "meetings/checkin_open_leader.html.j2",
            locale,
            m=MeetingView.of(meeting, locale, settings.tz),
            code=meeting.checkin_code,
        )
        count += await outbox.enqueue(
            session,
            dedup_key=f"mt:{meeting.id}:open:{stamp}:{leader.id}",
            chat_id=leader.telegram_id,
            member_id=leader.id,
            kind="meeting",
            text=text,
            reply_markup=inline_keyboard(
                [
                    [
                        (
                            tr.gettext("📷 Show the check-in QR code"),
                            meeting_button(meeting.id, MeetingAction.QR),
                        )
                    ]
                ],
            ),
            expires_at=meeting.ends_at,
            priority=outbox.Priority.URGENT,  # check-in is open now
        )
    return count
