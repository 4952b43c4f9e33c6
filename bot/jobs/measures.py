"""The measures' start-up job: build the knowledge bases in the background as the bot starts."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.context import BranchApplication


def build_indexes() -> None:
    """Build both knowledge bases (each is built once per process), then give back what loading them freed."""
    from bot.measures.index_cache import release_freed_memory
    from bot.measures.search import get_index  # here, in the thread: not a cost of the start-up

    get_index("zh")
    get_index("en")
    release_freed_memory()


@dataclass(frozen=True)
class StartupJob:
    """Builds the indexes in a background thread as the bot starts, so the first question does not wait.

    A daemon thread rather than a job: it holds up neither the event loop nor the shutdown.
    """

    id: str

    def schedule(self, application: BranchApplication) -> None:
        """Start the thread once the bot polls (the job queue starts after the updater's first getUpdates), so that
        loading the indexes does not hold the interpreter while the bot starts."""
        job_queue = application.job_queue
        assert job_queue is not None

        async def start(_context: object) -> None:
            threading.Thread(target=build_indexes, name=self.id, daemon=True).start()

        job_queue.run_once(start, when=0, name=self.id, job_kwargs={"id": self.id, "replace_existing": True})


WARM_UP = StartupJob("measures-warm-up")
JOBS = [WARM_UP]
