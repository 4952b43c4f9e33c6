"""People's buttons, declared once (bot/callbacks.py packs and parses them)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from bot.callbacks import CallbackData, Id, IntRange

MAX_PAGE = 10_000  # an audit page beyond this is forged data, refused quietly


class UnbindAction(StrEnum):
    PICK = "m"  # a member chosen from the list: ask to confirm
    YES = "y"  # confirmed: unbind and issue a new link
    NO = "n"  # cancelled


class UnbindButton(CallbackData, prefix="ub"):
    """/unbind: ``ub:m:<member>``, ``ub:y:<member>``, ``ub:n``."""

    action: UnbindAction
    member: Id | None = None


class AuditButton(CallbackData, prefix="au"):
    """/audit: the page to show (``au:<page>``, 0 the newest)."""

    page: Annotated[int, IntRange(0, MAX_PAGE)]
