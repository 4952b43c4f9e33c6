# ruff: noqa: E501 - the generator's SQL reads better on one line
"""The city's ledger: ``python benchmarks/bench_ledger.py`` (one command; about two minutes).

Generates a city in a scratch SQLite file — 1,000 branches in 50 units, 30,000 members with their membership
history, 33,334 meetings of the year with 1,000,000 attendance rows, first agenda items, dispatched materials,
volunteer service — then, each in a fresh process so the memory figure is the export's own:

- the working committee's ledger for the year (goal ≤ 30 s and ≤ 300 MB peak resident memory);
- one branch's ledger for the year (goal ≤ 1 s).

Anchor, measured in the same run on the same file: one ``GROUP BY`` over the attendance table (the floor any
ledger of the city pays to read its attendance) and the resident memory of a process that only imports the
application.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

UNITS, BRANCHES_PER_UNIT, MEMBERS_PER_BRANCH = 50, 20, 30
ATTENDANCE_ROWS = 1_000_000
YEAR = 2025
KINDS = ["theme_day", "committee_meeting", "general_meeting", "party_lesson", "group_meeting"]
STATUSES = ["present"] * 80 + ["late"] * 5 + ["on_leave"] * 8 + ["absent"] * 7


def _ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def generate(path: Path, units: int = UNITS) -> dict[str, int]:
    """Write the city into ``path`` (schema by the migrations); returns ids the measurements use. Fewer ``units``
    give a smaller city of the same density (bench_digest.py uses 10: 200 branches)."""
    from bot.db import Database

    async def migrate() -> None:
        db = Database(f"sqlite+aiosqlite:///{path}")
        await db.upgrade()
        await db.dispose()

    asyncio.run(migrate())
    rng = random.Random(13)
    now = _ts(datetime(2025, 1, 1, tzinfo=UTC))
    con = sqlite3.connect(path)
    cur = con.cursor()
    cur.execute(
        "INSERT INTO organisations (id, code, name, kind, parent_id, created_at) VALUES (1, 'WC', '市直机关工委', 'working_committee', NULL, ?)",
        (now,),
    )
    orgs, branches = [], []
    next_id = 2
    for u in range(units):
        unit_id = next_id
        next_id += 1
        orgs.append((unit_id, f"U{u:02d}", f"第{u + 1}单位机关党委", "unit_committee", 1, now, None))
        for b in range(BRANCHES_PER_UNIT):
            orgs.append((next_id, f"U{u:02d}-B{b:02d}", f"第{u + 1}单位第{b + 1}党支部", "branch", unit_id, now, 10))
            branches.append(next_id)
            next_id += 1
    cur.executemany(
        "INSERT INTO organisations (id, code, name, kind, parent_id, created_at, theme_day) VALUES (?,?,?,?,?,?,?)",
        orgs,
    )
    members, memberships, by_branch = [], [], {}
    member_id = 1
    for branch in branches:
        ids = []
        for i in range(MEMBERS_PER_BRANCH):
            role = "secretary" if i == 0 else "member"
            join = date(1990 + rng.randrange(35), 1 + rng.randrange(12), 1 + rng.randrange(28))
            members.append(
                (member_id, f"M{member_id:06d}", f"党员{member_id}", branch, role, 0, join.isoformat(), 0, 1, now, now)
            )
            memberships.append((member_id, branch, join.isoformat()))
            ids.append(member_id)
            member_id += 1
        by_branch[branch] = ids
    cur.executemany(
        "INSERT INTO members (id, member_no, name, org_id, role, delegated, join_date, probationary, active, created_at, updated_at)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        members,
    )
    cur.executemany("INSERT INTO memberships (member_id, org_id, started_on) VALUES (?,?,?)", memberships)
    meetings, attendance, items = [], [], []
    meeting_id = 1
    rows_left = ATTENDANCE_ROWS * units // UNITS
    per_branch = -(-rows_left // (MEMBERS_PER_BRANCH * len(branches)))  # meetings per branch
    for branch in branches:
        for k in range(per_branch):
            if rows_left <= 0:
                break
            day = date(YEAR, 1, 1) + timedelta(days=(k * 365) // per_branch + rng.randrange(5))
            start = datetime(day.year, day.month, day.day, 6, 30, tzinfo=UTC)
            kind = KINDS[k % len(KINDS)]
            meetings.append(
                (
                    meeting_id,
                    branch,
                    kind,
                    _ts(start),
                    _ts(start + timedelta(hours=2)),
                    "三楼会议室",
                    f"学习会议{k + 1}",
                    "closed",
                    "[]",
                    "会议记录",
                    "[]",
                    0,
                    now,
                    now,
                    "{}",
                    by_branch[branch][0],
                )
            )
            for member in by_branch[branch][: min(MEMBERS_PER_BRANCH, rows_left)]:
                status = rng.choice(STATUSES)
                attendance.append((meeting_id, member, status, "出差" if status == "on_leave" else None, now))
            rows_left -= MEMBERS_PER_BRANCH
            if kind in ("general_meeting", "committee_meeting"):
                items.append((meeting_id, meeting_id, "conveying", "书记"))
            meeting_id += 1
    cur.executemany(
        "INSERT INTO meetings (id, org_id, kind, starts_at, ends_at, place, topic, status, tags, record, record_photos,"
        " revision, created_at, updated_at, details, created_by_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        meetings,
    )
    cur.executemany(
        "INSERT INTO attendance (meeting_id, member_id, status, leave_reason, updated_at) VALUES (?,?,?,?,?)",
        attendance,
    )
    materials = [(m, 1, f"学习材料{m}", "新华社", now) for m in range(1, 13)]
    cur.executemany(
        "INSERT INTO study_materials (id, owner_org_id, title, source, created_at) VALUES (?,?,?,?,?)", materials
    )
    cur.executemany(
        "INSERT INTO first_agenda_items (id, meeting_id, form, led_by_name, recorded_at, updated_at) VALUES (?,?,?,?,?,?)",
        [(i, m, f, n, now, now) for i, m, f, n in items],
    )
    cur.executemany(
        "INSERT INTO first_agenda_materials (item_id, material_id, position) VALUES (?,?,1)",
        [(i, 1 + i % 12) for i, _, _, _ in items],
    )
    cur.executemany(
        "INSERT INTO material_dispatches (material_id, branch_id, dispatched_at) VALUES (?,?,?)",
        [(m, b, _ts(datetime(YEAR, m, 1, 1, tzinfo=UTC))) for m in range(1, 13) for b in branches],
    )
    cur.execute(
        "INSERT INTO communities (id, name, town, active, created_at) VALUES (1, '花园社区', '东城街道', 1, ?)", (now,)
    )
    activities, signups = [], []
    for a in range(1, 301):
        start = datetime(YEAR, 1 + a % 12, 1 + a % 28, 1, tzinfo=UTC)
        activities.append(
            (a, f"志愿活动{a}", 1, 300, _ts(start), _ts(start + timedelta(hours=3)), 100, 100, "open", 0, now)
        )
    for m in range(1, member_id, 1):
        signups.append((1 + m % 300, m, "confirmed", now, 180, 60, 0, now, now))
    cur.executemany(
        "INSERT INTO activities (id, title, community_id, radius_m, starts_at, ends_at, slots, taken, status, revision, created_at)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        activities,
    )
    cur.executemany(
        "INSERT INTO activity_signups (activity_id, member_id, status, queued_at, minutes, outside_minutes, auto_closed,"
        " created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?)",
        signups,
    )
    con.commit()
    count = cur.execute("SELECT count(*) FROM attendance").fetchone()[0]
    con.close()
    return {"attendance": count, "meetings": meeting_id - 1, "members": member_id - 1, "branch": branches[0]}


def export_once(db_path: str, org: str, out: str) -> None:
    """In a fresh process: export ``org``'s ledger for the year; print seconds and peak memory as JSON."""
    from zoneinfo import ZoneInfo

    from bot.db import Database
    from bot.services.ledger.export import export_ledger
    from bot.services.ledger.period import LedgerPeriod, org_by_ref

    async def main() -> dict[str, object]:
        db = Database(f"sqlite+aiosqlite:///{db_path}")
        began, cpu_began = time.perf_counter(), time.process_time()
        async with db.session() as session:
            organisation = await org_by_ref(session, org)
            written = await export_ledger(
                session,
                None,
                organisation,
                LedgerPeriod(date(YEAR, 1, 1), date(YEAR, 12, 31)),
                ZoneInfo("Asia/Shanghai"),
                Path(out),
            )
        elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu_began
        await db.dispose()
        return {"seconds": elapsed, "cpu": cpu, "sheets": written.sheets}

    result = asyncio.run(main())
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result, ensure_ascii=False))


