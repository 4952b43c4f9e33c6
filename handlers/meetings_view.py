"""What the meetings handlers share: the secretary's meeting card, the live list of answers, keyboards."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any, ClassVar

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.ext import ConversationHandler
from telegram.ext._utils.trackingdict import TrackingDict
from telegram.warnings import PTBUserWarning

from bot.config import Settings
from bot.context import BranchContext
from bot.i18n import translator
from bot.services import meeting_hooks, meeting_stats, meetings
from bot.services.meeting_format import MeetingView, status_name
from bot.templates import render
from storage.meetings import AttendanceStatus, Meeting, MeetingStatus
from storage.models import Organisation


async def refused_in_group(update: Update, context: BranchContext) -> bool:
    """Meetings are run from the private chat, where names and leave reasons stay private (and where the bot
    reads typed answers): in a group, say so and return True."""
    chat = update.effective_chat
    if chat is None or chat.type not in (ChatType.GROUP, ChatType.SUPERGROUP):
        return False
    text = context.tr.gettext("Please do this in our private chat.")
    if update.callback_query is not None:
        await update.callback_query.answer(text, show_alert=True)
    elif update.effective_message is not None:
        link = f"https://t.me/{context.resources.bot_username}"
        button = InlineKeyboardButton(context.tr.gettext("Open our private chat"), url=link)
        await update.effective_message.reply_text(text, reply_markup=InlineKeyboardMarkup([[button]]))
    return True


def settings_of(context: BranchContext) -> Settings:
    """The running bot's settings."""
    return context.resources.settings


def keyboard(rows: Sequence[Sequence[tuple[str, str]]]) -> InlineKeyboardMarkup:
    """Inline buttons from ``(label, callback_data)`` rows; empty rows are dropped."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows if row]
    )


def pairs(buttons: Sequence[tuple[str, str]], width: int = 2) -> list[list[tuple[str, str]]]:
    """Buttons in rows of ``width``."""
    return [list(buttons[i : i + width]) for i in range(0, len(buttons), width)]


class Conversation(ConversationHandler[Any]):
    """A ConversationHandler whose state comes only from the persistence of the Application it is added to, and
    one guided flow at a time per person.

    Handler lists are module-level, so one handler object serves every Application built in the process (each
    test, the console). PTB merges the states a handler already holds into those it loads; starting empty
    keeps one Application's conversations out of another's.

    A flow left half-way (the phone put away at "Where?") would otherwise take the person's next typed text,
    meant for another flow, as its answer; so starting a flow ends that person's other flows (of meetings and
    the first agenda item), as if they had pressed Cancel."""

    flows: ClassVar[list[Conversation]] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        Conversation.flows.append(self)

    async def _initialize_persistence(self, application: Any) -> dict[str, TrackingDict[Any, object]]:
        self._conversations = TrackingDict()
        return await super()._initialize_persistence(application)

    async def handle_update(self, update: Any, application: Any, check_result: Any, context: Any) -> object | None:
        """End the person's other flows when this update starts (or restarts) this one."""
        _state, _key, handler, _check = check_result
        user = getattr(update, "effective_user", None)
        if handler in self.entry_points and user is not None:
            for flow in Conversation.flows:
                if flow is not self:
                    for key in [k for k in flow._conversations if isinstance(k, tuple) and k and k[-1] == user.id]:
                        flow._update_state(ConversationHandler.END, key)
        return await super().handle_update(update, application, check_result, context)


def conversation(**kwargs: Any) -> Conversation:
    """A persistent conversation. PTB warns that with ``per_message=False`` a CallbackQueryHandler is tracked
    per chat rather than per message: that is what these flows want (one flow per person), so the warning is
    silenced here, where the choice is made, instead of everywhere."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*per_message.*", category=PTBUserWarning)
        return Conversation(persistent=True, allow_reentry=True, **kwargs)


async def view_of(session: AsyncSession, meeting: Meeting, locale: str, settings: Settings) -> MeetingView:
    """The meeting formatted for ``locale``, with its Party group's name."""
    group = await session.get(Organisation, meeting.group_id) if meeting.group_id else None
    return MeetingView.of(meeting, locale, settings.tz, group.name if group else None)


