"""The monthly digest (月度台账): on the 1st, each secretary gets last month's picture and five lines with the
ledger attached; each administrator gets their subtree's ranking. Once per person per month (outbox dedup key
``digest:<member>:<YYYY-MM>``); ``/digest off`` stops it.

Set-based: the whole tree is read once (``collect`` over every root), then sliced per branch and subtree in
memory. Reading, slicing, drawing and writing all happen in a worker process (``python -m
bot.services.ledger.worker``) with its own database connection, at 06:00, ahead of 09:00 (the outbox holds them
until then); the bot's loop only queues the results.
"""

from __future__ import annotations

import asyncio
import html
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot import date_style
from bot.clock import local_midnight_utc
from bot.db import Database
from bot.environment import ServiceEnv
from bot.i18n import SUPPORTED_LOCALES, translator
from bot.services.kinds_of_meeting import MEETING_KINDS, HeldBy, Period
from bot.services.ledger import charts
from bot.services.ledger.data import LedgerData, collect, indicators
from bot.services.ledger.export import build_ledger_file
from bot.services.ledger.period import LedgerPeriod
from bot.services.ledger.process import in_worker
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
    return _Slicer(data).part(org, branch_ids)


class _Slicer:
    """A tree's ledger indexed by branch once, so each organisation's part costs the size of that part, not of
    the tree (a city's thousand branches, each sliced by filtering the whole tree's lists, took seconds)."""

    def __init__(self, data: LedgerData) -> None:
        self.data = data
        self.spans = _by_branch(data.spans, lambda s: s.org_id)
        self.meetings = _by_branch(data.meetings, lambda m: m.org_id)
        self.dispatches = _by_branch(data.dispatches, lambda d: d.branch_id)
        self.service = _by_branch(data.service, lambda s: s.branch_id)

    def part(self, org: Organisation, branch_ids: set[int]) -> LedgerData:
        """``org``'s part: its branches' rows, in the tree's order."""
        data = self.data

        def pick(index: dict[int, list[tuple[int, Any]]]) -> list[Any]:
            rows = [row for b in branch_ids for row in index.get(b, ())]
            if len(branch_ids) > 1:
                rows.sort(key=lambda row: row[0])
            return [item for _, item in rows]

        return replace(
            data,
            org=org,
            branches=[b for b in data.branches if b.id in branch_ids],
            member_level=org.kind == "branch",
            spans=pick(self.spans),
            meetings=pick(self.meetings),
            dispatches=pick(self.dispatches),
            service=pick(self.service),
            matrix=data.matrix if org.kind == "branch" else {},
        )


def _by_branch(items: list[Any], branch_of: Callable[[Any], int]) -> dict[int, list[tuple[int, Any]]]:
    """``items`` by branch, each with its position in the list (to keep the order when parts are joined)."""
    index: dict[int, list[tuple[int, Any]]] = {}
    for position, item in enumerate(items):
        index.setdefault(branch_of(item), []).append((position, item))
    return index


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
        tr.gettext(
            "<b>%(org)s — %(month)s</b>",
            org=html.escape(data.org.name),
            month=date_style.month(data.period.start.year, data.period.start.month, locale),
        ),
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


@dataclass(frozen=True)
class DigestFiles:
    """One organisation's digest, built ahead of time: its picture, its ledger and its five lines per language."""

    picture: Path
    ledger: Path
    captions: dict[str, str]  # locale → the five lines


def _build(data: LedgerData, folder: Path, today: date) -> DigestFiles:
    """The picture, the ledger and the captions of one organisation."""
    folder.mkdir(parents=True, exist_ok=True)
    picture = folder / f"{data.org.code}-{data.period.start:%Y%m}.png"
    ledger = folder / f"{data.org.code}-{data.period.start:%Y%m}.xlsx"
    kind = "meetings" if data.is_branch else "first-agenda"
    picture.write_bytes(charts.draw(kind, data).png)
    build_ledger_file(data, ledger, with_charts=False)
    captions = {locale: five_lines(data, today, locale) for locale in SUPPORTED_LOCALES}
    return DigestFiles(picture, ledger, captions)


async def build_digests_in_worker(
    url: str, org_ids: Collection[int], period: LedgerPeriod, tz: ZoneInfo, today: date, folder: Path
) -> dict[int, DigestFiles]:
    """:func:`build_digests` in a process of its own (bot/services/ledger/process.py), awaited without blocking
    the loop."""
    job = {
        "kind": "digests",
        "url": url,
        "org_ids": list(org_ids),
        "period": [period.start.toordinal(), period.end.toordinal()],  # days, not text: nothing to parse
        "tz": tz.key,
        "today": today.toordinal(),
        "folder": str(folder),
    }
    built = await in_worker(job)
    return {
        int(org_id): DigestFiles(Path(files["picture"]), Path(files["ledger"]), dict(files["captions"]))
        for org_id, files in built.items()
    }


