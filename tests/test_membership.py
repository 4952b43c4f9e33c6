"""Membership history: the roster import keeps it; a period counts the members of that period, each for their
time (joined, transferred, left during it), in one statement whatever the number of branches."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import time_machine
from sqlalchemy import event, select

from bot.db import Database
from bot.services.roster import import_organisations, import_roster
from storage.membership import Membership, MembershipSpan, member_on, members_during, sync_memberships
from storage.models import Member, Organisation

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


async def _ids(db: Database) -> tuple[dict[str, int], dict[str, int]]:
    async with db.session() as session:
        orgs = {code: id_ for id_, code in (await session.execute(select(Organisation.id, Organisation.code))).all()}
        members = {no: id_ for id_, no in (await session.execute(select(Member.id, Member.member_no))).all()}
    return orgs, members


def _roster_with(tmp_path: Path, name: str, replace: dict[str, str]) -> Path:
    text = (EXAMPLES / "roster.csv").read_text(encoding="utf-8")
    for old, new in replace.items():
        text = text.replace(old, new)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


async def test_transfer_and_leaving_split_the_period(any_db: Database, tmp_path: Path) -> None:
    with time_machine.travel(date(2026, 4, 1), tick=False):
        async with any_db.session() as session:
            await import_organisations(session, EXAMPLES / "organisations.csv")
            await import_roster(session, EXAMPLES / "roster.csv")
    orgs, members = await _ids(any_db)
    b1, b2 = orgs["MZJ-B1"], orgs["MZJ-B2"]
    # 张伟 (MZ103) transfers to the second branch on 2026-05-10.
    moved = _roster_with(tmp_path, "moved.csv", {"MZ103,张伟,MZJ-B1,MZJ-B1-G1": "MZ103,张伟,MZJ-B2,"})
    with time_machine.travel(date(2026, 5, 10), tick=False):
        async with any_db.session() as session:
            await import_roster(session, moved)
    # 周敏 (MZ202) is taken off the roster on 2026-06-01 (left or died).
    header, *rows = moved.read_text(encoding="utf-8").splitlines()
    gone = tmp_path / "gone.csv"
    gone.write_text(
        "\n".join([header + ",active", *(r + (",no" if r.startswith("MZ202") else ",") for r in rows)]) + "\n",
        encoding="utf-8",
    )
    with time_machine.travel(date(2026, 6, 1), tick=False):
        async with any_db.session() as session:
            await import_roster(session, gone)
            await import_roster(session, gone)  # idempotent: nothing more opens or closes

    async with any_db.session() as session:
        history = (
            await session.execute(
                select(Membership.org_id, Membership.started_on, Membership.ended_on, Membership.reason)
                .where(Membership.member_id == members["MZ103"])
                .order_by(Membership.started_on)
            )
        ).all()
        assert [tuple(r) for r in history] == [
            (b1, date(2014, 11, 26), date(2026, 5, 10), "transfer"),
            (b2, date(2026, 5, 10), None, None),
        ]
        may = await members_during(session, [b1, b2], date(2026, 5, 1), date(2026, 5, 31))
        q2 = await members_during(
            session,
            select(Organisation.id).where(Organisation.parent_id == orgs["MZJ"]),
            date(2026, 4, 1),
            date(2026, 6, 30),
        )
        b1_only = await members_during(session, [b1], date(2026, 6, 1), date(2026, 6, 30))

    zhang = [s for s in may if s.member_id == members["MZ103"]]
    assert zhang == [
        MembershipSpan(members["MZ103"], b1, date(2026, 5, 1), date(2026, 5, 9)),
        MembershipSpan(members["MZ103"], b2, date(2026, 5, 10), date(2026, 5, 31)),
    ]
    assert sum(s.days for s in zhang) == 31  # no day counted twice, none lost
    zhou = [s for s in q2 if s.member_id == members["MZ202"]]
    assert zhou == [MembershipSpan(members["MZ202"], b2, date(2026, 4, 1), date(2026, 5, 31))]
    # 杨帆 joined the Party on 2026-03-15: in Q2 for all of it; the administrator is not in a branch.
    assert MembershipSpan(members["MZ105"], b1, date(2026, 4, 1), date(2026, 6, 30)) in q2
    assert members["MZ001"] not in {s.member_id for s in q2}
    assert {s.member_id for s in b1_only} == {members[n] for n in ("MZ101", "MZ102", "MZ104", "MZ105")}


async def test_one_statement_for_a_subtree_and_no_parameter_per_id(any_db: Database) -> None:
    async with any_db.session() as session:
        await import_organisations(session, EXAMPLES / "organisations.csv")
        await import_roster(session, EXAMPLES / "roster.csv")
    orgs, _ = await _ids(any_db)
    many = [orgs["MZJ-B1"], orgs["MZJ-B2"], *range(10_000, 13_000)]
    statements: list[tuple[str, object]] = []

    def record(_conn: object, _cursor: object, statement: str, parameters: object, *_: object) -> None:
        statements.append((statement, parameters))

    event.listen(any_db.engine.sync_engine, "before_cursor_execute", record)
    try:
        async with any_db.session() as session:
            spans = await members_during(session, many, date(2026, 1, 1), date(2026, 12, 31))
    finally:
        event.remove(any_db.engine.sync_engine, "before_cursor_execute", record)
    assert len(spans) == 7
    selects = [(s, p) for s, p in statements if s.lstrip().upper().startswith(("SELECT", "WITH"))]
    assert len(selects) == 1
    params = selects[0][1]
    assert len(params if isinstance(params, tuple | list | dict) else ()) < 10


async def test_members_created_without_the_import_still_count(any_db: Database) -> None:
    async with any_db.session() as session:
        org = Organisation(code="B", name="支部", kind="branch")
        session.add(org)
        await session.flush()
        session.add_all(
            [
                Member(member_no="1", name="甲", org_id=org.id, join_date=date(2020, 1, 1)),
                Member(member_no="2", name="乙", org_id=org.id, join_date=date(2026, 3, 20)),
                Member(member_no="3", name="丙", org_id=org.id),
            ]
        )
        await session.flush()
        before = await members_during(session, [org.id], date(2026, 3, 1), date(2026, 3, 31))
        await sync_memberships(session, date(2026, 4, 2))
        after = await members_during(session, [org.id], date(2026, 3, 1), date(2026, 3, 31))
        # The helper for joins: who was a member of the branch on 2026-03-25.
        on_day = (
            await session.scalars(
                select(Membership.member_id).where(member_on(date(2026, 3, 25), org.id)).order_by(Membership.member_id)
            )
        ).all()
    assert [(s.start, s.end) for s in before] == [
        (date(2026, 3, 1), date(2026, 3, 31)),
        (date(2026, 3, 20), date(2026, 3, 31)),
        (date(2026, 3, 1), date(2026, 3, 31)),
    ]
    # After the sync the member without a join date starts on the sync day: not in March any more.
    assert [(s.start, s.end) for s in after] == [
        (date(2026, 3, 1), date(2026, 3, 31)),
        (date(2026, 3, 20), date(2026, 3, 31)),
    ]
    assert len(on_day) == 2


async def test_migration_gives_existing_members_their_first_row(any_db: Database, tmp_path: Path) -> None:
    """A database made before the history existed: each member gets a row from the join date (else the day
    they were entered), closed for the inactive."""
    from sqlalchemy import text

    from bot.db import _upgrade_on

    async with any_db.engine.begin() as connection:
        await connection.run_sync(lambda c: _downgrade(c, "0008_memberships", "0001_foundation"))
    async with any_db.session() as session:
        org = Organisation(code="B", name="支部", kind="branch")
        session.add(org)
        await session.flush()
        session.add_all(
            [
                Member(member_no="1", name="甲", org_id=org.id, join_date=date(2020, 1, 1)),
                Member(member_no="2", name="乙", org_id=org.id, active=False),
            ]
        )
    async with any_db.engine.begin() as connection:
        await connection.run_sync(_upgrade_on, "heads")
        rows = (
            await connection.execute(text("SELECT started_on, ended_on, reason FROM memberships ORDER BY member_id"))
        ).all()
    assert rows[0][0] in (date(2020, 1, 1), "2020-01-01") and rows[0][1] is None
    assert rows[1][0] is not None and rows[1][1] is not None and rows[1][2] == "left"


def _downgrade(connection: object, revision: str, to: str) -> None:
    """Take one feature branch back to ``to`` (the other branches stay)."""
    from alembic import command

    from bot.db import alembic_config

    command.downgrade(alembic_config(connection), f"{revision}@{to}")  # type: ignore[arg-type]
