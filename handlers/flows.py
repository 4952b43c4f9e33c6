"""Guided flows of every feature, routed by the person's stored flow state, and the rule: one flow at a time.

A :class:`Flow` is declared like PTB's ConversationHandler (entry points, states → handlers, fallbacks) and is
registered where one would be, but keeps nothing in the process: the person's place (flow, step, chat) and what
the flows keep between steps (``context.user_data``) are read with each update and written through its unit of
work (:mod:`bot.unit`), in the same transaction as the step's effects. So a restart, or another replica taking
the person's next update, continues where they were.

A flow left half-way (the phone put away at "Where?") would otherwise take the person's next typed text, meant
for something else, as its answer. So, across all features: starting a flow ends the person's other flows, and
a new command other than /cancel and /help ends them all; what each ended flow kept in user_data is dropped.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from telegram import ReplyKeyboardRemove, Update
from telegram.ext import Application, ApplicationHandlerStop, BaseHandler, TypeHandler

from bot.context import BranchContext
from bot.unit import END, Step, Unit, current_unit
from handlers.common import command_of, refused_in_group, reply, show

__all__ = ["END", "KEEPS_FLOWS", "PRE_HANDLERS", "Flow", "cancelled", "flows_of", "leave_flows"]

# /cancel is answered by the flow itself (with its own reply); /help is looked at in passing.
KEEPS_FLOWS = frozenset({"cancel", "help"})

AnyHandler = BaseHandler[Any, Any, Any]


async def _never(_update: object, _context: object) -> None:  # pragma: no cover - Flow routes to its steps
    raise RuntimeError("a Flow handles updates through its steps")


class Flow(BaseHandler[Update, BranchContext, object]):
    """A guided flow: ``entry_points`` start it (at any time, ending the person's other flow), ``states`` map each
    step to the handlers that may answer it (the first whose ``check_update`` matches), ``fallbacks`` answer in
    any step. A step's callback returns the next state, ``END``, or None to stay; a step that changes the database
    declares the next state in its unit (``context.unit(then=…)``) so both are stored together.

    A flow tracked per chat (the default) does not start in a group: its entry is refused there with a button
    that opens the private chat, so the person's typed answers are never read in front of the group.

    ``user_data_keys`` name what the flow keeps in ``context.user_data``; it is dropped when the flow is ended by
    another flow or a command (or by ``END``). ``per_chat=False`` lets the flow continue in another chat (a
    button pressed in the group, answered in the private chat)."""

    def __init__(
        self,
        *,
        name: str,
        entry_points: Sequence[AnyHandler],
        states: Mapping[object, Sequence[AnyHandler]],
        fallbacks: Sequence[AnyHandler] = (),
        user_data_keys: Sequence[str] = (),
        per_chat: bool = True,
    ) -> None:
        super().__init__(_never, block=True)
        self.name = name
        self.entry_points = list(entry_points)
        self.states = {state: list(handlers) for state, handlers in states.items()}
        self.fallbacks = list(fallbacks)
        self.user_data_keys = tuple(user_data_keys)
        self.per_chat = per_chat
        self._by_text = {str(state): state for state in self.states}
        if len(self._by_text) != len(self.states) or str(END) in self._by_text:
            raise ValueError(f"flow {name!r}: states must differ once written as text, and not be END")

    def _chat_of(self, update: Update) -> int | None:
        return update.effective_chat.id if self.per_chat and update.effective_chat else None

    def state_of(self, unit: Unit, update: Update) -> object | None:
        """The person's step in this flow for this update (None: not in it here)."""
        if unit.flow != self.name or unit.flow_state is None:
            return None
        if self.per_chat and unit.flow_chat != self._chat_of(update):
            return None
        return self._by_text.get(unit.flow_state)

    def check_update(self, update: object) -> tuple[bool, AnyHandler, object] | None:
        """An entry point that matches (always first: a flow can be started again), else the handler of the
        person's step or a fallback that matches; None lets the update go on to the other handlers."""
        if not isinstance(update, Update) or update.channel_post or update.edited_channel_post:
            return None
        user = update.effective_user
        unit = current_unit()
        if user is None or unit is None or unit.user_id != user.id:
            return None
        query = update.callback_query
        if self.per_chat and (update.effective_chat is None or (query is not None and query.message is None)):
            return None
        for handler in self.entry_points:
            check = handler.check_update(update)
            if check is not None and check is not False:
                return True, handler, check
        state = self.state_of(unit, update)
        if state is None:
            return None
        for handler in [*self.states.get(state, []), *self.fallbacks]:
            check = handler.check_update(update)
            if check is not None and check is not False:
                return False, handler, check
        return None

    async def handle_update(  # type: ignore[override]
        self,
        update: Update,
        application: Application[Any, Any, Any, Any, Any, Any],
        check_result: tuple[bool, AnyHandler, object],
        context: BranchContext,
    ) -> None:
        """Run the step; its returned state is kept with the person (written with the update's unit)."""
        is_entry, handler, check = check_result
        unit = current_unit()
        assert unit is not None  # check_update made sure
        # A flow that continues in the chat it started in would read the person's answers in a group, where
        # everyone sees them: it starts in the private chat only (per_chat=False flows move there themselves).
        if is_entry and self.per_chat and await refused_in_group(update, context):
            return
        chat_id = self._chat_of(update)
        if is_entry and unit.flow != self.name:
            leave_flows_of(application, unit)  # starting this flow ends the other one, as Cancel would
        if is_entry and (unit.flow != self.name or unit.flow_chat != chat_id):
            unit.set_flow(self.name, chat_id, None)  # the entry's return value gives the first state
        unit.begin_step(Step(self.name, chat_id, self.user_data_keys, tuple(self.states)))
        stop: ApplicationHandlerStop | None = None
        try:
            new_state = await handler.handle_update(update, application, check, context)
        except ApplicationHandlerStop as exc:
            new_state, stop = exc.state, exc
        except BaseException:
            unit.end_step(None)  # the step failed: the person stays where they were
            raise
        unit.end_step(new_state)
        if stop is not None:
            raise stop


def flows_of(application: Application[Any, Any, Any, Any, Any, Any]) -> Iterator[Flow]:
    """Every guided flow registered with the Application, of every feature."""
    for group in application.handlers.values():
        for handler in group:
            if isinstance(handler, Flow):
                yield handler


def leave_flows_of(application: Application[Any, Any, Any, Any, Any, Any], unit: Unit) -> None:
    """End the person's flow and drop what it kept in user_data."""
    if unit.flow is None:
        return
    owned = next((flow.user_data_keys for flow in flows_of(application) if flow.name == unit.flow), ())
    unit.end_flow(owned)


async def leave_flows(update: Update, context: BranchContext) -> None:
    """Pre-check: a new command other than /cancel and /help ends the person's unfinished flows of every feature."""
    command = command_of(update.message)
    unit = current_unit()
    if command is None or command in KEEPS_FLOWS or unit is None or unit.user_id is None:
        return
    leave_flows_of(context.application, unit)


# Runs before the caller is resolved (its own pre-check group): it needs only the user; a refused command counts.
PRE_HANDLERS = [TypeHandler(Update, leave_flows)]


async def cancelled(update: Update, context: BranchContext, *drafts: str) -> int:
    """Any flow's /cancel or Cancel button: the flow's drafts (``user_data`` keys) forgotten, the person told that
    nothing was saved — the pressed card replaced, or a typed /cancel answered with the reply keyboard removed."""
    kept = context.user_data
    if kept is not None:
        for key in drafts:
            kept.pop(key, None)
    text = context.tr.gettext("Cancelled. Nothing was saved.")
    if update.callback_query is not None and update.callback_query.message is not None:
        await show(update, text)
    else:
        await reply(update, text, reply_markup=ReplyKeyboardRemove())
    return END
