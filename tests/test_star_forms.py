"""Every step of the star rating reached from /stars by buttons (issue 14, issue 12's rule that decisions are
buttons): the secretary's self-assessment of a manual criterion (score, note, photos) in a guided flow, the
administrator's branch list, adjustment with a reason, announcement, the branch's objection and its answer, and
publication; each step audited and the branch (or its administrators) told through the outbox; refusals change
nothing; of two administrators publishing at once, one wins and the other is told."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update

from bot.clock import today
from bot.demo import telegram_id_of
from bot.environment import ServiceEnv
from bot.services.access import Actor
from bot.services.points import star_steps
from bot.services.points.star_buttons import (
    StarButton,
    StarForm,
    StarFormButton,
    StarListButton,
    StarOpen,
    StarStep,
    StarViewButton,
)
from bot.services.points.versions import apply_rules
from storage.models import AuditEntry, Member, Role
from storage.outbox import OutboxMessage
from storage.points import StarRating, StarStatus
from tests.conftest import BotHarness
from tests.points_helpers import TEST_RULES

GROUP = -100778
TZ = ZoneInfo("Asia/Shanghai")
ADMIN = 100001  # the demo administrator (ADM1)
ADMIN2 = 100002  # a second administrator of the unit, made by _second_admin


def _year(bot: BotHarness) -> int:
    day = today(TZ)
    return day.year - 1 if day.month <= 3 else day.year


async def _rating(bot: BotHarness, year: int | None = None) -> StarRating | None:
    async with bot.db.session() as session:
        query = select(StarRating).where(StarRating.branch_id == bot.ids.branch_a)
        if year is not None:
            query = query.where(StarRating.year == year)
        return await session.scalar(query)


async def _count(bot: BotHarness, *where: object) -> int:
    async with bot.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(AuditEntry).where(*where)) or 0)


async def _notices(bot: BotHarness) -> list[str]:
    async with bot.db.session() as session:
        rows = await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "stars"))
        return [r.dedup_key for r in rows]


async def _own_rules(bot: BotHarness) -> None:
    """The unit's own rules (not the example): one manual criterion, ``innovation``, out of 10."""
    async with bot.db.session() as session:
        await apply_rules(session, None, "DEMO-U1", TEST_RULES)


def _self(bot: BotHarness, year: int, key: str = "innovation") -> str:
    return StarFormButton(form=StarForm.SELF, branch=bot.ids.branch_a, year=year, key=key).pack()


def _step(bot: BotHarness, step: StarStep, year: int) -> str:
    return StarButton(step=step, branch=bot.ids.branch_a, year=year).pack()


async def test_the_secretary_self_assesses_a_criterion_with_buttons_a_score_a_note_and_photos(bot: BotHarness) -> None:
    await _own_rules(bot)
    year = _year(bot)
    await bot.say("A01", "/stars")
    screen = bot.request.calls[-1]
    assert ("✍️ 创新", _self(bot, year)) in screen.buttons
    assert await bot.press("A01", _self(bot, year)) == ["自评“创新”：请填写分值（0至10）。发送 /cancel 可退出。"]
    assert await bot.say("A01", "12") == ["“创新”的分值范围为0至10。"]  # out of range: asked again
    assert await bot.say("A01", "8") == ["请简要说明评分依据（不超过200字）。"]
    [saved] = await bot.say("A01", "开展“红色驿站”项目")
    assert saved == "已保存：“创新”8分。可发送佐证照片（最多5张），或点击“完成”。"
    done = StarViewButton(how=StarOpen.DONE, branch=bot.ids.branch_a, year=year).pack()
    assert bot.request.calls[-1].buttons == [("完成 ▶", done)]
    before = len(bot.request.calls)
    await bot.send(bot.updates.photo(_tg("A01"), "evidence-1"))
    assert [c.text for c in bot.request.calls[before:] if c.text] == ["已保存：该项共1张照片。"]
    # a photo captioned with the typed form names its own criterion: not filed under the one being assessed
    before = len(bot.request.calls)
    await bot.send(bot.updates.photo(_tg("A01"), "evidence-x", caption="/stars photo meetings"))
    assert [c.text for c in bot.request.calls[before:] if c.text] == ["请先为“meetings”自评，再上传照片。"]
    await bot.press("A01", done)
    edited = bot.request.sent(method="editMessageText")[-1]
    assert "自评8分：开展“红色驿站”项目（1张照片）" in edited.text
    assert ("✓ 创新：8分", _self(bot, year)) in edited.buttons
    assert ("📤 提交审核", _step(bot, StarStep.SUBMIT, year)) in edited.buttons
    row = await _rating(bot)
    assert row is not None and row.self_scores["innovation"] == {
        "score": 80,
        "note": "开展“红色驿站”项目",
        "photos": ["evidence-1"],
    }
    assert await _count(bot, AuditEntry.action == "stars.self_assessed") == 1
    assert await _count(bot, AuditEntry.action == "stars.photo_added") == 1
    # the flow is over: a text now is not taken as a score
    assert "已保存" not in " ".join(await bot.say("A01", "9"))


