"""An administrator of many branches gets a summary, not a thousand lines (issue 16 item 3): /points lists the
branches with the lowest average, with a button each for that branch's table; /attendance the totals and the
lowest rates, the rest in the ledger. A few branches are listed in full (/points with their buttons too)."""

from __future__ import annotations

from datetime import timedelta

from bot.clock import now_utc
from bot.services.points.buttons import PointsBranch
from storage.meetings import Attendance, AttendanceStatus, Meeting, MeetingStatus
from storage.models import Member, Organisation, OrgKind
from tests.conftest import BotHarness

ADMIN = 100001  # 郑管理 (ADM1), the demo administrator
EXTRA = 18  # branches added to the demo's two: more than a summary lists


async def _many_branches(bot: BotHarness) -> dict[str, int]:
    """``EXTRA`` branches of three members under the demo's unit; branch k held one closed meeting this year
    (when this year has begun long enough) attended by k % 3 of its three members. {name: id}."""
    ids: dict[str, int] = {"第一党支部": bot.ids.branch_a, "第二党支部": bot.ids.branch_b}
    held = now_utc() - timedelta(hours=2)
    async with bot.db.session() as session:
        for k in range(EXTRA):
            branch = Organisation(
                code=f"X{k:02d}", name=f"测试第{k:02d}支部", kind=OrgKind.BRANCH, parent_id=bot.ids.unit
            )
            session.add(branch)
            await session.flush()
            ids[branch.name] = branch.id
            members = [Member(member_no=f"X{k:02d}-{n}", name=f"党员{k}-{n}", org_id=branch.id) for n in range(3)]
            session.add_all(members)
            meeting = Meeting(
                org_id=branch.id,
                kind="branch_meeting",
                starts_at=held,
                ends_at=held + timedelta(hours=1),
                status=MeetingStatus.CLOSED,
                closed_at=held + timedelta(hours=1),
            )
            session.add(meeting)
            await session.flush()
            session.add_all(
                Attendance(
                    meeting_id=meeting.id,
                    member_id=m.id,
                    status=AttendanceStatus.PRESENT if n < k % 3 else AttendanceStatus.ABSENT,
                )
                for n, m in enumerate(members)
            )
        await session.commit()
    return ids


async def test_points_of_many_branches_is_a_summary_with_a_button_per_branch(bot: BotHarness) -> None:
    ids = await _many_branches(bot)
    [summary] = await bot.say(ADMIN, "/points")
    assert f"{EXTRA + 2}个支部党员积分" in summary
    assert "平均分最低的15个支部：" in summary and "……另有5个支部。" in summary
    assert summary.count("• ") == 15 and "点击支部查看其党员积分。" in summary
    buttons = bot.request.calls[-1].buttons
    assert len(buttons) == 15
    assert all(data == PointsBranch(branch=ids[label]).pack() for label, data in buttons)
    label, data = buttons[0]
    [table] = await bot.press(ADMIN, data)
    assert f"{label}党员积分" in table and "党员" in table
    # The button carries a branch id; whoever presses it, the service checks their reach.
    refused = await bot.press("A03", data)
    assert refused == ["只有支部书记（或受委托的支部委员）才能进行此操作。"]
    # A button for a branch that is gone says so.
    assert await bot.press(ADMIN, PointsBranch(branch=999_999).pack()) == ["没有代码或编号为“999999”的组织。"]


async def test_attendance_of_many_branches_is_a_summary(bot: BotHarness) -> None:
    await _many_branches(bot)
    [summary] = await bot.say(ADMIN, "/attendance year")
    assert f"{EXTRA + 2}个支部出勤情况" in summary
    lines = [line for line in summary.splitlines() if line.startswith("• ")]
    assert len(lines) == 15
    assert lines[0].startswith("• 测试第00支部：1次会议，应到3人次，实到0人次（0%）")  # the lowest first
    rates = [line.rsplit("（", 1)[1] for line in lines]  # six branches at 0 %, six at 33 %, six at 67 %
    assert rates == ["0%）"] * 6 + ["33%）"] * 6 + ["67%）"] * 3  # the lowest first; the best left for the ledger
    assert "……另有3个支部。" in summary
    assert "/ledger" in summary
    assert "党员0-0" not in summary  # branch totals only, no member's name


async def test_a_few_branches_are_listed_in_full_with_their_buttons(bot: BotHarness) -> None:
    [points] = await bot.say(ADMIN, "/points")
    assert "2个支部党员积分" in points and "第一党支部：" in points and "第二党支部：" in points
    assert "最低" not in points and "另有" not in points
    assert bot.request.calls[-1].buttons == [
        ("第一党支部", PointsBranch(branch=bot.ids.branch_a).pack()),
        ("第二党支部", PointsBranch(branch=bot.ids.branch_b).pack()),
    ]


async def test_volunteer_service_of_many_branches_is_a_summary(bot: BotHarness) -> None:
    await _many_branches(bot)
    [summary, *_] = await bot.say(ADMIN, "/service year")
    assert "参与服务党员比例最低的15个支部：" in summary and "……另有5个支部。" in summary
    assert len([line for line in summary.splitlines() if line.startswith("· ")]) == 15
    assert "/ledger" in summary


async def test_first_agenda_of_many_branches_is_a_summary(bot: BotHarness) -> None:
    await _many_branches(bot)
    [summary, *_] = await bot.say(ADMIN, "/firstagenda")
    assert f"{EXTRA + 2}个支部中排名最后的15个（由低到高）：" in summary
    ranks = [line.split(".", 1)[0] for line in summary.splitlines() if line[:1].isdigit() and ". <b>" in line]
    assert ranks == [str(rank) for rank in range(EXTRA + 2, EXTRA + 2 - 15, -1)]  # the lowest first
    assert "/ledger" in summary
