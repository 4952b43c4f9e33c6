"""Core under pressure: one invitation opened by two accounts at once, the caller cache, forged button data."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from sqlalchemy import event, func, select

from bot.db import Database
from bot.demo import seed_demo, telegram_id_of
from bot.errors import Conflict
from bot.services import identity
from storage.models import AuditEntry, Invitation, Member, Organisation
from tests.conftest import BotHarness

ALREADY_USED = "该邀请链接已被使用，请向支部书记索取新的链接。"
STALE = "该按钮已失效，请重新打开菜单。"


async def _issue(db: Database, member_no: str) -> str:
    async with db.session() as session:
        member = await session.scalar(select(Member).where(Member.member_no == member_no))
        assert member is not None
        issued = await identity.issue_invitation(session, member, ttl_days=14)
    return issued.token


@pytest.mark.parametrize("accounts", [2, 20])
async def test_one_invitation_opened_by_many_accounts_at_once_binds_one(any_db: Database, accounts: int) -> None:
    async with any_db.session() as session:
        await seed_demo(session)
    token = await _issue(any_db, "A06")

    async def open_link(telegram_id: int) -> str:
        try:
            async with any_db.session() as session:
                redemption = await identity.redeem_invitation(session, token, telegram_id, require_phone=False)
                return f"bound {redemption.member.member_no}"
        except Conflict as refusal:
            return refusal.msgid

    outcomes = await asyncio.gather(*(open_link(900_000 + n) for n in range(accounts)))
    assert outcomes.count("bound A06") == 1, outcomes
    # A loser that read before the winner's commit is told the link was used (the conditional write refused it);
    # one that read after it is told the member is bound already. Which one depends on timing; both change nothing.
    refusals = ("already been used", "is already bound to a Telegram account")
    assert all(o == "bound A06" or any(r in o for r in refusals) for o in outcomes), outcomes
    winner = 900_000 + outcomes.index("bound A06")
    async with any_db.session() as session:
        member = await session.scalar(select(Member).where(Member.member_no == "A06"))
        assert member is not None and member.telegram_id == winner
        invitation = await session.scalar(select(Invitation).where(Invitation.member_id == member.id))
        assert invitation is not None and invitation.used_at is not None
        binds = await session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "bind"))
    assert binds == 1


async def test_two_accounts_opening_one_link_in_chat_only_the_winner_is_welcomed(bot: BotHarness) -> None:
    token = await _issue(bot.db, "A06")
    before = len(bot.request.calls)
    await asyncio.gather(
        bot.send(bot.updates.message(700_001, f"/start inv_{token}")),
        bot.send(bot.updates.message(700_002, f"/start inv_{token}")),
    )
    texts = {c.chat_id: c.text for c in bot.request.calls[before:] if c.text}
    welcomed = [chat for chat, text in texts.items() if text and "杨帆" in text and "绑定" in text]
    refused = [chat for chat, text in texts.items() if text == ALREADY_USED]
    assert len(welcomed) == 1 and len(refused) == 1, texts
    async with bot.db.session() as session:
        member = await session.scalar(select(Member).where(Member.member_no == "A06"))
    assert member is not None and member.telegram_id == welcomed[0]


# --- the caller cache ------------------------------------------------------------------------------------------


def _count_statements(db: Database) -> list[str]:
    seen: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        seen.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    return seen


async def test_a_repeated_caller_is_not_looked_up_again(bot: BotHarness) -> None:
    await bot.say("A03", "/help")
    seen = _count_statements(bot.db)
    await bot.say("A03", "/help")
    assert not [s for s in seen if "FROM members" in s], seen


async def test_a_change_in_this_process_is_seen_at_once(bot: BotHarness) -> None:
    assert (await bot.say("A03", "/help"))[0].startswith("张伟，您好")
    async with bot.db.session() as session:  # another session, as the CLI or a job would
        member = await session.scalar(select(Member).where(Member.member_no == "A03"))
        assert member is not None
        member.active = False  # transferred out: access ends with this transaction
    replies = await bot.say("A03", "/help")
    assert not replies[0].startswith("张伟"), replies  # treated as a guest now


class _Elsewhere:
    """Commits made inside the block count as another process's: only the stored roster version tells."""

    async def __aenter__(self) -> None:
        from storage import core as core_store

        self.before = core_store._committed_changes

    async def __aexit__(self, *_exc: object) -> None:
        from storage import core as core_store

        core_store._committed_changes = self.before


async def test_a_change_by_another_replica_is_seen_by_the_next_update(bot: BotHarness) -> None:
    assert await bot.say("A03", "/lang") == ["请选择语言："]
    assert await bot.say("A03", "/lang") == ["请选择语言："]  # from the cache
    async with _Elsewhere(), bot.db.session() as session:
        member = await session.scalar(select(Member).where(Member.member_no == "A03"))
        assert member is not None
        member.language = "en"
    assert await bot.say("A03", "/lang") == ["Choose your language:"]


async def _version(db: Database) -> str | None:
    from storage.core import roster_version

    async with db.session() as session:
        return await roster_version(session)


