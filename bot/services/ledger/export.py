"""What the chat, the command line and the digest call: a ledger file, a chart, a meeting record.

A branch's ledger is read on the event loop (a few statements) and built in a worker thread; a unit's or the city's
is read and built in a worker process (:func:`export_ledger_in_worker`), so a bot making them keeps answering others.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import date
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import Database
from bot.errors import DomainError, InvalidInput
from bot.i18n import N_
from bot.services.access import Actor
from bot.services.bulk import collector_paused
from bot.services.ledger import charts as charts_module
from bot.services.ledger.data import LedgerData, collect
from bot.services.ledger.period import LedgerPeriod, org_for
from bot.services.ledger.process import in_worker
from bot.services.ledger.record_docx import load_record, write_record
from bot.services.ledger.workbook import Written, check_writable, write_workbook
from storage.models import Organisation

log = logging.getLogger(__name__)

# The charts embedded in the 汇总 sheet: a branch's own picture, or a unit's ranking first.
SUMMARY_CHARTS = {True: ("meetings", "attendance", "service"), False: ("first-agenda", "meetings", "attendance")}


def build_ledger_file(data: LedgerData, out: Path, *, with_charts: bool = True) -> Written:
    """Draw the summary's charts and write the workbook (blocking: run it in a thread)."""
    pngs: list[bytes] = []
    if with_charts:
        try:
            pngs = [charts_module.draw(kind, data).png for kind in SUMMARY_CHARTS[data.is_branch]]
        except DomainError:  # no Chinese font on this machine: the ledger is still worth having
            log.warning("ledger written without charts: the chart font is missing")
    with collector_paused():  # a city's rows: hundreds of thousands of small lists, no cycles
        return write_workbook(data, out, pngs)


async def export_ledger(
    session: AsyncSession,
    actor: Actor | None,
    org: Organisation,
    period: LedgerPeriod,
    tz: ZoneInfo,
    out: Path,
    *,
    with_charts: bool = True,
) -> Written:
    """The ledger of ``org`` for ``period`` written to ``out`` (refusals before any work)."""
    check_writable(out)
    org = await org_for(session, actor, org)
    data = await collect(session, org, period, tz)
    return await asyncio.to_thread(build_ledger_file, data, out, with_charts=with_charts)


async def export_ledger_in_worker(
    url: str, org: Organisation, period: LedgerPeriod, tz: ZoneInfo, out: Path, *, with_charts: bool = True
) -> Written:
    """:func:`export_ledger` read and written in a worker process (bot/services/ledger/process.py), for an
    organisation already checked against the caller (:func:`bot.services.ledger.period.org_for`): a unit's or the
    city's ledger takes seconds to tens of seconds of reading and writing, which on the event loop would hold up
    every reply meanwhile."""
    check_writable(out)
    job = {
        "kind": "ledger",
        "url": url,
        "org_id": org.id,
        "period": [period.start.toordinal(), period.end.toordinal()],
        "tz": tz.key,
        "out": str(out),
        "with_charts": with_charts,
    }
    done = await in_worker(job)
    return Written(Path(done["file"]), [(str(s["name"]), int(s["rows"])) for s in done["sheets"]])


def run_ledger_job(job: dict[str, Any]) -> dict[str, Any]:
    """The worker's side of :func:`export_ledger_in_worker`: read through a connection of its own, write, report."""
    start, end = (date.fromordinal(day) for day in job["period"])
    data = asyncio.run(_read_ledger(job["url"], int(job["org_id"]), LedgerPeriod(start, end), ZoneInfo(job["tz"])))
    written = build_ledger_file(data, Path(job["out"]), with_charts=bool(job["with_charts"]))
    return cast("dict[str, Any]", json.loads(written.as_json()))


async def _read_ledger(url: str, org_id: int, period: LedgerPeriod, tz: ZoneInfo) -> LedgerData:
    db = Database(url)
    try:
        async with db.session() as session:
            org = await session.get(Organisation, org_id)
            if org is None:  # deleted since the caller was checked: the job fails, the bot apologises
                raise LookupError(f"organisation {org_id} is gone")
            return await collect(session, org, period, tz)
    finally:
        await db.dispose()


async def chart_png(
    session: AsyncSession, actor: Actor | None, org: Organisation, kind: str, period: LedgerPeriod, tz: ZoneInfo
) -> bytes:
    """One chart of ``org`` for ``period``, as PNG bytes."""
    if kind not in charts_module.KINDS:
        raise InvalidInput(
            N_("Unknown chart %(kind)s (use %(kinds)s)."), kind=kind, kinds=", ".join(charts_module.KINDS)
        )
    org = await org_for(session, actor, org)
    data = await collect(session, org, period, tz, member_level=False)
    chart = await asyncio.to_thread(charts_module.draw, kind, data)
    return chart.png


async def meeting_record(session: AsyncSession, actor: Actor | None, meeting_id: int, tz: ZoneInfo, out: Path) -> Path:
    """A meeting's record as ``.docx`` at ``out``."""
    check_writable(out)
    record = await load_record(session, actor, meeting_id, tz)
    return await asyncio.to_thread(write_record, record, out)
