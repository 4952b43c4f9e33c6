"""What the meetings handlers share: the secretary's meeting card, the live list of answers, keyboards."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardMarkup

from bot import date_style
from bot.clock import now_utc
from bot.config import Settings
from bot.context import BranchContext
from bot.environment import ServiceEnv
from bot.i18n import translator
from bot.services import meetings
from bot.services.meetings import stats
from bot.services.meetings.buttons import MeetingAction, meeting_button
from bot.services.meetings.format import MeetingView, status_name
from bot.services.meetings.hooks import MeetingHooks
from bot.templates import render
from handlers.common import keyboard, pairs
from storage.meetings import AttendanceStatus, Meeting, MeetingStatus
from storage.models import Organisation


def settings_of(context: BranchContext) -> Settings:
    """The running bot's settings (for the check-in rules; everything else comes from :func:`env_of`)."""
    return context.resources.settings


def env_of(context: BranchContext) -> ServiceEnv:
    """The services' environment (zone, default language, clock, working days), built once at start-up."""
    return context.resources.env


async def view_of(session: AsyncSession, meeting: Meeting, locale: str, env: ServiceEnv) -> MeetingView:
    """The meeting formatted for ``locale``, with its Party group's name."""
    group = await session.get(Organisation, meeting.group_id) if meeting.group_id else None
    return MeetingView.of(meeting, locale, env.tz, group.name if group else None)


def percent_text(rate: stats.Rate) -> str:
    """``85%`` or ``—``."""
    return f"{rate.percent}%" if rate.percent is not None else "—"


async def card(
    session: AsyncSession, meeting: Meeting, locale: str, env: ServiceEnv, hooks: MeetingHooks
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The secretary's card of one meeting: details, counts, and what can be done next (with the lines and
    buttons that ``hooks``, the other features, add)."""
    tr = translator(locale)
    view = await view_of(session, meeting, locale, env)
    counts = await meetings.status_counts(session, meeting.id)
    rate = await stats.meeting_rate(session, meeting.id)
    # Over (or recorded after the fact): no check-in code, QR code or location check any more, only marking.
    held = meeting.ends_at <= now_utc()
    text = render(
        "meetings/card.html.j2",
        locale,
        m=view,
        code=meeting.checkin_code or "",
        counts=counts,
        rate=rate,
        percent=percent_text(rate),
        extra=await hooks.card_lines(session, meeting, locale),
        unit=meetings.is_unit_kind(meeting.kind),
        held=held,
    )
    mid = meeting.id
    rows: list[list[tuple[str, str]]] = []
    if meeting.status == MeetingStatus.SCHEDULED and meetings.is_unit_kind(meeting.kind):
        # A meeting of the unit's Party body: no roster attendance, so no answers, QR codes or marks.
        rows += [
            [
                (tr.gettext("✏️ Edit / postpone"), meeting_button(mid, MeetingAction.EDIT)),
                (tr.gettext("🏁 Close"), meeting_button(mid, MeetingAction.CLOSE)),
            ],
            [(tr.gettext("🚫 Cancel the meeting"), meeting_button(mid, MeetingAction.CANCEL))],
        ]
    elif meeting.status == MeetingStatus.SCHEDULED and held:
        rows += [
            [
                (tr.gettext("📋 Answers"), meeting_button(mid, MeetingAction.ANSWERS)),
                (tr.gettext("✏️ Edit / postpone"), meeting_button(mid, MeetingAction.EDIT)),
            ],
            [
                (tr.gettext("✔️ Mark present"), meeting_button(mid, MeetingAction.MARK)),
                (tr.gettext("🏁 Close"), meeting_button(mid, MeetingAction.CLOSE)),
            ],
            [(tr.gettext("🚫 Cancel the meeting"), meeting_button(mid, MeetingAction.CANCEL))],
        ]
    elif meeting.status == MeetingStatus.SCHEDULED:
        rows += [
            [
                (tr.gettext("📋 Answers"), meeting_button(mid, MeetingAction.ANSWERS)),
                (tr.gettext("✏️ Edit / postpone"), meeting_button(mid, MeetingAction.EDIT)),
            ],
            [
                (tr.gettext("📷 QR code"), meeting_button(mid, MeetingAction.QR)),
                (tr.gettext("✔️ Mark present"), meeting_button(mid, MeetingAction.MARK)),
            ],
            [
                (tr.gettext("📡 Location check"), meeting_button(mid, MeetingAction.LOCATION)),
                (tr.gettext("🏁 Close"), meeting_button(mid, MeetingAction.CLOSE)),
            ],
            [(tr.gettext("🚫 Cancel the meeting"), meeting_button(mid, MeetingAction.CANCEL))],
        ]
    elif meeting.status == MeetingStatus.CLOSED and not meetings.is_unit_kind(meeting.kind):
        rows.append([(tr.gettext("📋 Attendance"), meeting_button(mid, MeetingAction.ANSWERS))])
    if meeting.status != MeetingStatus.CANCELLED:
        rows += pairs(hooks.leader_buttons(meeting, locale))
    return text, keyboard(rows)


# The live list: which answers, in which order, under which heading.
SECTIONS = (
    AttendanceStatus.PRESENT,
    AttendanceStatus.LATE,
    AttendanceStatus.ATTENDING,
    AttendanceStatus.LEAVE_REQUESTED,
    AttendanceStatus.ON_LEAVE,
    AttendanceStatus.NO_ANSWER,
    AttendanceStatus.ABSENT,
)


async def answers(
    session: AsyncSession, meeting: Meeting, locale: str, env: ServiceEnv
) -> tuple[str, InlineKeyboardMarkup | None]:
    """Who answered what (attending, on leave, no answer …), with approve / refuse buttons for leave."""
    tr = translator(locale)
    rows = await meetings.attendance_rows(session, meeting.id)
    groups: dict[str, list[tuple[str, str | None]]] = {s: [] for s in SECTIONS}
    buttons: list[list[tuple[str, str]]] = []
    for member, row in rows:
        note: str | None = None
        if row.status in (AttendanceStatus.LEAVE_REQUESTED, AttendanceStatus.ON_LEAVE):
            note = row.leave_reason
        elif row.checked_in_at is not None and row.status in (AttendanceStatus.PRESENT, AttendanceStatus.LATE):
            note = date_style.clock_time(row.checked_in_at, env.tz)
        groups.setdefault(row.status, []).append((member.name, note))
        if row.status == AttendanceStatus.LEAVE_REQUESTED and meeting.status == MeetingStatus.SCHEDULED:
            buttons.append(
                [
                    (
                        tr.gettext("✅ %(name)s", name=member.name),
                        meeting_button(meeting.id, MeetingAction.APPROVE, member.id),
                    ),
                    (
                        tr.gettext("❌ %(name)s", name=member.name),
                        meeting_button(meeting.id, MeetingAction.REFUSE, member.id),
                    ),
                ]
            )
    text = render(
        "meetings/answers.html.j2",
        locale,
        m=await view_of(session, meeting, locale, env),
        sections=[(s.value, status_name(s, locale)) for s in SECTIONS],
        groups=groups,
        total=len(rows),
    )
    buttons.append(
        [
            (tr.gettext("🔄 Refresh"), meeting_button(meeting.id, MeetingAction.ANSWERS)),
            (tr.gettext("« Back"), meeting_button(meeting.id, MeetingAction.CARD)),
        ]
    )
    return text, keyboard(buttons)
