"""The ledger's commands in the menu (descriptions are msgids of the ledger catalog)."""

from __future__ import annotations

from bot.i18n import N_, translator
from bot.services.ledger.buttons import RecordButton
from bot.services.meetings.hooks import MeetingHooks
from storage.meetings import Meeting, MeetingStatus
from storage.models import Role

LEADERS = frozenset({Role.SECRETARY, Role.COMMITTEE, Role.ADMIN})

LEDGER_COMMANDS: list[tuple[str, str, frozenset[str]]] = [
    ("ledger", N_("Ledger as an Excel file"), LEADERS),
    ("charts", N_("Charts: attendance, meetings, first agenda, service"), LEADERS),
    ("digest", N_("Monthly digest: /digest off or /digest on"), LEADERS),
]


def record_button(meeting: Meeting, locale: str) -> list[tuple[str, str]]:
    """The meeting card's button for its record (.docx), for any meeting not cancelled."""
    if meeting.status == MeetingStatus.CANCELLED:
        return []
    return [(translator(locale).gettext("📄 Record (Word)"), RecordButton(meeting=meeting.id).pack())]


# What the ledger adds to meetings: the record button on the secretary's card.
MEETING_HOOKS = MeetingHooks(button_providers=(record_button,))
