"""A branch with known events in 2025, the rules it is scored by, and the hand totals (see the comments)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from storage.first_agenda import FirstAgendaItem, FirstAgendaMaterial, MaterialDispatch, StudyMaterial
from storage.meetings import Attendance, Meeting
from storage.membership import Membership
from storage.models import Member, Organisation
from storage.volunteer import Activity, Community, CommunityRegistration, ServiceReport, SignUp

TZ = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 1, 12)  # a Monday; 2025 is over, so it can be published

TEST_RULES = """
[rules]
name = "测试规则"
example = false

[member]
base = 10
year_cap = 10
rank_bands = [25, 50]

[[member.items]]
key = "attend"
name_zh = "参会"
name_en = "Attended"
source = "attendance"
status = ["present", "late"]
points = 2
cap = 6

[[member.items]]
key = "late"
name_zh = "迟到"
name_en = "Late"
source = "attendance"
status = ["late"]
points = -1
cap = 3

[[member.items]]
key = "absent"
name_zh = "缺席"
name_en = "Absent"
source = "attendance"
status = ["absent"]
points = -2
cap = 10

[[member.items]]
key = "led"
name_zh = "领学"
name_en = "Led"
source = "first_agenda_led"
points = 3

[[member.items]]
key = "volunteer"
name_zh = "志愿服务"
name_en = "Volunteer"
source = "volunteer_hours"
points = 1
cap = 5

[[member.items]]
key = "community"
name_zh = "社区报到"
name_en = "Community"
source = "community_registration"
points = 2
cap = 2

[[member.items]]
key = "birthday"
name_zh = "政治生日"
name_en = "Birthday"
source = "birthday_activity"
points = 1

[[member.items]]
key = "praise"
name_zh = "表扬"
name_en = "Praise"
source = "manual"
min = 1
max = 5
cap = 8

[branch]
total = 100

[[branch.criteria]]
key = "meetings"
name_zh = "会议"
name_en = "Meetings"
source = "meetings_held"
weight = 40

[[branch.criteria]]
key = "attendance"
name_zh = "参会率"
name_en = "Attendance"
source = "attendance_rate"
weight = 20

[[branch.criteria]]
key = "fa"
name_zh = "第一议题"
name_en = "First agenda"
source = "first_agenda_rate"
weight = 10

[[branch.criteria]]
key = "lag"
name_zh = "及时性"
name_en = "Lag"
source = "first_agenda_lag"
weight = 10
good_days = 7
poor_days = 17

[[branch.criteria]]
key = "members"
name_zh = "志愿服务比例"
name_en = "Service share"
source = "volunteer_share"
weight = 10

[[branch.criteria]]
key = "innovation"
name_zh = "创新"
name_en = "Innovation"
source = "manual"
weight = 10

[[branch.bands]]
stars = 5
from = 90
to = 100
requires = "innovation"

[[branch.bands]]
stars = 4
from = 75
to = 90

[[branch.bands]]
stars = 3
from = 60
to = 75

[[branch.bands]]
stars = 2
from = 40
to = 60