def _tg(member_no: str) -> int:
    return telegram_id_of(member_no)


async def test_the_self_assessment_is_refused_to_others_and_after_submission(bot: BotHarness) -> None:
    await _own_rules(bot)
    year = _year(bot)
    only_leaders = "只有支部书记（或受委托的支部委员）才能进行此操作。"
    assert await bot.press("A03", _self(bot, year)) == [only_leaders]  # a member
    assert await bot.press("B01", _self(bot, year)) == [only_leaders]  # another branch's secretary
    assert await bot.press(ADMIN, _self(bot, year)) == ["自评由支部自己填写：请支部书记填报。"]
    assert await bot.press("A01", _self(bot, year, "meetings")) == ["“meetings”不是由支部自评的指标。"]
    # pressed in the group: the flow does not start there (its answers would be read by everyone)
    texts = await bot.press("A01", _self(bot, year), chat_id=GROUP)
    assert texts and "自评“创新”" not in " ".join(texts)
    assert await _rating(bot) is None  # nothing written by any of these
    # submitted: the self-assessment is closed, a stale ✍️ is told so
    await _self_assess_and_submit(bot, year)
    assert await bot.press("A01", _self(bot, year)) == ["评星自评已提交，现在只有管理员可以调整。"]
    row = await _rating(bot)
    assert row is not None and row.status == StarStatus.SUBMITTED and row.self_scores["innovation"]["score"] == 60


async def test_the_administrator_opens_a_branch_and_adjusts_a_score_with_a_reason(bot: BotHarness) -> None:
    await _own_rules(bot)
    year = _year(bot)
    [listing] = await bot.say(ADMIN, "/stars")
    assert "第一党支部" in listing
    buttons = bot.request.calls[-1].buttons
    opened = StarViewButton(how=StarOpen.LIST, branch=bot.ids.branch_a, year=year).pack()
    assert ("第一党支部", opened) in buttons and (
        f"📅 {year - 1}年评星",
        StarListButton(year=year - 1).pack(),
    ) in buttons
    await bot.press(ADMIN, opened)
    screen = bot.request.sent(method="editMessageText")[-1]
    assert "第一党支部" in screen.text and ("✏️ 调整分数", _step(bot, StarStep.ADJUST, year)) in screen.buttons
    [pick] = await bot.press(ADMIN, _step(bot, StarStep.ADJUST, year))
    assert pick == "调整第一党支部哪一项指标的分数？"
    adjust = StarFormButton(form=StarForm.ADJUST, branch=bot.ids.branch_a, year=year, key="innovation").pack()
    assert adjust in [data for _label, data in bot.request.calls[-1].buttons]
    assert await bot.press(ADMIN, adjust) == ["“创新”调整为多少分（0至10）？发送 /cancel 可退出。"]
    assert await bot.say(ADMIN, "3") == ["请填写调整理由（将告知支部）。"]
    texts = await bot.say(ADMIN, "创新项目尚在筹备")
    assert texts[0] == "已保存，并已通知支部。" and "创新项目尚在筹备" in texts[1]  # and the screen as it now stands
    row = await _rating(bot)
    assert row is not None and row.adjustments["innovation"] == {"score": 30, "reason": "创新项目尚在筹备"}
    assert await _count(bot, AuditEntry.action == "stars.adjusted") == 1
    await bot.drain_outbox()
    told = bot.request.texts(_tg("A01"))
    assert any("创新项目尚在筹备" in text for text in told)  # the branch is told, with the reason


