"""End to end: two webhook replicas of the real ``branchbot run`` on one PostgreSQL, without sticky routing.

One member's guided flow (``/checkin``, then the code as text) alternates between the replicas, each step
posted before the previous one is answered; other members' check-ins are split between them. Each person's
updates are handled in order (bot/updates.py: an update waits for the person's earlier stored ones), every
check-in is stored once and confirmed once.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from bot.db import Database
from tests.db_templates import DatabaseTemplates
from tests.e2e_support import FIRST_TELEGRAM_ID, checked_in, seed_branch, start_bot, stop, wait
from tests.fake_bot_api import FakeBotApi

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]
FLOW_MEMBERS = 15  # /checkin on one replica, the code on the other
DIRECT_MEMBERS = 15  # /checkin CODE, alternately on each replica
CODE = "482913"


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


_ids = itertools.count(1)


def _message(user_id: int, text: str) -> dict[str, Any]:
    update_id = next(_ids)
    message: dict[str, Any] = {
        "message_id": update_id,
        "date": int(time.time()),
        "text": text,
        "chat": {"id": user_id, "type": "private", "first_name": "党员"},
        "from": {"id": user_id, "is_bot": False, "first_name": "党员", "language_code": "zh-hans"},
    }
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return {"update_id": update_id, "message": message}


def _post(port: int, update: dict[str, Any]) -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/telegram/hook",
        data=json.dumps(update).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": "s3cret-token"},
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:
            return int(error.code)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_two_webhook_replicas_share_one_postgresql(
    tmp_path: Path, postgres_url: str, db_templates: DatabaseTemplates
) -> None:
    url = asyncio.run(db_templates.postgres_database(postgres_url))

    async def seed() -> int:
        db = Database(url)
        try:
            return await seed_branch(db, FLOW_MEMBERS + DIRECT_MEMBERS, CODE)
        finally:
            await db.dispose()

    meeting_id = asyncio.run(seed())
    api = FakeBotApi().start()

    def confirmations() -> Counter[int]:
        with api._lock:
            calls = list(api.calls)
        return Counter(
            int(c.params["chat_id"])
            for c in calls
            if c.method == "sendMessage" and "✅" in str(c.params.get("text", ""))
        )

    ports = [_free_port(), _free_port()]
    replicas = [
        start_bot(
            api,
            url,
            tmp_path,
            WEBHOOK_URL="https://bot.example.org/telegram/hook",
            WEBHOOK_LISTEN="127.0.0.1",
            WEBHOOK_PORT=str(port),
            WEBHOOK_SECRET="s3cret-token",
        )
        for port in ports
    ]
    try:
        api.wait_for(lambda c: c.method == "setWebhook", 60)
        for i in range(FLOW_MEMBERS):  # the flow's two steps on two replicas, the second posted at once
            person = FIRST_TELEGRAM_ID + i
            assert _post(ports[i % 2], _message(person, "/checkin")) == 200
            assert _post(ports[(i + 1) % 2], _message(person, CODE)) == 200
        for i in range(FLOW_MEMBERS, FLOW_MEMBERS + DIRECT_MEMBERS):
            assert _post(ports[i % 2], _message(FIRST_TELEGRAM_ID + i, f"/checkin {CODE}")) == 200
        total = FLOW_MEMBERS + DIRECT_MEMBERS
        wait(lambda: len(checked_in(url, meeting_id)) >= total, 60, every=0.5)
        wait(lambda: sum(confirmations().values()) >= total, 30, every=0.2)
        time.sleep(1.0)  # a duplicate would come now
    finally:
        outputs = [stop(process) for process in replicas]
        api.stop()
    members_in = checked_in(url, meeting_id)
    assert len(members_in) == len(set(members_in)) == FLOW_MEMBERS + DIRECT_MEMBERS, outputs
    confirmed = confirmations()
    expected = {FIRST_TELEGRAM_ID + i for i in range(FLOW_MEMBERS + DIRECT_MEMBERS)}
    assert set(confirmed) == expected and set(confirmed.values()) == {1}, (confirmed, outputs)
    for output in outputs:
        assert "Traceback" not in output, output[-3000:]
    asyncio.run(db_templates.drop_postgres_database(postgres_url, url))
