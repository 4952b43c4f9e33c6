"""The first agenda item's rules: which meetings need it, the catalog, dispatch, recording, the closing check,
compliance and the nudge (services on SQLite; the dispatch race on PostgreSQL too)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
import time_machine
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from bot.db import Database
from bot.demo import DemoIds, seed_demo, telegram_id_of
from bot.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from bot.features import meeting_hooks as all_meeting_hooks
from bot.i18n import translator
from bot.services import first_agenda as fa
from bot.services.kinds_of_meeting import KINDS_BY_ID, FirstAgenda, HeldBy
from storage.first_agenda import (
    FirstAgendaItem,
    FirstAgendaMaterial,
    FirstAgendaNudge,
    MaterialDispatch,
    StudyMaterial,
)
from storage.models import AuditEntry, Member, Organisation, OrgKind, OutboxMessage
from tests.first_agenda_support import ENV, NOW, TODAY, TZ, actor, at, count, material, meeting

meeting_hooks = all_meeting_hooks()  # every feature's, as in the bot


@pytest.fixture(autouse=True)
def clock() -> Iterator[time_machine.Coordinates]:
    """Monday 15 June 2026, 10:00 in Shanghai, standing still."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


# --- which meetings need it ---------------------------------------------------------------------------------


def test_the_kinds_table_says_which_meetings_open_with_it() -> None:
    required = {k.id for k in KINDS_BY_ID.values() if k.first_agenda is FirstAgenda.REQUIRED}
    optional = {k.id for k in KINDS_BY_ID.values() if k.first_agenda is FirstAgenda.OPTIONAL}
    assert required == {
        "general_meeting",
        "committee_meeting",
        "group_meeting",
        "org_life_meeting",
        "leading_group_meeting",
        "study_group_session",
    }
    assert optional == {"party_lesson", "theme_day"}
    assert KINDS_BY_ID["democratic_appraisal"].first_agenda is FirstAgenda.NONE
    assert KINDS_BY_ID["leading_group_meeting"].name_zh == "党组（党委）会议"
    assert KINDS_BY_ID["study_group_session"].name_zh == "理论学习中心组学习"
    assert {k.id for k in KINDS_BY_ID.values() if k.held_by is HeldBy.UNIT} == {
        "leading_group_meeting",
        "study_group_session",
    }
    assert fa.needs_first_agenda("group_meeting") and not fa.needs_first_agenda("theme_day")
    assert fa.may_carry_first_agenda("theme_day") and not fa.may_carry_first_agenda("democratic_appraisal")


# --- the catalog -----------------------------------------------------------------------------------------------


async def test_administrator_adds_to_the_catalog_and_bad_input_changes_nothing(db: Database, demo: DemoIds) -> None:
    async with db.session() as session:
        admin = await actor(session, "ADM1")
        added = await material(session, admin)
        assert (added.owner_org_id, added.kind, added.source) == (demo.unit, "speech", "新华社")
    bad_cases = [
        (dict(issued_on=TODAY + timedelta(days=1)), InvalidInput, "日期2026-06-16晚于今天，请核对。"),
        (dict(issued_on=date(1900, 1, 1)), InvalidInput, "日期1900-01-01过早，请核对年份。"),
        (dict(source="  "), InvalidInput, "缺少发布来源（例如新华社、中央办公厅）。"),
        (dict(title=""), InvalidInput, "缺少标题。"),
        (dict(title="x" * 301), InvalidInput, "标题过长（最多300个字符）。"),
        (dict(url="javascript:alert(1)"), InvalidInput, "链接必须是以http://或https://开头的网址。"),
        (
            dict(title="习近平在中央政治局集体学习时的重要讲话"),
            Conflict,
            "材料库中已有同一日期的《习近平在中央政治局集体学习时的重要讲话》。",
        ),
    ]
    for change, error, text in bad_cases:
        values = dict(title="另一篇讲话", source="新华社", issued_on=date(2026, 5, 30), kind="speech", url=None)
        values.update(change)  # type: ignore[arg-type]
        with pytest.raises(error) as caught:
            async with db.session() as session:
                await fa.add_material(session, await actor(session, "ADM1"), env=ENV, **values)  # type: ignore[arg-type]
        assert caught.value.localized(translator("zh_CN")) == text
    with pytest.raises(PermissionDenied):
        async with db.session() as session:
            await material(session, await actor(session, "A03"), "党员不能添加")
    with pytest.raises(InvalidInput):
        fa.parse_material_kind("poem")
    assert fa.parse_material_kind("会议精神") == "meeting_spirit"
    async with db.session() as session:
        assert await count(session, StudyMaterial) == 1
        audit = (await session.scalars(select(AuditEntry).where(AuditEntry.action == "material.add"))).all()
        assert [(a.actor_id, a.entity_id) for a in audit] == [(demo.admin, str(added.id))]


