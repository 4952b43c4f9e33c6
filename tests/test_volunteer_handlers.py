"""The volunteer service in chat, offline: registration, posting, sign-up buttons, QR and location check-in,
self-reports and their approval, totals."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import select
from telegram.warnings import PTBUserWarning

from bot import date_style
from bot.clock import now_utc
from bot.demo import telegram_id_of
from bot.services import volunteer
from bot.services.volunteer.buttons import ActivityAction, ActivityButton
from bot.services.volunteer.timing import VolunteerConfig
from storage.models import AuditEntry, OutboxMessage
from storage.volunteer import Activity, CommunityRegistration, ServiceReport, SignUp
from tests.conftest import BotHarness
from tests.volunteer_helpers import ENV, GARDEN, actor_of, add_activity, add_communities


async def _communities(bot: BotHarness) -> dict[str, int]:
    async with bot.db.session() as session:
        return await add_communities(session)


async def _activity(bot: BotHarness, community_id: int, **kw: object) -> Activity:
    async with bot.db.session() as session:
        return await add_activity(session, await actor_of(session, "A01"), community_id, **kw)  # type: ignore[arg-type]


def _yesterday() -> str:
    """The day of the reports made in these tests (yesterday), as a queue button names it."""
    return date_style.day(now_utc().date() - timedelta(days=1), "zh_CN", weekday=False)


async def _drain(bot: BotHarness) -> None:
    """Send the outbox. The worker of this branch's base calls do_api_request, which PTB warns about
    (main's worker no longer does); the warning is not what these tests are about."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Please use 'Bot.", category=PTBUserWarning)
        await bot.drain_outbox()


async def test_register_with_a_community_by_name_and_by_location(bot: BotHarness) -> None:
    ids = await _communities(bot)
    replies = await bot.say("A03", "/community")
    assert "您还没有到社区报到" in replies[0]
    replies = await bot.say("A03", "花园")
    assert replies == ["是哪一个？点击即可报到。"]
    assert [data for _, data in bot.request.calls[-1].buttons] == [f"vc:{ids['garden']}", f"vc:{ids['garden_new']}"]
    assert await bot.say("A03", "不存在") == ["没有与“不存在”相符的社区，请换个名称试试。"]
    replies = await bot.press("A03", f"vc:{ids['garden']}")
    assert any("已向<b>花园社区</b>（东城街道）报到" in r for r in replies)
    # The flow has ended: ordinary text is no longer a search but a question on the measures.
    replies = await bot.say("A03", "花园")
    assert len(replies) == 1 and replies[0].startswith("没有找到能回答这个问题的措施")
    # Sharing a location lists the nearest first, with distances.
    await bot.say("A04", "/community")
    await bot.send(bot.updates.location(telegram_id_of("A04"), GARDEN[0] - 0.0045, GARDEN[1]))
    labels = [label for label, _ in bot.request.calls[-1].buttons]
    assert labels[0].startswith("花园社区 · 东城街道 · 0.5 km") and len(labels) == 2
    async with bot.db.session() as session:
        rows = (await session.scalars(select(CommunityRegistration))).all()
    assert [(r.member_id, r.community_id) for r in rows] == [(bot.ids.members_a[2], ids["garden"])]
    # The secretary sees who has registered.
    await bot.say("A01", "/community")
    assert ("支部党员报到情况", "vcv:list") in bot.request.calls[-2].buttons
    replies = await bot.press("A01", "vcv:list")
    assert "已报到：1 / 7" in replies[-1] and "张伟 — 花园社区" in replies[-1] and "尚未报到" in replies[-1]
    # A member pressing the leaders' button is refused.
    replies = await bot.press("A03", "vcv:list")
    assert replies == ["只有支部书记（或受委托的支部委员）才能进行此操作。"]
    replies = await bot.press(100001, "vcv:counts")
    assert "各社区报到党员人数" in replies[-1] and "花园社区（东城街道）：1" in replies[-1]


async def test_secretary_posts_an_activity_and_members_sign_up(bot: BotHarness) -> None:
    ids = await _communities(bot)
    start = (now_utc() + timedelta(days=3)).astimezone(ENV.tz)
    await bot.say("A01", "/activity_new")
    await bot.say("A01", "敬老院探访")
    await bot.say("A01", "花园社区")
    await bot.press("A01", f"vnc:{ids['garden']}")
    assert "结束时间必须晚于" in (await bot.say("A01", f"{start:%Y-%m-%d} 11:00-09:00"))[0]
    await bot.say("A01", f"{start:%Y-%m-%d} 09:00-11:30")
    assert await bot.say("A01", "很多") == ["请用整数写名额，例如10。"]
    await bot.say("A01", "2")
    await bot.send(bot.updates.location(telegram_id_of("A01"), GARDEN[0], GARDEN[1]))
    await bot.say("A01", "陪老人聊天")
    await bot.press("A01", "vns:go")
    summary = bot.request.calls[-1]
    assert "敬老院探访" in summary.text and "📍" in summary.text and "第一党支部" in summary.text
    replies = await bot.press("A01", "vn:go")
    assert any("已发布<b>敬老院探访</b>，并发给了第一党支部" in r for r in replies)
    async with bot.db.session() as session:
        activity = await session.scalar(select(Activity))
        assert activity is not None and activity.slots == 2 and activity.latitude == GARDEN[0]
        assert activity.skills == "陪老人聊天" and activity.description is None
    await _drain(bot)
    notice = bot.request.sent(telegram_id_of("A03"))[-1]
    assert "支部有新的志愿服务活动" in notice.text and notice.buttons == [("报名", f"va:{activity.id}:join")]
    # Sign up from the notice; the card shows the place and a cancel button.
    replies = await bot.press("A03", f"va:{activity.id}:join")
    assert "报名成功。" in replies and any("✅ 您已报名。" in r for r in replies)
    assert ("取消报名", f"va:{activity.id}:leave") in bot.request.calls[-1].buttons
    assert await bot.press("A03", f"va:{activity.id}:join") == ["您已经报名了这个活动。"]
    await bot.press("A04", f"va:{activity.id}:join")
    replies = await bot.press("A05", f"va:{activity.id}:join")
    assert "活动名额已满：您在候补名单第1位。有名额空出时我会通知您。" in replies
    # A cancellation moves the waiting member up, who is told.
    await bot.press("A03", f"va:{activity.id}:leave")
    async with bot.db.session() as session:
        promoted = await session.scalar(select(OutboxMessage).where(OutboxMessage.dedup_key.like("vol:promoted:%")))
    assert promoted is not None and promoted.chat_id == telegram_id_of("A05") and "好消息" in promoted.payload["text"]
    # Branch B's members cannot see it.
    assert await bot.press("B02", f"va:{activity.id}:join") == ["没有这个活动。"]
    listing = await bot.say("A05", "/activities")
    assert "敬老院探访" in listing[0] and "您已报名" in listing[0]
    # The secretary's roll.
    replies = await bot.press("A01", f"va:{activity.id}:roll")
    assert "刘洋" in replies[-1] and "陈静" in replies[-1] and "名额：共2个，已报2个" in replies[-1]


async def test_one_line_activity_and_refusals(bot: BotHarness) -> None:
    await _communities(bot)
    start = (now_utc() + timedelta(days=2)).astimezone(ENV.tz)
    replies = await bot.say("A01", f"/activity_new 义务植树 | 西隅社区 | {start:%Y-%m-%d} 08:00-10:00 | 5 | 公园东门")
    assert any("已发布<b>义务植树</b>" in r for r in replies)
    assert await bot.say("A01", f"/activity_new 义务植树 | 火星社区 | {start:%Y-%m-%d} 08:00-10:00 | 5") == [
        "找不到社区“火星社区”。"
    ]
    assert await bot.say("A03", "/activity_new") == ["抱歉，您的角色不能使用 /activity_new。"]
    async with bot.db.session() as session:
        assert len((await session.scalars(select(Activity))).all()) == 1


async def test_qr_check_in_then_check_out(bot: BotHarness) -> None:
    ids = await _communities(bot)
    activity = await _activity(
        bot, ids["garden"], now=now_utc() - timedelta(hours=1), starts_in=timedelta(minutes=40), hours=2
    )
    async with bot.db.session() as session:
        link = await volunteer.checkin_link(session, activity, "branch_assistant_bot")
    payload = link.rsplit("=", 1)[1]
    assert payload.startswith("vk_") and len(payload) <= 64
    replies = await bot.say("A03", f"/start {payload}")
    assert replies[0].startswith("✅") and "签到成功" in replies[0]
    replies = await bot.say("A03", f"/start {payload}")
    assert "您已于" in replies[0] and ("签退", f"va:{activity.id}:out") in bot.request.calls[-1].buttons
    await bot.press("A03", f"va:{activity.id}")  # the card: a place already used is not offered for cancelling
    assert [data for _, data in bot.request.calls[-1].buttons] == [f"va:{activity.id}:out", f"va:{activity.id}:map"]
    await bot.press("A03", f"va:{activity.id}:map")  # where it is, to find the way
    venue = bot.request.calls[-1]
    assert venue.method == "sendVenue" and (venue.params["latitude"], venue.params["longitude"]) == GARDEN
    with time_machine.travel(now_utc() + timedelta(minutes=20), tick=False):
        replies = await bot.press("A03", f"va:{activity.id}:out")
    assert any("签退成功" in r and "0.33小时" in r for r in replies), replies
    async with bot.db.session() as session:
        signup = await session.scalar(select(SignUp).where(SignUp.activity_id == activity.id))
        assert signup is not None and signup.checkin_method == "qr" and signup.checkout_method == "button"
        assert signup.minutes == 20
    assert signup.checked_out_at is not None
    out_at = signup.checked_out_at.astimezone(ENV.tz)
    assert await bot.say("A03", f"/start {payload}") == [f"您已于{out_at:%H:%M}签退。"]
    assert await bot.say("A03", "/start vk_forgedforgedforgedforgedforgedforgedforge") == ["该签到码无效。"]
    # A secretary gets the QR code image.
    await bot.press("A01", f"va:{activity.id}:qr")
    photo = bot.request.sent(method="sendPhoto")[-1]
    assert photo.files and next(iter(photo.files.values())).startswith(b"\x89PNG") and payload in photo.text


async def test_location_check_in_within_the_radius(bot: BotHarness) -> None:
    ids = await _communities(bot)
    activity = await _activity(bot, ids["garden"], now=now_utc() - timedelta(hours=1), starts_in=timedelta(minutes=50))
    await bot.say("A04", "/activities")
    await bot.press("A04", f"va:{activity.id}")
    assert ("用我的位置签到", f"val:{activity.id}") in bot.request.calls[-1].buttons
    await bot.press("A04", f"val:{activity.id}")
    assert bot.request.calls[-1].params["reply_markup"]["keyboard"][0][0]["request_location"] is True
    await bot.send(bot.updates.location(telegram_id_of("A04"), GARDEN[0] + 0.02, GARDEN[1]))
    assert "须在300米范围内才能签到" in bot.request.calls[-1].text
    await bot.send(bot.updates.location(telegram_id_of("A04"), GARDEN[0] + 0.001, GARDEN[1]))
    assert "签到成功" in bot.request.calls[-1].text
    async with bot.db.session() as session:
        signup = await session.scalar(select(SignUp).where(SignUp.activity_id == activity.id))
        assert signup is not None and signup.checkin_method == "location"


async def test_self_report_flow_and_approval(bot: BotHarness) -> None:
    ids = await _communities(bot)
    async with bot.db.session() as session:
        await volunteer.register_community(session, await actor_of(session, "A03"), ids["garden"], now_utc().date())
    await bot.say("A01", "/linkgroup", chat_id=-100555)
    assert await bot.say("A03", "/report", chat_id=-100555) == ["请在与我的私聊中进行此操作。"]
    await bot.say("A03", "/report")
    assert "请在完成服务后再报送" in (await bot.say("A03", "2099-01-01"))[0]
    await bot.press("A03", "vpd:1")
    assert "每天的时长须在0.5到12小时之间" in (await bot.say("A03", "15"))[0]
    await bot.say("A03", "2")
    assert ("花园社区", f"vpc:{ids['garden']}") in bot.request.calls[-1].buttons
    await bot.press("A03", f"vpc:{ids['garden']}")
    await bot.say("A03", "帮助社区清理楼道杂物")
    big = {"file_id": "big", "file_unique_id": "big", "width": 4000, "height": 3000, "file_size": 30 * 1024 * 1024}
    await bot.send(bot.updates.message(telegram_id_of("A03"), photo=[big]))
    assert "照片太大（30.0 MB），上限为10 MB" in bot.request.calls[-1].text
    await bot.send(bot.updates.photo(telegram_id_of("A03"), file_id="good-photo"))
    assert bot.request.calls[-1].text == "已收到1张照片。"
    await bot.press("A03", "vpp:go")
    assert "帮助社区清理楼道杂物" in bot.request.calls[-1].text and "1张照片" in bot.request.calls[-1].text
    replies = await bot.press("A03", "vp:send")
    assert any("已报送支部书记审核" in r for r in replies) and not any("#" in r for r in replies)
    assert await bot.press("A03", "vp:send") in ([], [""])  # the flow is over: a second tap stores nothing
    async with bot.db.session() as session:
        report = await session.scalar(select(ServiceReport))
        assert report is not None and report.photos == ["good-photo"] and report.minutes == 120
        assert len((await session.scalars(select(ServiceReport))).all()) == 1
    # The secretary is told, with buttons; another branch's secretary cannot approve it.
    await _drain(bot)
    request = bot.request.sent(telegram_id_of("A01"))[-1]
    assert "张伟报送了志愿服务" in request.text and ("通过", f"vr:{report.id}:ok") in request.buttons
    assert await bot.press("B01", f"vr:{report.id}:ok") == ["这份报送不是本支部的。"]
    assert await bot.say("A03", "/service") == ["抱歉，您的角色不能使用 /service。"]
    replies = await bot.say("A01", "/service")
    assert "第一党支部志愿服务情况" in replies[0] and "合计0小时" in replies[0] and "尚未参加志愿服务" in replies[0]
    assert "待审核的志愿服务报送" in replies[1] and "帮助社区清理楼道杂物" in replies[1]
    replies = await bot.press("A01", f"vr:{report.id}:okq")
    assert "已通过1份报送。" in replies
    # The summary above the queue is edited with the new totals: it no longer says 0 hours.
    assert any("第一党支部志愿服务情况" in r and "合计2小时" in r for r in replies), replies
    await _drain(bot)
    assert "已审核通过" in bot.request.sent(telegram_id_of("A03"))[-1].text
    mine = (await bot.say("A03", "/myservice"))[0]
    assert "本年度：2小时" in mine
    async with bot.db.session() as session:
        assert await session.scalar(select(AuditEntry).where(AuditEntry.action == "approve")) is not None


async def test_reject_with_a_reason_and_approve_several_at_once(bot: BotHarness) -> None:
    await _communities(bot)
    async with bot.db.session() as session:
        from bot.services.volunteer import reports

        made = []
        for number, hours in (("A03", 1), ("A04", 2), ("A05", 3)):
            made.append(
                await reports.submit_report(
                    session,
                    await actor_of(session, number),
                    reports.ReportInput(
                        day=now_utc().date() - timedelta(days=1), hours=hours, description="宣讲", place="广场"
                    ),
                    VolunteerConfig(),
                    env=ENV,
                )
            )
    await bot.press("A01", f"vrn:{made[0].id}")
    assert "为什么不通过" in bot.request.calls[-1].text
    assert await bot.say("A01", "缺少照片证明") == ["该报送未通过，已告知本人理由。"]
    replies = await bot.say("A01", "/service")
    assert "（2份待审核）" in replies[1]
    assert ("通过全部2份", f"vra:{made[1].id}:{made[2].id}") in bot.request.calls[-1].buttons
    replies = await bot.press("A01", f"vra:{made[1].id}:{made[2].id}")
    assert "已通过2份报送。" in replies and any("没有待审核的报送" in r for r in replies)
    async with bot.db.session() as session:
        statuses = [r.status for r in (await session.scalars(select(ServiceReport).order_by(ServiceReport.id))).all()]
    assert statuses == ["rejected", "approved", "approved"]
    await _drain(bot)
    assert "缺少照片证明" in bot.request.sent(telegram_id_of("A03"))[-1].text


async def test_forgotten_check_out_is_confirmed_or_corrected_in_service(bot: BotHarness) -> None:
    ids = await _communities(bot)
    activity = await _activity(bot, ids["garden"], now=now_utc() - timedelta(days=1), starts_in=timedelta(hours=2))
    async with bot.db.session() as session:
        for number in ("A03", "A04"):
            actor = await actor_of(session, number)
            await volunteer.sign_up(session, actor, activity.id, now=activity.starts_at - timedelta(hours=1))
            await volunteer.check_in(session, actor, activity.id, env=ENV, method="qr", now=activity.starts_at)
        assert await volunteer.close_forgotten_checkouts(session, env=ENV) == 2
        rows = (await session.scalars(select(SignUp).order_by(SignUp.id))).all()
    replies = await bot.say("A01", "/service")
    assert "待确认的签退" in replies[-1] and "张伟" in replies[-1]
    replies = await bot.press("A01", f"vh:{rows[0].id}")
    assert replies[0] == "已确认：2小时。"
    # The list is replaced: the confirmed line no longer offers its buttons, the other one still does.
    assert "张伟" not in replies[-1] and "刘洋" in replies[-1]
    assert f"vh:{rows[0].id}" not in [data for _, data in bot.request.calls[-1].buttons]
    await bot.press("A01", f"vhf:{rows[1].id}")
    assert "请写时长和理由" in bot.request.calls[-1].text
    assert "请说明更正的理由" in (await bot.say("A01", "1.5"))[0]
    assert await bot.say("A01", "1.5 提前离开") == ["服务时长已改为1.5小时。"]
    async with bot.db.session() as session:
        fixed = await session.get(SignUp, rows[1].id)
        assert fixed is not None and fixed.minutes == 90 and fixed.correction_reason == "提前离开"


async def test_english_member_sees_english(bot: BotHarness) -> None:
    ids = await _communities(bot)
    await bot.press("A03", "lang:en")
    await _activity(bot, ids["garden"])
    replies = await bot.say("A03", "/activities")
    assert replies[0].startswith("<b>Volunteer activities</b>")
    assert (await bot.say("A03", "/myservice"))[0].startswith("<b>My volunteer service</b>")


async def test_administrator_dispatches_to_chosen_branches_and_sees_every_branch(bot: BotHarness) -> None:
    ids = await _communities(bot)
    admin = 100001  # ADM1
    start = (now_utc() + timedelta(days=4)).astimezone(ENV.tz)
    await bot.say(admin, "/activity_new")
    await bot.say(admin, "交通文明劝导")
    await bot.say(admin, "西隅")
    await bot.press(admin, f"vnc:{ids['xiyu']}")
    await bot.say(admin, f"{start:%Y-%m-%d} 17:30-19:30")
    await bot.say(admin, "6")
    await bot.say(admin, "西门路口")
    await bot.press(admin, "vns:go")  # no map pin
    await bot.press(admin, "vns:go")  # no skills
    await bot.say(admin, "穿志愿者马甲")
    labels = [label for label, _ in bot.request.calls[-1].buttons]
    assert labels[0].startswith("市民政局机关党委全部支部") and "第二党支部" in labels
    assert await bot.press(admin, "vnd") == ["请至少选择一个支部。"]
    await bot.press(admin, f"vnd:{bot.ids.branch_b}")
    assert ("✅ 第二党支部", f"vnd:{bot.ids.branch_b}") in bot.request.calls[-1].buttons
    await bot.press(admin, "vnd")
    assert "已发给：第二党支部" in bot.request.calls[-1].text and "确认发布吗？" in bot.request.calls[-1].text
    replies = await bot.press(admin, "vn:go")
    assert any("并发给了第二党支部" in r for r in replies)
    async with bot.db.session() as session:
        notified = {
            m.chat_id
            for m in (await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "notice"))).all()
        }
    assert notified == {telegram_id_of("B01"), telegram_id_of("B02"), telegram_id_of("B03")}  # B04 is unbound
    assert "交通文明劝导" not in (await bot.say("A03", "/activities"))[0]
    assert "交通文明劝导" in (await bot.say("B02", "/activities"))[0]
    replies = await bot.say(admin, "/service")
    assert "第一党支部：0小时，7名党员中0名参加了服务" in replies[0] and "第二党支部：0小时" in replies[0]
    assert "11名党员本期尚未参加志愿服务。" in replies[0] and "机关党委：" not in replies[0]
    replies = await bot.press(admin, "vs:year")
    assert "本年度" in replies[-1]


