"""``branchbot community …``, ``branchbot activity …``, ``branchbot service report``: the volunteer service on the
command line, for administrators. Registered by :func:`register` from ``bot/cli.py``.

The human-readable texts are msgids in :mod:`bot.services.volunteer.texts` (the volunteer catalog).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli.common import cli_env, day_option
from bot.config import Settings
from bot.services.volunteer import texts

if TYPE_CHECKING:
    from bot.environment import ServiceEnv

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _iso_local(moment: Any, settings: Settings) -> str:
    return moment.astimezone(cli_env(settings).tz).strftime("%Y-%m-%d %H:%M")


def _bot_username(env: ServiceEnv) -> str:
    """The bot's name for check-in links (a stand-in when none is configured, as the bot would have)."""
    return env.bot_username or "branch_assistant_bot"


def register(app: typer.Typer) -> None:
    """Add the ``community``, ``activity`` and ``service`` command groups to ``app``."""
    from bot.cli.common import echo_import_result, echo_json, run_db, settings_or_exit, tr_cli

    community_app = typer.Typer(no_args_is_help=True, help="Communities where members register and serve.")
    activity_app = typer.Typer(no_args_is_help=True, help="Volunteer activities.")
    service_app = typer.Typer(no_args_is_help=True, help="Volunteer service hours.")
    app.add_typer(community_app, name="community")
    app.add_typer(activity_app, name="activity")
    app.add_typer(service_app, name="service")

    @community_app.command("import")
    def community_import(file: Path) -> None:
        """Create or update communities from CSV/XLSX (name, town, latitude, longitude, contact). All or nothing."""
        from bot.services.tabular import ImportResult
        from bot.services.volunteer.communities import import_communities

        async def work(session: AsyncSession, settings: Settings) -> ImportResult:
            return await import_communities(session, file)

        echo_import_result(run_db(work))

    @community_app.command("list")
    def community_list(as_json: JsonFlag = False) -> None:
        """Show the communities with ids."""
        from bot.services.volunteer.communities import all_communities

        async def work(session: AsyncSession, settings: Settings) -> list[dict[str, Any]]:
            return [
                {
                    "id": c.id,
                    "name": c.name,
                    "town": c.town,
                    "latitude": c.latitude,
                    "longitude": c.longitude,
                    "contact": c.contact,
                }
                for c in await all_communities(session)
            ]

        for row in run_db(work):
            if as_json:
                echo_json(row)
            else:
                typer.echo(f"{row['id']:>5}  {row['town']}  {row['name']}  {row['contact'] or ''}".rstrip())

    @activity_app.command("add")
    def activity_add(
        title: Annotated[str, typer.Option("--title", help="What the activity is")],
        community: Annotated[str, typer.Option("--community", help="Community id or name")],
        start: Annotated[str, typer.Option("--start", help='Local start, e.g. "2026-12-15 09:00" or "12月15日 9:00"')],
        end: Annotated[str, typer.Option("--end", help='Local end, e.g. "2026-12-15 09:00" or "12月15日 9:00"')],
        slots: Annotated[int, typer.Option("--slots", help="Number of places")],
        dispatch_to: Annotated[
            list[int] | None, typer.Option("--dispatch-to", help="Organisation id: a branch, or all branches below it")
        ] = None,
        place: Annotated[str | None, typer.Option("--place", help="Meeting point")] = None,
        latitude: Annotated[float | None, typer.Option("--lat", help="Map pin latitude")] = None,
        longitude: Annotated[float | None, typer.Option("--lon", help="Map pin longitude")] = None,
        radius: Annotated[int | None, typer.Option("--radius", help="Check-in radius in metres")] = None,
        skills: Annotated[str | None, typer.Option("--skills", help="Skills wanted")] = None,
        description: Annotated[str | None, typer.Option("--description", help="For the members")] = None,
        as_json: JsonFlag = False,
    ) -> None:
        """Post an activity and dispatch it; prints its id and check-in link."""
        from bot.services import volunteer
        from bot.services.volunteer.timing import VolunteerConfig, parse_moment

        async def work(session: AsyncSession, settings: Settings) -> dict[str, Any]:
            env = cli_env(settings)
            found = await volunteer.resolve_community(session, community)
            draft = volunteer.ActivityDraft(
                title=title,
                community_id=found.id,
                starts_at=parse_moment(start, env),
                ends_at=parse_moment(end, env),
                slots=slots,
                place=place,
                latitude=latitude,
                longitude=longitude,
                radius_m=radius,
                skills=skills,
                description=description,
            )
            activity = await volunteer.create_activity(
                session, None, draft, VolunteerConfig.from_settings(settings), env=env, dispatch_to=dispatch_to or []
            )
            branches = await _dispatched(session, activity.id)
            return {
                "id": activity.id,
                "title": activity.title,
                "community": found.name,
                "community_id": found.id,
                "start": _iso_local(activity.starts_at, settings),
                "end": _iso_local(activity.ends_at, settings),
                "slots": activity.slots,
                "checkin_link": await volunteer.checkin_link(session, activity, _bot_username(env)),
                "dispatched_to": branches,
                "when": volunteer.when_text(activity, env.tz, tr_cli(settings).locale),
            }

        result = run_db(work)
        if as_json:
            echo_json({k: v for k, v in result.items() if k != "when"})
            return
        tr = tr_cli(settings_or_exit())
        typer.echo(tr.gettext(texts.CLI_ACTIVITY_CREATED, **{k: result[k] for k in ("id", "title", "when", "slots")}))
        typer.echo(tr.gettext(texts.CLI_CHECKIN_LINK, link=result["checkin_link"]))
        if result["dispatched_to"]:
            names = "、".join(b["name"] for b in result["dispatched_to"])
            typer.echo(tr.gettext(texts.CLI_DISPATCHED, branches=names))
        else:
            typer.echo(tr.gettext(texts.CLI_NOT_DISPATCHED, id=result["id"]))

    @activity_app.command("dispatch")
    def activity_dispatch(
        activity_id: Annotated[int, typer.Argument(help="Activity id")],
        org_ids: Annotated[list[int], typer.Argument(help="Organisation ids: branches, or all branches below them")],
    ) -> None:
        """Send an activity to more branches (their members are told)."""
        from bot.services import volunteer

        async def work(session: AsyncSession, settings: Settings) -> list[dict[str, Any]]:
            await volunteer.dispatch_activity(session, None, activity_id, org_ids, env=cli_env(settings))
            return await _dispatched(session, activity_id)

        branches = run_db(work)
        typer.echo(
            tr_cli(settings_or_exit()).gettext(texts.CLI_DISPATCHED, branches="、".join(b["name"] for b in branches))
        )

    @activity_app.command("cancel")
    def activity_cancel(activity_id: Annotated[int, typer.Argument(help="Activity id")]) -> None:
        """Cancel an activity before anyone has checked in; everyone signed up or waiting is told."""
        from bot.services.volunteer import manage as volunteer_manage

        async def work(session: AsyncSession, settings: Settings) -> int:
            change = await volunteer_manage.cancel_activity(session, None, activity_id, env=cli_env(settings))
            return change.told

        told = run_db(work)
        typer.echo(tr_cli(settings_or_exit()).gettext(texts.CLI_CANCELLED, id=activity_id, told=told))

    @activity_app.command("edit")
    def activity_edit(
        activity_id: Annotated[int, typer.Argument(help="Activity id")],
        title: Annotated[str | None, typer.Option("--title", help="New title")] = None,
        start: Annotated[
            str | None, typer.Option("--start", help='New local start, e.g. "2026-12-15 09:00" or "12月15日 9:00"')
        ] = None,
        end: Annotated[
            str | None, typer.Option("--end", help='New local end, e.g. "2026-12-15 09:00" or "12月15日 9:00"')
        ] = None,
        slots: Annotated[int | None, typer.Option("--slots", help="New number of places")] = None,
        place: Annotated[str | None, typer.Option("--place", help="Meeting point (- clears it)")] = None,
        skills: Annotated[str | None, typer.Option("--skills", help="Skills wanted (- clears them)")] = None,
        description: Annotated[str | None, typer.Option("--description", help="For the members (- clears it)")] = None,
    ) -> None:
        """Change an activity; everyone signed up or waiting is told. A new start alone keeps its length."""
        from bot.errors import InvalidInput
        from bot.services.volunteer import manage as volunteer_manage
        from bot.services.volunteer.timing import parse_moment

        def optional(value: str | None) -> Any:
            if value is None:
                return volunteer_manage.UNSET
            return None if value.strip() in ("-", "—") else value

        async def work(session: AsyncSession, settings: Settings) -> volunteer_manage.ActivityChange:
            if all(v is None for v in (title, start, end, slots, place, skills, description)):
                raise InvalidInput(texts.CLI_NOTHING_TO_CHANGE)
            env = cli_env(settings)
            return await volunteer_manage.edit_activity(
                session,
                None,
                activity_id,
                env=env,
                title=volunteer_manage.UNSET if title is None else title,
                starts_at=parse_moment(start, env) if start else None,
                ends_at=parse_moment(end, env) if end else None,
                slots=slots,
                place=optional(place),
                skills=optional(skills),
                description=optional(description),
            )

        change = run_db(work)
        tr = tr_cli(settings_or_exit())
        fields = ("、" if tr.locale.startswith("zh") else ", ").join(
            tr.gettext(volunteer_manage.FIELD_NAMES[name]) for name in change.changed
        )
        typer.echo(
            tr.gettext(texts.CLI_CHANGED, id=activity_id, fields=fields, told=change.told + len(change.promoted))
        )

    @activity_app.command("show")
    def activity_show(
        activity_id: Annotated[int, typer.Argument(help="Activity id")], as_json: JsonFlag = False
    ) -> None:
        """Who signed up, who waits, who checked in and out, and the hours per member."""
        from bot.services import volunteer
        from bot.services.volunteer.timing import hours_of

        async def work(session: AsyncSession, settings: Settings) -> dict[str, Any]:
            env = cli_env(settings)
            roll = await volunteer.activity_roll(session, None, activity_id)
            activity = roll.activity

            def when(moment: Any) -> str | None:
                return _iso_local(moment, settings) if moment is not None else None

            return {
                "id": activity.id,
                "title": activity.title,
                "community": roll.community.name,
                "start": when(activity.starts_at),
                "end": when(activity.ends_at),
                "when": volunteer.when_text(activity, env.tz, tr_cli(settings).locale),
                "status": activity.status,
                "slots": activity.slots,
                "taken": activity.taken,
                "checkin_link": await volunteer.checkin_link(session, activity, _bot_username(env)),
                "dispatched_to": await _dispatched(session, activity.id),
                "members": [
                    {
                        "member": line.member.member_no,
                        "name": line.member.name,
                        "status": line.signup.status,
                        "waiting_position": line.waiting_position,
                        "checked_in_at": when(line.signup.checked_in_at),
                        "checked_out_at": when(line.signup.checked_out_at),
                        "hours": hours_of(line.signup.minutes),
                        "outside_work_hours": hours_of(line.signup.outside_minutes),
                        "auto_closed": line.signup.auto_closed,
                        "confirmed": line.signup.confirmed_at is not None or not line.signup.auto_closed,
                        "correction_reason": line.signup.correction_reason,
                    }
                    for line in [*roll.confirmed, *roll.waiting]
                ],
            }

        result = run_db(work)
        if as_json:
            echo_json({k: v for k, v in result.items() if k != "when"})
            return
        tr = tr_cli(settings_or_exit())
        typer.echo(f"{result['id']}  {result['title']}  {result['community']}  {result['when']}")
        confirmed = [m for m in result["members"] if m["status"] == "confirmed"]
        waiting = [m for m in result["members"] if m["status"] == "waiting"]
        typer.echo(
            tr.gettext(texts.CLI_ROLL_HEADER, confirmed=len(confirmed), slots=result["slots"], waiting=len(waiting))
        )
        for m in confirmed:
            times = " → ".join(t[11:] for t in (m["checked_in_at"], m["checked_out_at"]) if t)
            flag = " !" if not m["confirmed"] else ""
            typer.echo(f"  {m['member']:<8} {m['name']:<8} {times:<14} {m['hours']:>6.2f}{flag}")
        for m in waiting:
            typer.echo(f"  {m['member']:<8} {m['name']:<8} #{m['waiting_position']}")

    @service_app.command("report")
    def service_report(
        org: Annotated[int | None, typer.Option("--org", help="Organisation id (and everything below it)")] = None,
        date_from: Annotated[str | None, day_option("--from")] = None,
        date_to: Annotated[str | None, day_option("--to")] = None,
        as_json: JsonFlag = False,
    ) -> None:
        """Hours per member (activities and approved self-reports); default: this year, every organisation."""
        from bot.dates import try_date
        from bot.errors import InvalidInput
        from bot.services.volunteer import totals as volunteer_totals
        from bot.services.volunteer.timing import hours_of, hours_text, period_bounds

        def parse(text: str, today: date) -> date:
            day = try_date(text, today, prefer="past")  # the one parser: 2026-03-01, 3月1日, 昨天…
            if day is None:
                raise InvalidInput(texts.CLI_BAD_DATE, value=text)
            return day

        async def work(session: AsyncSession, settings: Settings) -> volunteer_totals.Totals:
            env = cli_env(settings)
            first, following = period_bounds("year", env.today())
            if date_from:
                first = parse(date_from, env.today())
            if date_to:
                following = date.fromordinal(parse(date_to, env.today()).toordinal() + 1)
            if following <= first:
                raise InvalidInput(texts.CLI_BAD_RANGE)
            return await volunteer_totals.totals_under(session, org, first, following, env=env)

        totals = run_db(work)
        rows = [
            {
                "member": line.member.member_no,
                "name": line.member.name,
                "hours": hours_of(line.minutes),
                "activities": line.activities,
                "outside_work_hours": hours_of(line.outside_minutes),
            }
            for line in totals.members
        ]
        if as_json:
            for row in rows:
                echo_json(row)
            return
        tr = tr_cli(settings_or_exit())
        if not rows:
            typer.echo(tr.gettext(texts.CLI_NO_MEMBERS))
            return
        for row in rows:
            typer.echo(
                f"{row['member']:<8} {row['name']:<8} {row['hours']:>7.2f} {row['activities']:>3} "
                f"{row['outside_work_hours']:>7.2f}"
            )
        typer.echo(
            tr.gettext(
                texts.CLI_TOTAL,
                hours=hours_text(totals.minutes, tr.locale),
                outside=hours_text(totals.outside_minutes, tr.locale),
            )
        )


async def _dispatched(session: AsyncSession, activity_id: int) -> list[dict[str, Any]]:
    """The branches an activity was sent to, as ``{"id", "name"}``."""
    from bot.services.volunteer.activities import dispatched_branches

    return [{"id": org_id, "name": name} for org_id, name in await dispatched_branches(session, activity_id)]