async def test_a_secretary_keeps_materials_of_their_own_that_other_branches_do_not_see(
    db: Database, demo: DemoIds
) -> None:
    async with db.session() as session:
        own = await material(session, await actor(session, "B01"), "第二支部自选材料")
        assert own.owner_org_id == demo.branch_b
        with pytest.raises(PermissionDenied):
            await material(session, await actor(session, "B01"), "别人的", owner_org_id=demo.branch_a)
    with pytest.raises(NotFound):
        async with db.session() as session:
            await fa.get_material(session, await actor(session, "A01"), own.id)
    async with db.session() as session:
        assert (await fa.get_material(session, await actor(session, "ADM1"), own.id)).id == own.id
        a_meeting = await meeting(session, demo.branch_a)
    with pytest.raises(NotFound):
        async with db.session() as session:
            await fa.record_first_agenda(
                session, await actor(session, "A01"), a_meeting.id, material_ids=[own.id], form="conveying"
            )


async def test_a_branch_picks_from_dispatched_first_then_the_catalogs_above_it(
    db: Database, demo: DemoIds, clock: time_machine.Coordinates
) -> None:
    async with db.session() as session:
        admin = await actor(session, "ADM1")
        older = await material(session, admin, "早先下发的讲话", issued_on=date(2026, 4, 1))
        newer = await material(session, admin, "最新下发的讲话", issued_on=date(2026, 3, 1))
        catalog_only = await material(session, admin, "未下发的文章", issued_on=date(2026, 6, 1))
        own = await material(session, await actor(session, "A01"), "本支部自选")
        other = await material(session, await actor(session, "B01"), "第二支部自选")
        await fa.dispatch_material(session, admin, older.id, env=ENV)
    clock.shift(timedelta(hours=1))
    async with db.session() as session:
        await fa.dispatch_material(session, await actor(session, "ADM1"), newer.id, env=ENV)
        picked = await fa.materials_for_org(session, demo.branch_a)
    assert [m.material.id for m in picked] == [newer.id, older.id, catalog_only.id, own.id]
    assert other.id not in [m.material.id for m in picked]
    assert picked[0].dispatched_at is not None and picked[2].dispatched_at is None


# --- dispatch --------------------------------------------------------------------------------------------------


