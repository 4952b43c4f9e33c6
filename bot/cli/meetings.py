"""``branchbot meeting …``: meeting kinds, scheduling, one meeting's attendance, compliance, from the shell.

The commands call the same services as the chat; a refusal prints its message and exits with status 1.
Readable output is rendered from templates (meetings/cli_*.j2) in the default language; ``--json`` prints
one JSON document.
"""

from __future__ import annotations

import html
from datetime import datetime
from typing import Annotated, Any

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from bot import date_style, dates
from bot.cli import ledger as ledger_cli
from bot.cli.common import cli_env
from bot.config import Settings
from bot.errors import NotFound
from bot.feature import meeting_hooks_of
from bot.i18n import N_
from bot.services.kinds_of_meeting import MEETING_KINDS, MEETING_TAGS
from bot.templates import render
from storage import queries
from storage.meetings import Meeting
from storage.models import Organisation

meeting_app = typer.Typer(no_args_is_help=True, help="Meetings: kinds, scheduling, attendance, compliance.")

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON.")]


meeting_app.command("record")(ledger_cli.meeting_record)  # ledger feature: `meeting record ID --out FILE.docx`


def register(app: typer.Typer) -> None:
    """Add ``meeting`` to the ``branchbot`` command line."""
    app.add_typer(meeting_app, name="meeting")


def _text(template: str, settings: Settings, **context: Any) -> str:
    """A template as plain text for the terminal."""
    return html.unescape(render(template, settings.DEFAULT_LOCALE, **context))


def _iso(value: datetime, settings: Settings) -> str:
    return value.astimezone(cli_env(settings).tz).isoformat(timespec="minutes")


async def _branch(session: AsyncSession, ref: str) -> Organisation:
    """A branch by id or code."""
    branch = await queries.org_by_ref(session, ref)
    if branch is None:
        raise NotFound(N_("No such branch."))
    return branch


@meeting_app.command("kinds")
def kinds(as_json: JsonFlag = False) -> None:
    """List the kinds of meeting and the tags a meeting can carry, with their required frequency."""
    from bot.cli.common import echo_json_lines

    rows = [
        {
            "id": k.id,
            "name_zh": k.name_zh,
            "name_en": k.name_en,
            "period": k.period.value,
            "times_per_period": k.times_per_period,
            "first_agenda": k.first_agenda.value,
            "held_by": k.held_by.value,
            "committee_only": k.committee_only,
            "tag": False,
        }
        for k in MEETING_KINDS
    ] + [
        {
            "id": t.id,
            "name_zh": t.name_zh,
            "name_en": t.name_en,
            "period": t.period.value,
            "times_per_period": t.times_per_period,
            "tag": True,
        }
        for t in MEETING_TAGS
    ]
    if as_json:
        echo_json_lines(rows)
        return
    for row in rows:
        frequency = f"{row['times_per_period']}/{row['period']}" if row["times_per_period"] else "-"
        mark = "#" if row["tag"] else " "
        typer.echo(f"{mark}{row['id']:<24} {frequency:<10} {row['name_zh']} / {row['name_en']}")