async def test_scheduled_jobs_are_registered_and_idempotent(bot: BotHarness) -> None:
    from types import SimpleNamespace

    from bot import features
    from bot.jobs import volunteer as volunteer_jobs

    assert {"volunteer-close-checkouts", "volunteer-reminders"} <= {job.id for job in features.jobs()}
    ids = await _communities(bot)
    tz = ENV.tz
    with time_machine.travel(datetime(2030, 6, 3, 7, 0, tzinfo=tz), tick=False):  # Monday 07:00
        activity = await _activity(bot, ids["garden"], starts_in=timedelta(hours=26))  # Tuesday 09:00
        await bot.press("A03", f"va:{activity.id}:join")
        context = SimpleNamespace(resources=bot.application.bot_data["resources"])
        await volunteer_jobs.remind_tomorrow(context)  # type: ignore[arg-type]
        await volunteer_jobs.remind_tomorrow(context)  # type: ignore[arg-type]
        await volunteer_jobs.close_forgotten_checkouts(context)  # type: ignore[arg-type]
    async with bot.db.session() as session:
        reminders = (await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "reminder"))).all()
    assert [(r.chat_id, r.not_before) for r in reminders] == [
        (telegram_id_of("A03"), datetime(2030, 6, 3, 18, 0, tzinfo=tz).astimezone(UTC))
    ]