[[branch.bands]]
stars = 1
from = 0
to = 40
"""

# Hand totals under TEST_RULES for 2025 (before any entry): items in rules order, as (key, points, count).
# S : attend 4 meetings → 8, capped 6; led the committee meeting's study → 3; attended the birthday theme day → 1.
# M1: attend 2 (on leave at the theme day) → 4; led the lesson's study → 3; service 150 + 200 min = 5 h → 5;
#     gained 12 over the base, the yearly cap of 10 takes 2 back.
# M2: attend 3 → 6; late once → -1; service 59 min → 0 h; community → 2; birthday → 1.
# M3: attend 1 → 2; absent twice → -4.
EXPECTED = {
    "P1": [
        ("base", 10, 1),
        ("attend", 6, 4),
        ("late", 0, 0),
        ("absent", 0, 0),
        ("led", 3, 1),
        ("volunteer", 0, 0),
        ("community", 0, 0),
        ("birthday", 1, 1),
        ("praise", 0, 0),
    ],
    "P2": [
        ("base", 10, 1),
        ("attend", 4, 2),
        ("late", 0, 0),
        ("absent", 0, 0),
        ("led", 3, 1),
        ("volunteer", 5, 2),
        ("community", 0, 0),
        ("birthday", 0, 0),
        ("praise", 0, 0),
        ("year_cap", -2, 0),
    ],
    "P3": [
        ("base", 10, 1),
        ("attend", 6, 3),
        ("late", -1, 1),
        ("absent", 0, 0),
        ("led", 0, 0),
        ("volunteer", 0, 1),
        ("community", 2, 1),
        ("birthday", 1, 1),
        ("praise", 0, 0),
    ],
    "P4": [
        ("base", 10, 1),
        ("attend", 2, 1),
        ("late", 0, 0),
        ("absent", -4, 2),
        ("led", 0, 0),
        ("volunteer", 0, 0),
        ("community", 0, 0),
        ("birthday", 0, 0),
        ("praise", 0, 0),
    ],
}
EXPECTED["P5"] = [("base", 10, 1), ("attend", 2, 1), *[(k, 0, 0) for k, _p, _c in EXPECTED["P4"][2:]]]
TOTALS = {"P1": 20, "P2": 20, "P3": 18, "P4": 8, "P5": 12}


@dataclass
class Seeded:
    """Ids of what :func:`seed_points` created."""

    city: int
    unit: int
    branch: int
    other: int
    secretary: int
    admin: int
    meetings: list[int]


def _at(day: str, hour: int = 15) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00").replace(tzinfo=TZ).astimezone(UTC)


async def seed_points(session: AsyncSession) -> Seeded:
    """City → unit → branch PB1 (secretary P1, members P2 … P4) and branch PB2 (member Q1); an admin of the unit."""
    city = Organisation(code="PCITY", name="市直机关工委", kind="working_committee")
    session.add(city)
    await session.flush()
    unit = Organisation(code="PU1", name="市测试局机关党委", kind="unit_committee", parent_id=city.id)
    session.add(unit)
    await session.flush()
    branch = Organisation(code="PB1", name="测试第一支部", kind="branch", parent_id=unit.id)
    other = Organisation(code="PB2", name="测试第二支部", kind="branch", parent_id=unit.id)
    session.add_all([branch, other])
    await session.flush()
    people = [
        Member(member_no="P1", name="书记甲", org_id=branch.id, role="secretary", telegram_id=9001),
        Member(member_no="P2", name="党员乙", org_id=branch.id, telegram_id=9002),
        Member(member_no="P3", name="党员丙", org_id=branch.id, telegram_id=9003),
        Member(member_no="P4", name="党员丁", org_id=branch.id),
        Member(member_no="Q1", name="外支部", org_id=other.id),
        Member(member_no="PADM", name="管理员", org_id=unit.id, role="admin", telegram_id=9009),
    ]
    session.add_all(people)
    await session.flush()
    s, m1, m2, m3, _q1, adm = people

    async def meeting(kind: str, day: str, statuses: dict[int, str], status: str = "closed", **kw: object) -> Meeting:
        row = Meeting(org_id=branch.id, kind=kind, starts_at=_at(day), ends_at=_at(day, 17), status=status, **kw)
        session.add(row)
        await session.flush()
        session.add_all(Attendance(meeting_id=row.id, member_id=m, status=st) for m, st in statuses.items())
        return row

    m_1 = await meeting(
        "general_meeting", "2025-03-10", {s.id: "present", m1.id: "present", m2.id: "late", m3.id: "absent"}
    )
    m_2 = await meeting(
        "theme_day",
        "2025-04-15",
        {s.id: "present", m1.id: "on_leave", m2.id: "present", m3.id: "absent"},
        tags=["political_birthdays"],
    )
    m_3 = await meeting(
        "party_lesson", "2025-05-20", {s.id: "present", m1.id: "present", m2.id: "present", m3.id: "present"}
    )
    m_4 = await meeting("committee_meeting", "2025-06-05", {s.id: "present"})
    # Not counted: still scheduled, and a meeting of the year before.
    await meeting("general_meeting", "2025-07-01", {s.id: "present", m1.id: "present"}, status="scheduled")
    await meeting("general_meeting", "2024-12-20", {s.id: "present", m1.id: "present"})
    materials = [StudyMaterial(owner_org_id=unit.id, title=f"学习材料{i}") for i in range(3)]
    session.add_all(materials)
    await session.flush()
    session.add_all(
        [
            MaterialDispatch(material_id=materials[0].id, branch_id=branch.id, dispatched_at=_at("2025-05-01", 9)),
            MaterialDispatch(material_id=materials[1].id, branch_id=branch.id, dispatched_at=_at("2025-05-30", 9)),
            MaterialDispatch(material_id=materials[2].id, branch_id=branch.id, dispatched_at=_at("2025-09-01", 9)),
        ]
    )
    for held, material, leader in ((m_3, materials[0], m1), (m_4, materials[1], s)):
        item = FirstAgendaItem(meeting_id=held.id, form="conveying", led_by_id=leader.id, led_by_name=leader.name)
        session.add(item)
        await session.flush()
        session.add(FirstAgendaMaterial(item_id=item.id, material_id=material.id))
    community = Community(name="测试社区", town="南城街道")
    session.add(community)
    await session.flush()
    activity = Activity(
        title="社区清洁",
        community_id=community.id,
        radius_m=300,
        starts_at=_at("2025-08-02", 9),
        ends_at=_at("2025-08-02", 12),
        slots=10,
        taken=2,
    )
    session.add(activity)
    await session.flush()
    session.add_all(
        [
            SignUp(activity_id=activity.id, member_id=m1.id, status="confirmed", minutes=150, outside_minutes=150),
            SignUp(activity_id=activity.id, member_id=m2.id, status="confirmed", minutes=59, outside_minutes=59),
            ServiceReport(
                member_id=m1.id,
                org_id=branch.id,
                service_date=date(2025, 10, 1),
                minutes=200,
                outside_minutes=200,
                description="敬老院服务",
                status="approved",
            ),
            ServiceReport(
                member_id=m3.id,
                org_id=branch.id,
                service_date=date(2025, 10, 1),
                minutes=600,
                outside_minutes=600,
                description="待审核",
                status="pending",
            ),
            CommunityRegistration(
                member_id=m2.id, community_id=community.id, registered_on=date(2024, 6, 1), current_member_id=m2.id
            ),
        ]
    )
    # P5 transferred from PB2 to PB1 on 1 May 2025: only PB1's meetings from then count for PB1, and PB2 counts
    # them (base only) for January to April. Their March attendance row in PB1 is outside their time there.
    p5 = Member(member_no="P5", name="转入者", org_id=branch.id)
    session.add(p5)
    await session.flush()
    session.add_all(
        [
            Membership(
                member_id=p5.id,
                org_id=other.id,
                started_on=date(2024, 1, 1),
                ended_on=date(2025, 5, 1),
                reason="transfer",
            ),
            Membership(member_id=p5.id, org_id=branch.id, started_on=date(2025, 5, 1)),
            Attendance(meeting_id=m_1.id, member_id=p5.id, status="present"),
            Attendance(meeting_id=m_3.id, member_id=p5.id, status="present"),
        ]
    )
    await session.flush()
    return Seeded(city.id, unit.id, branch.id, other.id, s.id, adm.id, [m_1.id, m_2.id, m_3.id, m_4.id])
