"""The Telegram layer: one module (or package) per feature; the registry (bot/features.py) says which, in what order."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from telegram.ext import Application

from bot.feature import Slot
from handlers import flows
from handlers.common import PRECHECK_EDITED, PRECHECK_FLOWS, error_handler, register_prechecks


def register(
    application: Application[Any, Any, Any, Any, Any, Any], groups: Iterable[tuple[Slot, Sequence[Any]]]
) -> None:
    """Register every handler: the features' ``groups`` in the registry's order (bot.features.HANDLER_ORDER).
    Order matters within a group: the first matching handler wins."""
    # Pre-checks (negative groups): who is calling, and may they use this at all.
    register_prechecks(application)
    # Guided flows of every feature: a new command (not /cancel or /help) ends the person's unfinished ones.
    application.add_handlers(flows.PRE_HANDLERS, group=PRECHECK_FLOWS)
    # The features' handlers: an edited question in its pre-check group (ahead of any flow); then deep links
    # before the plain /start, … the fall-backs and free text last, all in group 0.
    for slot, group in groups:
        application.add_handlers(group, group=PRECHECK_EDITED if slot == Slot.EDITED else 0)
    application.add_error_handler(error_handler)