def baseline_memory() -> None:
    """In a fresh process: the resident memory of the application's imports alone (the anchor)."""
    import bot.services.ledger.export  # noqa: F401
    import handlers  # noqa: F401

    print(json.dumps({"peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def anchor_loop_ms() -> float:
    """A fixed pure-Python workload, median of 5 (the same as bench_measures.py's: about 19 ms on a quiet
    machine), to tell a slow build from a busy machine."""
    times = []
    for _ in range(5):
        began = time.perf_counter()
        sum(i * i for i in range(200_000))
        times.append(time.perf_counter() - began)
    return sorted(times)[2] * 1000


def _child(*args: str) -> dict[str, object]:
    output = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=True).stdout
    return dict(json.loads(output.strip().splitlines()[-1]))


def _city(scratch: Path, keep: Path | None) -> tuple[Path, dict[str, int]]:
    """The generated city: reused from ``keep`` when an earlier run left it there, else generated (into ``keep``
    when given, so the next run skips the two minutes of generation)."""
    db = keep or scratch / "city.sqlite3"
    if keep is not None and keep.exists():
        con = sqlite3.connect(keep)
        try:
            branch = con.execute("SELECT min(id) FROM organisations WHERE kind = 'branch'").fetchone()[0]
            count = con.execute("SELECT count(*) FROM attendance").fetchone()[0]
            meetings = con.execute("SELECT count(*) FROM meetings").fetchone()[0]
            members = con.execute("SELECT count(*) FROM members").fetchone()[0]
        finally:
            con.close()
        print(f"reusing the city generated earlier in {keep}")
        return db, {"attendance": count, "meetings": meetings, "members": members, "branch": branch}
    began = time.perf_counter()
    facts = generate(db)
    print(
        f"generated {facts['members']} members, {facts['meetings']} meetings, {facts['attendance']} attendance rows "
        f"in 1,000 branches in {time.perf_counter() - began:.0f} s"
    )
    return db, facts


def main(keep: Path | None) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        db, facts = _city(Path(scratch), keep)
        con = sqlite3.connect(db)
        anchor_began = time.perf_counter()
        con.execute("SELECT meeting_id, status, count(*) FROM attendance GROUP BY meeting_id, status").fetchall()
        anchor_seconds = time.perf_counter() - anchor_began
        branch_code = con.execute("SELECT code FROM organisations WHERE id = ?", (facts["branch"],)).fetchone()[0]
        con.close()
        base = _child("--baseline")
        loop_before = anchor_loop_ms()
        city = _child("--export", str(db), "WC", str(Path(scratch) / "city.xlsx"))
        branch = _child("--export", str(db), branch_code, str(Path(scratch) / "branch.xlsx"))
        loop_after = anchor_loop_ms()
        size = (Path(scratch) / "city.xlsx").stat().st_size / 1e6
        print(
            f"city ledger: goal <= 30 s and <= 300 MB; measured {city['seconds']:.1f} s ({city['cpu']:.1f} s of CPU), "
            f"{city['peak_mb']:.0f} MB peak, {size:.1f} MB file"
        )
        print(f"  sheets: {city['sheets']}")
        print(
            f"one branch-year: goal <= 1 s; measured {branch['seconds']:.2f} s ({branch['cpu']:.2f} s of CPU), "
            f"{branch['peak_mb']:.0f} MB peak"
        )
        print(
            f"anchor: GROUP BY over the {facts['attendance']} attendance rows {anchor_seconds:.2f} s; "
            f"a process with the application imported {base['peak_mb']:.0f} MB; fixed pure-Python loop "
            f"{loop_before:.0f} ms before, {loop_after:.0f} ms after (about 19 ms quiet); "
            f"load average {os.getloadavg()[0]:.1f}"
        )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--export":
        export_once(sys.argv[2], sys.argv[3], sys.argv[4])
    elif len(sys.argv) > 1 and sys.argv[1] == "--baseline":
        baseline_memory()
    else:
        # ``--keep FILE``: keep the generated city in FILE and reuse it on the next run (same generator).
        main(Path(sys.argv[sys.argv.index("--keep") + 1]) if "--keep" in sys.argv else None)