async def test_the_poster_edits_and_cancels_an_activity_in_chat(bot: BotHarness) -> None:
    ids = await _communities(bot)
    activity = await _activity(bot, ids["garden"], slots=1)
    await bot.press("A03", f"va:{activity.id}:join")
    await bot.press("A04", f"va:{activity.id}:join")  # waiting
    assert ("✏️ 修改", f"va:{activity.id}:ed") not in bot.request.calls[-1].buttons
    assert await bot.press("A03", f"va:{activity.id}:cx") == ["只有发布该活动的人才能修改或取消它。"]
    assert await bot.press("A03", f"vae:{activity.id}:title") == ["只有发布该活动的人才能修改或取消它。"]
    assert await bot.press("B01", f"va:{activity.id}:cxy") == ["没有这个活动。"]
    for private in ("roll", "qr"):  # the roll and the check-in code are for leaders
        assert await bot.press("A03", f"va:{activity.id}:{private}") == [
            "只有支部书记（或受委托的支部委员）才能进行此操作。"
        ]
    await bot.press("A01", f"va:{activity.id}")
    assert ("🚫 取消活动", f"va:{activity.id}:cx") in bot.request.calls[-1].buttons
    await bot.press("A01", f"va:{activity.id}:ed")
    assert ("名额", f"vae:{activity.id}:slots") in bot.request.calls[-1].buttons
    await bot.press("A01", f"vae:{activity.id}:slots")
    assert "至少1个" in bot.request.calls[-1].text
    assert await bot.say("A01", "0") == ["名额须在1到1000之间。"]  # still asked: a second try
    replies = await bot.say("A01", "2")
    assert replies[0] == "✅ 已修改，已通知2名已报名或候补的党员。" and "名额：共2个，已报2个" in replies[1]
    await bot.press("A01", f"vae:{activity.id}:title")
    await bot.say("A01", "敬老院探访")
    async with bot.db.session() as session:
        rows = (await session.scalars(select(OutboxMessage).where(OutboxMessage.dedup_key.like("vol:%")))).all()
    promoted = [r for r in rows if r.dedup_key.startswith(f"vol:promoted:{activity.id}:")]
    assert [r.chat_id for r in promoted] == [telegram_id_of("A04")] and "好消息" in promoted[0].payload["text"]
    renamed = [r for r in rows if r.dedup_key.startswith(f"vol:changed:{activity.id}:2:")]
    assert {r.chat_id for r in renamed} == {telegram_id_of("A03"), telegram_id_of("A04")}
    assert "有变动（活动名称）" in renamed[0].payload["text"] and "敬老院探访" in renamed[0].payload["text"]
    # Cancelling asks first, then tells both and closes sign-up and check-in.
    await bot.press("A01", f"va:{activity.id}:cx")
    assert "将通知已报名的2人和候补的0人" in bot.request.calls[-1].text
    replies = await bot.press("A01", f"va:{activity.id}:cxy")
    assert "已取消，已通知2名已报名或候补的党员。" in replies and any("🚫 该活动已取消。" in r for r in replies)
    assert await bot.press("A05", f"va:{activity.id}:join") == ["该活动已取消。"]
    async with bot.db.session() as session:
        link = await volunteer.checkin_link(session, activity, "branch_assistant_bot")
        entries = (await session.scalars(select(AuditEntry.action).where(AuditEntry.entity == "activity"))).all()
    assert await bot.say("A03", f"/start {link.rsplit('=', 1)[1]}") == ["该活动已取消。"]
    assert entries.count("edit") == 2 and entries.count("cancel") == 1
    assert "敬老院探访" not in (await bot.say("A03", "/activities"))[0]


