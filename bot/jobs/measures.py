"""The measures' start-up job: build the knowledge bases in the background as the bot starts."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.measures import get_index

if TYPE_CHECKING:
    from bot.context import BranchApplication


def build_indexes() -> None:
    """Build both knowledge bases (each is built once per process)."""
    get_index("zh")
    get_index("en")


@dataclass(frozen=True)
class StartupJob:
    """Builds the indexes in a background thread as the bot starts, so the first question does not wait.

    A daemon thread rather than a job: it holds up neither the event loop nor the shutdown.
    """

    id: str

    def schedule(self, application: BranchApplication) -> None:
        """Start the thread (the application is not needed)."""
        threading.Thread(target=build_indexes, name=self.id, daemon=True).start()


WARM_UP = StartupJob("measures-warm-up")
JOBS = [WARM_UP]
