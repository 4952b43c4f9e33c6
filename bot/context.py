"""The per-update callback context: PTB's context plus the resolved caller and the shared resources."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from telegram.ext import Application, CallbackContext, ExtBot

from bot.i18n import Translator, translator
from bot.services.access import Actor

if TYPE_CHECKING:
    from bot.resources import Resources


@dataclass(frozen=True)
class Caller:
    """Who sent this update, resolved once by :func:`resolve_caller`."""

    telegram_id: int | None
    locale: str
    actor: Actor | None  # None: not on the roster (yet)
    chat_branch_id: int | None  # the branch this group chat is linked to


class BranchContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """The callback context of this bot: the usual PTB context plus the resolved caller and resources."""

    caller: Caller

    @property
    def resources(self) -> Resources:
        """Settings, database and outbox worker, opened in ``post_init``."""
        return self.application.bot_data["resources"]

    @property
    def tr(self) -> Translator:
        """Gettext in the caller's language."""
        caller = getattr(self, "caller", None)
        return translator(caller.locale if caller else self.resources.settings.DEFAULT_LOCALE)

    @property
    def actor(self) -> Actor:
        """The caller's roster identity; the gate guarantees it exists for members-only handlers."""
        actor = self.caller.actor
        if actor is None:  # pragma: no cover - the gate stops guests before this
            raise RuntimeError("members-only handler reached by a guest")
        return actor


BranchApplication = Application[Any, BranchContext, Any, Any, Any, Any]