def percent_text(rate: meeting_stats.Rate) -> str:
    """``85%`` or ``—``."""
    return f"{rate.percent}%" if rate.percent is not None else "—"


async def card(
    session: AsyncSession, meeting: Meeting, locale: str, settings: Settings
) -> tuple[str, InlineKeyboardMarkup]:
    """The secretary's card of one meeting: details, counts, and what can be done next."""
    tr = translator(locale)
    view = await view_of(session, meeting, locale, settings)
    counts = await meetings.status_counts(session, meeting.id)
    rate = await meeting_stats.meeting_rate(session, meeting.id)
    text = render(
        "meetings/card.html.j2",
        locale,
        m=view,
        code=meeting.checkin_code or "",
        counts=counts,
        rate=rate,
        percent=percent_text(rate),
        extra=await meeting_hooks.card_lines(session, meeting, locale),
        unit=meetings.is_unit_kind(meeting.kind),
    )
    mid = meeting.id
    rows: list[list[tuple[str, str]]] = []
    if meeting.status == MeetingStatus.SCHEDULED and meetings.is_unit_kind(meeting.kind):
        # A meeting of the unit's Party body: no roster attendance, so no answers, QR codes or marks.
        rows += [
            [(tr.gettext("✏️ Edit / postpone"), f"mt:{mid}:ed"), (tr.gettext("🏁 Close"), f"mt:{mid}:cl")],
            [(tr.gettext("🚫 Cancel the meeting"), f"mt:{mid}:cx")],
        ]
    elif meeting.status == MeetingStatus.SCHEDULED:
        rows += [
            [(tr.gettext("📋 Answers"), f"mt:{mid}:ls"), (tr.gettext("✏️ Edit / postpone"), f"mt:{mid}:ed")],
            [(tr.gettext("📷 QR code"), f"mt:{mid}:qr"), (tr.gettext("✔️ Mark present"), f"mt:{mid}:mk")],
            [(tr.gettext("📡 Location check"), f"mt:{mid}:geo"), (tr.gettext("🏁 Close"), f"mt:{mid}:cl")],
            [(tr.gettext("🚫 Cancel the meeting"), f"mt:{mid}:cx")],
        ]
    elif meeting.status == MeetingStatus.CLOSED and not meetings.is_unit_kind(meeting.kind):
        rows.append([(tr.gettext("📋 Attendance"), f"mt:{mid}:ls")])
    if meeting.status != MeetingStatus.CANCELLED:
        rows += pairs(meeting_hooks.leader_buttons(meeting, locale))
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
    session: AsyncSession, meeting: Meeting, locale: str, settings: Settings
) -> tuple[str, InlineKeyboardMarkup]:
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
            note = row.checked_in_at.astimezone(settings.tz).strftime("%H:%M")
        groups.setdefault(row.status, []).append((member.name, note))
        if row.status == AttendanceStatus.LEAVE_REQUESTED and meeting.status == MeetingStatus.SCHEDULED:
            buttons.append(
                [
                    (tr.gettext("✅ %(name)s", name=member.name), f"mt:{meeting.id}:ok:{member.id}"),
                    (tr.gettext("❌ %(name)s", name=member.name), f"mt:{meeting.id}:no:{member.id}"),
                ]
            )
    text = render(
        "meetings/answers.html.j2",
        locale,
        m=await view_of(session, meeting, locale, settings),
        sections=[(s.value, status_name(s, locale)) for s in SECTIONS],
        groups=groups,
        total=len(rows),
    )
    buttons.append([(tr.gettext("🔄 Refresh"), f"mt:{meeting.id}:ls"), (tr.gettext("« Back"), f"mt:{meeting.id}:card")])
    return text, keyboard(buttons)
