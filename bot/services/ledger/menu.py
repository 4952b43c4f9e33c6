"""The ledger's commands in the menu (descriptions are msgids of the ledger catalog)."""

from __future__ import annotations

from bot.i18n import N_
from storage.models import Role

LEADERS = frozenset({Role.SECRETARY, Role.COMMITTEE, Role.ADMIN})

LEDGER_COMMANDS: list[tuple[str, str, frozenset[str]]] = [
    ("ledger", N_("Ledger (台账) as an Excel file"), LEADERS),
    ("charts", N_("Charts: attendance, meetings, first agenda, service"), LEADERS),
    ("digest", N_("Monthly digest: /digest off or /digest on"), LEADERS),
]
