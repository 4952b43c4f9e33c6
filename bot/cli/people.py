"""``branchbot member unbind|transfer`` and ``branchbot audit``; the bot's name for printed links."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from bot import date_style
from bot.cli.common import JsonFlag, cli_env, day_option, echo_json, run_db, settings_or_exit, tr_cli
from bot.config import Settings
from bot.errors import InvalidInput
from bot.i18n import N_

member_app = typer.Typer(no_args_is_help=True, help="One member: unbind a lost phone, transfers.")


def register(app: typer.Typer) -> None:
    """Add ``member …`` and ``audit`` to the command line."""
    app.add_typer(member_app, name="member")
    app.command("audit")(audit)


def _day(text: str | None, today: date) -> date | None:
    """A typed day (bot/dates.py: 2026-12-15, 12月15日, 昨天 …); its ParseError says how to write one."""
    if text is None:
        return None
    from bot.dates import parse_date

    return parse_date(text, today, prefer="past")


def link_username(settings: Settings) -> str:
    """The bot's username for printed links: BOT_USERNAME, else asked of Telegram (getMe) with BOT_TOKEN, else
    one line saying what to set — never a placeholder bot's link that leads nowhere."""
    tr = tr_cli(settings)
    if settings.BOT_USERNAME:
        return settings.BOT_USERNAME.lstrip("@")
    if not settings.BOT_TOKEN:
        typer.echo(
            tr.gettext(
                "Cannot print a link: the bot's name is unknown. Set BOT_USERNAME (the bot's @name without @) "
                "or BOT_TOKEN, so that I can ask Telegram."
            ),
            err=True,
        )
        raise typer.Exit(2)
    from telegram import Bot
    from telegram.error import TelegramError

    async def ask() -> str | None:
        bot = Bot(settings.BOT_TOKEN or "", base_url=settings.TELEGRAM_BASE_URL)
        async with bot:
            return bot.username

    try:
        username = asyncio.run(ask())
    except TelegramError as exc:
        typer.echo(
            tr.gettext(
                "Cannot print a link: Telegram did not tell me the bot's name (%(reason)s). "
                "Check BOT_TOKEN and the network, or set BOT_USERNAME.",
                reason=str(exc),
            ),
            err=True,
        )
        raise typer.Exit(2) from None
    if not username:
        raise typer.Exit(2)
    return username


@member_app.command("unbind")
def unbind(
    member: Annotated[str, typer.Argument(help="Member id or roster number")],
    invite: Annotated[bool, typer.Option("--invite", help="Also print a new invitation link.")] = False,
) -> None:
    """Unbind a member's Telegram account (a lost or changed phone), optionally with a new invitation."""
    from bot.services import identity, membership

    settings = settings_or_exit()
    username = link_username(settings) if invite else ""

    async def work(session: AsyncSession, settings: Settings) -> tuple[str, str | None]:
        found = await membership.find_member(session, member)
        await membership.unbind(session, None, found.id)
        link = None
        if invite:
            issued = await identity.issue_invitation(session, found, ttl_days=settings.INVITATION_TTL_DAYS)
            link = identity.deep_link(username, issued.payload)
        return found.name, link

    name, link = run_db(work)
    typer.echo(tr_cli(settings).gettext("%(name)s's Telegram account is unbound.", name=name))
    if link:
        typer.echo(link)


@member_app.command("transfer")
def transfer(
    member: Annotated[str, typer.Argument(help="Member id or roster number")],
    out: Annotated[bool, typer.Option("--out", help="组织关系转出: the member leaves the roster.")] = False,
    to: Annotated[str | None, typer.Option("--to", help="Code of the branch the member moves to.")] = None,
    on: Annotated[str | None, typer.Option("--date", help="Date of the transfer (default today).")] = None,
) -> None:
    """Transfer a member out of the roster (--out) or to another branch (--to CODE); their records stay."""
    from bot.services import membership

    settings = settings_or_exit()
    tr = tr_cli(settings)
    if out == (to is not None):
        typer.echo(tr.gettext("Give either --out or --to BRANCH."), err=True)
        raise typer.Exit(2)

    async def work(session: AsyncSession, settings: Settings) -> str:
        day = _day(on, cli_env(settings).today()) or cli_env(settings).today()
        found = await membership.find_member(session, member)
        if to is not None:
            branch = await membership.branch_by_code(session, to)
            await membership.transfer_to(session, None, found, branch, on=day)
            return tr.gettext("%(name)s moved to %(branch)s.", name=found.name, branch=branch.name)
        await membership.transfer_out(session, None, found, on=day)
        return tr.gettext(
            "%(name)s is transferred out as of %(date)s; their records stay.",
            name=found.name,
            date=date_style.day(day, tr.locale, weekday=False, year=True),
        )

    typer.echo(run_db(work))


def audit(
    org: Annotated[str | None, typer.Option("--org", help="Code of an organisation: its subtree only.")] = None,
    start: Annotated[str | None, day_option("--from", ".")] = None,
    end: Annotated[str | None, day_option("--to", ".")] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="At most this many, newest first.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Who changed what, when: the audit log, newest first."""
    from bot.services import audit_log

    async def work(session: AsyncSession, settings: Settings) -> list[audit_log.AuditRow]:
        now = cli_env(settings).today()
        first, last = _day(start, now), _day(end, now)
        if first and last and first > last:
            raise InvalidInput(N_("--from must not be after --to."))
        return await audit_log.read(
            session,
            org_ids=await audit_log.scope_of(session, org),
            start=first,
            end=last,
            tz=cli_env(settings).tz,
            limit=limit,
        )

    for row in run_db(work):
        if as_json:
            echo_json(row.as_json())
        else:
            about = row.subject or (f"{row.entity} {row.entity_id}" if row.entity_id else row.entity)
            typer.echo(f"{row.at:%Y-%m-%d %H:%M}  {row.actor}  {row.action}  {about}")
