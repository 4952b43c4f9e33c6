"""End to end: the real `branchbot run` process, over HTTP, against a fake Bot API server on loopback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.db import Database
from bot.demo import seed_demo
from bot.services import identity
from storage.models import Member
from tests.fake_bot_api import FakeBotApi, RecordedCall

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123456:TEST-token_for_the_fake_bot_api"
NEW_USER = 4242


@pytest.fixture
def fake_api() -> Iterator[FakeBotApi]:
    api = FakeBotApi().start()
    yield api
    api.stop()


def _start_bot(api: FakeBotApi, database_url: str, workdir: Path, **extra: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "WEBHOOK_", "TELEGRAM_"))}
    env.update(
        BOT_TOKEN=TOKEN,
        TELEGRAM_BASE_URL=api.base_url,
        TELEGRAM_BASE_FILE_URL=api.base_url,
        DATABASE_URL=database_url,
        PYTHONPATH=str(ROOT),
        OUTBOX_POLL_SECONDS="0.5",
        **extra,
    )
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "run"], cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )


def _stop(process: subprocess.Popen[bytes]) -> str:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        output, _ = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate(timeout=5)
    return output.decode(errors="replace")


def _text_to(chat_id: int, fragment: str):  # type: ignore[no-untyped-def]
    def match(call: RecordedCall) -> bool:
        return (
            call.method == "sendMessage"
            and str(call.params.get("chat_id")) == str(chat_id)
            and fragment in str(call.params.get("text", ""))
        )

    return match


async def test_invitation_binds_over_the_wire(fake_api: FakeBotApi, tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'e2e.sqlite3'}"
    db = Database(url)
    await db.upgrade()
    async with db.session() as session:
        await seed_demo(session)
        member = await session.scalar(select(Member).where(Member.member_no == "A06"))
        assert member is not None
        issued = await identity.issue_invitation(session, member, ttl_days=1)
    process = _start_bot(fake_api, url, tmp_path)
    try:
        fake_api.wait_for(lambda c: c.method == "getMe")
        fake_api.wait_for(lambda c: c.method == "setMyCommands")
        fake_api.message_from(NEW_USER, f"/start {issued.payload}")
        reply = fake_api.wait_for(_text_to(NEW_USER, "杨帆"))
        assert "绑定" in reply.params["text"] and reply.params["parse_mode"] == "HTML"
        # The member's own command menu goes out through the outbox.
        menu = fake_api.wait_for(lambda c: c.method == "setMyCommands" and str(NEW_USER) in str(c.params.get("scope")))
        assert "help" in menu.params["commands"]
        # Then an ordinary question, answered from the measures.
        fake_api.message_from(NEW_USER, "党费能用来干什么")
        answer = fake_api.wait_for(_text_to(NEW_USER, "第16条"))
        assert "reply_markup" in answer.params
    finally:
        output = _stop(process)
    async with db.session() as session:
        bound = await session.scalar(select(Member).where(Member.member_no == "A06"))
        assert bound is not None and bound.telegram_id == NEW_USER, output
    await db.dispose()
    assert "Traceback" not in output, output


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_webhook_mode_checks_the_secret(fake_api: FakeBotApi, tmp_path: Path) -> None:
    """With WEBHOOK_URL set, the bot registers the webhook and answers updates POSTed with the secret."""
    import json
    import time
    import urllib.error
    import urllib.request

    url = f"sqlite+aiosqlite:///{tmp_path / 'hook.sqlite3'}"
    db = Database(url)
    await db.upgrade()
    async with db.session() as session:
        await seed_demo(session)
    await db.dispose()
    port = _free_port()
    process = _start_bot(
        fake_api,
        url,
        tmp_path,
        WEBHOOK_URL="https://bot.example.org/telegram/hook",
        WEBHOOK_LISTEN="127.0.0.1",
        WEBHOOK_PORT=str(port),
        WEBHOOK_SECRET="s3cret-token",
    )
    try:
        registered = fake_api.wait_for(lambda c: c.method == "setWebhook")
        assert registered.params["url"] == "https://bot.example.org/telegram/hook"
        assert registered.params["secret_token"] == "s3cret-token"
        update = {
            "update_id": 1,
            "message": {
                "message_id": 1,
                "date": int(time.time()),
                "text": "/help",
                "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
                "chat": {"id": 100103, "type": "private"},
                "from": {"id": 100103, "is_bot": False, "first_name": "张伟"},
            },
        }

        def post(secret: str) -> int:
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/telegram/hook",
                data=json.dumps(update).encode(),
                method="POST",
                headers={"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": secret},
            )
            deadline = time.monotonic() + 20
            while True:
                try:
                    with urllib.request.urlopen(request, timeout=5) as response:
                        return int(response.status)
                except urllib.error.HTTPError as error:
                    return int(error.code)
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)

        assert post("wrong") == 403
        assert post("s3cret-token") == 200
        reply = fake_api.wait_for(_text_to(100103, "张伟"))
        assert "/help" in reply.params["text"]
    finally:
        output = _stop(process)
    assert "Traceback" not in output, output
