"""The Telegram layer offline: joining by invitation, what guests and each role may do, groups, languages."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.demo import telegram_id_of
from bot.services import identity
from storage.models import AuditEntry, Invitation, Member, Organisation, OutboxMessage
from tests.conftest import BotHarness

GUEST = 555_000_111


async def _invite(bot: BotHarness, member_no: str, *, ttl_days: int = 14) -> str:
    async with bot.db.session() as session:
        member = await session.scalar(select(Member).where(Member.member_no == member_no))
        assert member is not None
        issued = await identity.issue_invitation(session, member, ttl_days=ttl_days)
    return issued.payload


async def test_invitation_binds_the_account_once(bot: BotHarness) -> None:
    payload = await _invite(bot, "A06")
    replies = await bot.say(GUEST, f"/start {payload}")
    assert any("杨帆" in r and "绑定" in r for r in replies), replies
    async with bot.db.session() as session:
        member = await session.scalar(select(Member).where(Member.member_no == "A06"))
        assert member is not None and member.telegram_id == GUEST
        invitation = await session.scalar(select(Invitation).where(Invitation.member_id == member.id))
        assert invitation is not None and invitation.used_at is not None
        menu = await session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "menu"))
        assert menu is not None and menu.chat_id == GUEST
    # The same link again from the same account (a second tap): they are told they have joined.
    assert await bot.say(GUEST, f"/start {payload}") == ["您已经以杨帆的身份加入，发送 /help 查看我能为您做什么。"]
    # The same link a second time, from another account: refused, nothing changes.
    replies = await bot.say(GUEST + 1, f"/start {payload}")
    assert replies == ["该邀请链接已被使用，请向支部书记索取新的链接。"]
    async with bot.db.session() as session:
        bound = await session.scalar(select(func.count()).select_from(Member).where(Member.telegram_id == GUEST + 1))
    assert bound == 0


async def test_forged_and_expired_invitations_are_refused(bot: BotHarness) -> None:
    assert await bot.say(GUEST, "/start inv_forgedforgedforgedforgedforged12") == [
        "该邀请链接无效，请向支部书记索取新的链接。"
    ]
    payload = await _invite(bot, "A07")
    async with bot.db.session() as session:
        invitation = await session.scalar(select(Invitation).order_by(Invitation.id.desc()))
        assert invitation is not None
        from datetime import timedelta

        invitation.expires_at = invitation.expires_at - timedelta(days=30)
    assert await bot.say(GUEST, f"/start {payload}") == ["该邀请链接已过期，请向支部书记索取新的链接。"]
    async with bot.db.session() as session:
        member = await session.scalar(select(Member).where(Member.member_no == "A07"))
        assert member is not None and member.telegram_id is None


async def test_english_user_gets_english_refusal(bot: BotHarness) -> None:
    replies = await bot.say(GUEST, "/start inv_forgedforgedforgedforgedforged12", language_code="en")
    assert replies == ["This invitation link is not valid. Ask your branch secretary for a new one."]


async def test_phone_confirmation_must_match_the_roster(bot: BotHarness) -> None:
    bot.application.bot_data["resources"].settings.INVITATION_REQUIRE_PHONE = True
    payload = await _invite(bot, "A07")
    replies = await bot.say(GUEST, f"/start {payload}")
    assert "手机号码" in replies[0]
    keyboard = bot.request.calls[-1].params["reply_markup"]
    assert keyboard["keyboard"][0][0]["request_contact"] is True
    # Someone else's contact, then the wrong number: refused, still unbound.
    await bot.send(bot.updates.contact(GUEST, "13900000107", contact_user_id=GUEST + 5))
    assert bot.request.calls[-1].text == "请用按钮分享您本人的手机号码，而不是他人的联系人。"
    await bot.send(bot.updates.contact(GUEST, "+86 139 0000 9999"))
    assert bot.request.calls[-1].text == "该手机号码与花名册不符，请联系支部书记核对。"
    async with bot.db.session() as session:
        member = await session.scalar(select(Member).where(Member.member_no == "A07"))
        assert member is not None and member.telegram_id is None
        phone = member.phone
    assert phone is not None
    await bot.send(bot.updates.contact(GUEST, "+86" + phone))
    assert "赵磊" in bot.request.calls[-1].text
    async with bot.db.session() as session:
        member = await session.scalar(select(Member).where(Member.member_no == "A07"))
        assert member is not None and member.telegram_id == GUEST


async def test_guest_may_only_join_and_ask(bot: BotHarness) -> None:
    replies = await bot.say(GUEST, "/invites")
    assert "您还不在支部花名册中" in replies[0]
    help_text = (await bot.say(GUEST, "/help"))[0]
    assert "/invites" not in help_text and "/measures" in help_text
    await bot.send(bot.updates.callback(GUEST, "mt:1:att"))
    assert bot.request.calls[-1].method == "answerCallbackQuery"
    assert bot.request.calls[-1].params["text"] == "请先通过邀请链接加入。"
    # A photo or a location from a guest is not silently ignored: they are told how to join.
    for update in (bot.updates.photo(GUEST), bot.updates.location(GUEST, 22.9, 113.7)):
        before = len(bot.request.calls)
        await bot.send(update)
        [answer] = [c.text for c in bot.request.calls[before:] if c.text]
        assert "您还不在支部花名册中" in answer


async def test_member_cannot_use_leaders_commands(bot: BotHarness) -> None:
    assert await bot.say("A03", "/invites") == ["抱歉，您的角色不能使用 /invites。"]
    help_text = (await bot.say("A03", "/help"))[0]
    assert "张伟" in help_text and "/invites" not in help_text


async def test_secretary_gets_links_and_qr_codes_for_unbound_members(bot: BotHarness) -> None:
    await bot.say("A01", "/invites")
    texts = bot.request.texts(telegram_id_of("A01"))
    assert "杨帆" in texts[0] and "赵磊" in texts[0] and "https://t.me/branch_assistant_bot?start=inv_" in texts[0]
    assert "张伟" not in texts[0]  # already bound
    album = bot.request.sent(method="sendMediaGroup")
    assert len(album) == 1 and [m["caption"] for m in album[0].params["media"]] == ["杨帆", "赵磊"]
    assert all(content.startswith(b"\x89PNG") for content in album[0].files.values())
    async with bot.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Invitation)) == 2
        assert (
            await session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "invite")) == 2
        )


async def test_group_must_be_linked_and_only_by_a_leader(bot: BotHarness) -> None:
    group = -100123
    replies = await bot.say("A03", "/invites", chat_id=group)
    assert replies == ["本群尚未关联任何支部。支部书记可在本群发送 /linkgroup 进行关联。"]
    assert await bot.say("A03", "/linkgroup", chat_id=group) == ["抱歉，您的角色不能使用 /linkgroup。"]
    assert await bot.say("A01", "/linkgroup", chat_id=group) == ["本群已关联到第一党支部。"]
    async with bot.db.session() as session:
        branch = await session.get(Organisation, bot.ids.branch_a)
        assert branch is not None and branch.chat_id == group
    # Another branch's secretary cannot take the group over.
    assert await bot.say("B01", "/linkgroup", chat_id=group) == ["本群已关联到其他支部。"]
    async with bot.db.session() as session:
        other = await session.get(Organisation, bot.ids.branch_b)
        assert other is not None and other.chat_id is None


async def test_language_choice_is_remembered(bot: BotHarness) -> None:
    await bot.say("A03", "/lang")
    assert [label for label, _ in bot.request.calls[-1].buttons] == ["中文", "English"]
    await bot.press("A03", "lang:en")
    assert bot.request.calls[-1].text == "I will speak English with you now."
    assert (await bot.say("A03", "/cancel")) == ["There is nothing to cancel."]
    async with bot.db.session() as session:
        member = await session.scalar(select(Member).where(Member.member_no == "A03"))
        assert member is not None and member.language == "en"


async def test_unexpected_error_is_logged_and_apologised_for(bot: BotHarness, caplog: object) -> None:
    from telegram.ext import CommandHandler

    async def broken(update: object, context: object) -> None:
        raise RuntimeError("boom")

    bot.application.add_handler(CommandHandler("boom", broken), group=5)
    replies = await bot.say("A03", "/boom")
    assert replies == ["抱歉，我这边出了点问题，本次操作没有保存，请稍后再试。"]
    import logging

    assert any(r.levelno == logging.ERROR and r.exc_info for r in caplog.records)  # type: ignore[attr-defined]


async def test_menus_per_role_and_language(bot: BotHarness) -> None:
    from bot import features
    from bot.menus import sync_member_menus

    defaults = bot.request.sent(method="setMyCommands")
    assert {c.params.get("language_code") for c in defaults} == {None, "zh", "en"}
    guest_menu = next(c for c in defaults if c.params.get("language_code") == "en")
    assert [c["command"] for c in guest_menu.params["commands"]] == [
        "start",
        "help",
        "ask",
        "measures",
        "lang",
        "cancel",
    ]
    queued = await sync_member_menus(bot.db, features.menu(), "zh_CN")
    assert queued == 9  # every bound member of the demo
    assert await sync_member_menus(bot.db, features.menu(), "zh_CN") == 0  # nothing changed: nothing queued again
    await bot.drain_outbox()
    secretary_menu = next(
        c
        for c in bot.request.sent(method="setMyCommands")
        if c.params.get("scope", {}).get("chat_id") == telegram_id_of("A01")
    )
    member_menu = next(
        c
        for c in bot.request.sent(method="setMyCommands")
        if c.params.get("scope", {}).get("chat_id") == telegram_id_of("A03")
    )
    assert "invites" in [c["command"] for c in secretary_menu.params["commands"]]
    assert "invites" not in [c["command"] for c in member_menu.params["commands"]]
    assert {"command": "help", "description": "我能为您做什么"} in secretary_menu.params["commands"]
    # A phone's menu: the role's most used commands only (/help shows the rest by group).
    assert len(secretary_menu.params["commands"]) <= 8 and len(member_menu.params["commands"]) <= 8
    # Whatever the features add, the language and the way out close every menu.
    assert [c["command"] for c in secretary_menu.params["commands"]][-2:] == ["lang", "cancel"]
    assert [c["command"] for c in member_menu.params["commands"]][-2:] == ["lang", "cancel"]
    # A changed role publishes again.
    async with bot.db.session() as session:
        member = await session.scalar(select(Member).where(Member.member_no == "A03"))
        assert member is not None
        member.role = "committee"
    assert await sync_member_menus(bot.db, features.menu(), "zh_CN") == 1


async def test_a_failure_after_the_save_does_not_claim_nothing_was_saved(bot: BotHarness) -> None:
    """The apology tells the truth: "nothing was saved" only when no change was committed in this update."""
    from telegram.ext import CommandHandler

    from bot.services import outbox

    async def saves_then_breaks(update: object, context: object) -> None:
        async with bot.db.session() as session:
            await outbox.enqueue(session, dedup_key="half-done", chat_id=1, text="x")
        raise RuntimeError("failed while replying")

    async def reads_then_breaks(update: object, context: object) -> None:
        async with bot.db.session() as session:
            await session.get(Member, 1)
        raise RuntimeError("failed before saving")

    bot.application.add_handler(CommandHandler("half", saves_then_breaks), group=5)
    bot.application.add_handler(CommandHandler("early", reads_then_breaks), group=5)
    assert await bot.say("A03", "/half") == ["抱歉，我这边出了点问题，但您的操作已经保存。再次尝试前请先核对结果。"]
    assert await bot.say("A03", "/early") == ["抱歉，我这边出了点问题，本次操作没有保存，请稍后再试。"]