async def test_every_change_of_who_a_caller_is_writes_a_new_roster_version(
    bot: BotHarness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Binding, unbinding, a transfer, an import changing a role, linking a group: each one bumps the version
    (in the command line's process too), so every replica's cache drops what it knew at its next update."""
    from typer.testing import CliRunner, Result

    from bot.cli import app

    monkeypatch.setenv("DATABASE_URL", bot.db.url)
    runner = CliRunner()

    async def cli(*args: str) -> Result:  # in a thread: the command line runs its own event loop
        return await asyncio.to_thread(runner.invoke, app, list(args))

    seen = [await _version(bot.db)]

    async def bumped() -> bool:
        seen.append(await _version(bot.db))
        return seen[-1] != seen[-2]

    token = await _issue(bot.db, "A06")
    async with _Elsewhere():
        await bot.say(700_003, f"/start inv_{token}")  # bind
    assert await bumped()
    async with _Elsewhere():
        assert (await cli("member", "unbind", "A03")).exit_code == 0
    assert await bumped()
    async with _Elsewhere():
        assert (await cli("member", "transfer", "A04", "--out")).exit_code == 0
    assert await bumped()
    exported = tmp_path / "roster.csv"
    assert (await cli("roster", "export", str(exported))).exit_code == 0
    text = exported.read_text("utf-8-sig")
    changed = text.replace(",member,", ",committee,", 1)
    assert changed != text
    exported.write_text(changed, "utf-8")
    async with _Elsewhere():
        result = await cli("roster", "import", str(exported))
        assert result.exit_code == 0, result.output
    assert await bumped()
    assert await _version(bot.db) == seen[-1]  # nothing else moved it
    async with _Elsewhere():
        await bot.say("A05", "/help")  # reading changes nothing
    assert not await bumped()


# --- forged button data ----------------------------------------------------------------------------------------

FORGED = [
    "lang:",
    "lang:fr",
    "lang:zh_CN:extra",
    "ub:",
    "ub:m",
    "ub:y:0",
    "ub:y:-1",
    "ub:y:99999999999999999999",
    "ub:m:9223372036854775808",
    "ub:x:5",
    "ub:n:5:6",
    "au:",
    "au:-1",
    "au:10001",
    "au:99999999999999999999999999",
    "au:1:2",
    "au:abc",
    "zz:1",
    "x" * 64,
]


@pytest.mark.parametrize("data", FORGED)
async def test_forged_button_data_is_a_quiet_refusal(
    bot: BotHarness, data: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    before = len(bot.request.calls)
    await bot.send(bot.updates.callback(telegram_id_of("A01"), data))
    calls = bot.request.calls[before:]
    assert [c.method for c in calls] == ["answerCallbackQuery"], calls
    assert calls[0].text in (STALE, None, ""), calls[0].text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_real_id_of_another_branch_is_refused_without_changes(bot: BotHarness) -> None:
    async with bot.db.session() as session:
        other = await session.scalar(select(Member).where(Member.member_no == "B02"))
        assert other is not None
        other_id, bound_to = other.id, other.telegram_id
    replies = await bot.press("A01", f"ub:y:{other_id}")
    assert replies and "杨" not in replies[0]
    async with bot.db.session() as session:
        assert (await session.get(Member, other_id)).telegram_id == bound_to  # type: ignore[union-attr]


async def test_the_audit_screen_names_actions_in_the_readers_language(bot: BotHarness) -> None:
    token = await _issue(bot.db, "A06")
    await bot.say(700_003, f"/start inv_{token}")
    screen = (await bot.say("A01", "/audit"))[0]
    assert "发出邀请链接" in screen and "绑定账号" in screen, screen
    assert "<code>bind</code>" not in screen and " · bind · " not in screen
    english = (await bot.say("A01", "/audit", language_code="en"))[0]
    assert "invitation issued" in english and "account bound" in english, english  # A01 chose no language


async def test_the_cache_keeps_nothing_looked_up_while_the_roster_changed(any_db: Database) -> None:
    from bot.callers import CachedCaller, CallerCache
    from storage.core import local_roster_changes

    cache = CallerCache()
    entry = CachedCaller(None, 7)
    cache.put((1, None), entry, "v1", local_roster_changes())
    assert cache.get((1, None), "v1") == entry
    assert cache.get((1, None), "v2") is None  # another process changed the roster
    assert cache.get((1, None), "v1") is None  # and what was kept is gone
    cache.put((1, None), entry, "v2", local_roster_changes())
    valid_for = local_roster_changes()  # a look-up starts; meanwhile this process changes the roster
    async with any_db.session() as session:
        await seed_demo(session)
    cache.put((2, None), entry, "v2", valid_for)
    assert cache.get((2, None), "v2") is None and cache.get((1, None), "v2") is None


GROUP = -100500


async def test_a_callers_first_update_in_a_group_reads_them_with_their_state(bot: BotHarness) -> None:
    """A member the process does not know yet in a branch's group: the member and the group's branch come with
    the person's state, in its one statement (bot/unit.py), not in look-ups of their own."""
    assert await bot.say("A01", "/linkgroup", chat_id=GROUP) == ["本群已关联到第一党支部。"]
    seen = _count_statements(bot.db)
    first = await bot.say("A03", "/help", chat_id=GROUP)
    assert first[0].startswith("张伟，您好")  # known as the member
    assert not [s for s in seen if "FROM members" in s or "FROM organisations" in s], seen
    callers = bot.application.bot_data["resources"].callers
    async with bot.db.session() as session:
        branch = await session.scalar(select(Organisation).where(Organisation.chat_id == GROUP))
    assert branch is not None and branch.name == "第一党支部"
    cached = callers._entries[(telegram_id_of("A03"), GROUP)]
    assert cached.chat_branch_id == branch.id and cached.actor is not None and cached.actor.name == "张伟"
    callers.enabled = False  # the usual look-up answers alike
    assert await bot.say("A03", "/help", chat_id=GROUP) == first
