"""``branchbot material …`` and ``branchbot firstagenda report``: the first agenda item (第一议题) on the command line.

Human-readable output is rendered from templates (the feature's catalog translates them); ``--json`` prints one
JSON object per line. Refusals print one line in the configured language and exit with status 1; nothing is
changed then. The command line acts as an operator with full rights; its changes are audited as ``cli``.
"""

from __future__ import annotations

import html
import re
from datetime import date
from typing import Annotated, Any

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli.common import cli_env, day_option
from bot.config import Settings
from bot.dates import parse_date
from bot.templates import render

_TAG = re.compile(r"<[^>]+>")
# Typer reads the annotations by name from this module, so the option type lives here (as in bot/cli.py).
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def as_text(rendered: str) -> str:
    """Template output (Telegram HTML) as plain terminal text."""
    return html.unescape(_TAG.sub("", rendered))


def _material_json(material: Any) -> dict[str, Any]:
    return {
        "id": material.id,
        "title": material.title,
        "source": material.source,
        "date": material.issued_on.isoformat() if material.issued_on else None,
        "type": material.kind,
        "org_id": material.owner_org_id,
        "url": material.url,
    }


async def _default_org(session: AsyncSession) -> int | None:
    """The top of the organisation tree (the first root, by id)."""
    from storage.first_agenda import top_org_ids

    roots = await top_org_ids(session)
    return roots[0] if roots else None


