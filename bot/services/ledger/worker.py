"""The monthly digest's worker process: ``python -m bot.services.ledger.worker`` reads one job as JSON on stdin,
builds its digests (:func:`bot.services.ledger.digest.build_digests`) and writes their files and captions as JSON on
stdout. Started by :func:`bot.services.ledger.digest.build_digests_in_worker`, so that a city's digests are read
and drawn away from the bot's event loop and its interpreter lock.
"""

from __future__ import annotations

import json
import sys

from bot.services.ledger.digest import run_worker_job


def main() -> None:
    """One job: stdin to stdout."""
    json.dump(run_worker_job(json.load(sys.stdin)), sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