def run_worker_job(job: dict[str, Any]) -> dict[str, Any]:
    """The worker's side of :func:`build_digests_in_worker`: the job as JSON in, the files and captions out."""
    start, end = (date.fromordinal(day) for day in job["period"])
    built = build_digests(
        job["url"],
        [int(org_id) for org_id in job["org_ids"]],
        LedgerPeriod(start, end),
        ZoneInfo(job["tz"]),
        date.fromordinal(job["today"]),
        Path(job["folder"]),
    )
    return {
        str(org_id): {"picture": str(f.picture), "ledger": str(f.ledger), "captions": f.captions}
        for org_id, f in built.items()
    }


def build_digests(
    url: str, org_ids: Collection[int], period: LedgerPeriod, tz: ZoneInfo, today: date, folder: Path
) -> dict[int, DigestFiles]:
    """Every digest of ``org_ids`` (organisation id → its files), read and built away from the bot's event loop.

    Blocking: run it in a worker process (:func:`build_digests_in_worker`) or thread. It reads through its own
    connection on its own event loop, so not even the period's reading (a city's month is tens of thousands of
    rows turned into Python objects) runs on the loop that answers people; and it only reads, so the bot's
    writes never wait for it."""
    orgs, trees = asyncio.run(_read(url, period, tz))
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

    slicers = [(_Slicer(tree), {b.id for b in tree.branches}) for tree in trees]
    built: dict[int, DigestFiles] = {}
    for org_id in org_ids:
        if org_id not in orgs:
            continue
        branch_ids = branches_under(org_id)
        slicer = next((sl for sl, ids in slicers if branch_ids & ids), None)
        if slicer is None:
            continue
        built[org_id] = _build(slicer.part(orgs[org_id], branch_ids), folder, today)
    return built


async def _read(url: str, period: LedgerPeriod, tz: ZoneInfo) -> tuple[dict[int, Organisation], list[LedgerData]]:
    """The organisations, and the ledger of each tree (one read per root: normally the working committee)."""
    db = Database(url)
    try:
        async with db.session() as session:
            orgs = {o.id: o for o in await queries.all_organisations(session)}
            roots = [o for o in orgs.values() if o.parent_id is None]
            return orgs, [await collect(session, root, period, tz, member_level=True) for root in roots]
    finally:
        await db.dispose()


# Recipients queued per transaction: on SQLite a write transaction holds the whole database, and every update the
# bot handles writes (its handled marker), so a city's two thousand rows go in short transactions with a pause
# between them longer than SQLite's busy handler sleeps between its retries: a waiting reply gets in.
QUEUE_BATCH = 5
QUEUE_PAUSE = 0.05  # seconds


async def queue_digests(db: Database, today: date, folder: Path, *, env: ServiceEnv) -> int:
    """Queue last month's digest of every recipient who has not had it (a no-op the second time).

    The files are built first, in a worker process (:func:`build_digests_in_worker`), which only reads; then
    the digests are queued, :data:`QUEUE_BATCH` recipients per transaction. A run stopped half-way is finished by
    the next (the dedup keys leave out whoever was queued)."""
    if today.day != 1:
        return 0
    period = last_month(today)
    month = f"{period.start:%Y-%m}"
    async with db.session() as session:
        recipients = await q.digest_recipients(session)
        done = await q.sent_digest_keys(session, month)
    todo = [r for r in recipients if f"digest:{r.id}:{month}" not in done]
    todo = [r for r in todo if r.role == "admin" or r.role == "secretary" or r.delegated]
    if not todo:
        return 0
    org_ids = sorted({r.org_id for r in todo})
    files = await build_digests_in_worker(db.url, org_ids, period, env.tz, today, folder / month)
    at_nine = local_midnight_utc(today, env.tz) + timedelta(hours=9)
    queued = 0
    for first in range(0, len(todo), QUEUE_BATCH):
        if first:
            await asyncio.sleep(QUEUE_PAUSE)
        batch = [r for r in todo[first : first + QUEUE_BATCH] if r.org_id in files]
        async with db.session() as session:
            members = await members_by_id(session, [r.id for r in batch])
            notifier = Notifier(session, env)
            for r in batch:
                built, member = files[r.org_id], members[r.id]
                # The keys name the member first (digest:<member>:<YYYY-MM>): sent_digest_keys finds them.
                photo = Message(write=_caption(built, env.default_locale), photo=str(built.picture))
                sent = await notifier.tell(
                    [member], photo, key=lambda m: f"digest:{m.id}:{month}", kind="digest", not_before=at_nine
                )
                queued += sent.queued
                await notifier.tell(
                    [member],
                    Message(document=str(built.ledger)),
                    key=lambda m: f"digest-ledger:{m.id}:{month}",
                    kind="digest",
                    not_before=at_nine,
                )
    return queued


def _caption(built: DigestFiles, default: str) -> Callable[[Recipient], str]:
    """The digest's five lines, in the recipient's language."""
    return lambda r: built.captions.get(r.locale) or built.captions[default]


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
