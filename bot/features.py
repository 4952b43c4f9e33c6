"""The registry: every feature of the bot, declared once, read by the application (bot/app.py), the command line
(bot/cli/__init__.py) and the offline console (through the application).

To add a feature, copy the birthdays feature's files (in every layer: handlers/birthdays/,
bot/services/birthdays/, storage/birthdays.py, bot/cli/birthdays.py, bot/jobs/birthdays.py,
bot/templates/birthdays/, the birthdays catalogs), declare it below, and put its handler groups in
:data:`HANDLER_ORDER` (README, Architecture).

The loaders import their modules only when called: this module imports no handler, job or command-line code.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bot.feature import Feature, HandlerGroups, Job, Slot, handlers_in_order, jobs_of, meeting_hooks_of, menu_of

if TYPE_CHECKING:
    import typer

    from bot.commands import Menu, MenuCommand
    from bot.services.meetings.hooks import MeetingHooks

# --------------------------------------------------------------------------------------------------------------
# Loaders (one small function each, so that what a feature pulls in is read, not guessed)


def _core_handlers() -> HandlerGroups:
    from handlers import core

    return {Slot.MAIN: core.HANDLERS, Slot.FALLBACK: core.FALLBACK_HANDLERS}


def _core_jobs() -> Sequence[Job]:
    from bot.jobs import core

    return core.JOBS


def _measures_handlers() -> HandlerGroups:
    from handlers import measures

    return {
        Slot.EDITED: measures.EDITED_HANDLERS,
        Slot.MAIN: measures.HANDLERS,
        Slot.FREE_TEXT: measures.FREE_TEXT_HANDLERS,
    }


def _measures_jobs() -> Sequence[Job]:
    from bot.jobs import measures

    return measures.JOBS


def _measures_cli(app: typer.Typer) -> None:
    from bot.cli import measures

    measures.register(app)


def _branch_handlers() -> HandlerGroups:
    from handlers import branch

    return {Slot.MAIN: branch.HANDLERS}


def _birthdays_handlers() -> HandlerGroups:
    from handlers import birthdays

    return {Slot.MAIN: birthdays.HANDLERS}


def _birthdays_jobs() -> Sequence[Job]:
    from bot.jobs import birthdays

    return birthdays.JOBS


def _birthdays_cli(app: typer.Typer) -> None:
    from bot.cli import birthdays

    birthdays.register(app)


def _meetings_handlers() -> HandlerGroups:
    from handlers import meetings

    return {Slot.START_LINKS: meetings.HANDLERS}


def _meetings_jobs() -> Sequence[Job]:
    from bot.jobs import meetings

    return meetings.JOBS


def _meetings_cli(app: typer.Typer) -> None:
    from bot.cli import meetings

    meetings.register(app)


def _first_agenda_handlers() -> HandlerGroups:
    from handlers import first_agenda

    return {Slot.MAIN: first_agenda.HANDLERS}


def _first_agenda_jobs() -> Sequence[Job]:
    from bot.jobs import first_agenda

    return first_agenda.JOBS


def _first_agenda_cli(app: typer.Typer) -> None:
    from bot.cli import first_agenda

    first_agenda.register(app)


def _first_agenda_hooks() -> MeetingHooks:
    from bot.services import first_agenda

    return first_agenda.MEETING_HOOKS


def _volunteer_handlers() -> HandlerGroups:
    from handlers import volunteer

    return {Slot.START_LINKS: volunteer.START_HANDLERS, Slot.MAIN: volunteer.HANDLERS}


def _ledger_handlers() -> HandlerGroups:
    from handlers import ledger

    return {Slot.MAIN: ledger.HANDLERS}


def _ledger_jobs() -> Sequence[Job]:
    from bot.jobs import ledger

    return ledger.JOBS


def _ledger_cli(app: typer.Typer) -> None:
    from bot.cli import ledger

    ledger.register(app)


def _ledger_hooks() -> MeetingHooks:
    from bot.services.ledger.menu import MEETING_HOOKS

    return MEETING_HOOKS


def _points_handlers() -> HandlerGroups:
    from handlers import points

    return {Slot.MAIN: points.HANDLERS}


def _points_jobs() -> Sequence[Job]:
    from bot.jobs import points

    return points.JOBS


def _points_cli(app: typer.Typer) -> None:
    from bot.cli import points

    points.register(app)


def _people_handlers() -> HandlerGroups:
    from handlers import people

    return {Slot.MAIN: people.HANDLERS}


def _people_cli(app: typer.Typer) -> None:
    from bot.cli import people

    people.register(app)


def _volunteer_jobs() -> Sequence[Job]:
    from bot.jobs import volunteer

    return volunteer.JOBS


def _volunteer_cli(app: typer.Typer) -> None:
    from bot.cli import volunteer

    volunteer.register(app)


# The command tables (each imports the roles, that is SQLAlchemy's models: not for the command line's sake).


def _core_commands() -> Sequence[MenuCommand]:
    from bot.commands import CORE_COMMANDS

    return CORE_COMMANDS


def _measures_commands() -> Sequence[MenuCommand]:
    from bot.commands import MEASURES_COMMANDS

    return MEASURES_COMMANDS


def _branch_commands() -> Sequence[MenuCommand]:
    from bot.commands import BRANCH_COMMANDS

    return BRANCH_COMMANDS


def _birthdays_commands() -> Sequence[MenuCommand]:
    from bot.commands import BIRTHDAYS_COMMANDS

    return BIRTHDAYS_COMMANDS


def _meetings_commands() -> Sequence[MenuCommand]:
    from bot.commands import MenuCommand
    from bot.services.meetings.menu import MEETING_COMMANDS

    return tuple(MenuCommand(*command) for command in MEETING_COMMANDS)


def _first_agenda_commands() -> Sequence[MenuCommand]:
    from bot.commands import FIRST_AGENDA_COMMANDS

    return FIRST_AGENDA_COMMANDS


def _volunteer_commands() -> Sequence[MenuCommand]:
    from bot.commands import MenuCommand
    from bot.services.volunteer.texts import VOLUNTEER_COMMANDS

    return tuple(MenuCommand(*command) for command in VOLUNTEER_COMMANDS)


def _ledger_commands() -> Sequence[MenuCommand]:
    from bot.commands import MenuCommand
    from bot.services.ledger.menu import LEDGER_COMMANDS

    return tuple(MenuCommand(*command) for command in LEDGER_COMMANDS)


def _points_commands() -> Sequence[MenuCommand]:
    from bot.commands import MenuCommand
    from bot.services.points.texts import POINTS_COMMANDS

    return tuple(MenuCommand(*command) for command in POINTS_COMMANDS)


def _people_commands() -> Sequence[MenuCommand]:
    from bot.commands import MenuCommand
    from bot.services.membership import PEOPLE_COMMANDS

    return tuple(MenuCommand(*command) for command in PEOPLE_COMMANDS)


# --------------------------------------------------------------------------------------------------------------
# The features. Their order is the order of the command menu (and /help) and of the command line's sub-commands.

CORE = Feature(
    "core",  # joining, help, language; the command line's own commands (db, org, roster, run…) are bot/cli/__init__.py
    handlers=_core_handlers,
    jobs=_core_jobs,
    commands=_core_commands,
    templates="core",
    catalog="core",
)
MEASURES = Feature(
    "measures",  # questions on the 32 measures
    handlers=_measures_handlers,
    jobs=_measures_jobs,
    cli=_measures_cli,
    cli_commands=("ask",),
    commands=_measures_commands,
    templates="measures",
    catalog="measures",
)
BRANCH = Feature(
    "branch",  # branch leaders' tools: invitation links, linking the group chat (templates and texts: core's)
    handlers=_branch_handlers,
    commands=_branch_commands,
)
BIRTHDAYS = Feature(
    "birthdays",  # political birthdays (政治生日)
    handlers=_birthdays_handlers,
    jobs=_birthdays_jobs,
    cli=_birthdays_cli,
    cli_commands=("birthdays",),
    commands=_birthdays_commands,
    templates="birthdays",
    catalog="birthdays",
)
MEETINGS = Feature(
    "meetings",  # branch meetings (三会一课): scheduling, check-in, closing, compliance
    handlers=_meetings_handlers,
    jobs=_meetings_jobs,
    cli=_meetings_cli,
    cli_commands=("meeting",),
    commands=_meetings_commands,
    templates="meetings",
    catalog="meetings",
)
FIRST_AGENDA = Feature(
    "first_agenda",  # the first agenda item (第一议题): plugs into meetings through its hooks
    handlers=_first_agenda_handlers,
    jobs=_first_agenda_jobs,
    cli=_first_agenda_cli,
    cli_commands=("material", "firstagenda"),
    commands=_first_agenda_commands,
    hooks=_first_agenda_hooks,
    templates="first_agenda",
    catalog="first_agenda",
)
VOLUNTEER = Feature(
    "volunteer",  # volunteer service (measure 22): communities, activities, check-in, hours
    handlers=_volunteer_handlers,
    jobs=_volunteer_jobs,
    cli=_volunteer_cli,
    cli_commands=("community", "activity", "service"),
    commands=_volunteer_commands,
    templates="volunteer",
    catalog="volunteer",
)

LEDGER = Feature(
    "ledger",  # ledgers (台账), charts, the meeting record and the monthly digest
    handlers=_ledger_handlers,
    jobs=_ledger_jobs,
    cli=_ledger_cli,
    cli_commands=("ledger", "chart"),
    commands=_ledger_commands,
    hooks=_ledger_hooks,
    templates=None,  # its screens are short gettext messages; its files are built by bot/services/ledger
    catalog="ledger",
)

POINTS = Feature(
    "points",  # member points (党员积分, measure 14) and branch stars (评星定级, measure 13)
    handlers=_points_handlers,
    jobs=_points_jobs,
    cli=_points_cli,
    cli_commands=("rules", "points", "stars"),
    commands=_points_commands,
    templates="points",
    catalog="points",
)

PEOPLE = Feature(
    "people",  # unbinding a lost phone, transfers (组织关系转出) and reading the audit log
    handlers=_people_handlers,
    cli=_people_cli,
    cli_commands=("member", "audit"),
    commands=_people_commands,
    templates=None,  # its screens are gettext messages
    catalog="people",
)

FEATURES: tuple[Feature, ...] = (
    CORE,
    MEASURES,
    BRANCH,
    BIRTHDAYS,
    MEETINGS,
    FIRST_AGENDA,
    VOLUNTEER,
    LEDGER,
    POINTS,
    PEOPLE,
)

# The order python-telegram-bot tries the handler groups in (all in group 0: the first match wins). Before them:
# the pre-checks and the flows' pre-handler (handlers/__init__.py); after them: the error handler.
HANDLER_ORDER: tuple[tuple[str, Slot], ...] = (
    ("measures", Slot.EDITED),  # an edited question in a private chat is answered anew (in a pre-check group)
    ("volunteer", Slot.START_LINKS),  # the activity check-in QR deep link (/start vk_…) before the plain /start
    ("meetings", Slot.START_LINKS),  # check-in deep links (/start ck_…), then its flows, cards, /my, /compliance
    ("core", Slot.MAIN),  # joining: invitation deep links and phone confirmation, the plain /start
    ("branch", Slot.MAIN),  # invitation links, linking the group chat
    ("birthdays", Slot.MAIN),  # /birthdays, /mybirthday and their buttons
    ("first_agenda", Slot.MAIN),  # recording and materials flows, /firstagenda, /materials, /addmaterial
    ("measures", Slot.MAIN),  # /ask, /measure N, /measures and its buttons
    ("volunteer", Slot.MAIN),  # communities, activities, check-in and out, self-reports, hours
    ("ledger", Slot.MAIN),  # /ledger, /charts, /digest and the meeting record button
    ("points", Slot.MAIN),  # /points, /stars and the star photos
    ("people", Slot.MAIN),  # /unbind (a lost phone) and /audit, leaders' private screens
    ("core", Slot.FALLBACK),  # /cancel outside any conversation
    ("measures", Slot.FREE_TEXT),  # plain text in a private chat is a question
)


def handler_groups(features: Sequence[Feature] = FEATURES) -> list[tuple[Slot, Sequence[Any]]]:
    """The features' handler groups, each with its slot, in :data:`HANDLER_ORDER`."""
    return [(slot, group) for _name, slot, group in handlers_in_order(features, HANDLER_ORDER)]


def jobs(features: Sequence[Feature] = FEATURES) -> list[Job]:
    """Every scheduled job of the features."""
    return jobs_of(features)


def menu(features: Sequence[Feature] = FEATURES) -> Menu:
    """The command menu of the features."""
    return menu_of(features)


def meeting_hooks(features: Sequence[Feature] = FEATURES) -> MeetingHooks:
    """What the features add to meetings."""
    return meeting_hooks_of(features)


def register_cli(app: typer.Typer, features: Sequence[Feature] = FEATURES) -> None:
    """Add every feature's sub-commands to the ``branchbot`` command line."""
    for feature in features:
        if feature.cli is not None:
            feature.cli(app)