async def test_approve_the_reports_ticked_in_the_queue(bot: BotHarness) -> None:
    from bot.services.volunteer import reports

    made = []
    async with bot.db.session() as session:
        for number in ("A03", "A04", "A05"):
            made.append(
                await reports.submit_report(
                    session,
                    await actor_of(session, number),
                    reports.ReportInput(
                        day=now_utc().date() - timedelta(days=1), hours=1, description="宣讲", place="广场"
                    ),
                    VolunteerConfig(),
                    env=ENV,
                )
            )
    first, second, third = (r.id for r in made)
    await bot.say("A01", "/service")
    assert ("☐ 张伟 · " + _yesterday(), f"vrt:{first}") in bot.request.calls[-1].buttons
    assert "vrs:go" not in [data for _, data in bot.request.calls[-1].buttons]
    assert await bot.press("A01", "vrs:go") == ["请先勾选要通过的报送。"]
    await bot.press("A01", f"vrt:{first}")
    await bot.press("A01", f"vrt:{third}")
    await bot.press("A01", f"vrt:{second}")
    await bot.press("A01", f"vrt:{second}")  # changed their mind
    buttons = bot.request.calls[-1].buttons
    assert ("☑ 张伟 · " + _yesterday(), f"vrt:{first}") in buttons and (
        "☐ 刘洋 · " + _yesterday(),
        f"vrt:{second}",
    ) in buttons
    assert ("通过所选2份", "vrs:go") in buttons
    assert await bot.press("B01", f"vrt:{second}") == ["这份报送不是本支部的。"]
    assert await bot.press("A03", f"vrt:{second}") == ["只有支部书记（或受委托的支部委员）才能进行此操作。"]
    replies = await bot.press("A01", "vrs:go")
    assert "已通过2份报送。" in replies and any("（1份待审核）" in r for r in replies)
    async with bot.db.session() as session:
        statuses = [r.status for r in (await session.scalars(select(ServiceReport).order_by(ServiceReport.id))).all()]
        approvals = (await session.scalars(select(AuditEntry).where(AuditEntry.action == "approve"))).all()
    assert statuses == ["approved", "pending", "approved"]
    assert [e.details["reports"] for e in approvals] == [[first, third]]


