"""A demo organisation: one unit with two branches and a dozen members, for the console and the tests.

:func:`seed_demo` is the fixed organisation the tests rely on. :func:`seed_showcase` (``branchbot demo`` only) adds
some life through the features' own services, dated around today: communities with members registered, a study
material dispatched to the branches, a meeting held last week with its first agenda item and attendance, a theme
Party day ahead, a volunteer activity to sign up for, and a member whose political birthday is today.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from storage import core as core_store
from storage import queries
from storage.models import Member, Organisation, OrgKind, Role

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.environment import ServiceEnv


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
    existing = await queries.org_by_ref(session, "DEMO-WC")
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
    orgs, members = await core_store.codes_and_numbers(session)
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


# The communities of the showcase: name, town, latitude, longitude, contact (as in examples/communities.csv).
_COMMUNITIES = [
    ("花园社区", "东城街道", 23.0200, 113.7600, "东城街道花园社区党委，0769-22000001"),
    ("主山社区", "东城街道", 23.0095, 113.7780, "主山社区党委，0769-22000002"),
    ("西隅社区", "莞城街道", 23.0445, 113.7480, "西隅社区党委，0769-22000003"),
    ("石竹社区", "南城街道", 23.0050, 113.7390, "石竹社区党委，0769-22000005"),
]
SHOWCASE_MEMBER = "A08"


async def seed_showcase(
    session: AsyncSession, settings: Settings, env: ServiceEnv, now: datetime | None = None
) -> bool:
    """Give the demo organisation something to show, once; False when it already has it.

    What the services would have pushed meanwhile (meeting and activity notices) is recorded as sent: the
    demo starts from a quiet outbox rather than replaying that history into the console.
    """
    from bot.clock import now_utc
    from bot.features import meeting_hooks
    from bot.services import first_agenda, meetings, volunteer
    from bot.services.access import Actor
    from bot.services.volunteer.timing import VolunteerConfig
    from storage.volunteer import Community

    ids = await seed_demo(session)
    if await queries.member_by_no(session, SHOWCASE_MEMBER) is not None:
        return False
    now = now or now_utc()
    tz = env.tz
    today = now.astimezone(tz).date()
    last_outbox_id = await core_store.last_outbox_id(session)
    members = await core_store.members_by_number(session)

    def actor(member_no: str) -> Actor:
        return Actor.of(members[member_no], settings.DEFAULT_LOCALE)

    def at(day: date, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(day, time(hour, minute), tzinfo=tz)

    # A member whose political birthday is today: their greeting goes out at BIRTHDAY_HOUR.
    joined = today.replace(year=today.year - 12)  # twelve years back is a leap year when today is 29 February
    qian = Member(
        member_no=SHOWCASE_MEMBER,
        name="钱进",
        org_id=ids.branch_a,
        role=Role.MEMBER,
        join_date=joined,
        group_id=ids.group_a1,
        telegram_id=telegram_id_of(SHOWCASE_MEMBER),
        phone="13900000108",
    )
    session.add(qian)
    await session.flush()
    members[SHOWCASE_MEMBER] = qian

    # Communities, and three members registered with one (到社区报到).
    communities = [Community(name=n, town=t, latitude=la, longitude=lo, contact=c) for n, t, la, lo, c in _COMMUNITIES]
    session.add_all(communities)
    await session.flush()
    for member_no, community in (("A01", communities[0]), ("A03", communities[1]), ("B02", communities[2])):
        await volunteer.register_community(session, actor(member_no), community.id, today)

    # A study material for the first agenda item, dispatched by the unit to both branches.
    material = await first_agenda.add_material(
        session,
        None,
        title="习近平总书记关于加强机关党的建设的重要论述（摘编）",
        source="中央和国家机关工委",
        issued_on=today - timedelta(days=25),
        kind="article",
        owner_org_id=ids.unit,
        env=env,
    )
    await first_agenda.dispatch_material(session, None, material.id, ids.unit, env=env)

    # Last week's general meeting of branch A: first agenda item studied, attendance confirmed, closed.
    held = await meetings.schedule_meeting(
        session,
        None,
        ids.branch_a,
        meetings.Draft(
            kind="general_meeting",
            starts_at=at(today - timedelta(days=7), 14, 30),
            ends_at=at(today - timedelta(days=7), 16, 0),
            place="三楼会议室",
            topic="学习贯彻《关于加强和改进市直机关党的建设的若干措施》",
        ),
        env=env,
    )
    await first_agenda.record_first_agenda(
        session, None, held.id, material_ids=[material.id], form="conveying", led_by_id=ids.secretary_a
    )
    await meetings.close_meeting(
        session,
        None,
        held.id,
        present=[members[n].id for n in ("A01", "A02", "A03", "A05", "A08")],
        on_leave=[members["A04"].id],
        record="传达学习第一议题；讨论本支部落实《若干措施》的分工。",
        hooks=meeting_hooks(),  # every feature's, as in the bot
    )

    # The coming theme Party day of branch A (its fixed day of the month), with its notice.
    theme = today.replace(day=15) if today.day < 14 else (today.replace(day=1) + timedelta(days=32)).replace(day=15)
    await meetings.schedule_meeting(
        session,
        None,
        ids.branch_a,
        meetings.Draft(
            kind="theme_day",
            starts_at=at(theme, 14, 30),
            ends_at=at(theme, 16, 30),
            place="三楼会议室",
            topic="重温入党誓词，为本月过政治生日的党员庆祝",
        ),
        env=env,
    )

    # A volunteer activity next weekend, sent to both branches; one member has signed up.
    saturday = today + timedelta(days=(5 - today.weekday()) % 7 or 7)
    cfg = VolunteerConfig.from_settings(settings)
    activity = await volunteer.create_activity(
        session,
        None,
        volunteer.ActivityDraft(
            title="关爱长者志愿服务",
            community_id=communities[0].id,
            starts_at=at(saturday, 9),
            ends_at=at(saturday, 11, 30),
            slots=8,
            place="花园社区党群服务中心",
        ),
        cfg,
        env=env,
        dispatch_to=[ids.unit],
        now=now,
    )
    await volunteer.sign_up(session, actor("A03"), activity.id, now=now)

    await core_store.settle_outbox_after(session, last_outbox_id, now)
    return True