async def test_adjusting_is_refused_to_a_secretary_and_to_another_subtree(bot: BotHarness) -> None:
    await _own_rules(bot)
    year = _year(bot)
    adjust = StarFormButton(form=StarForm.ADJUST, branch=bot.ids.branch_a, year=year, key="innovation").pack()
    assert await bot.press("A01", adjust) == ["只有该组织的管理员才能进行此操作。"]
    assert await bot.press("A01", _step(bot, StarStep.ADJUST, year)) == ["只有该组织的管理员才能进行此操作。"]
    assert await bot.press("A01", StarListButton(year=year).pack()) == ["只有该组织的管理员才能进行此操作。"]
    # the secretary of branch B cannot open branch A's rating (its notes and reasons)
    opened = StarViewButton(how=StarOpen.YEAR, branch=bot.ids.branch_a, year=year).pack()
    assert await bot.press("B01", opened) == ["只有支部书记（或受委托的支部委员）才能进行此操作。"]
    await _second_admin(bot, of_branch_b=True)  # an administrator of branch B only
    assert await bot.press(ADMIN2, adjust) == ["只有该组织的管理员才能进行此操作。"]
    assert await bot.press(ADMIN2, opened) == ["只有支部书记（或受委托的支部委员）才能进行此操作。"]
    assert await _rating(bot) is None and await _count(bot, AuditEntry.action == "stars.adjusted") == 0


async def _second_admin(bot: BotHarness, *, of_branch_b: bool = False) -> None:
    async with bot.db.session() as session:
        unit = (await session.get(Member, bot.ids.admin)).org_id  # type: ignore[union-attr]
        session.add(
            Member(
                member_no="ADM2",
                name="周敏",
                org_id=bot.ids.branch_b if of_branch_b else unit,
                role=Role.ADMIN,
                telegram_id=ADMIN2,
            )
        )


async def _submitted_last_year(bot: BotHarness) -> int:
    """Branch A's rating for the year before, self-assessed and submitted (the year is over: it can be
    announced)."""
    year = _year(bot) - 1
    await _self_assess_and_submit(bot, year)
    return year


async def _self_assess_and_submit(bot: BotHarness, year: int) -> None:
    """The secretary of branch A scores the last manual criterion and submits the year's rating (services)."""
    async with bot.db.session() as session:
        member = await session.scalar(select(Member).where(Member.member_no == "A01"))
        assert member is not None
        actor = Actor.of(member, "zh_CN")
        await star_steps.self_assess(session, actor, "innovation", "6", "按实际自评", year)
        await star_steps.submit(session, actor, year, today(TZ), env=ServiceEnv(tz=TZ))


