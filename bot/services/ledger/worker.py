"""The ledgers' worker process: ``python -m bot.services.ledger.worker`` reads one job as JSON on stdin and writes
its result as JSON on stdout (bot/services/ledger/process.py starts it). Two kinds of job: the monthly digests
(:func:`bot.services.ledger.digest.build_digests`: their files and captions) and one ledger file
(:func:`bot.services.ledger.export.run_ledger_job`: a unit's or the city's, asked for in the chat), so that a big
organisation's ledgers are read and drawn away from the bot's event loop and its interpreter lock.
"""

from __future__ import annotations

import json
import sys


def main() -> None:
    """One job: stdin to stdout."""
    job = json.load(sys.stdin)
    if job["kind"] == "ledger":
        from bot.services.ledger.export import run_ledger_job

        result = run_ledger_job(job)
    else:
        from bot.services.ledger.digest import run_worker_job

        result = run_worker_job(job)
    json.dump(result, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
