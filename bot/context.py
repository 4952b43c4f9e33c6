"""The per-update callback context: PTB's context plus the resolved caller and the shared resources."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

from sqlalchemy.ext.asyncio import AsyncSession
from telegram.ext import Application, CallbackContext, ExtBot

from bot.i18n import Translator, translator
from bot.services.access import Actor
from bot.unit import UNSET, current_unit, open_unit

if TYPE_CHECKING:
    from bot.resources import Resources


@dataclass(frozen=True)
class Caller:
    """Who sent this update, resolved once by :func:`resolve_caller`."""

    telegram_id: int | None
    locale: str
    actor: Actor | None  # None: not on the roster (yet)
    chat_branch_id: int | None  # the branch this group chat is linked to

    @property
    def menu_role(self) -> str:
        """The role whose commands this caller may use (``bot.commands.Menu``): the roster's, or ``"guest"``."""
        return self.actor.role.value if self.actor else "guest"


class BranchContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """The callback context of this bot: the usual PTB context plus the resolved caller and resources."""

    caller: Caller

    @property
    def resources(self) -> Resources:
        """Settings, database and outbox worker, opened in ``post_init``."""
        return self.application.bot_data["resources"]

    def unit(self, then: object = UNSET) -> AbstractAsyncContextManager[AsyncSession]:
        """The update's unit of work: ``async with context.unit() as session``. The outermost block commits (an
        inner one joins it), writing with it the person's flow state and the update's handled marker. In a guided
        flow's step that changes the database, ``then`` is the state the flow moves to (``END`` ends it), stored
        in the same transaction as the change. Outside an update (jobs) it is a session of its own."""
        return open_unit(self.resources.db, then)

    def then(self, state: object) -> None:
        """Inside a ``context.unit()`` block of a flow step: the flow moves to ``state`` when the block commits."""
        unit = current_unit()
        if unit is None or unit.depth == 0:
            raise RuntimeError("context.then() belongs inside an update's `async with context.unit()` block")
        unit.declare(state)

    @property
    def user_data(self) -> dict[Any, Any] | None:
        """What the person's guided flows keep between updates: read with the update, written with its unit (JSON
        values only). Not held in the process, so another replica sees it too."""
        unit = current_unit()
        if unit is None or unit.user_id is None:
            return None
        return unit.data

    @user_data.setter
    def user_data(self, _: object) -> NoReturn:
        raise AttributeError("user_data cannot be replaced; change its keys")

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
