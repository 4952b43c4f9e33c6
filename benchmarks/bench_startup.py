"""Start-up, memory and the CLI's answer time: ``python benchmarks/bench_startup.py``.

Goals (issue 16 item 5): ``branchbot run`` ready (its first getUpdates) within 2 s of being started, with an
RSS of at most 180 MB once every feature has served (a command, a question answered from the measures); and
``branchbot ask "…"`` answering within 1 s, wall. Anchor, measured in the same run: ``python -c "import
telegram.ext"``, the least any PTB bot pays. The bot runs against the fake Bot API on loopback
(tests/fake_bot_api.py) on a scratch SQLite database already migrated (a restart, not a first install).

On a shared machine wall time says more about the neighbours than about the bot, so each figure is also given
as CPU seconds of the process (user + system) beside the anchor's. The project is byte-compiled first, as pip
installs it (PYTHONDONTWRITEBYTECODE would otherwise make every run compile it anew). ``ask`` runs with the
measures' index kept from an earlier run (bootstrap builds it), and once more with an empty cache ("first use").
"""

from __future__ import annotations

import asyncio
import compileall
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.db import Database  # noqa: E402
from bot.demo import seed_demo  # noqa: E402
from tests.fake_bot_api import FakeBotApi  # noqa: E402

TOKEN = "123456:TEST-token_for_the_fake_bot_api"
QUESTION = "党费能用来干什么"
REPEATS = 3


def _env(url: str, api: FakeBotApi | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "WEBHOOK_", "TELEGRAM_"))}
    env.update(DATABASE_URL=url, PYTHONPATH=str(ROOT), BOT_TOKEN=TOKEN, BOT_USERNAME="branch_assistant_bot")
    if api is not None:
        env.update(TELEGRAM_BASE_URL=api.base_url, TELEGRAM_BASE_FILE_URL=api.base_url)
    return env


def _wall(args: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall and CPU seconds of a command."""
    began, cpu = time.perf_counter(), os.times()
    subprocess.run(args, env=env, check=True, capture_output=True)
    after = os.times()
    return time.perf_counter() - began, after.children_user + after.children_system - cpu.children_user - (
        cpu.children_system
    )


def _cpu(pid: int) -> float:
    """CPU seconds (user + system) of a running process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _run_once(url: str, scratch: Path) -> tuple[float, float, float, float, int]:
    """Seconds to the first getUpdates, RSS then, RSS after a command and a question were answered, CPU seconds
    at the first getUpdates, and how many setMyCommands came before it."""
    api = FakeBotApi().start()
    try:
        began = time.monotonic()
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            cwd=scratch,
            env=_env(url, api),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            while api.first_poll_at is None:
                if process.poll() is not None or time.monotonic() - began > 60:
                    raise RuntimeError("the bot did not start")
                time.sleep(0.005)
            ready = api.first_poll_at - began
            cpu_ready = _cpu(process.pid)
            rss_ready = _rss_mb(process.pid)
            first_poll = api.first_poll_at
            menus_first = sum(1 for c in list(api.calls) if c.method == "setMyCommands" and c.arrived < first_poll)
            api.message_from(100103, "/help")
            api.message_from(100103, QUESTION)
            api.wait_for(lambda c: c.method == "sendMessage" and "第16条" in str(c.params.get("text", "")), 60)
            rss_served = _rss_mb(process.pid)
        finally:
            process.terminate()
            process.wait(timeout=30)
    finally:
        api.stop()
    return ready, rss_ready, rss_served, cpu_ready, menus_first


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        url = f"sqlite+aiosqlite:///{scratch / 'bench.sqlite3'}"

        async def prepare() -> None:
            db = Database(url)
            await db.upgrade()
            async with db.session() as session:
                await seed_demo(session)
            await db.dispose()

        asyncio.run(prepare())
        compileall.compile_dir(ROOT / "bot", quiet=1)
        compileall.compile_dir(ROOT / "handlers", quiet=1)
        compileall.compile_dir(ROOT / "storage", quiet=1)
        anchors = [_wall([sys.executable, "-c", "import telegram.ext"]) for _ in range(REPEATS)]
        runs = [_run_once(url, scratch) for _ in range(REPEATS)]
        ask_args = [sys.executable, "-m", "bot", "ask", QUESTION]
        _wall(ask_args, env=_env(url))  # the index kept (bootstrap does this once)
        asks = [_wall(ask_args, env=_env(url)) for _ in range(REPEATS)]
        cold = _wall(ask_args, env={**_env(url), "BRANCHBOT_CACHE_DIR": str(scratch / "empty-cache")})
    anchor = statistics.median(a[0] for a in anchors)
    anchor_cpu = statistics.median(a[1] for a in anchors)
    ready = statistics.median(r[0] for r in runs)
    cpu_ready = statistics.median(r[3] for r in runs)
    rss_ready = statistics.median(r[1] for r in runs)
    rss_served = max(r[2] for r in runs)
    ask = statistics.median(a[0] for a in asks)
    ask_cpu = statistics.median(a[1] for a in asks)
    print(f"anchor: python -c 'import telegram.ext'  {anchor:6.2f} s wall, {anchor_cpu:5.2f} s CPU")
    ratio = f"({ready / anchor:.1f}× anchor; {cpu_ready:.2f} s CPU, {cpu_ready / anchor_cpu:.1f}× anchor's)"
    print(f"branchbot run ready (first getUpdates)   goal ≤ 2.00 s   measured {ready:6.2f} s  {ratio}")
    print(f"setMyCommands before the first getUpdates goal 0         measured {max(r[4] for r in runs):6d}")
    print(f"RSS when ready                                            measured {rss_ready:6.0f} MB")
    print(f"RSS after a command and a question       goal ≤ 180 MB   measured {rss_served:6.0f} MB")
    ratio = f"({ask / anchor:.1f}× anchor; {ask_cpu:.2f} s CPU, {ask_cpu / anchor_cpu:.1f}× anchor's)"
    print(f'branchbot ask "{QUESTION}"           goal ≤ 1.00 s   measured {ask:6.2f} s  {ratio}')
    print(f"  the same at first use (index built, then kept)          measured {cold[0]:6.2f} s  ({cold[1]:.2f} s CPU)")
    print(f"(median of {REPEATS}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
