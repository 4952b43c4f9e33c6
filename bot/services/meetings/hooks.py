"""Seams through which other features plug into meetings, so the meetings code need not know them.

A feature that plugs in declares a :class:`MeetingHooks` value (:attr:`bot.feature.Feature.hooks`); the
registry (:mod:`bot.features`) joins every feature's into one, which the entry points pass down: the bot keeps it
in its resources (``context.resources.meeting_hooks``), the command line in its context object. No module-level
registry: what a meeting service sees is what it was given.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import InvalidInput
from bot.i18n import N_
from storage.meetings import Meeting
from storage.models import Member

# What is still missing before a meeting may be closed: (msgid, params) pairs, shown to the secretary.
ClosingCheck = Callable[[AsyncSession, Meeting], Awaitable[list[tuple[str, dict[str, Any]]]]]
# Buttons a feature adds to the secretary's card of one meeting: (label, callback_data) in the given locale.
LeaderButtons = Callable[[Meeting, str], list[tuple[str, str]]]
# What a feature knows about one meeting: lines for the secretary's card (Telegram HTML, already escaped, in the
# given locale), and entries for the JSON of `branchbot meeting show` (each provider returns its own keys).
CardLines = Callable[[AsyncSession, Meeting, str], Awaitable[list[str]]]
MeetingDetails = Callable[[AsyncSession, Meeting], Awaitable[dict[str, Any]]]
# Records the first agenda item given on the command line (`meeting add --first-agenda ID_OR_TEXT`).
FirstAgendaRecorder = Callable[[AsyncSession, Meeting, str, Member | None], Awaitable[None]]


@dataclass(frozen=True)
class MeetingHooks:
    """What the features add to meetings: one feature's, or (:meth:`join`) every feature's."""

    closing_checks: tuple[ClosingCheck, ...] = ()
    button_providers: tuple[LeaderButtons, ...] = ()
    line_providers: tuple[CardLines, ...] = ()
    detail_providers: tuple[MeetingDetails, ...] = ()
    first_agenda_recorder: FirstAgendaRecorder | None = None
    # Buttons that fix what a closing check found missing (offered when closing is refused); a subset of a
    # feature's card buttons, so that a refusal shows only the way forward.
    fix_providers: tuple[LeaderButtons, ...] = ()

    @classmethod
    def join(cls, hooks: Iterable[MeetingHooks]) -> MeetingHooks:
        """All of them, in the given order; the last recorder given wins (there is one: the first agenda's)."""
        joined = cls()
        for one in hooks:
            joined = cls(
                joined.closing_checks + one.closing_checks,
                joined.button_providers + one.button_providers,
                joined.line_providers + one.line_providers,
                joined.detail_providers + one.detail_providers,
                one.first_agenda_recorder or joined.first_agenda_recorder,
                joined.fix_providers + one.fix_providers,
            )
        return joined

    async def missing_before_closing(self, session: AsyncSession, meeting: Meeting) -> list[tuple[str, dict[str, Any]]]:
        """Everything the checks say is missing."""
        missing: list[tuple[str, dict[str, Any]]] = []
        for check in self.closing_checks:
            missing.extend(await check(session, meeting))
        return missing

    async def record_first_agenda(
        self, session: AsyncSession, meeting: Meeting, value: str, actor: Member | None
    ) -> None:
        """Record the first agenda item through the recorder."""
        if self.first_agenda_recorder is None:
            raise InvalidInput(N_("Recording the first agenda item is not available."))
        await self.first_agenda_recorder(session, meeting, value, actor)

    async def card_lines(self, session: AsyncSession, meeting: Meeting, locale: str) -> list[str]:
        """Extra lines for the secretary's meeting card."""
        return [line for provider in self.line_providers for line in await provider(session, meeting, locale)]

    async def details(self, session: AsyncSession, meeting: Meeting) -> dict[str, Any]:
        """Extra entries for a meeting's JSON on the command line."""
        merged: dict[str, Any] = {}
        for provider in self.detail_providers:
            merged.update(await provider(session, meeting))
        return merged

    def fix_buttons(self, meeting: Meeting, locale: str) -> list[tuple[str, str]]:
        """The buttons that fix what closing is missing."""
        return [button for provider in self.fix_providers for button in provider(meeting, locale)]

    def leader_buttons(self, meeting: Meeting, locale: str) -> list[tuple[str, str]]:
        """Extra buttons for the secretary's meeting card."""
        return [button for provider in self.button_providers for button in provider(meeting, locale)]