async def test_announce_object_answer_publish_each_by_a_button_and_the_branch_told(bot: BotHarness) -> None:
    await _own_rules(bot)
    year = await _submitted_last_year(bot)
    [_listing] = await bot.say(ADMIN, "/stars")
    await bot.press(ADMIN, StarListButton(year=year).pack())  # the year before: the branch waits for review
    assert StarViewButton(how=StarOpen.LIST, branch=bot.ids.branch_a, year=year).pack() in [
        data for _label, data in bot.request.sent(method="editMessageText")[-1].buttons
    ]
    announced, *_screen = await bot.press(ADMIN, _step(bot, StarStep.ANNOUNCE, year))
    assert announced.startswith("已公示，公示期至")
    row = await _rating(bot, year)
    assert row is not None and row.status == StarStatus.ANNOUNCED
    await bot.drain_outbox()
    assert any("公示" in text and "提出异议" in text for text in bot.request.texts(_tg("A01")))
    # the branch objects, from its own screen of that year
    await bot.press("A01", StarViewButton(how=StarOpen.YEAR, branch=bot.ids.branch_a, year=year).pack())
    assert ("🙋 提出异议", _step(bot, StarStep.OBJECT, year)) in bot.request.sent(method="editMessageText")[-1].buttons
    await bot.press("A01", _step(bot, StarStep.OBJECT, year))
    assert await bot.say("A01", "创新项目已于年中启动") == ["您的异议已提交给管理员。"]
    await bot.drain_outbox()
    assert any("创新项目已于年中启动" in text for text in bot.request.texts(ADMIN))  # the administrators told
    await bot.press(ADMIN, _step(bot, StarStep.ANSWER, year))
    assert await bot.say(ADMIN, "经复核，维持公示结果") == ["已发布。"]
    row = await _rating(bot, year)
    assert row is not None and (row.status, row.answer) == (StarStatus.PUBLISHED, "经复核，维持公示结果")
    await bot.drain_outbox()
    assert any("已发布" in text for text in bot.request.texts(_tg("A01")))
    for action in ("stars.announced", "stars.objected", "stars.published"):
        assert await _count(bot, AuditEntry.action == action) == 1, action


async def test_two_administrators_publishing_at_once_one_wins_and_the_other_is_told(bot: BotHarness) -> None:
    await _own_rules(bot)
    await _second_admin(bot)
    year = await _submitted_last_year(bot)
    await bot.press(ADMIN, _step(bot, StarStep.ANNOUNCE, year))
    async with bot.db.session() as session:  # the notice period is over
        await session.execute(
            update(StarRating).values(notice_ends_on=today(TZ) - timedelta(days=1)).where(StarRating.year == year)
        )
    publish = _step(bot, StarStep.PUBLISH, year)
    before = len(bot.request.calls)
    await asyncio.gather(bot.press(ADMIN, publish), bot.press(ADMIN2, publish))
    answers = sorted(c.text for c in bot.request.calls[before:] if c.method == "answerCallbackQuery" and c.text)
    assert answers == sorted(["已发布。", "只有已公示的结果才能发布。"])
    row = await _rating(bot, year)
    assert row is not None and row.status == StarStatus.PUBLISHED
    assert await _count(bot, AuditEntry.action == "stars.published") == 1
    published = [key for key in await _notices(bot) if ":published:" in key]
    assert published and len({key.rsplit(":", 1)[0] for key in published}) == 1  # one publication told


async def test_a_rating_opened_in_a_group_stays_private(bot: BotHarness) -> None:
    await _own_rules(bot)
    year = _year(bot)
    async with bot.db.session() as session:
        member = await session.scalar(select(Member).where(Member.member_no == "A01"))
        assert member is not None
        await star_steps.self_assess(session, Actor.of(member, "zh_CN"), "innovation", "6", "开展红色驿站项目", year)
    for who, how in ((ADMIN, StarOpen.LIST), ("A01", StarOpen.YEAR)):
        await bot.press(who, StarViewButton(how=how, branch=bot.ids.branch_a, year=year).pack(), chat_id=GROUP)
    assert all("红色驿站" not in call.text for call in bot.request.sent(GROUP))  # the branch's note stays private
    assert all("红色驿站" not in call.text for call in bot.request.sent(method="answerCallbackQuery"))
    opened = await bot.press(ADMIN, StarViewButton(how=StarOpen.LIST, branch=bot.ids.branch_a, year=year).pack())
    assert any("红色驿站" in text for text in opened)  # in the private chat, it is shown
