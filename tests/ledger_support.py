"""A year (2025) of branch life on the demo organisation, for the ledger tests: meetings with attendance and
the first agenda item, a dispatched material, volunteer service, a greeting, and a member transferred mid-year."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.demo import DemoIds
from storage.first_agenda import FirstAgendaItem, FirstAgendaMaterial, MaterialDispatch, StudyMaterial
from storage.meetings import Attendance, Meeting
from storage.membership import Membership
from storage.models import Member, OutboxMessage
from storage.volunteer import Activity, Community, ServiceReport, SignUp

SHANGHAI = timedelta(hours=8)
MATERIAL = "习近平总书记在中央政治局集体学习时的重要讲话"


def local(day: date, hour: int = 14, minute: int = 30) -> datetime:
    """A Shanghai wall-clock time as UTC."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC) - SHANGHAI


@dataclass
class Seeded:
    """Ids the tests look at."""

    general: int  # 2025-03-05 general meeting of branch A, closed, first agenda recorded
    theme: int
    committee: int
    scheduled: int
    cancelled: int
    b_theme: int
    members: dict[str, int]


async def seed_year(session: AsyncSession, ids: DemoIds) -> Seeded:
    """Add the year; returns the ids."""
    members = {m.member_no: m.id for m in (await session.scalars(select(Member))).all()}
    a, b = ids.branch_a, ids.branch_b

    def meeting(org: int, kind: str, day: date, status: str, **kw: object) -> Meeting:
        m = Meeting(
            org_id=org,
            kind=kind,
            starts_at=local(day),
            ends_at=local(day, 16, 0),
            status=status,
            created_by_id=members["A01"] if org == a else members["B01"],
            **kw,
        )
        session.add(m)
        return m

    general = meeting(
        a,
        "general_meeting",
        date(2025, 3, 5),
        "closed",
        place="三楼会议室",
        topic="学习贯彻全会精神",
        record="传达学习全会精神。\n讨论下一步工作。",
    )
    theme = meeting(
        a,
        "theme_day",
        date(2025, 3, 15),
        "closed",
        place="党员活动室",
        topic="重温入党誓词",
        tags=["constitution_study"],
    )
    committee = meeting(a, "committee_meeting", date(2025, 3, 20), "closed", topic="研究季度工作")
    scheduled = meeting(a, "theme_day", date(2025, 4, 10), "scheduled", topic="参观红色教育基地")
    cancelled = meeting(a, "theme_day", date(2025, 3, 25), "cancelled", topic="取消的会议")
    b_theme = meeting(b, "theme_day", date(2025, 3, 10), "closed", topic="第二支部主题党日")
    await session.flush()

    def att(m: Meeting, no: str, status: str, reason: str | None = None) -> None:
        session.add(Attendance(meeting_id=m.id, member_id=members[no], status=status, leave_reason=reason))

    for no, status, reason in [
        ("A01", "present", None),
        ("A02", "late", None),
        ("A03", "on_leave", "出差"),
        ("A04", "absent", None),
        ("A05", "present", None),
        ("A06", "absent", None),
        ("A07", "present", None),
    ]:
        att(general, no, status, reason)
    for no in ("A01", "A02", "A03", "A05", "A06", "A07"):  # A04 left for branch B on 10 March
        att(theme, no, "present")
    att(committee, "A01", "present")
    att(committee, "A02", "present")
    for no in ("A01", "A02", "A03", "A05", "A06", "A07"):
        att(scheduled, no, "attending")
    att(b_theme, "B01", "present")
    att(b_theme, "B02", "absent")
    att(b_theme, "A04", "present")

    material = StudyMaterial(owner_org_id=ids.unit, title=MATERIAL, source="新华社", issued_on=date(2025, 2, 28))
    session.add(material)
    await session.flush()
    session.add(MaterialDispatch(material_id=material.id, branch_id=a, dispatched_at=local(date(2025, 3, 1), 9, 0)))
    session.add(MaterialDispatch(material_id=material.id, branch_id=b, dispatched_at=local(date(2025, 3, 1), 9, 0)))
    item = FirstAgendaItem(meeting_id=general.id, form="conveying", led_by_name="王建国", recorded_by_id=members["A01"])
    session.add(item)
    await session.flush()
    session.add(FirstAgendaMaterial(item_id=item.id, material_id=material.id, position=1))

    community = Community(name="花园社区", town="东城街道")
    session.add(community)
    await session.flush()
    activity = Activity(
        title="社区环境整治",
        community_id=community.id,
        radius_m=300,
        starts_at=local(date(2025, 3, 8), 9, 0),
        ends_at=local(date(2025, 3, 8), 12, 0),
        slots=5,
        taken=1,
    )
    session.add(activity)
    await session.flush()
    session.add(
        SignUp(activity_id=activity.id, member_id=members["A03"], status="confirmed", minutes=180, outside_minutes=120)
    )
    session.add(
        ServiceReport(
            ref="r1",
            member_id=members["A05"],
            org_id=a,
            service_date=date(2025, 3, 12),
            minutes=60,
            outside_minutes=60,
            description="社区义诊",
            status="approved",
        )
    )
    session.add(
        OutboxMessage(
            dedup_key=f"birthday:{members['A03']}:2025",
            chat_id=100103,
            member_id=members["A03"],
            kind="greeting",
            payload={"text": "…"},
            status="sent",
            sent_at=local(date(2025, 11, 26), 9, 0),
        )
    )
    # 刘洋 (A04) transferred from branch A to branch B on 2025-03-10.
    a04 = await session.get(Member, members["A04"])
    assert a04 is not None
    a04.org_id = b
    session.add(
        Membership(
            member_id=a04.id, org_id=a, started_on=date(2008, 2, 29), ended_on=date(2025, 3, 10), reason="transfer"
        )
    )
    session.add(Membership(member_id=a04.id, org_id=b, started_on=date(2025, 3, 10)))
    await session.flush()
    return Seeded(general.id, theme.id, committee.id, scheduled.id, cancelled.id, b_theme.id, members)
