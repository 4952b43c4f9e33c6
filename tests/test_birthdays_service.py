"""Political birthdays, the rules: anniversaries (29 February), years, first year, bad join dates, who sees what."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from bot.db import Database
from bot.demo import DemoIds
from bot.errors import InvalidInput, NotFound, PermissionDenied
from bot.services import birthdays
from bot.services.access import Actor
from storage.birthdays import BirthdayPreference, BirthdayWish
from storage.models import AuditEntry, Member

TODAY = date(2026, 11, 26)


async def actor(db: Database, member_id: int) -> Actor:
    async with db.session() as session:
        member = await session.get(Member, member_id)
        assert member is not None
        return Actor.of(member, "zh_CN")


async def set_join_date(db: Database, member_no: str, value: date | None) -> int:
    async with db.session() as session:
        member = await session.scalar(select(Member).where(Member.member_no == member_no))
        assert member is not None
        member.join_date = value
        return member.id


def test_anniversary_years_and_join_date_problems() -> None:
    assert birthdays.political_birthday(date(2008, 2, 29), 2027) == date(2027, 2, 28)
    assert birthdays.political_birthday(date(2008, 2, 29), 2028) == date(2028, 2, 29)
    assert birthdays.political_birthday(date(2014, 11, 26), 2026) == date(2026, 11, 26)
    assert birthdays.years_in(date(2014, 11, 26), 2026) == 12
    assert birthdays.join_date_problem(None, TODAY) is birthdays.DateProblem.MISSING
    assert birthdays.join_date_problem(date(2026, 11, 27), TODAY) is birthdays.DateProblem.FUTURE
    assert birthdays.join_date_problem(date(1921, 6, 30), TODAY) is birthdays.DateProblem.BEFORE_FOUNDING
    assert birthdays.join_date_problem(date(1921, 7, 1), TODAY) is None
    assert birthdays.join_date_problem(TODAY, TODAY) is None


async def test_birthdays_on_a_day_with_years(db: Database, demo: DemoIds) -> None:
    async with db.session() as session:
        found = await birthdays.birthdays_on(session, TODAY)
    assert [(b.name, b.years, b.day) for b in found] == [("吴强", 10, TODAY), ("张伟", 12, TODAY)]
    assert all(b.reachable and b.greetings_on for b in found)


async def test_29_february_falls_on_28_february_in_common_years(db: Database, demo: DemoIds) -> None:
    async with db.session() as session:
        common = await birthdays.birthdays_on(session, date(2027, 2, 28), today=TODAY)
        leap_28 = await birthdays.birthdays_on(session, date(2028, 2, 28), today=TODAY)
        leap_29 = await birthdays.birthdays_on(session, date(2028, 2, 29), today=TODAY)
        february = await birthdays.birthdays_in_month(session, 2027, 2, today=TODAY)
    assert [(b.name, b.years) for b in common] == [("刘洋", 19)]
    assert leap_28 == []
    assert [(b.name, b.years) for b in leap_29] == [("刘洋", 20)]
    assert [(b.name, b.day) for b in february] == [("刘洋", date(2027, 2, 28))]


async def test_first_year_members_have_no_anniversary(db: Database, demo: DemoIds) -> None:
    await set_join_date(db, "A05", TODAY)  # joined today
    await set_join_date(db, "B02", date(2025, 11, 26))  # one year ago today
    async with db.session() as session:
        found = await birthdays.birthdays_on(session, TODAY)
        march = await birthdays.birthdays_in_month(session, 2026, 3, today=TODAY)
    assert [(b.name, b.years) for b in found] == [("吴强", 10), ("周敏", 1), ("张伟", 12)]
    assert march == []  # 杨帆 joined 2026-03-15: her first political birthday is in 2027


async def test_bad_join_dates_are_data_to_fix_and_never_birthdays(db: Database, demo: DemoIds) -> None:
    await set_join_date(db, "A03", date(2030, 11, 26))  # in the future
    await set_join_date(db, "B03", date(1900, 11, 26))  # before the Party was founded
    async with db.session() as session:
        found = await birthdays.birthdays_on(session, TODAY)
        issues = await birthdays.data_issues(session, today=TODAY)
    assert found == []
    described = {i.name: i.describe("zh_CN") for i in issues}
    assert described == {
        "张伟": "入党日期2030年11月26日是将来的日期",
        "吴强": "入党日期1900年11月26日早于建党日期（1921年7月1日）",
        "赵磊": "未录入入党日期",
    }
    assert {i.name: i.describe("en") for i in issues}["赵磊"] == "no join date is recorded"


async def test_my_birthday_today_next_and_missing(db: Database, demo: DemoIds) -> None:
    async with db.session() as session:
        mine = await birthdays.my_birthday(session, await actor(db, demo.members_a[2]), TODAY)
    assert (mine.is_today, mine.day, mine.years, mine.greetings_on) == (True, TODAY, 12, True)
    async with db.session() as session:
        mine = await birthdays.my_birthday(session, await actor(db, demo.members_a[3]), TODAY)
    assert (mine.is_today, mine.day, mine.years) == (False, date(2027, 2, 28), 19)
    await set_join_date(db, "A05", TODAY)
    async with db.session() as session:
        mine = await birthdays.my_birthday(session, await actor(db, demo.members_a[4]), TODAY)
    assert (mine.day, mine.years) == (date(2027, 11, 26), 1)  # joined today: the first one is next year
    await set_join_date(db, "A05", None)
    async with db.session() as session:
        mine = await birthdays.my_birthday(session, await actor(db, demo.members_a[4]), TODAY)
    assert (mine.problem, mine.day, mine.years) == (birthdays.DateProblem.MISSING, None, None)


async def test_a_member_turns_the_greeting_off_and_on_audited_once(db: Database, demo: DemoIds) -> None:
    member = await actor(db, demo.members_a[2])
    async with db.session() as session:
        assert await birthdays.set_greetings(session, member, False) is False
    async with db.session() as session:
        await birthdays.set_greetings(session, member, False)  # again: no change, no second audit entry
        found = await birthdays.birthdays_on(session, TODAY)
    assert {b.name: b.greetings_on for b in found} == {"吴强": True, "张伟": False}
    async with db.session() as session:
        await birthdays.set_greetings(session, member, True)
    async with db.session() as session:
        preference = await session.get(BirthdayPreference, member.member_id)
        actions = (await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id))).all()
    assert preference is not None and preference.greetings_enabled
    assert actions == ["birthday_greetings_off", "birthday_greetings_on"]


async def test_branch_lists_are_for_leaders_of_that_branch_and_admins_above(db: Database, demo: DemoIds) -> None:
    async with db.session() as session:
        data = await birthdays.branch_month(session, await actor(db, demo.secretary_a), demo.branch_a, 2026, 11, TODAY)
        assert [(b.name, b.years) for b in data.entries] == [("张伟", 12)]
        assert [(i.name, i.problem) for i in data.issues] == [("赵磊", birthdays.DateProblem.MISSING)]
        delegated = await birthdays.branch_month(
            session, await actor(db, demo.committee_a), demo.branch_a, 2026, 12, TODAY
        )
        assert [b.name for b in delegated.entries] == ["陈静"]
        admin = await birthdays.branch_month(session, await actor(db, demo.admin), demo.branch_b, 2026, 11, TODAY)
        assert [b.name for b in admin.entries] == ["吴强"]
        with pytest.raises(PermissionDenied):
            await birthdays.branch_month(session, await actor(db, demo.members_a[2]), demo.branch_a, 2026, 11, TODAY)
        with pytest.raises(PermissionDenied):
            await birthdays.branch_month(session, await actor(db, demo.secretary_b), demo.branch_a, 2026, 11, TODAY)
        with pytest.raises(NotFound):
            await birthdays.branch_month(session, await actor(db, demo.secretary_a), 999_999, 2026, 11, TODAY)


async def test_unreachable_members_are_flagged_in_the_list(db: Database, demo: DemoIds) -> None:
    async with db.session() as session:
        member = await session.get(Member, demo.members_a[2])
        assert member is not None
        member.telegram_id = None
        data = await birthdays.branch_month(session, await actor(db, demo.secretary_a), demo.branch_a, 2026, 11, TODAY)
    assert [b.name for b in data.not_reachable] == ["张伟"]
    text = birthdays.render_month(data, "zh_CN")
    assert "张伟 · 2014年11月26日入党 · 第12周年 — 未使用 Telegram，请当面祝福" in text
    assert "赵磊：未录入入党日期" in text


async def test_counts_only_for_administrators(db: Database, demo: DemoIds) -> None:
    async with db.session() as session:
        counts = await birthdays.subtree_counts(session, await actor(db, demo.admin), 2026, 11, TODAY)
        with pytest.raises(PermissionDenied):
            await birthdays.subtree_counts(session, await actor(db, demo.secretary_a), 2026, 11, TODAY)
    assert [(c.name, c.birthdays, c.not_reachable, c.data_to_fix) for c in counts] == [
        ("第一党支部", 1, 0, 1),
        ("第二党支部", 1, 0, 0),
    ]
    text = birthdays.render_counts(counts, 2026, 11, "en")
    assert "第一党支部: 1 political birthday" in text and "In all: 2 political birthdays." in text


async def test_branch_wish_set_reset_validated_and_audited(db: Database, demo: DemoIds) -> None:
    secretary = await actor(db, demo.secretary_a)
    async with db.session() as session:
        assert await birthdays.set_wish(session, secretary, demo.branch_a, "  愿你\n初心如磐  ") == "愿你 初心如磐"
    async with db.session() as session:
        assert await birthdays.branch_wish(session, demo.branch_a) == "愿你 初心如磐"
        with pytest.raises(InvalidInput):
            await birthdays.set_wish(session, secretary, demo.branch_a, "长" * 301)
        with pytest.raises(PermissionDenied):
            await birthdays.set_wish(session, await actor(db, demo.members_a[2]), demo.branch_a, "x")
        with pytest.raises(PermissionDenied):
            await birthdays.set_wish(session, await actor(db, demo.secretary_b), demo.branch_a, "x")
    async with db.session() as session:
        await birthdays.set_wish(session, secretary, demo.branch_a, None)
    async with db.session() as session:
        assert await session.get(BirthdayWish, demo.branch_a) is None
        audited = (await session.scalars(select(AuditEntry.details).where(AuditEntry.action == "birthday_wish"))).all()
    assert audited == [{"text": "愿你 初心如磐"}, {"text": None}]


def test_parse_month() -> None:
    assert birthdays.parse_month(None, TODAY) == (2026, 11)
    assert birthdays.parse_month("2027-02", TODAY) == (2027, 2)
    assert birthdays.parse_month("2027/2", TODAY) == (2027, 2)
    assert birthdays.parse_month("2027年2月", TODAY) == (2027, 2)
    assert birthdays.parse_month("3", TODAY) == (2026, 3)
    for bad in ("2026-13", "13", "next", "1900-01", "2026-11-26"):
        with pytest.raises(InvalidInput):
            birthdays.parse_month(bad, TODAY)
