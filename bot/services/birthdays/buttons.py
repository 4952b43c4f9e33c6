"""The birthdays feature's buttons, declared once (:mod:`bot.callbacks`): packed by services and handlers,
parsed by the handlers. No Telegram here."""

from __future__ import annotations

import enum
from typing import Annotated

from bot.callbacks import CallbackData, Id, IntRange


class BirthdayAction(enum.StrEnum):
    """What a birthdays button does."""

    OATH = "oath"  # under a greeting: re-read the Party oath (重温入党誓词); sent since the first release
    GREETINGS_ON = "on"  # under /mybirthday
    GREETINGS_OFF = "off"
    COUNTS = "c"  # an administrator's counts by branch, for a month
    LIST = "l"  # a branch's list, for a month


class BirthdayButton(CallbackData, prefix="bd"):
    """``bd:oath``, ``bd:on``, ``bd:c:2026:11``, ``bd:l:2026:11:<branch>``."""

    action: BirthdayAction
    year: Annotated[int, IntRange(1921, 9999)] | None = None
    month: Annotated[int, IntRange(1, 12)] | None = None
    branch: Id | None = None