def register(app: typer.Typer) -> None:
    """Add the ``material`` and ``firstagenda`` command groups to ``app``."""
    from bot.cli.common import echo_json, run_db, settings_or_exit
    from bot.services import first_agenda as fa

    material_app = typer.Typer(no_args_is_help=True, help="Study materials for the first agenda item (第一议题).")
    report_app = typer.Typer(no_args_is_help=True, help="The first agenda item (第一议题): compliance.")
    app.add_typer(material_app, name="material")
    app.add_typer(report_app, name="firstagenda")

    @material_app.command("add")
    def material_add(
        title: Annotated[str, typer.Option("--title", help="Title of the speech, instruction, article …")],
        source: Annotated[str, typer.Option("--source", help="Issuing source, e.g. 新华社")],
        issued_on: Annotated[
            str, typer.Option("--date", help="Date of the speech or instruction, e.g. 2026-12-15 or 12月15日")
        ],
        kind: Annotated[
            str | None, typer.Option("--type", help="speech, instruction, article or meeting_spirit")
        ] = None,
        text: Annotated[str | None, typer.Option("--text", help="The text to study")] = None,
        url: Annotated[str | None, typer.Option("--url", help="A link to the text")] = None,
        org: Annotated[
            int | None, typer.Option("--org", help="Catalog's organisation id (default: --dispatch-to, or the top)")
        ] = None,
        dispatch_to: Annotated[
            int | None, typer.Option("--dispatch-to", help="Also dispatch to every branch under this organisation")
        ] = None,
        as_json: JsonFlag = False,
    ) -> None:
        """Add a study material to a catalog, and optionally dispatch it to every branch of a subtree."""

        async def work(session: AsyncSession, settings: Settings) -> dict[str, Any]:
            env = cli_env(settings)
            owner = org if org is not None else dispatch_to
            if owner is None:
                owner = await _default_org(session)
            material = await fa.add_material(
                session,
                None,
                title=title,
                source=source,
                issued_on=parse_date(issued_on, env.today(), prefer="past"),
                kind=fa.parse_material_kind(kind),
                body=text,
                url=url,
                owner_org_id=owner,
                env=env,
            )
            result = None
            if dispatch_to is not None:
                result = await fa.dispatch_material(session, None, material.id, dispatch_to, env=env)
            return {
                **_material_json(material),
                "dispatched_to": [b.id for b in result.new] if result else [],
                "notified": result.notified if result else 0,
                "_material": material,
                "_result": result,
            }

        outcome = run_db(work)
        material, result = outcome.pop("_material"), outcome.pop("_result")
        if as_json:
            echo_json(outcome)
            return
        locale = settings_or_exit().DEFAULT_LOCALE
        typer.echo(as_text(render("first_agenda/cli_material_added.html.j2", locale, material=material)))
        if result is not None:
            typer.echo(as_text(render("first_agenda/dispatched.html.j2", locale, result=result)))

    @material_app.command("dispatch")
    def material_dispatch(
        material_id: Annotated[int, typer.Argument(help="The material's id")],
        to: Annotated[int, typer.Option("--to", help="Dispatch to every branch under this organisation id")],
        as_json: JsonFlag = False,
    ) -> None:
        """Dispatch a material to every branch under an organisation; each branch is told once."""

        async def work(session: AsyncSession, settings: Settings) -> Any:
            return await fa.dispatch_material(session, None, material_id, to, env=cli_env(settings))

        result = run_db(work)
        if as_json:
            echo_json(
                {
                    "id": result.material.id,
                    "dispatched_to": [b.id for b in result.new],
                    "already": [b.id for b in result.already],
                    "notified": result.notified,
                }
            )
            return
        typer.echo(as_text(render("first_agenda/dispatched.html.j2", settings_or_exit().DEFAULT_LOCALE, result=result)))

    @material_app.command("list")
    def material_list(
        limit: Annotated[int, typer.Option("--limit", help="How many, newest first")] = 50,
        as_json: JsonFlag = False,
    ) -> None:
        """The catalogs' materials, newest first, with how many branches each reached."""

        async def work(session: AsyncSession, settings: Settings) -> list[Any]:
            return await fa.catalog(session, None, limit=limit)

        entries = run_db(work)
        for entry in entries:
            if as_json:
                echo_json({**_material_json(entry.material), "branches": entry.branches})
        if not as_json:
            locale = settings_or_exit().DEFAULT_LOCALE
            typer.echo(as_text(render("first_agenda/cli_materials.html.j2", locale, entries=entries)))

    @material_app.command("show")
    def material_show(
        material_id: Annotated[int, typer.Argument(help="The material's id")],
        as_json: JsonFlag = False,
    ) -> None:
        """Which branches have studied a dispatched material, after how many days, and which have not."""

        async def work(session: AsyncSession, settings: Settings) -> Any:
            return await fa.material_status(session, None, material_id, env=cli_env(settings))

        status = run_db(work)
        if as_json:
            echo_json(
                {
                    **_material_json(status.material),
                    "studied": [
                        {"branch": s.branch.name, "branch_id": s.branch.id, "lag_days": s.lag} for s in status.studied
                    ],
                    "unstudied": [{"branch": s.branch.name, "branch_id": s.branch.id} for s in status.unstudied],
                }
            )
            return
        locale = settings_or_exit().DEFAULT_LOCALE
        typer.echo(as_text(render("first_agenda/material_status.html.j2", locale, status=status)))

    @report_app.command("report")
    def report(
        org: Annotated[int | None, typer.Option("--org", help="Organisation id (default: the whole tree)")] = None,
        start: Annotated[str | None, day_option("--from", " (default: 1 January)")] = None,
        end: Annotated[str | None, day_option("--to", " (default: today)")] = None,
        as_json: JsonFlag = False,
    ) -> None:
        """Per branch: meetings that needed the first agenda item, that had it, the rate, unstudied materials and
        the median study lag; best first."""

        async def work(session: AsyncSession, settings: Settings) -> tuple[date, date, list[Any]]:
            env = cli_env(settings)
            today = env.today()
            last = parse_date(end, today, prefer="past") if end else today
            first = parse_date(start, today, prefer="past") if start else date(last.year, 1, 1)
            return first, last, await fa.compliance(session, None, first, last, org_id=org, env=env)

        first, last, rows = run_db(work)
        if as_json:
            for row in rows:
                echo_json(row.as_json())
            return
        locale = settings_or_exit().DEFAULT_LOCALE
        typer.echo(as_text(render("first_agenda/cli_report.html.j2", locale, rows=rows, start=first, end=last)))
