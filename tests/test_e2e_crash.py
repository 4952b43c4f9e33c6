"""End to end: the bot killed (kill -9) in the middle of 1,000 check-ins loses none after a restart.

The real ``branchbot run`` polls the fake Bot API on loopback. Every update Telegram considers delivered (its
offset confirmed by the next getUpdates) was stored first by the durable update queue (bot/updates.py) and is
replayed at the next start, unless its handled marker says it was handled.
"""

from __future__ import annotations

import signal
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Member
from tests.e2e_support import (
    FIRST_TELEGRAM_ID,
    checked_in,
    in_session,
    new_branch_database,
    start_bot,
    stop,
    stored,
    wait,
)
from tests.fake_bot_api import FakeBotApi
from tests.test_e2e import fake_api  # noqa: F401  (the fixture)

pytestmark = pytest.mark.e2e
MEMBERS = 1000
CODE = "482913"


def _check_in_replies(api: FakeBotApi) -> Counter[int]:
    """How many check-in confirmations each member got."""
    with api._lock:
        calls = list(api.calls)
    return Counter(
        int(c.params["chat_id"])
        for c in calls
        if c.method == "sendMessage"
        and int(c.params.get("chat_id", 0)) >= FIRST_TELEGRAM_ID
        and "签到" in str(c.params.get("text", ""))
    )


def test_kill_9_mid_burst_loses_no_check_in(fake_api: FakeBotApi, tmp_path: Path) -> None:  # noqa: F811
    url = f"sqlite+aiosqlite:///{tmp_path / 'crash.sqlite3'}"

    meeting_id = new_branch_database(url, MEMBERS, CODE)
    for i in range(MEMBERS):
        fake_api.message_from(FIRST_TELEGRAM_ID + i, f"/checkin {CODE}", first_name=f"党员{i}")
    began = time.monotonic()
    first = start_bot(fake_api, url, tmp_path)
    try:
        wait(lambda: sum(_check_in_replies(fake_api).values()) >= 100, 40, every=0.02)
        first.send_signal(signal.SIGKILL)  # mid-burst: replies going out, updates confirmed, others in the queue
        first.communicate(timeout=10)  # reaps it and closes its output pipe
    finally:
        if first.poll() is None:
            first.kill()
    killed_at = time.monotonic() - began
    replies_at_kill = sum(_check_in_replies(fake_api).values())
    done_at_kill = len(checked_in(url, meeting_id))
    stored_at_kill = stored(url)
    second = start_bot(fake_api, url, tmp_path)
    try:
        wait(lambda: len(checked_in(url, meeting_id)) >= MEMBERS, 40, every=0.5)
        # Then the replies still queued behind Telegram's 30 per second: until none came for 2 seconds.
        seen = [-1, time.monotonic()]

        def settled() -> bool:
            now = sum(_check_in_replies(fake_api).values())
            if now != seen[0]:
                seen[:] = [now, time.monotonic()]
            return time.monotonic() - seen[1] > 2.0

        all_in_at = time.monotonic() - began
        wait(settled, 40, every=0.2)
    finally:
        output = stop(second)
    members_in = checked_in(url, meeting_id)

    async def telegram_ids(session: AsyncSession) -> dict[int, int | None]:
        return {row.id: row.telegram_id for row in await session.execute(select(Member.id, Member.telegram_id))}

    members = in_session(url, telegram_ids)
    left = stored(url)
    replies = _check_in_replies(fake_api)
    people_in = {members[m] for m in members_in}
    lost = MEMBERS - len(people_in)
    duplicates = sum(n - 1 for n in replies.values() if n > 1)
    unconfirmed = sum(1 for person in people_in if replies[person or 0] == 0)
    print(
        f"\nkill -9 after {replies_at_kill} replies ({done_at_kill} check-ins stored, {stored_at_kill} updates "
        f"kept for replay); after the restart: {len(people_in)}/{MEMBERS} checked in, lost {lost}, "
        f"duplicate replies {duplicates}, checked in but never confirmed {unconfirmed}, "
        f"killed at {killed_at:.1f} s, all in at {all_in_at:.1f} s, replies settled at {time.monotonic() - began:.1f} s"
    )
    assert lost == 0, output[-3000:]
    assert len(members_in) == len(people_in) == MEMBERS  # exactly once each (one attendance row per member)
    assert left == 0  # every stored update was handled and dropped
    assert "Traceback" not in output, output[-3000:]
