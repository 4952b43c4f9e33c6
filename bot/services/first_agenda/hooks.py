"""What the first agenda item adds to meetings: the closing check, the card's lines and button, the JSON."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import N_, translator
from bot.services.first_agenda.buttons import RecordButton
from bot.services.first_agenda.catalog import (
    FORM_NAMES,
    may_carry_first_agenda,
    needs_first_agenda,
)
from bot.services.first_agenda.recording import (
    ItemView,
    first_agenda_of,
    record_from_command_line,
)
from bot.services.kinds_of_meeting import KINDS_BY_ID, FirstAgenda
from bot.services.meetings.hooks import MeetingHooks
from bot.templates import render
from storage.meetings import Meeting, MeetingStatus


async def closing_check(session: AsyncSession, meeting: Meeting) -> list[tuple[str, dict[str, Any]]]:
    """What is missing before ``meeting`` may be closed, if its kind requires the first agenda item."""
    if not needs_first_agenda(meeting.kind):
        return []
    view = await first_agenda_of(session, meeting.id)
    if view is None or not view.materials:
        return [
            (
                N_(
                    "The first agenda item (第一议题) is not recorded: the material studied, "
                    "the form of study and who led it."
                ),
                {},
            )
        ]
    missing: list[tuple[str, dict[str, Any]]] = []
    if view.item.form is None:
        missing.append((N_("First agenda item: the form of study is not recorded."), {}))
    if not view.item.led_by_name:
        missing.append((N_("First agenda item: who led the study is not recorded."), {}))
    return missing


def card_buttons(meeting: Meeting, locale: str) -> list[tuple[str, str]]:
    """The "第一议题" button on the secretary's meeting card (while the meeting can still be recorded)."""
    if not may_carry_first_agenda(meeting.kind) or meeting.status in (MeetingStatus.CLOSED, MeetingStatus.CANCELLED):
        return []
    return [(translator(locale).gettext(N_("First agenda item")), RecordButton(meeting=meeting.id).pack())]


async def card_lines(session: AsyncSession, meeting: Meeting, locale: str) -> list[str]:
    """The first agenda item on the secretary's meeting card: what was studied, or that it is still missing."""
    if not may_carry_first_agenda(meeting.kind):
        return []
    view = await first_agenda_of(session, meeting.id)
    if view is None and not needs_first_agenda(meeting.kind):
        return []
    text = render(
        "first_agenda/card_line.html.j2",
        locale,
        view=view,
        titles=[m.title for m in view.materials] if view else [],
        form_names=FORM_NAMES,
        closed=meeting.status == MeetingStatus.CLOSED,
    ).strip()
    return [text] if text else []


async def meeting_details(session: AsyncSession, meeting: Meeting) -> dict[str, Any]:
    """The first agenda item in a meeting's JSON (``branchbot meeting show``): null when none is recorded."""
    view = await first_agenda_of(session, meeting.id)
    kind = KINDS_BY_ID.get(meeting.kind)
    item: dict[str, Any] | None = None
    if view is not None:
        item = {
            "materials": [
                {
                    "id": m.id,
                    "title": m.title,
                    "source": m.source,
                    "date": m.issued_on.isoformat() if m.issued_on else None,
                }
                for m in view.materials
            ],
            "form": view.item.form,
            "led_by": view.item.led_by_name,
            "led_by_id": view.item.led_by_id,
            "note": view.item.note,
        }
    return {
        "first_agenda_required": kind.first_agenda.value if kind else FirstAgenda.OPTIONAL.value,
        "first_agenda": item,
        "first_agenda_missing": _missing_fields(meeting, view),
    }


def _missing_fields(meeting: Meeting, view: ItemView | None) -> list[str]:
    """What closing still needs of the first agenda item, as field names: materials, form, led_by."""
    if not needs_first_agenda(meeting.kind):
        return []
    if view is None or not view.materials:
        return ["materials", "form", "led_by"]
    return [name for name, value in (("form", view.item.form), ("led_by", view.item.led_by_name)) if not value]


# --------------------------------------------------------------------------------------------------------------
# What this feature adds to meetings (bot/services/meetings/hooks.py)

MEETING_HOOKS = MeetingHooks(
    closing_checks=(closing_check,),
    button_providers=(card_buttons,),
    line_providers=(card_lines,),
    detail_providers=(meeting_details,),
    first_agenda_recorder=record_from_command_line,
    fix_providers=(card_buttons,),
)

# The command menu's descriptions (bot/commands.py lists the commands; their text is this feature's to translate).
MENU_DESCRIPTIONS = (
    N_("First agenda item: what the meetings studied"),
    N_("Study materials for the first agenda item"),
    N_("Add a study material"),
)
