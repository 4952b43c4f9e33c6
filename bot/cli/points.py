"""``branchbot rules``, ``branchbot points`` and ``branchbot stars``: the rules in force, member points, star ratings.

JSON output is one object per line, the same numbers the chat screens show.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli.common import JsonFlag, cli_env, day_option, echo_json, run_db, settings_or_exit, tr_cli
from bot.config import Settings

rules_app = typer.Typer(no_args_is_help=True, help="Rules for member points and branch stars (TOML).")
points_app = typer.Typer(no_args_is_help=True, help="Member points (党员积分).")
stars_app = typer.Typer(no_args_is_help=True, help="Branch star ratings (评星定级).")

OrgOption = Annotated[str | None, typer.Option("--org", help="Organisation code or id (default: the whole city).")]
YearOption = Annotated[int | None, typer.Option("--year", help="The year (default: this year).")]


def register(app: typer.Typer) -> None:
    """Add ``rules``, ``points`` and ``stars`` to the ``branchbot`` application."""
    app.add_typer(rules_app, name="rules")
    app.add_typer(points_app, name="points")
    app.add_typer(stars_app, name="stars")


def _today(settings: Settings) -> date:
    return cli_env(settings).today()


# --- rules ---------------------------------------------------------------------------------------------------


def _rules_json(rif: Any, org: str | None) -> dict[str, Any]:
    from bot.services.points.rules import tenths_json

    rules = rif.rules
    return {
        "org": org,
        "owner": rif.owner_name,
        "version": rif.version,
        "name": rules.name,
        "example": rules.example,
        "member": {
            "base": tenths_json(rules.base),
            "year_cap": tenths_json(rules.year_cap) if rules.year_cap is not None else None,
            "publish_names": rules.publish_names,
            "rank_bands": list(rules.rank_bands),
            "items": [
                {
                    k: (tenths_json(v) if k in ("points", "cap", "min", "max") and v is not None else v)
                    for k, v in asdict(item).items()
                }
                for item in rules.items
            ],
        },
        "branch": {
            "total": tenths_json(rules.total),
            "notice_working_days": rules.notice_working_days,
            "criteria": [{**asdict(c), "weight": tenths_json(c.weight)} for c in rules.criteria],
            "bands": [
                {"stars": b.stars, "from": tenths_json(b.low), "to": tenths_json(b.high), "requires": b.requires}
                for b in rules.bands
            ],
        },
    }


def _print_problems(exc: Any) -> None:
    tr = tr_cli(settings_or_exit())
    for problem in exc.problems:
        typer.echo(problem.localized(tr), err=True)


@rules_app.command("check")
def rules_check(file: Path) -> None:
    """Check a rules file; every problem is printed with its line. Exit 1 when there are any."""
    from bot.errors import DomainError
    from bot.services.points.rules import RulesInvalid, parse_rules
    from bot.services.points.versions import read_rules_file

    tr = tr_cli(settings_or_exit())
    try:
        rules = parse_rules(read_rules_file(file))
    except RulesInvalid as exc:
        _print_problems(exc)
        raise typer.Exit(1) from None
    except DomainError as exc:
        typer.echo(exc.localized(tr, escape=False), err=True)
        raise typer.Exit(1) from None
    typer.echo(
        tr.gettext(
            "The rules are valid: %(items)d member items, %(criteria)d branch criteria.",
            items=len(rules.items),
            criteria=len(rules.criteria),
        )
    )
    if rules.example:
        typer.echo(tr.gettext("They are labelled example: results cannot be published under them."))


@rules_app.command("apply")
def rules_apply(file: Path, org: Annotated[str, typer.Option("--org", help="Organisation code or id.")]) -> None:
    """Put a rules file in force for a unit (and the units below it that have none of their own)."""
    from bot.services.points.rules import RulesInvalid
    from bot.services.points.versions import apply_rules, read_rules_file

    settings = settings_or_exit()
    tr = tr_cli(settings)

    async def work(session: AsyncSession, settings: Settings) -> Any:
        return await apply_rules(session, None, org, read_rules_file(file))

    try:
        rif = run_db(work)
    except RulesInvalid as exc:
        _print_problems(exc)
        raise typer.Exit(1) from None
    typer.echo(
        tr.gettext("Rules version %(version)d is in force for %(org)s.", version=rif.version, org=rif.owner_name)
    )


@rules_app.command("show")
def rules_show(org: OrgOption = None, as_json: JsonFlag = False) -> None:
    """Show the rules in force (for an organisation; default: the city's)."""
    from bot.services.points.rules import tenths_text
    from bot.services.points.versions import resolve_org, rules_in_force
    from storage import queries
    from storage.models import Organisation

    async def work(session: AsyncSession, settings: Settings) -> tuple[Any, str | None]:
        target: Organisation | None
        if org is not None:
            target = await resolve_org(session, org)
        else:
            roots = [o for o in await queries.all_organisations(session) if o.parent_id is None]
            target = roots[0] if roots else None
        if target is None:
            from bot.services.points.rules import cached_rules, default_rules_text
            from bot.services.points.versions import RulesInForce

            return RulesInForce(cached_rules(default_rules_text()), None, 0, None, None), None
        return await rules_in_force(session, target.id), target.name

    rif, org_name = run_db(work)
    if as_json:
        echo_json(_rules_json(rif, org_name))
        return
    tr = tr_cli(settings_or_exit())
    rules = rif.rules
    owner = rif.owner_name or tr.gettext("shipped with the bot")
    typer.echo(
        tr.gettext("%(name)s — version %(version)d, from %(owner)s", name=rules.name, version=rif.version, owner=owner)
    )
    if rules.example:
        typer.echo(tr.gettext("Example rules: results cannot be published under them."))
    typer.echo(tr.gettext("Member base: %(base)s", base=tenths_text(rules.base)))
    for item in rules.items:
        cap = tenths_text(item.cap) if item.cap is not None else "—"
        each = (
            f"{tenths_text(item.min or 0)}…{tenths_text(item.max or 0)}"
            if item.source == "manual"
            else tenths_text(item.points)
        )
        typer.echo(f"  {item.key:<20} {each:>8}  cap {cap:>5}  {item.source:<24} {item.name(tr.locale)}")
    typer.echo(tr.gettext("Branch criteria (total %(total)s):", total=tenths_text(rules.total)))
    for criterion in rules.criteria:
        typer.echo(
            f"  {criterion.key:<20} {tenths_text(criterion.weight):>8}  {criterion.source:<24} "
            f"{criterion.name(tr.locale)}"
        )
    for band in sorted(rules.bands, key=lambda b: -b.low):
        extra = f" + {band.requires}" if band.requires else ""
        typer.echo(f"  {'★' * band.stars:<6} {tenths_text(band.low)}–{tenths_text(band.high)}{extra}")


# --- points ------------------------------------------------------------------------------------------------------


@points_app.command("report")
def points_report(
    org: OrgOption = None,
    start: Annotated[str | None, day_option("--from", " (default: 1 January).")] = None,
    end: Annotated[str | None, day_option("--to", " (default: today).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Every member's points for a period: one line (or JSON object) per member and branch."""
    from bot.services.points import service
    from bot.services.points.rules import tenths_text

    async def work(session: AsyncSession, settings: Settings) -> list[Any]:
        first, last = service.parse_period(start, end, _today(settings))
        return await service.report(session, None, org, first, last, cli_env(settings).tz)

    results = run_db(work)
    for result in results:
        if as_json:
            echo_json(result.as_json())
        else:
            typer.echo(f"{result.member_no:<10} {result.name:<8} {result.branch:<16} {tenths_text(result.points):>7}")


@points_app.command("show")
def points_show(
    member: Annotated[str, typer.Argument(help="Roster number or member id")],
    start: Annotated[str | None, day_option("--from", ".")] = None,
    end: Annotated[str | None, day_option("--to", ".")] = None,
    as_json: JsonFlag = False,
) -> None:
    """A member's points with the events behind each item."""
    from bot import date_style
    from bot.services.points import service
    from bot.services.points.rules import tenths_text

    settings = settings_or_exit()
    tr = tr_cli(settings)

    async def work(session: AsyncSession, settings: Settings) -> Any:
        first, last = service.parse_period(start, end, _today(settings))
        found = await service.find_member(session, member)
        return await service.member_detail(session, None, found, first, last, cli_env(settings).tz, tr.locale)

    detail = run_db(work)
    if as_json:
        data = detail.result.as_json()
        for item in data["items"]:
            item["events"] = [e.as_json() for e in detail.events.get(item["key"], [])]
        echo_json(data)
        return
    result = detail.result
    typer.echo(f"{result.name} ({result.member_no}), {result.branch}: {tenths_text(result.points)}")
    for item in result.items:
        typer.echo(f"  {item.name(tr.locale)}: {tenths_text(item.points)} ({item.count})")
        for event in detail.events.get(item.key, []):
            shown = date_style.day(event.day, tr.locale, weekday=False)
            typer.echo(f"    {shown}  {tenths_text(event.points):>5}  {event.title}  [{event.ref}]")


@points_app.command("add")
def points_add(
    member: Annotated[str, typer.Argument(help="Roster number or member id")],
    key: Annotated[str, typer.Argument(help="The rule key (a manual item, or a computed item to correct)")],
    points: Annotated[str, typer.Argument(help="Points, e.g. 2 or -1.5")],
    reason: Annotated[str, typer.Option("--reason", help="Why (kept and shown to the member).")] = "",
    ref: Annotated[str | None, typer.Option("--ref", help="The event a correction is about.")] = None,
    on: Annotated[str | None, typer.Option("--date", help="The day it counts for (default: today).")] = None,
) -> None:
    """Add a manual item or a correction for a member (audited)."""
    from bot.services.points import service

    async def work(session: AsyncSession, settings: Settings) -> Any:
        day = service.parse_day(on, _today(settings)) if on else None
        return await service.add_entry(
            session, None, member, key, points, reason, today=_today(settings), ref=ref, on_date=day
        )

    run_db(work)
    typer.echo(tr_cli(settings_or_exit()).gettext("Saved."))


@points_app.command("publish")
def points_publish(
    org: Annotated[str, typer.Option("--org", help="Organisation code or id.")],
    year: Annotated[int, typer.Option("--year", help="A year that is over.")],
) -> None:
    """Publish a closed year's member points for every branch under ORG; they stay as published."""
    from bot.services.points import service

    async def work(session: AsyncSession, settings: Settings) -> int:
        return await service.publish_points(session, None, org, year, _today(settings), cli_env(settings).tz)

    count = run_db(work)
    typer.echo(tr_cli(settings_or_exit()).gettext("Published for %(count)d branches.", count=count))


@points_app.command("sheet")
def points_sheet(
    org: Annotated[str, typer.Option("--org", help="The branch's code or id.")],
    out: Annotated[Path, typer.Option("--out", help="Where to write the .xlsx.")],
    year: YearOption = None,
) -> None:
    """Write the democratic appraisal sheet (民主评议党员) of a branch for a year."""
    from bot.services.points.sheets import branch_sheet

    settings = settings_or_exit()

    async def work(session: AsyncSession, settings: Settings) -> bytes:
        today = _today(settings)
        return (
            await branch_sheet(
                session, None, org, year or today.year, today, cli_env(settings).tz, settings.DEFAULT_LOCALE
            )
        )[1]

    out.write_bytes(run_db(work))
    typer.echo(tr_cli(settings).gettext("Written: %(path)s", path=str(out)))


# --- stars -------------------------------------------------------------------------------------------------------


@stars_app.command("report")
def stars_report(org: OrgOption = None, year: YearOption = None, as_json: JsonFlag = False) -> None:
    """Every branch's star rating for a year: one line (or JSON object) per branch."""
    from bot.services.points.rules import tenths_text
    from bot.services.points.service import branch_ids_for
    from bot.services.points.stars import ratings
    from storage.models import Organisation

    async def work(session: AsyncSession, settings: Settings) -> list[Any]:
        ids = await branch_ids_for(session, None, org)
        branches = [b for b in [await session.get(Organisation, i) for i in ids] if b is not None]
        today = _today(settings)
        return await ratings(session, branches, year or today.year, today, cli_env(settings).tz)

    for rating in run_db(work):
        if as_json:
            echo_json(rating.as_json())
        else:
            typer.echo(f"{rating.branch:<20} {tenths_text(rating.score):>6}  {'★' * rating.stars:<5}  {rating.status}")


@stars_app.command("adjust")
def stars_adjust(
    branch: Annotated[str, typer.Argument(help="The branch's code or id")],
    key: Annotated[str, typer.Argument(help="The criterion key")],
    score: Annotated[str, typer.Argument(help="The new score")],
    reason: Annotated[str, typer.Option("--reason", help="Why (the branch is told).")] = "",
    year: YearOption = None,
) -> None:
    """Change a criterion's score (audited; the branch is told)."""
    from bot.services.points import star_steps

    async def work(session: AsyncSession, settings: Settings) -> None:
        await star_steps.adjust(
            session, None, branch, key, score, reason, year or _today(settings).year, env=cli_env(settings)
        )

    run_db(work)
    typer.echo(tr_cli(settings_or_exit()).gettext("Saved."))


@stars_app.command("announce")
def stars_announce(
    branch: Annotated[str, typer.Argument(help="The branch's code or id")], year: YearOption = None
) -> None:
    """Announce a branch's rating for the public notice period (公示)."""
    from bot import date_style
    from bot.services.points import star_steps

    async def work(session: AsyncSession, settings: Settings) -> Any:
        today = _today(settings)
        return await star_steps.announce(session, None, branch, year or today.year - 1, today, env=cli_env(settings))

    stars = run_db(work)
    assert stars.notice_ends_on is not None
    tr = tr_cli(settings_or_exit())
    until = date_style.day(stars.notice_ends_on, tr.locale)
    typer.echo(tr.gettext("Announced; the notice period runs until %(day)s.", day=until))


@stars_app.command("publish")
def stars_publish(
    branch: Annotated[str, typer.Argument(help="The branch's code or id")],
    year: YearOption = None,
    answer: Annotated[str | None, typer.Option("--answer", help="The answer to the branch's objection.")] = None,
) -> None:
    """Publish a branch's announced rating once its notice period is over."""
    from bot.services.points import star_steps

    async def work(session: AsyncSession, settings: Settings) -> None:
        today = _today(settings)
        await star_steps.publish(session, None, branch, year or today.year - 1, today, answer, env=cli_env(settings))

    run_db(work)
    typer.echo(tr_cli(settings_or_exit()).gettext("Published."))
