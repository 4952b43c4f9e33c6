"""The first agenda item in chat: the recording flow from the meeting card's button, /materials and
/addmaterial, dispatching with confirmation, /firstagenda for a secretary and an administrator, refusals."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
import time_machine
from sqlalchemy import select

from bot import features
from bot.demo import telegram_id_of
from bot.services import first_agenda as fa
from storage.first_agenda import FirstAgendaItem, FirstAgendaNudge, MaterialDispatch, StudyMaterial
from storage.models import AuditEntry, Member, OutboxMessage
from tests.conftest import BotHarness
from tests.first_agenda_support import ENV, NOW, TODAY, actor, at, count, material, meeting

ADMIN = 100001  # 郑管理 (ADM1), the demo administrator


@pytest.fixture(autouse=True)
def clock() -> Iterator[time_machine.Coordinates]:
    """Monday 15 June 2026 in Shanghai; time moves on."""
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller


def answers(bot: BotHarness, since: int) -> int:
    """How many times the bot answered a button press since call ``since``."""
    return len([c for c in bot.request.calls[since:] if c.method == "answerCallbackQuery"])


async def _dispatched(bot: BotHarness, title: str = "习近平在中央政治局集体学习时的重要讲话") -> StudyMaterial:
    async with bot.db.session() as session:
        admin = await actor(session, "ADM1")
        speech = await material(session, admin, title)
        await fa.dispatch_material(session, admin, speech.id, env=ENV)
    return speech


async def test_the_secretary_records_the_first_agenda_item_step_by_step(bot: BotHarness) -> None:
    speech = await _dispatched(bot)
    async with bot.db.session() as session:
        held = await meeting(session, bot.ids.branch_a, "committee_meeting")
    before = len(bot.request.calls)
    texts = await bot.press("A01", f"fa-m:{held.id}")
    assert answers(bot, before) == 1
    assert "第一议题" in texts[0] and "支部委员会会议" in texts[0]
    buttons = bot.request.calls[-1].buttons
    assert buttons[0] == ("📌 " + speech.title, f"fa-pk:{speech.id}") and ("完成", "fa:pd") in buttons

    # Done with nothing chosen: told so, still picking.
    assert await bot.press("A01", "fa:pd") == ["请先选择或输入至少一份材料。"]
    await bot.press("A01", f"fa-pk:{speech.id}")
    assert bot.request.calls[-1].method == "editMessageText"
    assert bot.request.calls[-1].buttons[0] == ("✓ " + speech.title, f"fa-pk:{speech.id}")
    texts = await bot.say("A01", "《习近平谈治国理政》第四卷")
    assert "• 《习近平谈治国理政》第四卷" in texts[0] and f"• {speech.title}" in texts[0]

    texts = await bot.press("A01", "fa:pd")
    assert texts == ["采用什么形式学习？"]
    assert [label for label, _ in bot.request.calls[-1].buttons] == [
        "传达学习",
        "集中研讨",
        "专题辅导",
        "交流发言",
        "取消",
    ]
    texts = await bot.press("A01", "fa-fm:discussion")
    assert texts == ["领学人是谁？点击姓名，或直接输入姓名。"]
    leaders = bot.request.calls[-1].buttons
    assert leaders[:2] == [("王建国", f"fa-ld:{bot.ids.secretary_a}"), ("李红梅", f"fa-ld:{bot.ids.committee_a}")]
    await bot.press("A01", f"fa-ld:{bot.ids.committee_a}")
    texts = await bot.say("A01", "结合巡察整改开展研讨")
    assert "第一议题：请核对" in texts[0] and "学习形式：集中研讨" in texts[0] and "领学人：李红梅" in texts[0]
    async with bot.db.session() as session:
        assert await count(session, FirstAgendaItem) == 0  # nothing before Save
    texts = await bot.press("A01", "fa:sv")
    assert "✅ 第一议题已记录" in texts[0]
    async with bot.db.session() as session:
        view = await fa.first_agenda_of(session, held.id)
        assert view is not None
        assert [m.title for m in view.materials] == [speech.title, "《习近平谈治国理政》第四卷"]
        assert (view.item.form, view.item.led_by_id, view.item.note) == (
            "discussion",
            bot.ids.committee_a,
            "结合巡察整改开展研讨",
        )
        entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "first_agenda.record"))
        assert entry is not None and entry.actor_id == bot.ids.secretary_a

    # Recording again starts from what is stored.
    await bot.press("A01", f"fa-m:{held.id}")
    assert "本次会议已记录第一议题" in bot.request.calls[-1].text
    assert bot.request.calls[-1].buttons[0][0].startswith("✓ ")
    texts = await bot.say("A01", "/cancel")
    assert texts == ["已取消，未保存任何内容。"]
    # The flow is over: plain text is no longer taken as a title (it may be another feature's business).
    assert not any("第一议题" in text for text in await bot.say("A01", "《另一篇》"))
    async with bot.db.session() as session:
        assert await session.scalar(select(StudyMaterial).where(StudyMaterial.title == "《另一篇》")) is None


async def test_recording_is_refused_to_other_branches_and_members(bot: BotHarness) -> None:
    await _dispatched(bot)
    async with bot.db.session() as session:
        held = await meeting(session, bot.ids.branch_a)
        appraisal = await meeting(session, bot.ids.branch_a, "democratic_appraisal")
    refusal = "只有支部书记（或受委托的支部委员）才能进行此操作。"
    assert await bot.press("B01", f"fa-m:{held.id}") == [refusal]
    assert await bot.press("A03", f"fa-m:{held.id}") == [refusal]
    assert await bot.press("A01", "fa-m:9999") == ["找不到这次会议，或您无权查看。"]
    assert await bot.press("A01", f"fa-m:{appraisal.id}") == ["此类会议不安排第一议题。"]
    # A material id typed by hand is checked as well.
    await bot.press("A01", f"fa-m:{held.id}")
    assert await bot.say("A01", "#9999") == ["找不到这份学习材料，或您无权查看。"]
    async with bot.db.session() as session:
        other = await material(session, await actor(session, "B01"), "第二支部自选")
    assert await bot.press("A01", f"fa-pk:{other.id}") == ["找不到这份学习材料，或您无权查看。"]
    async with bot.db.session() as session:
        assert await count(session, FirstAgendaItem) == 0


async def test_a_typed_leader_and_no_note(bot: BotHarness) -> None:
    async with bot.db.session() as session:
        held = await meeting(session, bot.ids.branch_a, "party_lesson")
    await bot.press("A01", f"fa-m:{held.id}")
    await bot.say("A01", "学习贯彻习近平新时代中国特色社会主义思想主题教育")
    await bot.press("A01", "fa:pd")
    await bot.press("A01", "fa-fm:tutorial")
    await bot.say("A01", "市委党校 周教授")
    texts = await bot.press("A01", "fa:ns")
    assert "领学人：市委党校 周教授" in texts[0] and "备注" not in texts[0]
    await bot.press("A01", "fa:sv")
    async with bot.db.session() as session:
        view = await fa.first_agenda_of(session, held.id)
        assert view is not None and view.item.led_by_name == "市委党校 周教授" and view.item.led_by_id is None


async def test_administrator_adds_in_one_line_and_dispatches_with_confirmation(bot: BotHarness) -> None:
    texts = await bot.say(
        ADMIN,
        "/addmaterial 习近平在二十届中央纪委四次全会上的讲话 | 新华社 | 2026-01-06 | 重要讲话 | https://example.org/x",
    )
    assert "✅ 已保存到材料库" in texts[0] and "类型：重要讲话" in texts[0] and "https://example.org/x" in texts[0]
    async with bot.db.session() as session:
        speech = await session.scalar(select(StudyMaterial))
        assert speech is not None and speech.owner_org_id == bot.ids.unit and speech.url == "https://example.org/x"
    assert ("下发至所有支部", f"fa-mat:{speech.id}:dsp") in bot.request.calls[-1].buttons

    texts = await bot.press(ADMIN, f"fa-mat:{speech.id}:dsp")
    assert texts == [f"将《{speech.title}》下发至市民政局机关党委所属2个支部？\n每位支部书记只会收到一次通知。"]
    async with bot.db.session() as session:
        assert await count(session, MaterialDispatch) == 0  # not before the confirmation
    texts = await bot.press(ADMIN, f"fa-mat:{speech.id}:dsy")
    assert texts == [f"✅ 《{speech.title}》已下发至2个支部。\n将通知2位支部书记。"]
    # (The notices are asserted in the outbox: the harness's drain_outbox cannot run yet, see the report.)
    async with bot.db.session() as session:
        notices = {
            n.chat_id: n
            for n in (await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "study_material"))).all()
        }
    assert sorted(notices) == [telegram_id_of("A01"), telegram_id_of("B01")]
    assert "第一议题学习材料" in notices[telegram_id_of("A01")].payload["text"]
    assert notices[telegram_id_of("B01")].payload["reply_markup"] == {
        "inline_keyboard": [[{"text": "查看材料", "callback_data": f"fa-mat:{speech.id}"}]]
    }
    # Pressed twice (or from a second confirmation): nobody is told twice.
    assert await bot.press(ADMIN, f"fa-mat:{speech.id}:dsy") == [
        f"《{speech.title}》已下发至市民政局机关党委所属的全部支部。"
    ]
    assert await bot.press(ADMIN, f"fa-mat:{speech.id}:dsp") == [
        f"《{speech.title}》已下发至市民政局机关党委所属的全部支部。"
    ]
    async with bot.db.session() as session:
        assert (
            len((await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "study_material"))).all()) == 2
        )

    # The administrator's catalog shows how far each material went.
    texts = await bot.say(ADMIN, "/materials")
    assert (
        f"1. <b>{speech.title}</b>\n   1月6日 · 已下发至2个支部" in texts[0]
        and f"#{speech.id}" not in texts[0]
        and "已下发至2个支部" in texts[0]
    )
    assert (f"1. {speech.title}", f"fa-mat:{speech.id}") in bot.request.calls[-1].buttons
    texts = await bot.press(ADMIN, f"fa-mat:{speech.id}")
    assert "已下发至2个支部。" in texts[0]
    assert ("学习情况", f"fa-mat:{speech.id}:ms") in bot.request.calls[-1].buttons
    texts = await bot.press(ADMIN, f"fa-mat:{speech.id}:ms")
    assert "2个支部中已有0个学习。" in texts[0] and "⏳ 第一党支部" in texts[0]

    # The secretary opens it from the notice; a secretary cannot dispatch.
    texts = await bot.press("A01", f"fa-mat:{speech.id}")
    assert speech.title in texts[0] and "来源：新华社" in texts[0]
    assert bot.request.calls[-1].buttons == []
    assert await bot.press("A01", f"fa-mat:{speech.id}:dsp") == ["只有管理员可以向支部下发学习材料。"]


async def test_bad_one_line_materials_are_refused(bot: BotHarness) -> None:
    future = (TODAY + timedelta(days=3)).isoformat()
    assert await bot.say(ADMIN, f"/addmaterial 讲话 | 新华社 | {future}") == [f"日期{future}晚于今天，请核对。"]
    assert await bot.say(ADMIN, "/addmaterial 讲话 | 新华社 | 不记得了") == [
        "无法识别日期“不记得了”。请写成2026-12-15、12月15日或明天这样的格式。"
    ]
    assert await bot.say(ADMIN, "/addmaterial 只有标题") == [
        "请这样写：/addmaterial 标题 | 来源 | 日期 | 类型 | 链接或正文（后两项可省略）；也可以只发送 /addmaterial，按提示逐项填写。"
    ]
    assert (await bot.say(ADMIN, "/addmaterial 讲话 | 新华社 | 2026-01-06 | 诗歌"))[0].startswith("无法识别类型“诗歌”")
    assert await bot.say("A03", "/addmaterial 讲话 | 新华社 | 2026-01-06") == ["抱歉，您的角色不能使用 /addmaterial。"]
    async with bot.db.session() as session:
        assert await count(session, StudyMaterial) == 0


async def test_adding_a_material_step_by_step_with_a_file(bot: BotHarness) -> None:
    assert await bot.say(ADMIN, "/addmaterial") == ["材料标题是什么？（发送 /cancel 可退出）"]
    assert await bot.say(ADMIN, "习近平关于加强党的作风建设论述摘编") == [
        "发布来源（例如新华社、人民日报、中央办公厅）？"
    ]
    assert await bot.say(ADMIN, "中央文献出版社") == ["讲话或指示是哪一天的？请直接输入，如2026年12月15日。"]
    assert await bot.say(ADMIN, "2099-01-01") == ["日期2099-01-01晚于今天，请核对。"]  # asked again
    assert await bot.say(ADMIN, "2026年3月1日") == ["材料类型？"]
    assert await bot.press(ADMIN, "fa-ak:article") == ["请发送正文、链接或文件（PDF、Word），或点击“跳过”。"]
    document = {"file_id": "doc-file-1", "file_unique_id": "doc1", "file_name": "摘编.pdf"}
    await bot.send(bot.updates.message(ADMIN, document=document))
    summary = bot.request.calls[-1].text
    assert "保存这份材料？" in summary and "附件：摘编.pdf" in summary and "日期：3月1日" in summary
    texts = await bot.press(ADMIN, "fa:ay")
    assert "✅ 已保存到材料库" in texts[0]
    async with bot.db.session() as session:
        saved = await session.scalar(select(StudyMaterial))
        assert saved is not None
        assert (saved.kind, saved.attachment_file_id, saved.issued_on) == ("article", "doc-file-1", date(2026, 3, 1))
    # Opening it sends the text, then the file.
    await bot.press(ADMIN, f"fa-mat:{saved.id}")
    assert bot.request.calls[-1].method == "sendDocument"
    assert bot.request.calls[-1].params["document"] == "doc-file-1"


async def test_a_secretary_adds_to_their_branch_catalog(bot: BotHarness) -> None:
    await bot.say("A01", "/addmaterial")
    await bot.say("A01", "习近平在庆祝中国共产党成立100周年大会上的讲话")
    await bot.say("A01", "新华社")
    await bot.say("A01", "2021-07-01")
    await bot.press("A01", "fa-ak:speech")
    await bot.press("A01", "fa:as")
    texts = await bot.press("A01", "fa:ay")
    assert "✅ 已保存到材料库" in texts[0]
    assert bot.request.calls[-1].buttons == []  # no dispatch for a secretary
    async with bot.db.session() as session:
        saved = await session.scalar(select(StudyMaterial))
        assert saved is not None and saved.owner_org_id == bot.ids.branch_a
    texts = await bot.say("A01", "/materials")
    assert "习近平在庆祝中国共产党成立100周年大会上的讲话" in texts[0]
    assert ("添加材料", "fa:add") in bot.request.calls[-1].buttons
    texts = await bot.say("B01", "/materials")
    assert "材料库为空" in texts[0]


async def test_firstagenda_for_a_secretary_shows_their_branch(bot: BotHarness, clock: time_machine.Coordinates) -> None:
    clock.move_to(at(date(2026, 6, 1), 8))
    speech = await _dispatched(bot)
    second = await _dispatched(bot, "习近平在全国组织工作会议上的讲话")
    async with bot.db.session() as session:
        done = await meeting(session, bot.ids.branch_a, "general_meeting", date(2026, 6, 4))
        gap = await meeting(session, bot.ids.branch_a, "committee_meeting", date(2026, 6, 8))
        await fa.record_first_agenda(session, await actor(session, "A01"), done.id, material_ids=[speech.id])
    clock.move_to(NOW)
    texts = await bot.say("A01", "/firstagenda")
    text = texts[0]
    assert "第一议题：第一党支部" in text
    assert "应安排第一议题的会议2次，已记录1次（50%）" in text
    assert "支部委员会会议" in text  # held without it
    assert f"✅ {speech.title}\n   下发后3天学习" in text
    assert f"⏳ {second.title}\n   尚未学习（已等待14天）" in text
    buttons = bot.request.calls[-1].buttons
    assert ("记录：6月8日支部委员会会议", f"fa-m:{gap.id}") in buttons
    assert ("• 本年度", "fa-r:year") in buttons
    texts = await bot.press("A01", "fa-r:last_year")
    assert "2025年1月1日至2025年12月31日" in texts[0] and "本期间没有需要安排第一议题的会议。" in texts[0]
    assert await bot.say("A03", "/firstagenda") == ["抱歉，您的角色不能使用 /firstagenda。"]


async def test_firstagenda_for_an_administrator_ranks_the_branches(
    bot: BotHarness, clock: time_machine.Coordinates
) -> None:
    clock.move_to(at(date(2026, 6, 1), 8))
    speech = await _dispatched(bot)
    async with bot.db.session() as session:
        a = await meeting(session, bot.ids.branch_a, "general_meeting", date(2026, 6, 4))
        await meeting(session, bot.ids.branch_a, "committee_meeting", date(2026, 6, 8))
        b = await meeting(session, bot.ids.branch_b, "committee_meeting", date(2026, 6, 10))
        await fa.record_first_agenda(session, await actor(session, "A01"), a.id, material_ids=[speech.id])
        await fa.record_first_agenda(session, await actor(session, "B01"), b.id, material_ids=[speech.id])
    clock.move_to(NOW)
    text = (await bot.say(ADMIN, "/firstagenda"))[0]
    lines = text.splitlines()
    assert lines[0] == "<b>第一议题：市民政局机关党委</b>"
    first = next(i for i, line in enumerate(lines) if line.startswith("1. "))
    assert "第二党支部" in lines[first] and "1/1" in lines[first] and "9天" in lines[first + 1]
    assert "第一党支部" in lines[first + 2] and "1/2" in lines[first + 2] and "3天" in lines[first + 3]
    assert f"• {speech.title}\n   2个支部中2个已学习" in text
    buttons = bot.request.calls[-1].buttons
    assert ("📊 " + speech.title, f"fa-mat:{speech.id}:ms") in buttons
    texts = await bot.press(ADMIN, f"fa-mat:{speech.id}:ms")
    assert "✅ 第一党支部：3天后" in texts[0] and "✅ 第二党支部：9天后" in texts[0]


async def test_the_nudge_job_is_registered_with_a_fixed_id() -> None:
    import bot.jobs.first_agenda as module

    assert [job for job in features.jobs() if job.id == "first-agenda-nudge"] == [module.NUDGE_JOB]


async def test_english_speakers_get_english(bot: BotHarness) -> None:
    async with bot.db.session() as session:
        held = await meeting(session, bot.ids.branch_a, "committee_meeting")
        secretary = await session.get(Member, bot.ids.secretary_a)
        assert secretary is not None
        secretary.language = "en"
    await bot.press("A01", f"fa-m:{held.id}")
    assert "Branch committee meeting" in bot.request.calls[-1].text
    await bot.say("A01", "Study of the Party Constitution")
    texts = await bot.press("A01", "fa:pd")
    assert texts == ["How was it studied?"]


async def test_the_nudge_job_uses_the_configured_number_of_days(
    bot: BotHarness, clock: time_machine.Coordinates
) -> None:
    from types import SimpleNamespace

    import bot.jobs.first_agenda as module

    clock.move_to(at(date(2026, 6, 1), 8))
    await _dispatched(bot)
    resources = bot.application.bot_data["resources"]
    context = SimpleNamespace(resources=resources)
    clock.move_to(at(date(2026, 6, 6), 9))
    await module.nudge_job(context)  # type: ignore[arg-type]
    async with bot.db.session() as session:
        assert await count(session, FirstAgendaNudge) == 0  # 5 days < the default 14
    resources.settings.FIRST_AGENDA_NUDGE_DAYS = 5
    await module.nudge_job(context)  # type: ignore[arg-type]
    await module.nudge_job(context)  # type: ignore[arg-type]  (twice: still once per branch)
    async with bot.db.session() as session:
        assert await count(session, FirstAgendaNudge) == 2
        keys = (await session.scalars(select(OutboxMessage.dedup_key).where(OutboxMessage.kind == "reminder"))).all()
        assert len(keys) == 2 and all(key.startswith("fa-nudge:") for key in keys)