async def test_a_new_command_leaves_an_unfinished_volunteer_flow(bot: BotHarness) -> None:
    ids = await _communities(bot)
    await bot.say("A03", "/community")  # not registered: asked for a name …
    await bot.say("A03", "/myservice")  # … but goes elsewhere
    replies = await bot.say("A03", "党费能用来干什么")
    assert "社区" not in replies[0] and "党费" in replies[0]
    await bot.say("A03", "/report")
    await bot.say("A03", "/help")  # a look at the commands keeps the flow …
    assert "服务了多长时间" in (await bot.say("A03", "昨天"))[0]
    await bot.say("A03", "/activities")  # … another command leaves it
    assert "在哪里" not in (await bot.say("A03", "2.5"))[0]  # not taken for the hours any more
    # Registered already: /community shows it and offers a change, and only then asks.
    await bot.say("A03", "/community")
    await bot.say("A03", "西隅")
    await bot.press("A03", f"vc:{ids['xiyu']}")
    replies = await bot.say("A03", "/community")
    assert len(replies) == 1 and "您已向<b>西隅社区</b>" in replies[0]
    assert ("更换报到社区", "vcc:go") in bot.request.calls[-1].buttons
    await bot.press("A03", "vcc:go")
    assert "请发送社区名称的一部分" in bot.request.calls[-1].text
    assert await bot.say("A03", "花园") == ["是哪一个？点击即可报到。"]


async def test_user_text_is_escaped_in_the_html_sent(bot: BotHarness) -> None:
    """Titles, searches and names people typed are text, never markup: the bot's HTML stays valid."""
    ids = await _communities(bot)
    await bot.say("A03", "/community")
    assert await bot.say("A03", "<b>") == ["没有与“&lt;b&gt;”相符的社区，请换个名称试试。"]
    activity = await _activity(bot, ids["garden"], title="关爱‹老人>活动")
    await bot.press("A01", ActivityButton(activity=activity.id, action=ActivityAction.EDIT).pack())
    edit = bot.request.calls[-1].text
    assert "<b>关爱‹老人&gt;活动</b>" in edit and "老人>" not in edit
    await bot.press("A01", ActivityButton(activity=activity.id, action=ActivityAction.CANCEL).pack())
    assert "<b>关爱‹老人&gt;活动</b>" in bot.request.calls[-1].text
