"""The monthly digest (月度台账): on the 1st, each secretary gets last month's picture and five lines with the
ledger attached; each administrator gets their subtree's ranking. Once per person per month (outbox dedup key
``digest:<member>:<YYYY-MM>``); ``/digest off`` stops it.

Set-based: the whole tree is read once (``collect`` over every root), then sliced per branch and subtree in
memory; the files are drawn and written in a worker thread, ahead of 09:00 (the outbox holds them until then).
"""

from __future__ import annotations

import asyncio
import html
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import local_midnight_utc
from bot.environment import ServiceEnv
from bot.i18n import translator
from bot.services.ledger import charts
from bot.services.ledger.data import LedgerData, collect, indicators
from bot.services.ledger.export import build_ledger_file
from bot.services.ledger.period import LedgerPeriod
from bot.services.meetings.kinds import MEETING_KINDS, HeldBy, Period
from bot.services.notifier import Message, Notifier, Recipient
from storage import ledger as q
from storage import queries
from storage.models import Organisation
from storage.people import members_by_id


def last_month(today: date) -> LedgerPeriod:
    """The month before ``today``'s."""
    end = today.replace(day=1) - timedelta(days=1)
    return LedgerPeriod(end.replace(day=1), end)


def due_this_month(today: date, theme_day: int | None, locale: str) -> str:
    """What the regulations require this month (and of the quarter or year closing with it)."""
    tr = translator(locale)
    closing = {Period.MONTH}
    if today.month % 3 == 0:
        closing.add(Period.QUARTER)
    if today.month == 12:
        closing.add(Period.YEAR)
    names = []
    for kind in MEETING_KINDS:
        if kind.period in closing and kind.held_by is not HeldBy.UNIT:
            name = kind.name_zh if locale == "zh_CN" else kind.name_en
            if kind.id == "theme_day" and theme_day:
                name += tr.gettext(" (on the %(day)d)", day=theme_day)
            names.append(name)
    return ("、" if locale == "zh_CN" else ", ").join(names)


def slice_data(data: LedgerData, org: Organisation, branch_ids: set[int]) -> LedgerData:
    """The part of a tree's ledger that belongs to ``branch_ids`` (no new queries)."""
    return replace(
        data,
        org=org,
        branches=[b for b in data.branches if b.id in branch_ids],
        member_level=org.kind == "branch",
        spans=[s for s in data.spans if s.org_id in branch_ids],
        meetings=[m for m in data.meetings if m.org_id in branch_ids],
        dispatches=[d for d in data.dispatches if d.branch_id in branch_ids],
        service=[s for s in data.service if s.branch_id in branch_ids],
        matrix=data.matrix if org.kind == "branch" else {},
    )


def five_lines(data: LedgerData, today: date, locale: str) -> str:
    """The digest's text: meetings held vs required, attendance, first agenda, volunteer hours, due this month."""
    tr = translator(locale)
    rows = indicators(data)
    met = sum(r.met for r in rows)
    required = sum(r.required for r in rows)
    attended, expected = sum(r.attended for r in rows), sum(r.expected for r in rows)
    dispatched, studied = sum(r.dispatched for r in rows), sum(r.studied for r in rows)
    hours = sum(r.hours for r in rows)
    theme_day = data.branches[0].theme_day if data.is_branch and data.branches else None
    lines = [
        tr.gettext("<b>%(org)s — %(month)s</b>", org=html.escape(data.org.name), month=f"{data.period.start:%Y-%m}"),
        tr.gettext("Meetings: %(met)d of %(required)d requirements met", met=met, required=required),
        tr.gettext("Attendance: %(rate)s", rate=f"{round(100 * attended / expected)}%" if expected else "—"),
        tr.gettext(
            "First agenda: %(studied)d of %(dispatched)d materials studied", studied=studied, dispatched=dispatched
        ),
        tr.gettext("Volunteer service: %(hours)s hours", hours=f"{hours:.1f}"),
        tr.gettext("Due this month: %(due)s", due=html.escape(due_this_month(today, theme_day, locale))),
    ]
    if not data.is_branch:
        top = [f"{n}. {html.escape(r.name)}" for n, r in enumerate(rows[:5], 1)]
        lines.append(tr.gettext("Ranking: %(top)s", top="；".join(top) if locale == "zh_CN" else "; ".join(top)))
    return "\n".join(lines)


