"""Guided flows (ConversationHandlers) of every feature, and the app-wide rule that one flow runs at a time.

A flow left half-way (the phone put away at "Where?") would otherwise take the person's next typed text, meant
for something else, as its answer. So, across all features: starting a flow ends the person's other flows, and
a new command other than /cancel and /help ends them all; what each ended flow kept in user_data is dropped.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator, MutableMapping
from typing import Any

from telegram import Update
from telegram.ext import Application, ConversationHandler, TypeHandler
from telegram.ext._utils.trackingdict import TrackingDict
from telegram.warnings import PTBUserWarning

from bot.context import BranchContext
from handlers.common import command_of

# /cancel is answered by the flow itself (with its own reply); /help is looked at in passing.
KEEPS_FLOWS = frozenset({"cancel", "help"})


class Conversation(ConversationHandler[Any]):
    """A persistent guided flow: state only from its Application's persistence, one flow at a time per person."""

    def __init__(self, *args: Any, user_data_keys: Iterable[str] = (), **kwargs: Any) -> None:
        # PTB warns that with per_message=False buttons are tracked per chat and user rather than per message:
        # one flow per person is exactly what these flows want.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r".*per_message.*", category=PTBUserWarning)
            super().__init__(*args, **kwargs)
        if not self.per_user or self.per_message:
            raise ValueError("a guided flow is tracked per person (per_user=True, per_message=False)")
        self.user_data_keys = tuple(user_data_keys)

    async def _initialize_persistence(self, application: Any) -> dict[str, TrackingDict[Any, object]]:
        # Handler objects are module-level, so one serves every Application in the process (tests, the console);
        # PTB merges what the object holds into what it loads, so start empty to keep Applications apart.
        self._conversations = TrackingDict()
        return await super()._initialize_persistence(application)

    def end_for(self, user_id: int, keep: object = None) -> None:
        """End this flow for the person in every chat, except the conversation with key ``keep``."""
        position = 1 if self.per_chat else 0  # the key is (chat, user) or (user,)
        for key in [k for k in self._conversations if k != keep and len(k) > position and k[position] == user_id]:
            self._update_state(self.END, key)

    async def handle_update(self, update: Any, application: Any, check_result: Any, context: Any) -> object | None:
        """Starting (or restarting) this flow first ends the person's other flows, as Cancel would."""
        _state, key, handler, _check = check_result
        user = getattr(update, "effective_user", None)
        if handler in self.entry_points and user is not None:
            leave_flows_of(application, user.id, context.user_data, keep=(self, key))
        return await super().handle_update(update, application, check_result, context)


def conversation(**kwargs: Any) -> Conversation:
    """A guided flow that survives restarts and can be started again from its beginning at any time."""
    return Conversation(persistent=True, allow_reentry=True, **kwargs)


def flows_of(application: Application[Any, Any, Any, Any, Any, Any]) -> Iterator[Conversation]:
    """Every guided flow registered with the Application, of every feature."""
    for group in application.handlers.values():
        for handler in group:
            if isinstance(handler, Conversation):
                yield handler


def leave_flows_of(
    application: Application[Any, Any, Any, Any, Any, Any],
    user_id: int,
    user_data: MutableMapping[str, Any] | None,
    keep: tuple[Conversation, object] | None = None,
) -> None:
    """End the person's flows and drop what they kept in user_data; ``keep`` is the flow (and key) being started."""
    for flow in flows_of(application):
        if keep is not None and flow is keep[0]:
            flow.end_for(user_id, keep=keep[1])  # its own data is set afresh by its entry point
            continue
        flow.end_for(user_id)
        if user_data is not None:
            for name in flow.user_data_keys:
                user_data.pop(name, None)


async def leave_flows(update: Update, context: BranchContext) -> None:
    """Pre-check: a new command other than /cancel and /help ends the person's unfinished flows of every feature."""
    command = command_of(update.message)
    if command is None or command in KEEPS_FLOWS or update.effective_user is None:
        return
    leave_flows_of(context.application, update.effective_user.id, context.user_data)


# Runs before the caller is resolved (its own pre-check group): it needs only the user; a refused command counts.
PRE_HANDLERS = [TypeHandler(Update, leave_flows)]
