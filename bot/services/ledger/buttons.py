"""The ledger feature's buttons, declared once (:mod:`bot.callbacks`). No Telegram here.

The packed forms are those the buttons always had (``lg:<org>:last_month``, ``lc:<org>:attendance``,
``lgr:<meeting>``), so buttons already in chats keep working.
"""

from __future__ import annotations

import enum

from bot.callbacks import CallbackData, Id


class LedgerChoice(enum.StrEnum):
    """A /ledger period button: a preset period, or "let me type the dates"."""

    THIS_MONTH = "this_month"
    LAST_MONTH = "last_month"
    THIS_QUARTER = "this_quarter"
    THIS_YEAR = "this_year"
    TYPED = "typed"


class ChartKind(enum.StrEnum):
    """A /charts button."""

    ATTENDANCE = "attendance"
    MEETINGS = "meetings"
    FIRST_AGENDA = "first-agenda"
    SERVICE = "service"


class LedgerButton(CallbackData, prefix="lg"):
    """The ledger of an organisation for a period."""

    org: Id
    choice: LedgerChoice


class ChartButton(CallbackData, prefix="lc"):
    """One chart of an organisation's year."""

    org: Id
    kind: ChartKind


class RecordButton(CallbackData, prefix="lgr"):
    """A meeting's record as a Word document."""

    meeting: Id
