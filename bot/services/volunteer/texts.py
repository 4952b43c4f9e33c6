"""Texts of the volunteer service used outside its own modules: the menu entries (bot/commands.py adds them)
and the command line's human-readable output (bot/cli/volunteer.py). Kept here so that they belong to the
volunteer catalog rather than the core one."""

from __future__ import annotations

from bot.i18n import N_
from storage.models import Role

_MEMBERS = frozenset(Role)
_LEADERS = frozenset({Role.SECRETARY, Role.COMMITTEE, Role.ADMIN})

# (command, description msgid, roles whose menu shows it)
VOLUNTEER_COMMANDS: list[tuple[str, str, frozenset[str]]] = [
    ("community", N_("Register with your community"), _MEMBERS),
    ("activities", N_("Volunteer activities: sign up, check in"), _MEMBERS),
    ("report", N_("Report volunteer service done elsewhere"), _MEMBERS),
    ("myservice", N_("My volunteer hours"), _MEMBERS),
    ("activity_new", N_("Post a volunteer activity"), _LEADERS),
    ("service", N_("Branch volunteer hours and approvals"), _LEADERS),
]

CLI_ACTIVITY_CREATED = N_("Activity %(id)d created: %(title)s, %(when)s, %(slots)d places.")
CLI_CHECKIN_LINK = N_("Check-in link (print it as a QR code): %(link)s")
CLI_DISPATCHED = N_("Sent to: %(branches)s")
CLI_NOT_DISPATCHED = N_("Not sent to any branch yet: branchbot activity dispatch %(id)d ORG_ID")
CLI_ROLL_HEADER = N_("Signed up: %(confirmed)d of %(slots)d places; waiting: %(waiting)d.")
CLI_NO_MEMBERS = N_("No members there.")
CLI_BAD_DATE = N_("“%(value)s” is not a date; write it like 2026-05-01.")
CLI_BAD_RANGE = N_("--from must not be after --to.")
CLI_TOTAL = N_("In all: %(hours)s h, of which %(outside)s h outside working hours.")
CLI_CANCELLED = N_("Activity %(id)d cancelled; %(told)d members signed up or waiting are told.")
CLI_CHANGED = N_("Activity %(id)d changed (%(fields)s); %(told)d members signed up or waiting are told.")
CLI_NOTHING_TO_CHANGE = N_("Say what to change: --title, --start, --end, --slots, --place, --skills or --description.")
