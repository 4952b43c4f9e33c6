"""``branchbot birthdays``: who has a political birthday on a day or in a month, with the years counted."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli.common import cli_env
from bot.config import Settings


def register(app: typer.Typer) -> None:
    """Add the ``birthdays`` command to the ``branchbot`` application."""
    app.command("birthdays")(birthdays_command)


def birthdays_command(
    on: Annotated[
        str | None, typer.Option("--date", help="A day, e.g. 2026-12-15 or 12月15日 (default: today).")
    ] = None,
    month: Annotated[str | None, typer.Option("--month", help="A month, e.g. 2026-12 or 2026年12月.")] = None,
    branch: Annotated[
        str | None,
        typer.Option("--branch", help="Organisation id or code: its whole subtree (a Party group: its members)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object per member.")] = False,
) -> None:
    """List who has a political birthday on a day or in a month (default: today), with the years counted.

    Members whose join date is missing or impossible are reported on standard error as data to fix.
    """
    from bot import date_style
    from bot.cli.common import echo_json, run_db, settings_or_exit, tr_cli
    from bot.dates import try_date
    from bot.errors import InvalidInput
    from bot.services import birthdays

    settings = settings_or_exit()
    tr = tr_cli(settings)
    local_today = cli_env(settings).today()
    day: date | None = None
    year_month: tuple[int, int] | None = None
    if on is not None and month is not None:
        typer.echo(tr.gettext(birthdays.CLI_BOTH), err=True)
        raise typer.Exit(2)
    # Read by bot.dates, as every typed date is (2026-11-26, 11月26日, …); the messages name the plain form.
    if on is not None:
        day = try_date(on, local_today)
        if day is None:
            typer.echo(tr.gettext(birthdays.CLI_BAD_DATE, example=local_today.isoformat()), err=True)
            raise typer.Exit(2)
    if month is not None:
        try:
            year_month = birthdays.parse_month(month, local_today)
        except InvalidInput:
            typer.echo(tr.gettext(birthdays.CLI_BAD_MONTH, example=local_today.strftime("%Y-%m")), err=True)
            raise typer.Exit(2) from None

    async def work(session: AsyncSession, settings: Settings) -> birthdays.Listing:
        return await birthdays.listing(session, today=local_today, day=day, month=year_month, org=branch)

    result = run_db(work)
    for entry in result.entries:
        if as_json:
            echo_json(
                {
                    "member": entry.member_no,
                    "name": entry.name,
                    "join_date": entry.join_date.isoformat(),
                    "years": entry.years,
                }
            )
        else:
            typer.echo(
                tr.gettext(
                    birthdays.CLI_LINE,
                    day=date_style.day(entry.day, tr.locale, today=local_today),
                    name=entry.name,
                    member=entry.member_no,
                    branch=result.org_names.get(entry.org_id, ""),
                    joined=date_style.day(entry.join_date, tr.locale, weekday=False, today=local_today),
                    years=entry.years,
                )
            )
    if not result.entries and not as_json:
        if year_month is not None:
            label = date_style.month(year_month[0], year_month[1], tr.locale)
            typer.echo(tr.gettext(birthdays.CLI_NONE_IN_MONTH, month=label))
        else:
            shown = date_style.day(day or local_today, tr.locale, today=local_today)
            typer.echo(tr.gettext(birthdays.CLI_NONE_ON_DAY, day=shown))
    for issue in result.issues:
        typer.echo(
            tr.gettext(
                birthdays.CLI_DATA_TO_FIX,
                name=issue.name,
                member=issue.member_no,
                branch=result.org_names.get(issue.org_id, ""),
                problem=issue.describe(tr.locale),
            ),
            err=True,
        )
