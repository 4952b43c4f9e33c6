"""The ``branchbot`` command line: run the bot, the offline console and demo, and the administrators' tools."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import urlparse

import typer
from typer._click import Command, Context  # Typer's own click (vendored since Typer 0.26)
from typer.core import TyperGroup

from bot import collector
from bot import features as registry
from bot.cli.common import JsonFlag, cli_env, echo_import_result, echo_json, run_db, settings_or_exit, tr_cli

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.config import Settings
    from bot.services.tabular import ImportResult


def _ops_cli(app: typer.Typer) -> None:
    from bot.cli import ops

    ops.register(app)


# The feature command modules by the names they add (bot/features.py), then the core's backup and restore. A
# module is imported when one of its commands runs (or for the full --help listing), never at start: each pulls
# in what its commands need (SQLAlchemy, openpyxl, …), and ``branchbot ask`` needs none of it.
_LAZY: dict[str, Callable[[typer.Typer], None]] = {
    name: feature.cli for feature in registry.FEATURES if feature.cli is not None for name in feature.cli_commands
}
_LAZY.update(backup=_ops_cli, restore=_ops_cli)


class _LazyGroup(TyperGroup):
    """The top-level command group: the commands of bot/cli/__init__.py at once, the rest when asked for."""

    def _load(self, register: Callable[[typer.Typer], None]) -> None:
        commands = typer.Typer()
        register(commands)
        for name, command in typer.main.get_group(commands).commands.items():
            self.commands.setdefault(name, command)

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        if cmd_name not in self.commands and cmd_name in _LAZY:
            self._load(_LAZY[cmd_name])
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: Context) -> list[str]:
        for register in dict.fromkeys(_LAZY.values()):  # each once, in the registry's order
            if any(name not in self.commands for name, its in _LAZY.items() if its is register):
                self._load(register)
        # As Typer lists an app registered all at once: the commands (the features' first), then the groups (the
        # core's first).
        own = [name for name in self.commands if name not in _LAZY]
        commands, groups = [*_LAZY, *own], [*own, *_LAZY]

        def place(name: str) -> tuple[bool, int]:
            is_group = isinstance(self.commands[name], TyperGroup)
            return is_group, (groups if is_group else commands).index(name)

        return sorted(self.commands, key=place)

    def resolve_command(self, ctx: Context, args: list[str]) -> tuple[str | None, Command | None, list[str]]:
        if args and args[0] not in self.commands and args[0] not in _LAZY:
            self.list_commands(ctx)  # a mistyped name: "did you mean …" chooses among every command
        return super().resolve_command(ctx, args)


app = typer.Typer(cls=_LazyGroup, no_args_is_help=True, add_completion=False, help="The branch assistant.")
db_app = typer.Typer(no_args_is_help=True, help="The database.")
org_app = typer.Typer(no_args_is_help=True, help="The organisation tree.")
roster_app = typer.Typer(no_args_is_help=True, help="The roster of members.")
app.add_typer(db_app, name="db")
app.add_typer(org_app, name="org")
app.add_typer(roster_app, name="roster")


@app.callback()
def _features(ctx: typer.Context) -> None:
    """The features the commands serve: the registry's, unless the caller passed others (tests: ``obj=``)."""
    if ctx.obj is None:
        ctx.obj = registry.FEATURES
    if ctx.invoked_subcommand != "run":  # run resumes the collector once the bot is assembled
        collector.start_up_done()


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the database migrations."""

    async def work(session: AsyncSession, settings: Settings) -> None:
        return None

    run_db(work)
    typer.echo(tr_cli(settings_or_exit()).gettext("The database is up to date."))


@org_app.command("list")
def org_list(as_json: JsonFlag = False) -> None:
    """Show the organisation tree with ids."""
    from bot.services.roster import org_tree

    async def work(session: AsyncSession, settings: Settings) -> list[dict[str, Any]]:
        return await org_tree(session)

    tree = run_db(work)
    for node in tree:
        if as_json:
            echo_json({k: node[k] for k in ("id", "name", "kind", "parent", "code")})
        else:
            typer.echo(f"{'  ' * node['depth']}{node['id']:>5}  {node['name']}  ({node['kind']}, {node['code']})")


@org_app.command("import")
def org_import(file: Path) -> None:
    """Create or update organisations from CSV/XLSX (code, name, kind, parent, theme_day)."""
    from bot.services.roster import import_organisations

    async def work(session: AsyncSession, settings: Settings) -> ImportResult:
        return await import_organisations(session, file)

    echo_import_result(run_db(work))


@roster_app.command("import")
def roster_import(file: Path) -> None:
    """Import members from CSV/XLSX; nothing is imported if any row is wrong."""
    from bot.services.roster import import_roster

    async def work(session: AsyncSession, settings: Settings) -> ImportResult:
        return await import_roster(session, file, tz=cli_env(settings).tz)

    echo_import_result(run_db(work))


@roster_app.command("export")
def roster_export(file: Annotated[Path | None, typer.Argument()] = None) -> None:
    """Write the roster (with member ids) to FILE, or to standard output."""
    from bot.services.roster import export_roster

    async def work(session: AsyncSession, settings: Settings) -> list[dict[str, str]]:
        return await export_roster(session, file)

    rows = run_db(work)
    if file is None:
        from bot.services.roster import write_roster

        write_roster(sys.stdout, rows)  # issue 11: cells a spreadsheet would run are neutralised here too


@app.command("invite")
def invite(member: Annotated[str, typer.Argument(help="Member id or roster number")]) -> None:
    """Print a one-time invitation link for a member."""
    from bot.cli.people import link_username
    from bot.errors import NotFound
    from bot.i18n import N_
    from bot.services import identity
    from storage import queries

    username = link_username(settings_or_exit())  # issue 11: BOT_USERNAME, or getMe, or a one-line refusal

    async def work(session: AsyncSession, settings: Settings) -> str:
        found = await queries.member_by_ref(session, member)
        if found is None:
            raise NotFound(N_("No such member."))
        issued = await identity.issue_invitation(session, found, ttl_days=settings.INVITATION_TTL_DAYS)
        return identity.deep_link(username, issued.payload)

    typer.echo(run_db(work))


def _configure_logging() -> None:
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


@app.command("run")
def run() -> None:
    """Run the bot: long polling, or a webhook when WEBHOOK_URL is set."""
    settings = settings_or_exit()
    tr = tr_cli(settings)
    if not settings.BOT_TOKEN:
        typer.echo(
            tr.gettext(
                "No BOT_TOKEN is set. Create a bot with @BotFather in Telegram, then run: "
                "BOT_TOKEN=<token> branchbot run. To try the bot offline now, run: branchbot demo"
            ),
            err=True,
        )
        raise typer.Exit(2)
    import asyncio

    from bot import tls

    tls.preload()  # the certificate bundle loads in a thread while the bot's modules are imported
    from bot.app import build_application
    from bot.cli import startup  # no demo data, and one line (then a retry) when Telegram is unreachable
    from bot.db import Database
    from handlers.common import ALLOWED_UPDATES

    db = Database(settings.DATABASE_URL)

    async def prepare() -> None:
        await db.upgrade()
        await db.dispose()  # the pool's connections belong to this loop; PTB's loop opens its own

    asyncio.run(prepare())
    startup.refuse_demo_database(settings)
    _configure_logging()
    loop = asyncio.new_event_loop()  # asyncio.run closed its loop; PTB needs one
    asyncio.set_event_loop(loop)
    application = build_application(settings, db=db)
    try:
        # The application's bot asks getMe (on the loop it then runs on), so PTB's start-up does not ask again.
        startup.wait_for_telegram(settings, bot=application.bot)
    except BaseException:  # a refused token, or the operator gave up waiting: close what was opened
        loop.run_until_complete(application.bot.shutdown())
        loop.close()
        raise
    collector.start_up_done()  # every module imported, every handler built (bot/collector.py)
    if settings.WEBHOOK_URL:
        # TLS ends at the reverse proxy; the bot listens on plain HTTP under the same path as the public URL.
        application.run_webhook(
            listen=settings.WEBHOOK_LISTEN,
            port=settings.WEBHOOK_PORT,
            url_path=urlparse(settings.WEBHOOK_URL).path.lstrip("/"),
            webhook_url=settings.WEBHOOK_URL,
            secret_token=settings.WEBHOOK_SECRET,
            allowed_updates=ALLOWED_UPDATES,
        )
    else:
        application.run_polling(allowed_updates=ALLOWED_UPDATES)


def _console(who: str, seed: bool) -> None:
    settings = settings_or_exit()
    if seed:  # issue 11: the demo has its own database, never the real installation's
        from bot.cli.startup import DEMO_DATABASE_URL

        settings = settings.model_copy(update={"DATABASE_URL": DEMO_DATABASE_URL})
    import asyncio

    from bot.console import Console
    from bot.db import Database
    from bot.demo import seed_showcase

    async def main() -> None:
        db = Database(settings.DATABASE_URL)
        try:
            await db.upgrade()
            if seed:
                from bot.cli.startup import mark_demo

                async with db.session() as session:
                    await seed_showcase(session, settings, cli_env(settings))
                    await mark_demo(session)  # so that a real `run` refuses this database
            await Console(settings, db).run(who)
        finally:
            await db.dispose()

    asyncio.run(main())


@app.command("console")
def console(who: Annotated[str, typer.Option("--as", help="Member id or roster number")]) -> None:
    """Chat with the bot in the terminal as MEMBER, without Telegram."""
    _console(who, seed=False)


@app.command("demo")
def demo() -> None:
    """Create a demo organisation (a unit, two branches, a dozen members) and open the console as a secretary."""
    typer.echo(
        tr_cli(settings_or_exit()).gettext(
            "Demo: you are %(name)s, secretary of %(branch)s. Try /help, /meetings, /birthdays, /activities, "
            "/materials, /invites, or ask a question such as %(question)s. :help lists the console's own commands.",
            name="王建国",
            branch="第一党支部",
            question="党费能用来干什么",
        )
    )
    _console("A01", seed=True)


def main() -> None:
    """The command line (``python -m bot`` and the ``branchbot`` console script enter through bot/__main__.py)."""
    app()
