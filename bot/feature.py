"""What a feature is: one value declaring everything it adds to the bot, read by the registry (bot/features.py).

Code is referenced through zero-argument loaders (``handlers``, ``jobs``, ``cli``, ``commands``, ``hooks``) that
import their modules when called, so reading the registry is cheap: the command line does not load the Telegram
handlers nor the models, and the bot does not load the command line. Nothing registers itself by being imported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import typer

    from bot.commands import Menu, MenuCommand
    from bot.context import BranchApplication
    from bot.services.meetings.hooks import MeetingHooks


class Job(Protocol):
    """A scheduled job (:class:`bot.jobs.DailyJob`, :class:`bot.jobs.RepeatingJob`, …): a fixed id, and how to
    put itself on the application's JobQueue."""

    @property
    def id(self) -> str: ...

    def schedule(self, application: BranchApplication) -> None: ...


class Slot(StrEnum):
    """A named group of a feature's handlers; :data:`bot.features.HANDLER_ORDER` says where each goes."""

    EDITED = "edited"  # an edited message (the one kind answered: a question), ahead of every flow
    START_LINKS = "start_links"  # /start with a payload (deep links): before the core's plain /start
    MAIN = "main"  # commands, buttons and guided flows
    FALLBACK = "fallback"  # after every feature's: /cancel outside any flow
    FREE_TEXT = "free_text"  # the very last: plain text nobody else took


# Handlers as python-telegram-bot takes them (``Application.add_handlers``); typed loosely so that this module,
# like the registry, imports no Telegram code.
HandlerGroups = Mapping[Slot, Sequence[Any]]


def _none() -> tuple[()]:
    return ()


@dataclass(frozen=True)
class Feature:
    """One feature, declared once in :data:`bot.features.FEATURES`."""

    # The one spelling of the feature's name: the package/module names in handlers/, bot/services/, bot/cli/,
    # bot/jobs/, storage/, the templates directory and the gettext catalog (tests/test_architecture.py checks).
    name: str
    # Its Telegram handlers by slot, in order within each slot (first match wins).
    handlers: Callable[[], HandlerGroups] = dict
    # Its scheduled jobs (each with a fixed id; see bot/jobs/__init__.py).
    jobs: Callable[[], Sequence[Job]] = _none
    # Adds its sub-commands to the ``branchbot`` command line: ``cli(app)`` (a ``register(app)`` function).
    cli: Callable[[typer.Typer], None] | None = None
    # The top-level names ``cli`` adds (commands and command groups): the command line lists them without
    # importing the feature's module and loads it only when one of them runs (tests/test_cli.py checks them).
    cli_commands: tuple[str, ...] = ()
    # Its entries in the command menu and /help, in order (descriptions are msgids of its catalog); a loader
    # too, as the command tables import the roles (SQLAlchemy's models) and the command line needs none of it.
    commands: Callable[[], Sequence[MenuCommand]] = _none
    # What it adds to meetings (closing checks, card lines and buttons, the command-line recorder).
    hooks: Callable[[], MeetingHooks] | None = None
    # Its templates directory under bot/templates/ and its gettext domain (locales/*/LC_MESSAGES/<catalog>.po).
    templates: str | None = None
    catalog: str | None = None


def menu_of(features: Iterable[Feature]) -> Menu:
    """The command menu of these features, in their order."""
    from bot.commands import Menu

    return Menu.of(command for feature in features for command in feature.commands())


def meeting_hooks_of(features: Iterable[Feature]) -> MeetingHooks:
    """What these features add to meetings, in their order."""
    from bot.services.meetings.hooks import MeetingHooks

    return MeetingHooks.join(feature.hooks() for feature in features if feature.hooks is not None)


def jobs_of(features: Iterable[Feature]) -> list[Job]:
    """Every job of these features; two with one id is a mistake in the registry."""
    jobs = [job for feature in features for job in feature.jobs()]
    ids = [job.id for job in jobs]
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    if duplicated:
        raise ValueError(f"two jobs with one id: {duplicated}")
    return jobs


def handlers_in_order(
    features: Iterable[Feature], order: Sequence[tuple[str, Slot]]
) -> list[tuple[str, Slot, Sequence[Any]]]:
    """Each feature's handler groups in ``order`` ((feature, slot) pairs; pairs of features not given are
    skipped). A declared group missing from the order is a mistake in the registry, not something to guess."""
    declared = {(feature.name, slot): group for feature in features for slot, group in feature.handlers().items()}
    unordered = sorted(set(declared) - set(order))
    if unordered:
        raise ValueError(f"handler groups missing from the order: {unordered}")
    return [(name, slot, declared[(name, slot)]) for name, slot in order if (name, slot) in declared]
