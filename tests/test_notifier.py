"""The notifier: each recipient in their language, one outbox row each under a per-recipient key, in the caller's
unit of work; leaders on Telegram, else the administrators above."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select

from bot.callbacks import CallbackData, Id
from bot.db import Database
from bot.demo import DemoIds, seed_demo, telegram_id_of
from bot.environment import ServiceEnv
from bot.i18n import N_
from bot.services.notifier import Message, Notifier, Recipient, admins_above, leaders_of, locale_of
from storage.models import Member, OutboxMessage, Role

ENV = ServiceEnv()  # zh_CN by default
END_BEFORE_START = N_("The end (%(end)s) must come after the start (%(start)s).")


class NoticeAction(StrEnum):
    OPEN = "open"


class NoticeButton(CallbackData, prefix="tnt"):
    item: Id
    action: NoticeAction


@pytest.fixture
async def demo_db(any_db: Database) -> tuple[Database, DemoIds]:
    async with any_db.session() as session:
        ids = await seed_demo(session)
    return any_db, ids


async def _set(db: Database, member_no: str, **values: Any) -> Member:
    async with db.session() as session:
        member = await session.scalar(select(Member).where(Member.member_no == member_no))
        assert member is not None
        for key, value in values.items():
            setattr(member, key, value)
    return member


async def _rows(db: Database) -> Sequence[OutboxMessage]:
    async with db.session() as session:
        return (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()


def _message() -> Message:
    return Message(msgid=END_BEFORE_START, params={"start": "<b>16:00</b>", "end": "14:00"})


def test_locale_of() -> None:
    assert locale_of(SimpleNamespace(language="en"), ENV) == "en"
    assert locale_of(SimpleNamespace(language=None), ENV) == "zh_CN"
    assert locale_of(SimpleNamespace(language=""), "en") == "en"
    assert locale_of(SimpleNamespace(language="en-US"), ENV) == "en"
    assert locale_of(None, ServiceEnv(default_locale="en")) == "en"


async def test_leaders_are_told_each_in_their_language_once(demo_db: tuple[Database, DemoIds]) -> None:
    db, ids = demo_db
    await _set(db, "A02", language="en")
    async with db.session() as session:
        sent = await Notifier(session, ENV).tell_leaders(ids.branch_a, _message(), key="test:7", kind="reminder")
    assert sent.queued == 2 and not sent.via_admins
    rows = await _rows(db)
    assert [(r.dedup_key, r.chat_id, r.member_id, r.kind) for r in rows] == [
        (f"test:7:{ids.committee_a}", telegram_id_of("A02"), ids.committee_a, "reminder"),  # 李红梅
        (f"test:7:{ids.secretary_a}", telegram_id_of("A01"), ids.secretary_a, "reminder"),  # 王建国
    ]
    texts = {r.member_id: r.payload["text"] for r in rows}
    assert texts[ids.secretary_a] == "结束（14:00）必须晚于开始（&lt;b&gt;16:00&lt;/b&gt;）。"  # values escaped
    assert texts[ids.committee_a] == "The end (14:00) must come after the start (&lt;b&gt;16:00&lt;/b&gt;)."
    assert all(r.payload["parse_mode"] == "HTML" and "reply_markup" not in r.payload for r in rows)
    # The same notification again (a job run twice) adds nothing.
    async with db.session() as session:
        again = await Notifier(session, ENV).tell_leaders(ids.branch_a, _message(), key="test:7", kind="reminder")
    assert again.queued == 0 and len(await _rows(db)) == 2


async def test_templates_params_and_buttons_per_recipient(demo_db: tuple[Database, DemoIds]) -> None:
    db, ids = demo_db
    await _set(db, "A03", language="en")

    def buttons(r: Recipient) -> list[list[tuple[str, str | CallbackData]]]:
        return [[(r.gettext("« Back"), NoticeButton(item=5, action=NoticeAction.OPEN)), ("x", "raw:1")]]

    message = Message(
        template="core/welcome.html.j2",
        params=lambda r: {"member": r.member},
        buttons=buttons,
    )
    async with db.session() as session:
        members = (await session.scalars(select(Member).where(Member.member_no.in_(["A03", "A04"])))).all()
        sent = await Notifier(session, ENV).tell(members, message, key="tpl")
    assert sent.queued == 2
    rows = {r.member_id: r for r in await _rows(db)}
    english, chinese = rows[ids.members_a[2]], rows[ids.members_a[3]]
    assert english.payload["reply_markup"] == {
        "inline_keyboard": [
            [{"text": "« Back", "callback_data": "tnt:5:open"}, {"text": "x", "callback_data": "raw:1"}]
        ]
    }
    assert chinese.payload["reply_markup"]["inline_keyboard"][0][0]["text"] == "« 返回"
    assert english.payload["text"].startswith("Welcome, <b>张伟</b>!")
    assert "刘洋" in chinese.payload["text"] and "Welcome" not in chinese.payload["text"]


async def test_nothing_is_committed_by_the_notifier(demo_db: tuple[Database, DemoIds]) -> None:
    db, ids = demo_db
    async with db.sessionmaker() as session:
        sent = await Notifier(session, ENV).tell_leaders(ids.branch_a, _message(), key="rolled-back")
        assert sent.queued == 2
        await session.rollback()  # the change that caused it failed: no message either
    assert await _rows(db) == []


async def test_who_is_left_out(demo_db: tuple[Database, DemoIds]) -> None:
    db, ids = demo_db
    async with db.session() as session:
        branch_a = (await session.scalars(select(Member).where(Member.org_id == ids.branch_a))).all()
        everyone = [*branch_a, *branch_a]  # twice: still once each
        sent = await Notifier(session, ENV).tell(everyone, _message(), key="all", exclude={ids.secretary_a})
    told = {r.member_id for r in await _rows(db)}
    on_telegram = {m.id for m in branch_a if m.telegram_id is not None}
    assert told == on_telegram - {ids.secretary_a} and sent.queued == len(told)
    assert {m.id for m in sent.recipients} == told


async def test_a_branch_without_leaders_on_telegram_falls_back_to_the_administrators(
    demo_db: tuple[Database, DemoIds],
) -> None:
    db, ids = demo_db
    await _set(db, "B01", telegram_id=None)
    async with db.session() as session:
        assert await leaders_of(session, ids.branch_b) == []
        assert [m.id for m in await leaders_of(session, ids.branch_b, on_telegram=False)] == [ids.secretary_b]
        notifier = Notifier(session, ENV)
        nobody = await notifier.tell_leaders(ids.branch_b, _message(), key="b-only")
        sent = await notifier.tell_leaders(ids.branch_b, _message(), key="b", fallback_to_admins=True)
    assert nobody.queued == 0
    assert sent.via_admins and [m.id for m in sent.recipients] == [ids.admin]
    assert [(r.dedup_key, r.member_id) for r in await _rows(db)] == [(f"b:{ids.admin}", ids.admin)]


async def test_administrators_above_nearest_first(demo_db: tuple[Database, DemoIds]) -> None:
    db, ids = demo_db
    async with db.session() as session:
        admin = await session.get(Member, ids.admin)
        assert admin is not None
        top = Member(member_no="TOP1", name="顶层管理员", org_id=ids.committee, role=Role.ADMIN, telegram_id=999001)
        unbound = Member(member_no="TOP2", name="未绑定", org_id=ids.committee, role=Role.ADMIN)
        gone = Member(member_no="TOP3", name="已离开", org_id=ids.committee, role=Role.ADMIN, telegram_id=999003)
        gone.active = False
        session.add_all([top, unbound, gone])
    async with db.session() as session:
        assert admin.org_id != ids.committee  # the demo's administrator is below the working committee
        above_branch = [m.member_no for m in await admins_above(session, ids.branch_a)]
        above_top = [m.member_no for m in await admins_above(session, ids.committee)]
        everyone = [m.member_no for m in await admins_above(session, ids.branch_a, on_telegram=False)]
        sent = await Notifier(session, ENV).tell_admins_above(ids.branch_a, _message(), key="up")
    assert above_branch == [admin.member_no, "TOP1"] and above_top == ["TOP1"]
    assert everyone == [admin.member_no, "TOP1", "TOP2"]
    assert sent.queued == 2 and sent.via_admins


async def test_render_errors(demo_db: tuple[Database, DemoIds]) -> None:
    db, ids = demo_db
    broken = Message(template="no/such/template.html.j2")
    async with db.session() as session:
        sent = await Notifier(session, ENV).tell_leaders(ids.branch_a, broken, key="broken", skip_render_errors=True)
    assert sent.queued == 0 and len(sent.failed) == 2 and await _rows(db) == []
    with pytest.raises(Exception, match="no/such/template"):
        async with db.session() as session:
            await Notifier(session, ENV).tell_leaders(ids.branch_a, broken, key="broken")


def test_a_message_is_a_template_or_a_msgid() -> None:
    with pytest.raises(ValueError):
        Message()
    with pytest.raises(ValueError):
        Message(template="a.j2", msgid="b")
    with pytest.raises(ValueError):
        Message(msgid="a", write=lambda r: "b")
    with pytest.raises(ValueError):
        Message(msgid="a", photo="p.png", document="d.xlsx")
    Message(document="ledger.xlsx")  # a document may go without a caption


async def test_written_texts_files_and_own_keys(demo_db: tuple[Database, DemoIds]) -> None:
    """A text written per recipient, a photo with it as the caption, a bare document, and keys in the shape other
    code matches (``digest:<member>:<month>``)."""
    db, ids = demo_db
    await _set(db, "A02", language="en")
    photo = Message(write=lambda r: f"<b>{r.locale}</b> {r.member.name}", photo="/tmp/chart.png")
    async with db.session() as session:
        leaders = await leaders_of(session, ids.branch_a)
        notifier = Notifier(session, ENV)
        sent = await notifier.tell(leaders, photo, key=lambda m: f"digest:{m.id}:2026-11", kind="digest")
        await notifier.tell(leaders, Message(document="/tmp/ledger.xlsx"), key="doc")
    assert sent.queued == 2
    rows = {(r.dedup_key, r.method): r.payload for r in await _rows(db)}
    assert rows[(f"digest:{ids.secretary_a}:2026-11", "sendPhoto")] == {
        "photo_path": "/tmp/chart.png",
        "caption": "<b>zh_CN</b> 王建国",
        "parse_mode": "HTML",
    }
    assert rows[(f"digest:{ids.committee_a}:2026-11", "sendPhoto")]["caption"] == "<b>en</b> 李红梅"
    assert rows[(f"doc:{ids.secretary_a}", "sendDocument")] == {"document_path": "/tmp/ledger.xlsx"}
