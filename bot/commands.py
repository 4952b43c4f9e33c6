"""The command menu: which commands each role sees, in each language (``setMyCommands``).

Each feature declares its commands (:attr:`bot.feature.Feature.commands`); :func:`bot.features.menu` joins them
in the order of :data:`bot.features.FEATURES`, which is the order in Telegram's menu and in /help. The
application keeps the joined :class:`Menu` in its resources, so nothing here knows the features.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.i18n import N_, translator
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


# Whatever features add, these close the menu: the language and the way out.
LAST = ("lang", "cancel")

# /help groups the commands by what people do (开会, 学习, 志愿服务, 查询 …); a command in no group goes to the last.
HELP_GROUPS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("meetings", N_("Meetings and check-in"), ("my", "checkin", "meetings", "newmeeting", "attendance", "compliance")),
    ("study", N_("Study"), ("firstagenda", "materials", "addmaterial", "ask", "measures", "measure")),
    ("service", N_("Volunteer service"), ("community", "activities", "report", "myservice", "activity_new", "service")),
    ("records", N_("Records"), ("points", "stars", "mybirthday", "birthdays", "ledger", "charts", "digest")),
    ("branch", N_("Branch"), ("invites", "linkgroup", "unbind", "audit")),
    ("basics", N_("Settings"), ("start", "help", "lang", "cancel")),
)
# The most used commands of each role, in this order, then :data:`LAST`: Telegram's command menu (setMyCommands)
# and the top of /help show only these (8 at most), so both fit a phone; the rest is a press away in /help.
MOST_USED: dict[str, tuple[str, ...]] = {
    "guest": ("start", "help", "ask", "measures"),
    Role.MEMBER: ("my", "checkin", "activities", "myservice", "points", "help"),
    Role.COMMITTEE: ("meetings", "newmeeting", "firstagenda", "service", "invites", "help"),
    Role.SECRETARY: ("meetings", "newmeeting", "firstagenda", "service", "invites", "help"),
    Role.ADMIN: ("meetings", "compliance", "firstagenda", "materials", "ledger", "help"),
}


@dataclass(frozen=True)
class Menu:
    """Every feature's commands, in menu order."""

    commands: tuple[MenuCommand, ...] = ()
    # What the methods below derived, by their arguments: the menu and the catalogs never change in a process,
    # and /help asked for the same lists (about 130 translations) on every update.
    _derived: dict[tuple[str, ...], tuple[tuple[str, str], ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    @classmethod
    def of(cls, commands: Iterable[MenuCommand]) -> Menu:
        """The menu of these commands, :data:`LAST` moved to the end (the sort is stable)."""
        ordered = sorted(commands, key=lambda c: LAST.index(c.name) + 1 if c.name in LAST else 0)
        return cls(tuple(ordered))

    def commands_for(self, role: str, locale: str) -> list[tuple[str, str]]:
        """``(command, description)`` pairs of ``role`` (``"guest"`` for someone not on the roster)."""
        key = ("for", role, locale)
        if key not in self._derived:
            tr = translator(locale)
            self._derived[key] = tuple((c.name, tr.gettext(c.description)) for c in self.commands if role in c.roles)
        return list(self._derived[key])

    def most_used(self, role: str, locale: str) -> list[tuple[str, str]]:
        """The role's most used commands (:data:`MOST_USED`, about 8): the command menu and the top of /help."""
        mine = dict(self.commands_for(role, locale))
        names = (*MOST_USED.get(role, MOST_USED["guest"]), *LAST)
        return [(name, mine[name]) for name in names if name in mine]

    def help_groups(self, role: str) -> list[tuple[str, str]]:
        """``(group id, title msgid)`` of the /help groups holding at least one of the role's commands."""
        return [(group, title) for group, title, _ in HELP_GROUPS if self.group_commands(group, role, "en")]

    def group_commands(self, group: str, role: str, locale: str) -> list[tuple[str, str]]:
        """The role's commands in one /help group, in menu order (a command in no group is in the last one)."""
        key = ("group", group, role, locale)
        if key not in self._derived:
            grouped = {name: gid for gid, _, names in HELP_GROUPS for name in names}
            last = HELP_GROUPS[-1][0]
            mine = self.commands_for(role, locale)
            self._derived[key] = tuple((n, d) for n, d in mine if grouped.get(n, last) == group)
        return list(self._derived[key])

    def roles_of(self, name: str) -> frozenset[str]:
        """The roles that may use command ``name`` (everyone, if it is not in the menu)."""
        for command in self.commands:
            if command.name == name:
                return command.roles
        return EVERYONE


# The core's commands (the way in, help, language, the way out); the features' live with each feature.
CORE_COMMANDS = (
    MenuCommand("start", N_("Start, or open an invitation link"), EVERYONE),
    MenuCommand("help", N_("What I can do for you"), EVERYONE),
    MenuCommand("lang", N_("Language: 中文 / English"), EVERYONE),
    MenuCommand("cancel", N_("Cancel what we are doing"), EVERYONE),
)
# Branch leaders' tools (handlers/branch.py).
BRANCH_COMMANDS = (
    MenuCommand("invites", N_("Invitation links for unbound members"), LEADERS),
    MenuCommand("linkgroup", N_("Link this group chat to your branch"), LEADERS),
)
# Questions on the measures (handlers/measures/).
MEASURES_COMMANDS = (
    MenuCommand("ask", N_("Ask about the measures"), EVERYONE),
    MenuCommand("measures", N_("Browse the 32 measures"), EVERYONE),
    MenuCommand("measure", N_("Show one measure: /measure 16"), EVERYONE),
)
# Political birthdays (handlers/birthdays.py).
BIRTHDAYS_COMMANDS = (
    MenuCommand("mybirthday", N_("My political birthday"), MEMBERS),
    MenuCommand("birthdays", N_("Political birthdays this month"), LEADERS),
)
# First agenda item (第一议题); these msgids are marked and translated in bot/services/first_agenda/hooks.py.
FIRST_AGENDA_COMMANDS = (
    MenuCommand("firstagenda", "First agenda item: what the meetings studied", LEADERS),
    MenuCommand("materials", "Study materials for the first agenda item", LEADERS),
    MenuCommand("addmaterial", "Add a study material", LEADERS),
)
