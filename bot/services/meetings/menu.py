"""The meetings' entries in the command menu, kept here so their descriptions live in the meetings catalog.

The meetings feature declares them (bot/features.py); the gate in handlers/common.py refuses a command to
roles not listed.
"""

from __future__ import annotations

from bot.i18n import N_
from storage.models import Role

_MEMBERS = frozenset(Role)
_LEADERS = frozenset({Role.SECRETARY, Role.COMMITTEE, Role.ADMIN})

# (command, description msgid, roles whose menu shows it)
MEETING_COMMANDS: list[tuple[str, str, frozenset[str]]] = [
    ("my", N_("My meetings and attendance"), _MEMBERS),
    ("checkin", N_("Check in to a meeting with its code"), _MEMBERS),
    ("meetings", N_("Meetings: answers, check-in, closing"), _LEADERS),
    ("newmeeting", N_("Schedule a meeting"), _LEADERS),
    ("compliance", N_("Meetings held and still due this month, quarter, year"), _LEADERS),
    ("attendance", N_("Attendance rates: /attendance month|quarter|year"), _LEADERS),
]
