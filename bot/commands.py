"""The command menu: which commands each role sees, in each language (``setMyCommands``).

Features add their commands to :data:`MENU`; the order here is the order in Telegram's menu and in /help.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.i18n import N_, translator
from bot.services.meeting_menu import MEETING_COMMANDS
from bot.services.membership import PEOPLE_COMMANDS
from bot.services.volunteer_texts import VOLUNTEER_COMMANDS
from storage.models import Role

EVERYONE = frozenset({"guest", *Role})
MEMBERS = frozenset(Role)
LEADERS = frozenset({Role.SECRETARY, Role.COMMITTEE, Role.ADMIN})
ADMINS = frozenset({Role.ADMIN})


@dataclass(frozen=True)
class MenuCommand:
    """A command, its one-line description (a msgid), and the roles whose menu shows it."""

    name: str
    description: str
    roles: frozenset[str]


MENU: list[MenuCommand] = [
    MenuCommand("start", N_("Start, or open an invitation link"), EVERYONE),
    MenuCommand("help", N_("What I can do for you"), EVERYONE),
    MenuCommand("ask", N_("Ask about the measures"), EVERYONE),
    MenuCommand("measures", N_("Browse the 32 measures"), EVERYONE),
    MenuCommand("measure", N_("Show one measure: /measure 16"), EVERYONE),
    MenuCommand("invites", N_("Invitation links for unbound members"), LEADERS),
    MenuCommand("linkgroup", N_("Link this group chat to your branch"), LEADERS),
    MenuCommand("mybirthday", N_("My political birthday"), MEMBERS),
    MenuCommand("birthdays", N_("Political birthdays this month"), LEADERS),
    *(MenuCommand(*command) for command in MEETING_COMMANDS),  # meetings (descriptions in meetings.po)
    MenuCommand("lang", N_("Language: 中文 / English"), EVERYONE),
    MenuCommand("cancel", N_("Cancel what we are doing"), EVERYONE),
]
# First agenda item (第一议题); these msgids are marked and translated in bot/services/first_agenda.py's catalog.
MENU += [
    MenuCommand("firstagenda", "First agenda item: what the meetings studied", LEADERS),
    MenuCommand("materials", "Study materials for the first agenda item", LEADERS),
    MenuCommand("addmaterial", "Add a study material", LEADERS),
]
MENU.extend(MenuCommand(*command) for command in VOLUNTEER_COMMANDS)  # volunteer service (measure 22)
MENU.extend(MenuCommand(*command) for command in PEOPLE_COMMANDS)  # issue 11: /unbind, /audit


# Whatever features add, these close the menu: the language and the way out.
LAST = ("lang", "cancel")


def commands_for(role: str, locale: str) -> list[tuple[str, str]]:
    """``(command, description)`` pairs of ``role`` (``"guest"`` for someone not on the roster)."""
    tr = translator(locale)
    ordered = sorted(MENU, key=lambda c: LAST.index(c.name) + 1 if c.name in LAST else 0)
    return [(c.name, tr.gettext(c.description)) for c in ordered if role in c.roles]


def roles_of(name: str) -> frozenset[str]:
    """The roles that may use command ``name`` (everyone, if it is not in the menu)."""
    for command in MENU:
        if command.name == name:
            return command.roles
    return EVERYONE
