"""One job in a worker process of its own (``python -m bot.services.ledger.worker``), awaited without blocking.

A process, not a thread: a worker thread shares the interpreter lock with the event loop, so a city's seconds or
minutes of reading and building would slow every reply; a process leaves the loop a core, and gives its memory (a
city's period as Python objects) back when it ends. The job goes in on stdin as JSON (the database URL may hold a
password: not on a command line) and its result comes back as JSON on stdout. If the job is cancelled (the bot
stopping), the process is killed rather than waited for.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

WORKER = "bot.services.ledger.worker"  # ``python -m`` this


async def in_worker(job: dict[str, Any]) -> Any:
    """Run ``job`` (its ``kind`` names what the worker does: bot/services/ledger/worker.py) and return its result."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", WORKER, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
    )
    try:
        out, _ = await process.communicate(json.dumps(job).encode())
    except BaseException:
        if process.returncode is None:
            process.kill()
            await process.wait()  # reaped, its pipes closed
        raise
    if process.returncode != 0:
        raise RuntimeError(f"the ledger worker stopped with exit status {process.returncode} (its error is above)")
    return json.loads(out)
