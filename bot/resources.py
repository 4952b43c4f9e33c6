"""What the handlers and jobs share for the life of the process, opened in ``post_init``.

Kept apart from the assembly (:mod:`bot.app`) so that nothing but the entry points imports the assembly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.callers import CallerCache
from bot.checkin_batches import CheckInBatches
from bot.commands import Menu
from bot.config import Settings
from bot.db import Database
from bot.environment import ServiceEnv
from bot.outbox_worker import OutboxWorker
from bot.services.meetings.hooks import MeetingHooks
from bot.updates import QuietMarkers


@dataclass
class Resources:
    """What the handlers and jobs share for the life of the process."""

    settings: Settings
    db: Database
    menu: Menu  # every feature's commands (bot.features.menu)
    meeting_hooks: MeetingHooks  # what the features add to meetings (bot.features.meeting_hooks)
    worker: OutboxWorker | None = None
    bot_username: str = "branch_assistant_bot"
    extras: dict[str, Any] = field(default_factory=dict)
    callers: CallerCache = field(default_factory=CallerCache)  # who is calling, kept until the roster changes
    # What the services need from the settings (zone, default language, clock, working days), built once here;
    # post_init puts the bot's own username in once Telegram has said it.
    env: ServiceEnv = field(init=False)
    # The handled markers of updates that changed nothing, written in batches: SQLite only (bot/updates.py).
    quiet_markers: QuietMarkers | None = field(init=False)
    # Meeting check-ins arriving together, written together (bot/checkin_batches.py).
    checkins: CheckInBatches = field(init=False)

    def __post_init__(self) -> None:
        self.env = ServiceEnv.from_settings(self.settings)
        self.quiet_markers = QuietMarkers(self.db) if self.db.dialect == "sqlite" else None
        self.checkins = CheckInBatches(self.db)