async def test_dispatch_tells_each_branch_secretary_once(db: Database, demo: DemoIds) -> None:
    async with db.session() as session:
        admin = await actor(session, "ADM1")
        speech = await material(session, admin)
        b01 = await session.get(Member, demo.secretary_b)
        assert b01 is not None
        b01.language = "en"
        result = await fa.dispatch_material(session, admin, speech.id, env=ENV)
    assert sorted(b.id for b in result.new) == sorted([demo.branch_a, demo.branch_b])
    assert result.notified == 2 and result.already == []
    async with db.session() as session:
        notices = (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.chat_id))).all()
    assert [(n.chat_id, n.dedup_key) for n in notices] == [
        (telegram_id_of("A01"), f"fa-dispatch:{speech.id}:{demo.branch_a}:{demo.secretary_a}"),
        (telegram_id_of("B01"), f"fa-dispatch:{speech.id}:{demo.branch_b}:{demo.secretary_b}"),
    ]
    assert "第一议题学习材料" in notices[0].payload["text"] and speech.title in notices[0].payload["text"]
    assert "第一党支部" in notices[0].payload["text"]
    assert "A study material for the first agenda item" in notices[1].payload["text"]
    assert notices[0].payload["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == f"fa-mat:{speech.id}"

    # Again: refused, and nobody is told twice.
    with pytest.raises(Conflict) as caught:
        async with db.session() as session:
            await fa.dispatch_material(session, await actor(session, "ADM1"), speech.id, env=ENV)
    assert caught.value.localized(translator("zh_CN")) == f"《{speech.title}》已下发至市民政局机关党委所属的全部支部。"

    # A branch created since gets it; the others are not told again. It has no secretary yet: no notice.
    async with db.session() as session:
        session.add(Organisation(code="DEMO-B3", name="第三党支部", kind=OrgKind.BRANCH, parent_id=demo.unit))
        await session.flush()
        again = await fa.dispatch_material(session, await actor(session, "ADM1"), speech.id, env=ENV)
    assert [b.name for b in again.new] == ["第三党支部"] and len(again.already) == 2 and again.notified == 0
    async with db.session() as session:
        assert await count(session, MaterialDispatch) == 3
        assert await count(session, OutboxMessage) == 2
        actions = (
            await session.scalars(select(AuditEntry.action).where(AuditEntry.action == "material.dispatch"))
        ).all()
        assert len(actions) == 2


async def test_only_an_administrator_of_the_subtree_dispatches(db: Database, demo: DemoIds) -> None:
    async with db.session() as session:
        speech = await material(session, await actor(session, "ADM1"))
    with pytest.raises(PermissionDenied):
        async with db.session() as session:
            await fa.dispatch_material(session, await actor(session, "A01"), speech.id, env=ENV)
    async with db.session() as session:
        # An administrator of a sibling unit sees neither the material nor the branches.
        other_unit = Organisation(
            code="U2", name="市财政局机关党委", kind=OrgKind.UNIT_COMMITTEE, parent_id=demo.committee
        )
        session.add(other_unit)
        await session.flush()
        session.add(Member(member_no="ADM2", name="钱管理", org_id=other_unit.id, role="admin", telegram_id=100002))
    with pytest.raises(NotFound):
        async with db.session() as session:
            await fa.dispatch_material(session, await actor(session, "ADM2"), speech.id, env=ENV)
    with pytest.raises(PermissionDenied):
        async with db.session() as session:
            await fa.dispatch_material(session, await actor(session, "ADM1"), speech.id, demo.committee, env=ENV)
    with pytest.raises(NotFound):
        async with db.session() as session:
            await fa.dispatch_material(session, await actor(session, "ADM1"), 9999, env=ENV)
    async with db.session() as session:
        assert await count(session, MaterialDispatch) == 0
        assert await count(session, OutboxMessage) == 0


async def test_two_administrators_dispatching_at_once_reach_each_branch_once(any_db: Database) -> None:
    async with any_db.session() as session:
        demo = await seed_demo(session)
        speech = await material(session, await actor(session, "ADM1"))

    async def dispatch() -> object:
        async with any_db.session() as session:
            return await fa.dispatch_material(session, await actor(session, "ADM1"), speech.id, env=ENV)

    outcomes = await asyncio.gather(dispatch(), dispatch(), dispatch(), return_exceptions=True)
    assert any(isinstance(o, fa.DispatchResult) for o in outcomes)
    # The others found every branch served (or, on SQLite, were turned away by the single writer lock).
    assert all(isinstance(o, fa.DispatchResult | Conflict | DBAPIError) for o in outcomes), outcomes
    async with any_db.session() as session:
        rows = (await session.scalars(select(MaterialDispatch.branch_id))).all()
        keys = (await session.scalars(select(OutboxMessage.dedup_key))).all()
    assert sorted(rows) == sorted([demo.branch_a, demo.branch_b])
    assert len(keys) == 2


# --- recording -------------------------------------------------------------------------------------------------


async def test_recording_the_first_agenda_item_and_recording_it_again(db: Database, demo: DemoIds) -> None:
    async with db.session() as session:
        speech = await material(session, await actor(session, "ADM1"))
        await fa.dispatch_material(session, await actor(session, "ADM1"), speech.id, env=ENV)
        held = await meeting(session, demo.branch_a, "committee_meeting")
    async with db.session() as session:
        view = await fa.record_first_agenda(
            session,
            await actor(session, "A02"),  # the committee member the secretary delegated to
            held.id,
            material_ids=[speech.id, speech.id],
            typed_titles=["《习近平谈治国理政》第四卷 第一章"],
            form="discussion",
            led_by_name="王建国",
            note="  结合本单位实际开展研讨  ",
        )
    assert [m.title for m in view.materials] == [speech.title, "《习近平谈治国理政》第四卷 第一章"]
    assert view.item.led_by_id == demo.secretary_a and view.item.note == "结合本单位实际开展研讨"
    async with db.session() as session:
        typed = await session.scalar(select(StudyMaterial).where(StudyMaterial.title.like("《习近平谈治国理政》%")))
        assert typed is not None and typed.owner_org_id == demo.branch_a and typed.issued_on is None
        # Recorded again (a correction): replaced, the typed title reused, not stored twice.
        view = await fa.record_first_agenda(
            session,
            await actor(session, "A01"),
            held.id,
            typed_titles=["《习近平谈治国理政》第四卷 第一章"],
            form="tutorial",
            led_by_name="市委党校 周教授",
        )
        assert view.item.led_by_id is None and view.item.led_by_name == "市委党校 周教授"
    async with db.session() as session:
        assert await count(session, FirstAgendaItem) == 1
        assert await count(session, FirstAgendaMaterial) == 1
        assert await count(session, StudyMaterial) == 2
        actions = (await session.scalars(select(AuditEntry.action).where(AuditEntry.entity == "meeting"))).all()
        assert actions == ["first_agenda.record", "first_agenda.update"]
        stored = await fa.first_agenda_of(session, held.id)
        assert stored is not None and stored.item.form == "tutorial"


async def test_recording_refusals_change_nothing(db: Database, demo: DemoIds) -> None:
    async with db.session() as session:
        speech = await material(session, await actor(session, "ADM1"))
        await fa.dispatch_material(session, await actor(session, "ADM1"), speech.id, env=ENV)
        a_meeting = await meeting(session, demo.branch_a)
        cancelled = await meeting(session, demo.branch_a, status="cancelled")
        closed = await meeting(session, demo.branch_a, status="closed")
        appraisal = await meeting(session, demo.branch_a, "democratic_appraisal")
        b_member = demo.members_b[1]
    cases = [
        ("B01", a_meeting.id, dict(material_ids=[speech.id]), PermissionDenied),  # another branch's meeting
        ("A03", a_meeting.id, dict(material_ids=[speech.id]), PermissionDenied),  # a member
        ("A01", 9999, dict(material_ids=[speech.id]), NotFound),
        ("A01", a_meeting.id, dict(material_ids=[9999]), NotFound),  # unknown material
        ("A01", a_meeting.id, dict(), InvalidInput),  # nothing studied
        ("A01", a_meeting.id, dict(material_ids=[speech.id], form="singing"), InvalidInput),
        ("A01", a_meeting.id, dict(material_ids=[speech.id], led_by_id=b_member), InvalidInput),
        ("A01", a_meeting.id, dict(material_ids=[speech.id], note="长" * 501), InvalidInput),
        ("A01", cancelled.id, dict(material_ids=[speech.id]), Conflict),
        ("A01", closed.id, dict(material_ids=[speech.id]), Conflict),
        ("A01", appraisal.id, dict(material_ids=[speech.id]), InvalidInput),
    ]
    for member_no, meeting_id, values, error in cases:
        with pytest.raises(error):
            async with db.session() as session:
                await fa.record_first_agenda(session, await actor(session, member_no), meeting_id, **values)  # type: ignore[arg-type]
    async with db.session() as session:
        assert await count(session, FirstAgendaItem) == 0
        assert await count(session, StudyMaterial) == 1


async def test_a_unit_meeting_is_recorded_by_its_administrator(db: Database, demo: DemoIds) -> None:
    async with db.session() as session:
        speech = await material(session, await actor(session, "ADM1"))
        session_meeting = await meeting(session, demo.unit, "study_group_session")
        view = await fa.record_first_agenda(
            session,
            await actor(session, "ADM1"),
            session_meeting.id,
            material_ids=[speech.id],
            form="exchange",
            led_by_id=demo.admin,
        )
        assert view.item.led_by_name == "郑管理"
    with pytest.raises(PermissionDenied):
        async with db.session() as session:
            await fa.record_first_agenda(
                session, await actor(session, "A01"), session_meeting.id, material_ids=[speech.id]
            )


# --- the meeting seams: closing check, card button, command-line recorder ---------------------------------------


async def test_a_meeting_that_needs_it_cannot_close_without_it_and_is_told_what_is_missing(
    db: Database, demo: DemoIds
) -> None:
    tr = translator("zh_CN")
    async with db.session() as session:
        general = await meeting(session, demo.branch_a, "general_meeting")
        lesson = await meeting(session, demo.branch_a, "party_lesson")
        group = await meeting(session, demo.branch_a, "group_meeting", group_id=demo.group_a1)
        missing = await meeting_hooks.missing_before_closing(session, general)
        assert [tr.gettext(msgid, **params) for msgid, params in missing] == [
            "尚未记录第一议题：学习的材料、学习形式和领学人。"
        ]
        assert await meeting_hooks.missing_before_closing(session, lesson) == []
        assert len(await meeting_hooks.missing_before_closing(session, group)) == 1
        # Recorded from the command line: the material only; the form and the leader are still missing.
        await meeting_hooks.record_first_agenda(session, general, "学习贯彻党的二十届三中全会精神", None)
        missing = await meeting_hooks.missing_before_closing(session, general)
        assert [tr.gettext(msgid, **params) for msgid, params in missing] == [
            "第一议题：尚未记录学习形式。",
            "第一议题：尚未记录领学人。",
        ]
        await fa.record_first_agenda(
            session,
            await actor(session, "A01"),
            general.id,
            typed_titles=["学习贯彻党的二十届三中全会精神"],
            form="conveying",
            led_by_id=demo.secretary_a,
        )
        assert await meeting_hooks.missing_before_closing(session, general) == []


async def test_the_secretary_card_gets_a_first_agenda_button(db: Database, demo: DemoIds) -> None:
    async with db.session() as session:
        general = await meeting(session, demo.branch_a, "general_meeting")
        theme = await meeting(session, demo.branch_a, "theme_day")
        appraisal = await meeting(session, demo.branch_a, "democratic_appraisal")
        closed = await meeting(session, demo.branch_a, status="closed")

    # The first agenda's own button (the ledger adds its record button beside it, for every meeting kind).
    def first_agenda_buttons(m: Any, locale: str) -> list[tuple[str, str]]:
        return [b for b in meeting_hooks.leader_buttons(m, locale) if b[1].startswith("fa-")]

    assert first_agenda_buttons(general, "zh_CN") == [("第一议题", f"fa-m:{general.id}")]
    assert first_agenda_buttons(theme, "en") == [("First agenda item", f"fa-m:{theme.id}")]
    assert first_agenda_buttons(appraisal, "zh_CN") == []
    assert first_agenda_buttons(closed, "zh_CN") == []


async def test_the_command_line_recorder_takes_ids_or_a_title_also_for_past_meetings(
    db: Database, demo: DemoIds
) -> None:
    async with db.session() as session:
        admin = await actor(session, "ADM1")
        first = await material(session, admin)
        second = await material(session, admin, "习近平关于党的建设的重要论述")
        await fa.dispatch_material(session, admin, first.id, env=ENV)
        past = await meeting(session, demo.branch_b, day=date(2026, 3, 2), status="closed")
        await meeting_hooks.record_first_agenda(session, past, f"{first.id}，#{second.id}", None)
        view = await fa.first_agenda_of(session, past.id)
        assert view is not None and [m.id for m in view.materials] == [first.id, second.id]
        # A meeting added in this same unit of work (not yet flushed) is recorded too.
        from storage.meetings import Meeting

        fresh = Meeting(
            org_id=demo.branch_b,
            kind="committee_meeting",
            starts_at=at(date(2026, 4, 1)),
            ends_at=at(date(2026, 4, 1), 11),
            status="closed",
        )
        session.add(fresh)
        await meeting_hooks.record_first_agenda(session, fresh, "学习《中国共产党纪律处分条例》", None)
        assert (await fa.first_agenda_of(session, fresh.id)) is not None
    for value, error in (("9999", NotFound), ("  ", InvalidInput)):
        with pytest.raises(error):
            async with db.session() as session:
                target = await meeting(session, demo.branch_b)
                await meeting_hooks.record_first_agenda(session, target, value, None)
    async with db.session() as session:
        assert await count(session, FirstAgendaItem) == 2
        labels = (await session.scalars(select(AuditEntry.actor_label).where(AuditEntry.entity == "meeting"))).all()
        assert labels == ["cli", "cli"]


# --- compliance ------------------------------------------------------------------------------------------------


async def _history(db: Database, demo: DemoIds, clock: time_machine.Coordinates) -> tuple[int, int, int]:
    """Branch A: 3 required meetings held this year, 2 with the item; branch B: 1 of 1. Two materials dispatched
    on 1 June: A studied the first after 3 days; B studied it after 10 days and has not studied the second."""
    clock.move_to(at(date(2026, 6, 1), 8))
    async with db.session() as session:
        admin = await actor(session, "ADM1")
        first = await material(session, admin)
        second = await material(session, admin, "习近平在全国组织工作会议上的讲话", issued_on=date(2026, 5, 20))
        await fa.dispatch_material(session, admin, first.id, env=ENV)
        await fa.dispatch_material(session, admin, second.id, env=ENV)
        a01, b01 = await actor(session, "A01"), await actor(session, "B01")
        a1 = await meeting(session, demo.branch_a, "general_meeting", date(2026, 6, 4))
        a2 = await meeting(session, demo.branch_a, "committee_meeting", date(2026, 6, 8))
        await meeting(session, demo.branch_a, "committee_meeting", date(2026, 5, 6), status="closed")  # none
        a_lesson = await meeting(session, demo.branch_a, "party_lesson", date(2026, 6, 9))
        await meeting(session, demo.branch_a, "general_meeting", date(2026, 6, 10), status="cancelled")
        await meeting(session, demo.branch_a, "committee_meeting", date(2026, 6, 20))  # not held yet
        await meeting(session, demo.branch_a, "general_meeting", date(2025, 12, 20))  # last year
        b1 = await meeting(session, demo.branch_b, "committee_meeting", date(2026, 6, 11))
        await fa.record_first_agenda(session, a01, a1.id, material_ids=[first.id], form="conveying")
        await fa.record_first_agenda(session, a01, a2.id, material_ids=[second.id], form="conveying")
        await fa.record_first_agenda(session, a01, a_lesson.id, material_ids=[first.id], form="tutorial")
        await fa.record_first_agenda(session, b01, b1.id, material_ids=[first.id], form="discussion")
        unit_session = await meeting(session, demo.unit, "study_group_session", date(2026, 6, 12))
        a1.status = "closed"  # recorded, then closed, as the meetings feature does
    clock.move_to(NOW)
    return first.id, second.id, unit_session.id


async def test_compliance_per_branch_ranked_by_rate_and_lag(
    db: Database, demo: DemoIds, clock: time_machine.Coordinates
) -> None:
    _first, second, _unit = await _history(db, demo, clock)
    async with db.session() as session:
        rows = await fa.compliance(session, await actor(session, "ADM1"), date(2026, 1, 1), TODAY, env=ENV)
    by_name = {r.org.name: r for r in rows}
    assert [r.org.name for r in rows] == ["第二党支部", "第一党支部", "市民政局机关党委"]
    a, b, unit = by_name["第一党支部"], by_name["第二党支部"], by_name["市民政局机关党委"]
    assert a.as_json() == {
        "branch": "第一党支部",
        "branch_id": demo.branch_a,
        "needed": 3,
        "recorded": 2,
        "rate": 0.6667,
        "unstudied": [],
        "median_lag_days": 5,  # 3 days for the first, 7 for the second
    }
    assert a.optional_recorded == 1 and [m.starts_at for m in a.missing] == [at(date(2026, 5, 6))]
    assert b.as_json() == {
        "branch": "第二党支部",
        "branch_id": demo.branch_b,
        "needed": 1,
        "recorded": 1,
        "rate": 1.0,
        "unstudied": [second],
        "median_lag_days": 10,
    }
    assert b.waiting == {second: 14}
    assert (unit.needed, unit.recorded, unit.rate) == (1, 0, 0.0)
    # Only the first quarter: nothing held, nothing dispatched; a vacuous 1.0 ranks after earned rates.
    async with db.session() as session:
        rows = await fa.compliance(session, None, date(2026, 1, 1), date(2026, 3, 31), env=ENV)
    assert [(r.org.name, r.needed, r.rate, r.median_lag) for r in rows] == [
        ("第一党支部", 0, 1.0, None),
        ("第二党支部", 0, 1.0, None),
    ]


async def test_compliance_is_shown_only_to_those_who_may_see_it(
    db: Database, demo: DemoIds, clock: time_machine.Coordinates
) -> None:
    await _history(db, demo, clock)
    async with db.session() as session:
        rows = await fa.compliance(session, await actor(session, "A01"), date(2026, 1, 1), TODAY, env=ENV)
        assert [r.org.name for r in rows] == ["第一党支部"]
    for member_no, org_id in (("A01", demo.branch_b), ("A03", None), ("ADM1", demo.committee)):
        with pytest.raises(PermissionDenied):
            async with db.session() as session:
                await fa.compliance(
                    session, await actor(session, member_no), date(2026, 1, 1), TODAY, org_id=org_id, env=ENV
                )
    with pytest.raises(InvalidInput):
        async with db.session() as session:
            await fa.compliance(session, None, TODAY, date(2026, 1, 1), env=ENV)


async def test_a_dispatched_material_shows_who_studied_it_and_after_how_many_days(
    db: Database, demo: DemoIds, clock: time_machine.Coordinates
) -> None:
    first, second, _unit = await _history(db, demo, clock)
    async with db.session() as session:
        status = await fa.material_status(session, await actor(session, "ADM1"), first, env=ENV)
        assert [(s.branch.name, s.lag) for s in status.studied] == [("第一党支部", 3), ("第二党支部", 10)]
        assert status.unstudied == []
        status = await fa.material_status(session, await actor(session, "ADM1"), second, env=ENV)
        assert [(s.branch.name, s.lag) for s in status.studied] == [("第一党支部", 7)]
        assert [s.branch.name for s in status.unstudied] == ["第二党支部"]
        own = await fa.material_status(session, await actor(session, "B01"), second, env=ENV)
        assert own.studied == [] and [s.branch.name for s in own.unstudied] == ["第二党支部"]
    assert fa.study_lag(at(date(2026, 6, 5), 23), at(date(2026, 6, 1)), TZ) == 0  # studied before it came
    assert fa.studied_early(at(date(2026, 6, 5), 23), at(date(2026, 6, 1)), TZ)


def test_periods() -> None:
    assert fa.period_bounds("quarter", date(2026, 5, 17)) == (date(2026, 4, 1), date(2026, 5, 17))
    assert fa.period_bounds("year", date(2026, 5, 17)) == (date(2026, 1, 1), date(2026, 5, 17))
    assert fa.period_bounds("last_year", date(2026, 5, 17)) == (date(2025, 1, 1), date(2025, 12, 31))


# --- the nudge -------------------------------------------------------------------------------------------------


async def test_a_secretary_is_nudged_once_when_a_dispatched_material_stays_unstudied(
    db: Database, demo: DemoIds, clock: time_machine.Coordinates
) -> None:
    clock.move_to(at(date(2026, 6, 1), 16))
    async with db.session() as session:
        admin = await actor(session, "ADM1")
        speech = await material(session, admin)
        planned = await material(session, admin, "计划学习的讲话")
        await fa.dispatch_material(session, admin, speech.id, env=ENV)
        await fa.dispatch_material(session, admin, planned.id, env=ENV)
        # Branch A studied the speech; branch B has planned the other for a meeting next month.
        held = await meeting(session, demo.branch_a, day=date(2026, 6, 3))
        await fa.record_first_agenda(session, await actor(session, "A01"), held.id, material_ids=[speech.id])
        later = await meeting(session, demo.branch_b, day=date(2026, 7, 3))
        await fa.record_first_agenda(session, await actor(session, "B01"), later.id, material_ids=[planned.id])
    clock.move_to(at(date(2026, 6, 14), 9))  # 13 days: not yet
    async with db.session() as session:
        assert await fa.nudge_unstudied(session, days=14, env=ENV) == 0
    clock.move_to(at(date(2026, 6, 15), 9))
    async with db.session() as session:
        assert await fa.nudge_unstudied(session, days=14, env=ENV) == 2  # A: the planned one; B: the speech
    async with db.session() as session:
        assert await fa.nudge_unstudied(session, days=14, env=ENV) == 0  # once
        nudges = (await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "reminder"))).all()
        assert sorted((n.chat_id, n.dedup_key) for n in nudges) == [
            (telegram_id_of("A01"), f"fa-nudge:{planned.id}:{demo.branch_a}:{demo.secretary_a}"),
            (telegram_id_of("B01"), f"fa-nudge:{speech.id}:{demo.branch_b}:{demo.secretary_b}"),
        ]
        text = next(n.payload["text"] for n in nudges if n.chat_id == telegram_id_of("B01"))
        assert "已过14天" in text and "6月1日" in text and speech.title in text
        assert await count(session, FirstAgendaNudge) == 2


async def test_the_nudge_waits_for_a_reachable_secretary_and_follows_the_setting(
    db: Database, demo: DemoIds, clock: time_machine.Coordinates
) -> None:
    clock.move_to(at(date(2026, 6, 1), 16))
    async with db.session() as session:
        speech = await material(session, await actor(session, "ADM1"))
        await fa.dispatch_material(session, await actor(session, "ADM1"), speech.id, env=ENV)
        b01 = await session.get(Member, demo.secretary_b)
        assert b01 is not None
        b01.telegram_id = None  # branch B's secretary has not joined the bot
    clock.move_to(at(date(2026, 6, 4), 9))
    async with db.session() as session:
        assert await fa.nudge_unstudied(session, days=3, env=ENV) == 1  # branch A only
    async with db.session() as session:
        b01 = await session.get(Member, demo.secretary_b)
        assert b01 is not None
        b01.telegram_id = telegram_id_of("B01")
    async with db.session() as session:
        assert await fa.nudge_unstudied(session, days=3, env=ENV) == 1  # now B
        assert await fa.nudge_unstudied(session, days=3, env=ENV) == 0
