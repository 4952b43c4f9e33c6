"""``branchbot ledger export …`` and ``branchbot chart KIND …``: the ledgers (台账) and charts from the shell.

The operator at the command line may export any organisation; the period's limits and the output path are
checked before any work, and a refusal is one line with exit status 1.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli.common import JsonFlag, cli_env, day_option, run_db, settings_or_exit, tr_cli
from bot.config import Settings

T = TypeVar("T")
ledger_app = typer.Typer(no_args_is_help=True, help="Ledgers (台账): Excel workbooks of a branch, a unit or the city.")

OrgOption = Annotated[str, typer.Option("--org", help="Organisation id or code")]


def register(app: typer.Typer) -> None:
    """Add ``ledger`` and ``chart`` to the ``branchbot`` command line."""
    app.add_typer(ledger_app, name="ledger")
    app.command("chart")(chart)


def _or_exit(settings: Settings, work: Callable[[], T]) -> T:
    """``work()``, or its refusal as one line on standard error and exit status 1."""
    from bot.errors import DomainError

    try:
        return work()
    except DomainError as exc:
        typer.echo(exc.localized(tr_cli(settings), escape=False), err=True)
        raise typer.Exit(1) from None


@ledger_app.command("export")
def export(
    org: OrgOption,
    start: Annotated[str, day_option("--from")],
    end: Annotated[str, day_option("--to")],
    out: Annotated[Path, typer.Option("--out", help="The .xlsx file to write")],
    as_json: JsonFlag = False,
) -> None:
    """Write the ledger of ORG for the period to an Excel file."""
    from bot.services.ledger.export import export_ledger
    from bot.services.ledger.period import org_by_ref, parse_period
    from bot.services.ledger.workbook import Written, check_writable

    settings = settings_or_exit()
    period = _or_exit(settings, lambda: parse_period(start, end, cli_env(settings).today()))
    _or_exit(settings, lambda: check_writable(out))

    async def work(session: AsyncSession, settings: Settings) -> Written:
        organisation = await org_by_ref(session, org)
        return await export_ledger(session, None, organisation, period, cli_env(settings).tz, out)

    written = run_db(work)
    if as_json:
        typer.echo(written.as_json())
        return
    tr = tr_cli(settings)
    typer.echo(tr.gettext("Ledger written to %(file)s:", file=str(written.path)))
    for name, rows in written.sheets:
        typer.echo("  " + tr.gettext("%(sheet)s: %(rows)d rows", sheet=name, rows=rows))


def chart(
    kind: Annotated[str, typer.Argument(help="attendance, meetings, first-agenda or service")],
    org: OrgOption,
    out: Annotated[Path, typer.Option("--out", help="The .png file to write")],
    start: Annotated[str | None, day_option("--from", " (default: 1 January)")] = None,
    end: Annotated[str | None, day_option("--to", " (default: 31 December)")] = None,
) -> None:
    """Draw a chart of ORG (this year unless --from/--to) as a PNG picture."""
    from bot.errors import InvalidInput
    from bot.i18n import N_
    from bot.services.ledger.charts import KINDS
    from bot.services.ledger.export import chart_png
    from bot.services.ledger.period import org_by_ref, parse_period
    from bot.services.ledger.workbook import check_writable

    settings = settings_or_exit()

    def checked_kind() -> None:
        if kind not in KINDS:
            raise InvalidInput(N_("Unknown chart %(kind)s (use %(kinds)s)."), kind=kind, kinds=", ".join(KINDS))

    _or_exit(settings, checked_kind)
    local_today = cli_env(settings).today()
    year = local_today.year
    period = _or_exit(
        settings,
        lambda: parse_period(start or date(year, 1, 1).isoformat(), end or date(year, 12, 31).isoformat(), local_today),
    )
    _or_exit(settings, lambda: check_writable(out))

    async def work(session: AsyncSession, settings: Settings) -> bytes:
        organisation = await org_by_ref(session, org)
        return await chart_png(session, None, organisation, kind, period, cli_env(settings).tz)

    png = run_db(work)
    out.write_bytes(png)
    typer.echo(tr_cli(settings).gettext("Chart written to %(file)s.", file=str(out)))


def meeting_record(
    meeting_id: Annotated[int, typer.Argument(help="Meeting id")],
    out: Annotated[Path, typer.Option("--out", help="The .docx file to write")],
) -> None:
    """Write a meeting's record (会议记录) as a Word document, in the customary layout of the paper file."""
    from bot.services.ledger.export import meeting_record as write_meeting_record
    from bot.services.ledger.workbook import check_writable

    settings = settings_or_exit()
    _or_exit(settings, lambda: check_writable(out))

    async def work(session: AsyncSession, settings: Settings) -> Path:
        return await write_meeting_record(session, None, meeting_id, cli_env(settings).tz, out)

    written = run_db(work)
    typer.echo(tr_cli(settings).gettext("Meeting record written to %(file)s.", file=str(written)))
