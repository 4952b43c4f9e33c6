"""Seams through which other features plug into meetings, so the meetings code need not know them.

The first agenda item (第一议题) feature registers here; :func:`bot.plugins.load_plugins` imports the
modules that register, once, for the bot, the console and the CLI alike.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import InvalidInput
from bot.i18n import N_
from storage.meetings import Meeting
from storage.models import Member

# What is still missing before a meeting may be closed: (msgid, params) pairs, shown to the secretary.
ClosingCheck = Callable[[AsyncSession, Meeting], Awaitable[list[tuple[str, dict[str, Any]]]]]
CLOSING_CHECKS: list[ClosingCheck] = []

# Buttons a feature adds to the secretary's card of one meeting: (label, callback_data) in the given locale.
LeaderButtons = Callable[[Meeting, str], list[tuple[str, str]]]
LEADER_BUTTONS: list[LeaderButtons] = []

# What a feature knows about one meeting: lines for the secretary's card (Telegram HTML, already escaped, in the
# given locale), and entries for the JSON of `branchbot meeting show` (each provider returns its own keys).
CardLines = Callable[[AsyncSession, Meeting, str], Awaitable[list[str]]]
CARD_LINES: list[CardLines] = []
MeetingDetails = Callable[[AsyncSession, Meeting], Awaitable[dict[str, Any]]]
DETAILS: list[MeetingDetails] = []

# Records the first agenda item given on the command line (`meeting add --first-agenda ID_OR_TEXT`).
FirstAgendaRecorder = Callable[[AsyncSession, Meeting, str, Member | None], Awaitable[None]]
_first_agenda_recorder: list[FirstAgendaRecorder] = []


def register_first_agenda_recorder(recorder: FirstAgendaRecorder) -> None:
    """Install the recorder (the first agenda feature calls this once)."""
    _first_agenda_recorder[:] = [recorder]


async def missing_before_closing(session: AsyncSession, meeting: Meeting) -> list[tuple[str, dict[str, Any]]]:
    """Everything the registered checks say is missing."""
    missing: list[tuple[str, dict[str, Any]]] = []
    for check in CLOSING_CHECKS:
        missing.extend(await check(session, meeting))
    return missing


async def record_first_agenda(session: AsyncSession, meeting: Meeting, value: str, actor: Member | None) -> None:
    """Record the first agenda item through the registered recorder."""
    if not _first_agenda_recorder:
        raise InvalidInput(N_("Recording the first agenda item is not available."))
    await _first_agenda_recorder[0](session, meeting, value, actor)


async def card_lines(session: AsyncSession, meeting: Meeting, locale: str) -> list[str]:
    """Extra lines for the secretary's meeting card."""
    return [line for provider in CARD_LINES for line in await provider(session, meeting, locale)]


async def details(session: AsyncSession, meeting: Meeting) -> dict[str, Any]:
    """Extra entries for a meeting's JSON on the command line."""
    merged: dict[str, Any] = {}
    for provider in DETAILS:
        merged.update(await provider(session, meeting))
    return merged


def leader_buttons(meeting: Meeting, locale: str) -> list[tuple[str, str]]:
    """Extra buttons for the secretary's meeting card."""
    return [button for provider in LEADER_BUTTONS for button in provider(meeting, locale)]
