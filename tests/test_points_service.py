"""Member points and branch stars from a branch with known events, against hand totals (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from bot.db import Database
from bot.environment import ServiceEnv
from bot.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from bot.services.access import Actor
from bot.services.points import service, star_steps
from bot.services.points.rules import parse_rules
from bot.services.points.stars import ratings
from bot.services.points.versions import apply_rules, rules_in_force
from storage.models import AuditEntry, Member, Organisation, OutboxMessage, Role
from storage.points import PointEntry, StarStatus
from tests.points_helpers import EXPECTED, TEST_RULES, TODAY, TOTALS, TZ, seed_points

YEAR = (date(2025, 1, 1), date(2025, 12, 31))


def _items(result: service.MemberPoints) -> list[tuple[str, float, int]]:
    return [(i["key"], i["points"], i["count"]) for i in result.as_json()["items"]]


async def _actor(db: Database, member_no: str) -> Actor:
    async with db.session() as session:
        member = await session.scalar(select(Member).where(Member.member_no == member_no))
        assert member is not None
        return Actor.of(member, "zh_CN")


async def test_every_member_matches_the_hand_totals(any_db: Database) -> None:
    async with any_db.session() as session:
        ids = await seed_points(session)
        await apply_rules(session, None, "PCITY", TEST_RULES)  # the city's rules, inherited by the branch
    async with any_db.session() as session:
        results = await service.report(session, None, "PB1", *YEAR, TZ)
    assert {r.member_no: _items(r) for r in results} == EXPECTED
    assert {r.member_no: r.as_json()["points"] for r in results} == TOTALS
    for result in results:  # points is the sum of the items, the base among them
        data = result.as_json()
        assert data["points"] == sum(i["points"] for i in data["items"])
        assert set(data) == {"member", "name", "branch", "points", "items"}
        assert data["branch"] == "测试第一支部"
    async with any_db.session() as session:
        other = {r.member_no: _items(r) for r in await service.report(session, None, "PB2", *YEAR, TZ)}
        rif = await rules_in_force(session, ids.branch)
    # P5 belonged to PB2 from January to April: the base there, nothing else (PB2 held no meetings).
    nothing = [("base", 10, 1), *[(k, 0, 0) for k, _p, _c in EXPECTED["P4"][1:]]]
    assert other == {"Q1": nothing, "P5": nothing}
    assert (rif.version, rif.owner_name, rif.example) == (1, "市直机关工委", False)


async def test_each_point_is_traceable_to_its_event(any_db: Database) -> None:
    async with any_db.session() as session:
        ids = await seed_points(session)
        await apply_rules(session, None, "PCITY", TEST_RULES)
    async with any_db.session() as session:
        m1 = await service.find_member(session, "P2")
        detail = await service.member_detail(session, None, m1, *YEAR, TZ, "zh_CN")
    refs = {key: [e.ref for e in events] for key, events in detail.events.items() if events}
    assert refs["attend"] == [f"meeting:{ids.meetings[0]}", f"meeting:{ids.meetings[2]}"]
    assert refs["led"] == [f"meeting:{ids.meetings[2]}"]
    assert [(e.ref.split(":")[0], e.minutes) for e in detail.events["volunteer"]] == [
        ("activity", 150),
        ("report", 200),
    ]
    for item in detail.result.items:  # an item's events number its count
        if item.key in detail.events:
            assert len(detail.events[item.key]) == item.count


async def test_manual_items_and_corrections_with_caps_and_audit(any_db: Database) -> None:
    async with any_db.session() as session:
        await seed_points(session)
        await apply_rules(session, None, "PCITY", TEST_RULES)
    secretary = await _actor(any_db, "P1")
    async with any_db.session() as session:
        await service.add_entry(
            session, secretary, "P4", "praise", "5", "带头抗洪", today=TODAY, on_date=date(2025, 8, 1)
        )
        await service.add_entry(
            session, secretary, "P4", "praise", "4", "结对帮扶", today=TODAY, on_date=date(2025, 9, 1)
        )
        await service.add_entry(
            session,
            secretary,
            "P3",
            "late",
            "1",
            "签到设备故障，实为准时",
            today=TODAY,
            ref="3月10日党员大会",
            on_date=date(2025, 3, 10),
        )
    async with any_db.session() as session:
        results = {r.member_no: r for r in await service.report(session, None, "PB1", *YEAR, TZ)}
        audit = (await session.scalars(select(AuditEntry).where(AuditEntry.action.like("points.%")))).all()
    # Praise 5 + 4 = 9, capped at 8; the late check-in's -1 is corrected to 0.
    assert ("praise", 8, 2) in _items(results["P4"]) and results["P4"].as_json()["points"] == 16
    assert ("late", 0, 1) in _items(results["P3"]) and results["P3"].as_json()["points"] == 19
    assert sorted(a.action for a in audit) == [
        "points.correction",
        "points.manual",
        "points.manual",
        "points.rules_applied",
    ]
    assert {a.actor_label for a in audit if a.action != "points.rules_applied"} == {f"member:{secretary.member_id}"}


@pytest.mark.parametrize(
    ("member", "key", "points", "reason", "error"),
    [
        ("P4", "praise", "6", "太多", InvalidInput),  # outside the rule's range 1 … 5
        ("P4", "praise", "0.5", "太少", InvalidInput),
        ("P4", "praise", "2", "  ", InvalidInput),  # no reason
        ("P4", "nothing", "2", "理由", InvalidInput),  # no such item
        ("P4", "praise", "abc", "理由", InvalidInput),
        ("Q1", "praise", "2", "理由", PermissionDenied),  # a member of another branch
    ],
)
async def test_bad_entries_are_refused_and_nothing_is_saved(
    db: Database, member: str, key: str, points: str, reason: str, error: type[Exception]
) -> None:
    async with db.session() as session:
        await seed_points(session)
        await apply_rules(session, None, "PCITY", TEST_RULES)
    secretary = await _actor(db, "P1")
    with pytest.raises(error):
        async with db.session() as session:
            await service.add_entry(session, secretary, member, key, points, reason, today=TODAY)
    async with db.session() as session:
        assert (await session.scalars(select(PointEntry))).all() == []


async def test_a_rules_change_recomputes_but_published_results_stay(any_db: Database) -> None:
    async with any_db.session() as session:
        await seed_points(session)
        with pytest.raises(Conflict):  # the shipped example cannot be published
            await service.publish_points(session, None, "PU1", 2025, TODAY, TZ)
        await apply_rules(session, None, "PCITY", TEST_RULES)
        with pytest.raises(InvalidInput):  # 2026 is not over
            await service.publish_points(session, None, "PU1", 2026, TODAY, TZ)
        assert await service.publish_points(session, None, "PU1", 2025, TODAY, TZ) == 2
    # Version 2 of the city's rules: attending is worth 1, without a cap.
    changed = TEST_RULES.replace("points = 2\ncap = 6", "points = 1", 1)
    async with any_db.session() as session:
        await apply_rules(session, None, "PCITY", changed)
        live = {
            r.member_no: r.as_json()["points"]
            for r in await service.report(session, None, "PB1", date(2025, 1, 1), date(2025, 12, 30), TZ)
        }
        published = {r.member_no: r.as_json()["points"] for r in await service.report(session, None, "PB1", *YEAR, TZ)}
        with pytest.raises(Conflict):  # a published year takes no more entries
            await service.add_entry(
                session, None, "P4", "praise", "2", "迟到的表扬", today=TODAY, on_date=date(2025, 5, 1)
            )
    assert published == TOTALS
    # S attended 4: 4 instead of 6 → 18; M1 attended 2: gained 2+3+5 = 10, under the cap now → 20.
    assert live == {"P1": 18, "P2": 20, "P3": 15, "P4": 7, "P5": 11}


async def test_branch_stars_against_hand_totals_and_the_steps(any_db: Database) -> None:
    async with any_db.session() as session:
        ids = await seed_points(session)
        await apply_rules(session, None, "PU1", TEST_RULES)  # the unit's own rules
    secretary, admin = await _actor(any_db, "P1"), await _actor(any_db, "PADM")
    async with any_db.session() as session:
        await star_steps.self_assess(session, secretary, "innovation", "8", "开展“红色驿站”项目", 2025)
        await star_steps.add_photo(session, secretary, "innovation", "photo-file-1", 2025)
        with pytest.raises(InvalidInput):
            await star_steps.self_assess(session, secretary, "innovation", "11", "超过满分", 2025)
        with pytest.raises(InvalidInput):
            await star_steps.self_assess(session, secretary, "meetings", "40", "计算项不能自评", 2025)
        stars = await star_steps.submit(session, secretary, 2025, TODAY, env=ServiceEnv(tz=TZ))
    # meetings: 4 held of 34 required → 40 × 4/34 = 4.7; attendance 11 of 13 (P5's March row is before they
    # belonged) → 16.9; first agenda 2 of 3 → 6.7; median lag (19, 6) = 12.5 days between 7 and 17 → 4.5;
    # service 2 of 5 members → 4; innovation 8.
    assert stars.as_json() == {
        "branch": "测试第一支部",
        "branch_id": ids.branch,
        "score": 44.8,
        "stars": 2,
        "criteria": [
            {"key": "meetings", "score": 4.7, "max": 40, "source": "meetings_held"},
            {"key": "attendance", "score": 16.9, "max": 20, "source": "attendance_rate"},
            {"key": "fa", "score": 6.7, "max": 10, "source": "first_agenda_rate"},
            {"key": "lag", "score": 4.5, "max": 10, "source": "first_agenda_lag"},
            {"key": "members", "score": 4, "max": 10, "source": "volunteer_share"},
            {"key": "innovation", "score": 8, "max": 10, "source": "manual"},
        ],
        "status": "submitted",
    }
    assert stars.criteria[-1].photos == ["photo-file-1"]
    async with any_db.session() as session:
        with pytest.raises(InvalidInput):  # no reason
            await star_steps.adjust(session, admin, ids.branch, "innovation", "10", "", 2025, env=ServiceEnv(tz=TZ))
        await star_steps.adjust(
            session, admin, ids.branch, "innovation", "10", "经核实为市级创新案例", 2025, env=ServiceEnv(tz=TZ)
        )
        announced = await star_steps.announce(session, admin, ids.branch, 2025, TODAY, env=ServiceEnv(tz=TZ))
    assert (announced.score, announced.stars, announced.notice_ends_on) == (468, 2, date(2026, 1, 19))
    async with any_db.session() as session:
        with pytest.raises(Conflict):  # the notice period runs
            await star_steps.publish(session, admin, ids.branch, 2025, date(2026, 1, 16), env=ServiceEnv(tz=TZ))
        await star_steps.object_to(
            session, secretary, "志愿服务比例统计有误", 2025, date(2026, 1, 14), env=ServiceEnv(tz=TZ)
        )
        with pytest.raises(InvalidInput):  # an objection needs an answer
            await star_steps.publish(session, admin, ids.branch, 2025, date(2026, 1, 20), env=ServiceEnv(tz=TZ))
        await star_steps.publish(
            session, admin, ids.branch, 2025, date(2026, 1, 20), answer="经复核，统计无误", env=ServiceEnv(tz=TZ)
        )
    async with any_db.session() as session:
        # A later rules change does not touch the published rating.
        changed = TEST_RULES.replace("weight = 40", "weight = 30").replace(
            'source = "manual"\nweight = 10', 'source = "manual"\nweight = 20'
        )
        await apply_rules(session, None, "PU1", changed)
        branch = await session.get(Organisation, ids.branch)
        assert branch is not None
        (published,) = await ratings(session, [branch], 2025, date(2026, 2, 1), TZ)
        sent = (
            await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "stars").order_by(OutboxMessage.id))
        ).all()
    assert (published.as_json()["score"], published.stars, published.status) == (46.8, 2, StarStatus.PUBLISHED)
    # The admin hears of the submission and the objection; the secretary of the change, the notice, the result.
    assert [m.chat_id for m in sent] == [9009, 9001, 9001, 9009, 9001]
    texts = [m.payload["text"] for m in sent]
    assert "经核实为市级创新案例" in texts[1]
    assert "46.8" in texts[2] and "1月19日（周一）" in texts[2]
    assert "志愿服务比例统计有误" in texts[3]


async def test_bands_with_a_required_criterion() -> None:
    rules = parse_rules(TEST_RULES)
    assert rules.stars_for(950, {"innovation": 0}) == 4  # ≥ 90 without an innovation item: four stars
    assert rules.stars_for(950, {"innovation": 50}) == 5
    assert rules.stars_for(1000, {"innovation": 100}) == 5
    assert rules.stars_for(750, {}) == 4
    assert rules.stars_for(599, {}) == 2
    assert rules.stars_for(0, {}) == 1


async def test_a_secretary_reaches_only_their_branch(db: Database) -> None:
    async with db.session() as session:
        ids = await seed_points(session)
        member = Member(member_no="P9", name="普通党员", org_id=ids.branch, role=Role.MEMBER)
        session.add(member)
    secretary, plain = await _actor(db, "P1"), await _actor(db, "P9")
    async with db.session() as session:
        assert await service.branch_ids_for(session, secretary, None) == [ids.branch]
        with pytest.raises(PermissionDenied):
            await service.branch_ids_for(session, plain, None)
        with pytest.raises(PermissionDenied):
            await star_steps.adjust(
                session, secretary, ids.branch, "innovation", "5", "自己调", 2025, env=ServiceEnv(tz=TZ)
            )


async def test_the_events_read_in_one_statement_are_those_of_the_four_queries(any_db: Database) -> None:
    """storage.points.events reads the entries, led studies, service and registrations in one statement: the same
    rows as the four statements it replaced (which stars still use), on the seeded branches and a whole year."""
    from storage import points as store
    from storage.points.events import point_events

    async with any_db.session() as session:
        ids = await seed_points(session)
        correction = PointEntry(
            member_id=ids.secretary,
            branch_id=ids.branch,
            rule_key="led",
            kind="correction",
            points=-5,
            reason="test",
            on_date=date(2025, 3, 2),
        )
        session.add(correction)
    orgs, start, end = [ids.branch, ids.other], *YEAR
    async with any_db.session() as session:
        together = await point_events(session, orgs, start, end, TZ, led=True, service=True, communities=True)
        led = await store.led_events(session, orgs, start, end, TZ)
        service_rows = await store.service_events(session, orgs, start, end, TZ)
        communities = await store.community_spells(session, orgs, start, end)
        entries = await store.entry_rows(session, orgs, start, end)
        only_entries = await point_events(session, orgs, start, end, TZ, led=False, service=False, communities=False)
    assert led and service_rows and communities and entries  # the seeded branch has each kind
    assert sorted(together.led) == sorted(led)
    assert sorted(together.service) == sorted(service_rows)
    assert sorted(together.communities) == sorted(communities)
    assert sorted(together.entries) == sorted(entries)
    assert all(isinstance(day, date) for _m, _o, _k, day, _p in together.entries)
    assert (only_entries.entries, only_entries.led, only_entries.service, only_entries.communities) == (
        together.entries,
        [],
        [],
        [],
    )


async def test_one_branch_is_counted_in_one_statement_with_the_rows_of_the_three_queries(any_db: Database) -> None:
    """A few branches' members, attendance counts and events come in one statement (storage.points.events.
    branch_counts): the same rows as span_list, whole_counts and point_events, with and without attendance rules;
    and a secretary's points report of their branch runs two statements (the branch named with its chain of units
    and their newest rules, that one), here over months without a transfer (a transfer adds the clipped counts)."""
    from sqlalchemy import event

    from bot.services.points.member_points import attendance_rules
    from storage import points as store
    from storage.points.counts import whole_counts
    from storage.points.events import branch_counts, point_events

    async with any_db.session() as session:
        ids = await seed_points(session)
        session.add(
            PointEntry(
                member_id=ids.secretary,
                branch_id=ids.branch,
                rule_key="led",
                kind="correction",
                points=-5,
                reason="test",
                on_date=date(2025, 3, 2),
            )
        )
        await apply_rules(session, None, "PCITY", TEST_RULES)
    counted = attendance_rules(parse_rules(TEST_RULES))
    orgs, start, end = [ids.branch, ids.other], *YEAR
    async with any_db.session() as session:
        for rules in (counted, []):
            together = await branch_counts(
                session, orgs, rules, start, end, TZ, led=True, service=True, communities=True
            )
            assert sorted(together.spans) == sorted(await store.span_list(session, orgs, start, end))
            whole = await whole_counts(session, orgs, rules, start, end, TZ) if rules else {}
            assert together.whole == whole and bool(whole) == bool(rules)
            events = await point_events(session, orgs, start, end, TZ, led=True, service=True, communities=True)
            assert [sorted(rows) for rows in together.events] == [sorted(rows) for rows in events]
            assert all(together.events) and together.spans
        assert whole == {} and len(together.whole) == 0
        # Rules counting no led studies, service or registrations: the entries, members and attendance only.
        fewer = await branch_counts(session, orgs, counted, start, end, TZ, led=False, service=False, communities=False)
        assert sorted(fewer.spans) == sorted(together.spans) and fewer.whole
        assert (fewer.events.led, fewer.events.service, fewer.events.communities) == ([], [], [])
        assert sorted(fewer.events.entries) == sorted(together.events.entries)
    secretary = await _actor(any_db, "P1")
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    event.listen(any_db.engine.sync_engine, "before_cursor_execute", count)
    try:
        async with any_db.session() as session:
            results = await service.report(session, secretary, "PB1", date(2025, 6, 1), date(2025, 12, 31), TZ)
    finally:
        event.remove(any_db.engine.sync_engine, "before_cursor_execute", count)
    assert len(statements) == 2, statements
    assert {r.member_no for r in results} == {"P1", "P2", "P3", "P4", "P5"}
    async with any_db.session() as session:  # the same as an administrator's report of that branch
        admin = await _actor(any_db, "PADM")
        theirs = await service.report(session, admin, "PB1", date(2025, 6, 1), date(2025, 12, 31), TZ)
    assert [r.as_json() for r in results] == [r.as_json() for r in theirs]


async def test_a_leader_naming_an_organisation_gets_their_branch_or_nothing(any_db: Database) -> None:
    """The leader's one-statement path keeps the rules of the general one: an unknown organisation is refused, one
    above their branch gives their branch, another branch gives nothing, and a code wins over an id."""
    async with any_db.session() as session:
        ids = await seed_points(session)
    secretary = await _actor(any_db, "P1")
    async with any_db.session() as session:
        with pytest.raises(NotFound):
            await service.report(session, secretary, "NO-SUCH-ORG", *YEAR, TZ)
        unit = await session.get(Organisation, ids.branch)
        assert unit is not None and unit.parent_id is not None
        above = await service.report(session, secretary, str(unit.parent_id), *YEAR, TZ)
        other = await service.report(session, secretary, "PB2", *YEAR, TZ)
        by_id = await service.report(session, secretary, str(ids.branch), *YEAR, TZ)
    assert {r.branch_id for r in above} == {ids.branch} and by_id and other == []
    async with any_db.session() as session:  # another organisation coded as the branch's id: the code wins
        branch_b = await session.scalar(select(Organisation).where(Organisation.code == "PB2"))
        assert branch_b is not None
        branch_b.code = str(ids.branch)
        await session.commit()
    async with any_db.session() as session:
        assert await service.report(session, secretary, str(ids.branch), *YEAR, TZ) == []
