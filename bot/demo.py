"""A demo organisation: one unit with two branches and a dozen members, for the console and the tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Member, Organisation, OrgKind, Role


@dataclass(frozen=True)
class DemoIds:
    """Ids of what :func:`seed_demo` created, by the names the tests use."""

    committee: int
    unit: int
    branch_a: int
    branch_b: int
    group_a1: int
    admin: int
    secretary_a: int
    secretary_b: int
    committee_a: int
    members_a: tuple[int, ...]
    members_b: tuple[int, ...]


# name, role, join date, probationary; Telegram ids are 100000 + member number for bound members.
_BRANCH_A = [
    ("A01", "王建国", Role.SECRETARY, date(2003, 7, 1), False, True),
    ("A02", "李红梅", Role.COMMITTEE, date(2010, 5, 4), False, True),
    ("A03", "张伟", Role.MEMBER, date(2014, 11, 26), False, True),
    ("A04", "刘洋", Role.MEMBER, date(2008, 2, 29), False, True),
    ("A05", "陈静", Role.MEMBER, date(2019, 12, 1), False, True),
    ("A06", "杨帆", Role.MEMBER, date(2026, 3, 15), True, False),
    ("A07", "赵磊", Role.MEMBER, None, False, False),
]
_BRANCH_B = [
    ("B01", "黄海", Role.SECRETARY, date(1998, 10, 1), False, True),
    ("B02", "周敏", Role.MEMBER, date(2012, 6, 30), False, True),
    ("B03", "吴强", Role.MEMBER, date(2016, 11, 26), False, True),
    ("B04", "孙丽", Role.MEMBER, date(2020, 1, 10), False, False),
]


def telegram_id_of(member_no: str) -> int:
    """The demo Telegram id of a member: A03 → 100103, B02 → 100202."""
    return 100000 + (100 if member_no[0] == "A" else 200) + int(member_no[1:])


async def seed_demo(session: AsyncSession) -> DemoIds:
    """Create the demo organisation (or return it if it exists)."""
    existing = await session.scalar(select(Organisation).where(Organisation.code == "DEMO-WC"))
    if existing is not None:
        return await _ids(session)
    committee = Organisation(code="DEMO-WC", name="市直机关工委（演示）", kind=OrgKind.WORKING_COMMITTEE)
    session.add(committee)
    await session.flush()
    unit = Organisation(code="DEMO-U1", name="市民政局机关党委", kind=OrgKind.UNIT_COMMITTEE, parent_id=committee.id)
    session.add(unit)
    await session.flush()
    branch_a = Organisation(code="DEMO-B1", name="第一党支部", kind=OrgKind.BRANCH, parent_id=unit.id, theme_day=15)
    branch_b = Organisation(code="DEMO-B2", name="第二党支部", kind=OrgKind.BRANCH, parent_id=unit.id, theme_day=20)
    session.add_all([branch_a, branch_b])
    await session.flush()
    group = Organisation(code="DEMO-B1-G1", name="第一党小组", kind=OrgKind.PARTY_GROUP, parent_id=branch_a.id)
    session.add(group)
    await session.flush()
    session.add(
        Member(
            member_no="ADM1",
            name="郑管理",
            org_id=unit.id,
            role=Role.ADMIN,
            join_date=date(1995, 7, 1),
            telegram_id=100001,
            phone="13800000001",
        )
    )
    for branch, rows in ((branch_a, _BRANCH_A), (branch_b, _BRANCH_B)):
        for number, name, role, joined, probationary, bound in rows:
            session.add(
                Member(
                    member_no=number,
                    name=name,
                    org_id=branch.id,
                    role=role,
                    join_date=joined,
                    probationary=probationary,
                    delegated=role == Role.COMMITTEE,
                    group_id=group.id if branch is branch_a else None,
                    telegram_id=telegram_id_of(number) if bound else None,
                    phone=f"1390000{telegram_id_of(number) % 10000:04d}",
                )
            )
    await session.flush()
    return await _ids(session)


async def _ids(session: AsyncSession) -> DemoIds:
    orgs = {o.code: o.id for o in (await session.scalars(select(Organisation))).all()}
    members = {m.member_no: m.id for m in (await session.scalars(select(Member))).all()}
    return DemoIds(
        committee=orgs["DEMO-WC"],
        unit=orgs["DEMO-U1"],
        branch_a=orgs["DEMO-B1"],
        branch_b=orgs["DEMO-B2"],
        group_a1=orgs["DEMO-B1-G1"],
        admin=members["ADM1"],
        secretary_a=members["A01"],
        secretary_b=members["B01"],
        committee_a=members["A02"],
        members_a=tuple(members[row[0]] for row in _BRANCH_A),
        members_b=tuple(members[row[0]] for row in _BRANCH_B),
    )
