"""The points feature's entries in the command menu (descriptions in the points catalog)."""

from __future__ import annotations

from bot.i18n import N_
from storage.models import Role

_MEMBERS = frozenset(Role)
_LEADERS = frozenset({Role.SECRETARY, Role.COMMITTEE, Role.ADMIN})

# (command, description msgid, roles whose menu shows it)
POINTS_COMMANDS: list[tuple[str, str, frozenset[str]]] = [
    ("points", N_("My points"), _MEMBERS),
    ("stars", N_("Branch star rating"), _LEADERS),
]
