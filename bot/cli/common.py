"""What every ``branchbot`` command shares: settings or a clear exit, gettext, one unit of work, JSON output.

Feature command modules (``bot/cli/<feature>.py``) import from here, not from :mod:`bot.cli`, which imports them.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

# Imported where used: a command pays only for what it needs (``branchbot ask`` needs no database nor settings).
if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.config import Settings
    from bot.environment import ServiceEnv
    from bot.i18n import Translator
    from bot.services.tabular import ImportResult

T = TypeVar("T")
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def day_option(flag: str, after: str = "") -> Any:
    """``--from`` (a period's first day) or ``--to`` (its last), with the day as people type it (bot/dates.py
    reads both forms); ``after``: what follows the example in the help, such as the default."""
    edge = {"--from": "First", "--to": "Last"}[flag]
    return typer.Option(flag, help=f"{edge} day, e.g. 2026-12-15 or 12月15日{after}")


def settings_or_exit() -> Settings:
    """The settings, or one clear line and exit status 2."""
    from bot.config import ConfigError, load_settings

    try:
        return load_settings()
    except ConfigError as exc:
        typer.echo(exc.localized(), err=True)  # in DEFAULT_LOCALE's language, like the rest of the CLI
        raise typer.Exit(2) from None


def tr_cli(settings: Settings) -> Translator:
    """Gettext for command-line output, in the configured default language."""
    from bot.i18n import translator

    return translator(settings.DEFAULT_LOCALE)


def cli_env(settings: Settings) -> ServiceEnv:
    """The services' environment of a command (zone, default language, clock, working days): the one place the
    command line builds it, as :class:`bot.resources.Resources` does for the running bot."""
    global _ENV
    if _ENV is None or _ENV[0] is not settings:  # one per settings: row formatting asks for it again and again
        from bot.environment import ServiceEnv

        _ENV = (settings, ServiceEnv.from_settings(settings))
    return _ENV[1]


_ENV: tuple[Settings, ServiceEnv] | None = None


def run_db(work: Callable[[AsyncSession, Settings], Awaitable[T]], *, upgrade: bool = True) -> T:
    """Run ``work`` in one unit of work on an up-to-date database; refusals print and exit 1."""
    import asyncio

    from bot.db import Database
    from bot.errors import DomainError
    from bot.services.tabular import ImportRejected

    settings = settings_or_exit()
    tr = tr_cli(settings)

    async def main() -> T:
        db = Database(settings.DATABASE_URL)
        try:
            if upgrade:
                await db.upgrade()
            async with db.session() as session:
                return await work(session, settings)
        finally:
            await db.dispose()

    try:
        return asyncio.run(main())
    except ImportRejected as exc:
        typer.echo(exc.localized(tr, escape=False), err=True)
        for error in exc.errors:
            typer.echo("  " + error.localized(tr), err=True)
        raise typer.Exit(1) from None
    except DomainError as exc:
        typer.echo(exc.localized(tr, escape=False), err=True)
        raise typer.Exit(1) from None


def echo_json(value: Any) -> None:
    """One JSON document on one line, Chinese kept readable.

    The ``--json`` rule (README, "Command line"): a command about one thing prints one document; a command that
    lists things prints JSON Lines — one document per thing, nothing at all for none — through
    :func:`echo_json_lines`, so the shape never depends on how many were found.
    """
    typer.echo(json.dumps(value, ensure_ascii=False, default=str))


def echo_json_lines(rows: Iterable[Any]) -> None:
    """A list as JSON Lines: one document per line, no output for an empty list (the exit code stays 0)."""
    for row in rows:
        echo_json(row)


def echo_import_result(result: ImportResult) -> None:
    """What an import did, in one line."""
    typer.echo(
        tr_cli(settings_or_exit()).gettext(
            "Imported: %(created)d created, %(updated)d updated, %(unchanged)d unchanged.",
            created=result.created,
            updated=result.updated,
            unchanged=result.unchanged,
        )
    )