@meeting_app.command("add")
def add(
    ctx: typer.Context,
    branch: Annotated[
        str,
        typer.Option("--branch", "--org", help="Branch id or code (for a unit-level kind: the unit's organisation)"),
    ],
    kind: Annotated[str, typer.Option("--kind", help="Kind id (branchbot meeting kinds)")],
    at: Annotated[str, typer.Option("--at", help='Start, local time, e.g. "2026-12-15 09:00" or "12月15日 9:00"')],
    end: Annotated[
        str | None, typer.Option("--end", help='End, e.g. "16:00" (the same day) or "2026-12-15 16:00"')
    ] = None,
    place: Annotated[str | None, typer.Option("--place")] = None,
    topic: Annotated[str | None, typer.Option("--topic")] = None,
    group: Annotated[int | None, typer.Option("--group", help="Party group id (group meetings)")] = None,
    first_agenda: Annotated[
        str | None, typer.Option("--first-agenda", help="Study material id or text of the first agenda item")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Schedule a meeting (members are notified as from the chat); prints its id and check-in link."""
    from bot.cli.common import echo_json, run_db
    from bot.services import meetings
    from bot.services.meetings import checkin

    hooks = meeting_hooks_of(ctx.obj)

    async def work(session: AsyncSession, settings: Settings) -> dict[str, Any]:
        found = await _branch(session, branch)
        starts_at = _moment(at, settings)
        ends_at = None
        if end:
            if " " in end.strip():
                ends_at = _moment(end, settings)
            else:
                ends_at = datetime.combine(starts_at.date(), dates.parse_time(end), tzinfo=cli_env(settings).tz)
        draft = meetings.Draft(
            kind=kind, starts_at=starts_at, ends_at=ends_at, place=place, topic=topic, group_id=group
        )
        meeting = await meetings.schedule_meeting(session, None, found.id, draft, env=cli_env(settings))
        if first_agenda is not None:
            await hooks.record_first_agenda(session, meeting, first_agenda, None)
        username = settings.BOT_USERNAME or "branch_assistant_bot"
        link, _slot = await checkin.checkin_link(session, meeting, username, live=False)
        return {
            **_meeting_json(meeting, settings),
            "branch": found.name,
            "checkin_link": link,
            **await hooks.details(session, meeting),
        }

    result = run_db(work)
    if as_json:
        echo_json(result)
    else:
        settings = _settings()
        from bot.services.meetings import is_unit_kind
        from bot.services.meetings.format import kind_name

        typer.echo(
            _text(
                "meetings/cli_added.html.j2",
                settings,
                m=result,
                title=kind_name(result["kind"], settings.DEFAULT_LOCALE),
                span=_span(result, settings),
                unit=is_unit_kind(result["kind"]),
            )
        )


def _span(meeting: dict[str, Any], settings: Settings) -> str:
    """``2026年12月15日（周二）14:30–16:00`` from a meeting's JSON (local times), in the one date style."""
    start = datetime.fromisoformat(meeting["starts_at"])
    end = datetime.fromisoformat(meeting["ends_at"])
    return date_style.span(start, end, settings.DEFAULT_LOCALE, tz=cli_env(settings).tz, year=True)


def _moment(text: str, settings: Settings) -> datetime:
    """A local day and time as typed (``2026-12-15 14:30``, ``明天下午3点``), read by bot.dates."""
    when = dates.parse_when(text, cli_env(settings).today(), time_required=True)
    assert when.start is not None  # a time is required
    return datetime.combine(when.day, when.start, tzinfo=cli_env(settings).tz)


def _settings() -> Settings:
    from bot.cli.common import settings_or_exit

    return settings_or_exit()


def _meeting_json(meeting: Meeting, settings: Settings) -> dict[str, Any]:
    return {
        "id": meeting.id,
        "branch_id": meeting.org_id,
        "group_id": meeting.group_id,
        "kind": meeting.kind,
        "starts_at": _iso(meeting.starts_at, settings),
        "ends_at": _iso(meeting.ends_at, settings),
        "place": meeting.place,
        "topic": meeting.topic,
        "status": meeting.status,
        "tags": list(meeting.tags or []),
        "checkin_code": meeting.checkin_code,
        "location_check_m": meeting.radius_m,
        "record": meeting.record,
        "closed_at": _iso(meeting.closed_at, settings) if meeting.closed_at else None,
    }


@meeting_app.command("show")
def show(
    ctx: typer.Context, meeting_id: Annotated[int, typer.Argument(help="Meeting id")], as_json: JsonFlag = False
) -> None:
    """One meeting with each member's attendance status."""
    from bot.cli.common import echo_json, run_db
    from bot.services import meetings
    from bot.services.meetings import stats

    hooks = meeting_hooks_of(ctx.obj)

    async def work(session: AsyncSession, settings: Settings) -> dict[str, Any]:
        meeting = await meetings.get_meeting(session, meeting_id)
        branch = await session.get(Organisation, meeting.org_id)
        rate = await stats.meeting_rate(session, meeting.id)
        attendance = [
            {
                "member_id": member.id,
                "member_no": member.member_no,
                "name": member.name,
                "status": row.status,
                "checked_in_at": _iso(row.checked_in_at, settings) if row.checked_in_at else None,
                "method": row.checkin_method,
                "leave_reason": row.leave_reason,
            }
            for member, row in await meetings.attendance_rows(session, meeting.id)
        ]
        return {
            **_meeting_json(meeting, settings),
            "branch": branch.name if branch else None,
            "attendance": attendance,
            "rate": {"attended": rate.attended, "expected": rate.expected, "percent": rate.percent},
            **await hooks.details(session, meeting),
            "_lines": await hooks.card_lines(session, meeting, settings.DEFAULT_LOCALE),
        }

    result = run_db(work)
    lines = result.pop("_lines")
    if as_json:
        echo_json(result)
        return
    settings = _settings()
    from bot.i18n import translator
    from bot.services.meetings.format import MEETING_STATUS_NAMES, kind_name, status_name

    locale = settings.DEFAULT_LOCALE
    typer.echo(
        _text(
            "meetings/cli_show.html.j2",
            settings,
            m=result,
            title=kind_name(result["kind"], locale),
            span=_span(result, settings),
            status=translator(locale).gettext(MEETING_STATUS_NAMES.get(result["status"], result["status"])),
            rows=[
                (a["name"], status_name(a["status"], locale), a["checked_in_at"] or "") for a in result["attendance"]
            ],
            lines=lines,
        )
    )


@meeting_app.command("compliance")
def compliance_cmd(
    branch: Annotated[str | None, typer.Option("--branch", help="Branch id or code; all branches if omitted")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Held / required of each required kind and tag this month, quarter and year, per branch."""
    from bot.cli.common import echo_json_lines, run_db
    from bot.services.meetings.compliance import branch_compliance

    async def work(session: AsyncSession, settings: Settings) -> list[dict[str, Any]]:
        env = cli_env(settings)
        branches = [await _branch(session, branch)] if branch is not None else list(await queries.all_branches(session))
        out = []
        for found in branches:
            items = await branch_compliance(session, found, env.today(), env=env)
            out.append(
                {
                    "branch_id": found.id,
                    "branch": found.name,
                    "items": [
                        {
                            "id": i.id,
                            "tag": i.is_tag,
                            "period": i.period.key,
                            "held": i.held,
                            "required": i.required,
                            "scheduled": i.scheduled,
                            "due": i.due.isoformat(),
                            "ok": i.ok,
                        }
                        for i in items
                    ],
                }
            )
        return out

    result = run_db(work)
    if as_json:
        echo_json_lines(result)
        return
    settings = _settings()
    from bot.services.meetings.format import kind_name, tag_name

    locale = settings.DEFAULT_LOCALE
    for entry in result:
        for item in entry["items"]:
            item["name"] = tag_name(item["id"], locale) if item["tag"] else kind_name(item["id"], locale)
        typer.echo(_text("meetings/cli_compliance.html.j2", settings, b=entry))