def _build(data: LedgerData, folder: Path) -> tuple[Path, Path]:
    """The picture and the ledger of one organisation (blocking: runs in a worker thread)."""
    folder.mkdir(parents=True, exist_ok=True)
    picture = folder / f"{data.org.code}-{data.period.start:%Y%m}.png"
    ledger = folder / f"{data.org.code}-{data.period.start:%Y%m}.xlsx"
    kind = "meetings" if data.is_branch else "first-agenda"
    picture.write_bytes(charts.draw(kind, data).png)
    build_ledger_file(data, ledger, with_charts=False)
    return picture, ledger


async def queue_digests(session: AsyncSession, today: date, folder: Path, *, env: ServiceEnv) -> int:
    """Queue last month's digest of every recipient who has not had it (a no-op the second time)."""
    if today.day != 1:
        return 0
    period = last_month(today)
    month = f"{period.start:%Y-%m}"
    recipients = await q.digest_recipients(session)
    done = await q.sent_digest_keys(session, month)
    todo = [r for r in recipients if f"digest:{r.id}:{month}" not in done]
    todo = [r for r in todo if r.role == "admin" or r.role == "secretary" or r.delegated]
    if not todo:
        return 0
    orgs = {o.id: o for o in await queries.all_organisations(session)}
    children: dict[int | None, list[int]] = {}
    for o in orgs.values():
        children.setdefault(o.parent_id, []).append(o.id)

    def branches_under(root: int) -> set[int]:
        found, stack = set(), [root]
        while stack:
            current = stack.pop()
            if orgs[current].kind == "branch":
                found.add(current)
            stack.extend(children.get(current, []))
        return found

    trees: list[LedgerData] = []
    for root in children.get(None, []):  # one read per tree root (normally one: the working committee)
        trees.append(await collect(session, orgs[root], period, env.tz, member_level=True))
    files: dict[int, tuple[Path, Path, LedgerData]] = {}
    members = await members_by_id(session, [r.id for r in todo])
    notifier = Notifier(session, env)
    at_nine = local_midnight_utc(today, env.tz) + timedelta(hours=9)
    queued = 0
    for r in todo:
        if r.org_id not in files:
            branch_ids = branches_under(r.org_id)
            data = next((t for t in trees if branch_ids & {b.id for b in t.branches}), None)
            if data is None:
                continue
            part = slice_data(data, orgs[r.org_id], branch_ids)
            picture, ledger = await asyncio.to_thread(_build, part, folder / month)
            files[r.org_id] = (picture, ledger, part)
        picture, ledger, part = files[r.org_id]
        member = members[r.id]
        # The keys name the member first (digest:<member>:<YYYY-MM>): sent_digest_keys finds a month's by them.
        photo = Message(write=_caption(part, today), photo=str(picture))
        sent = await notifier.tell(
            [member], photo, key=lambda m: f"digest:{m.id}:{month}", kind="digest", not_before=at_nine
        )
        queued += sent.queued
        await notifier.tell(
            [member],
            Message(document=str(ledger)),
            key=lambda m: f"digest-ledger:{m.id}:{month}",
            kind="digest",
            not_before=at_nine,
        )
    return queued


def _caption(part: LedgerData, today: date) -> Callable[[Recipient], str]:
    """The digest's five lines, in the recipient's language."""
    return lambda r: five_lines(part, today, r.locale)


async def set_digest(session: AsyncSession, member_id: int, enabled: bool) -> None:
    """``/digest on|off``: one conditional write (an upsert), committed before the bot confirms."""
    from bot.clock import now_utc
    from storage.queries import upsert_insert

    insert = upsert_insert(session)
    values: dict[str, Any] = {"member_id": member_id, "enabled": enabled, "updated_at": now_utc()}
    statement = insert(q.DigestPreference).values(**values)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["member_id"], set_={"enabled": enabled, "updated_at": values["updated_at"]}
        )
    )


async def digest_enabled(session: AsyncSession, member_id: int) -> bool:
    """No row means on."""
    pref = await session.get(q.DigestPreference, member_id)
    return pref is None or pref.enabled
