"""The update's unit of work: one database session per update, its flow state, and the "handled" marker.

:class:`UnitApplication` (given to ``ApplicationBuilder().application_class``) wraps each update in a
:class:`Unit`, kept in a ContextVar for the update's task. Handlers use ``async with context.unit() as session``:
the outermost block commits (an inner one joins its transaction) and, when the block changed something, the
same transaction also writes the person's flow state and the update's handled marker. So a guided flow's step,
its effects and "this update was handled" are stored together or not at all, and nothing about a person is
held in the process between updates: any replica can take any update.

SQLite holds a write lock from a transaction's first write to its commit, and a read snapshot from its first
read: a block must therefore not wait on Telegram. Each block is one short transaction; reply after it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any, Final

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.constants import ChatType
from telegram.ext import Application

from bot.db import Database, saved_in_this_update
from bot.updates import DurableUpdateQueue, QuietMarkers, wait_for_earlier
from storage.core import local_roster_changes
from storage.flows import (
    NO_STATE,
    UNSET_CHAT,
    CallerRead,
    PersonState,
    StaleFlowState,
    person_state_and_roster,
    person_state_and_roster_now,
    person_state_roster_and_member,
    person_state_roster_and_member_now,
    was_handled,
    write_person_state,
)
from storage.updates import forget_received, note_handled

log = logging.getLogger(__name__)

END: Final = -1
"""A step returning this (or declaring it with ``context.unit(then=END)``) ends its flow; same value as PTB's."""


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = _Unset()


@dataclass
class Step:
    """The flow step running now: which flow, in which chat, the data it owns, and the states it knows."""

    flow: str
    chat_id: int | None
    owned_keys: Collection[str]
    states: Collection[object]
    then: object = UNSET  # the next state declared for the open block, written when it commits


@dataclass
class Unit:
    """One update's database session and the person's flow state, written at each commit that changed something."""

    db: Database
    update_id: int | None
    user_id: int | None
    session: AsyncSession | None = None
    read: PersonState = NO_STATE  # the person's row as last read or written
    flow: str | None = None
    flow_chat: int | None = None
    flow_state: str | None = None
    data: dict[str, Any] = field(default_factory=dict)  # what handlers see as context.user_data
    marked: bool = False  # the handled marker is written
    committed: bool = False  # a block committed something of this update
    retry_error: Exception | None = None  # a transient database error ended this attempt: run the update again
    attempt: int = 0
    roster_version: object = UNSET  # the stored roster version as this update began (UNSET: not read)
    # The caller's member (None: no member is bound to the account) when read with the state, for a caller the
    # process did not know (bot/callers.py); UNSET otherwise. ``member_valid_for``: the local roster count then.
    member: object = UNSET
    member_valid_for: int = -1
    chat_branch_id: object = UNSET_CHAT  # for such a caller in a group, the group's branch (None: none), read too
    closed: bool = False
    step: Step | None = None
    depth: int = 0

    # --- the person's state -----------------------------------------------------------------------------------

    async def load(self, check_handled: bool = False, with_member: bool = False, chat_id: int | None = None) -> bool:
        """Read the person's flow state in a short transaction of its own. With ``check_handled`` (an update that
        may have been handled before a crash: bot/updates.py), False when it was: then there is nothing to do.
        With ``with_member``, the member bound to the person's account is read in the same statement, and with
        ``chat_id`` (a group's) the branch of that group too."""
        valid_for = local_roster_changes()  # taken before the look-up (CallerCache.put)
        if not check_handled:  # the usual case: on a SQLite file, read on the event loop's own thread
            read: CallerRead | tuple[PersonState, str | None] | None
            if with_member and self.user_id is not None:
                read = self.db.read_on_loop(
                    partial(person_state_roster_and_member_now, user_id=self.user_id, chat_id=chat_id)
                )
            else:
                read = self.db.read_on_loop(partial(person_state_and_roster_now, user_id=self.user_id))
            if read is not None:
                self._take(read, valid_for)
                return True
        session = self._session()
        try:
            if check_handled and self.update_id is not None and await was_handled(session, self.update_id):
                await forget_received(session, self.update_id)
                await session.commit()
                return False
            # the person's state, and the roster version the caller cache checks (bot/callers.py): one statement
            if with_member and self.user_id is not None:
                self._take(await person_state_roster_and_member(session, self.user_id, chat_id), valid_for)
            else:
                self._take(await person_state_and_roster(session, self.user_id), valid_for)
            await session.commit()
            session.expunge_all()  # the member as read here is for the caller cache: the blocks read afresh
        except BaseException:
            await session.rollback()
            raise
        return True

    def _take(self, read: CallerRead | tuple[PersonState, str | None], valid_for: int) -> None:
        """Adopt what :meth:`load` read."""
        if isinstance(read, CallerRead):
            self.read, self.roster_version = read.state, read.roster
            self.member, self.member_valid_for, self.chat_branch_id = read.member, valid_for, read.chat_branch_id
        else:
            self.read, self.roster_version = read
        if self.user_id is not None:
            self._adopt(self.read, fresh=True)

    def current(self) -> PersonState:
        """The person's state as it stands in this update (a copy; data must be JSON)."""
        data = json.loads(json.dumps(self.data))
        if self.flow is None or self.flow_state is None:  # a flow whose entry gave no state is no flow
            return PersonState(None, None, None, data, self.read.version)
        return PersonState(self.flow, self.flow_chat, self.flow_state, data, self.read.version)

    def set_flow(self, flow: str | None, chat_id: int | None, state: str | None) -> None:
        """Put the person in ``flow`` (None: in none), in memory until the next write."""
        self.flow, self.flow_chat, self.flow_state = flow, chat_id, state

    def end_flow(self, owned_keys: Collection[str] = ()) -> None:
        """End the person's flow and drop what it kept."""
        self.set_flow(None, None, None)
        for key in owned_keys:
            self.data.pop(key, None)

    def _adopt(self, state: PersonState, *, fresh: bool = False) -> None:
        """Take ``state`` as the person's state in memory (``fresh``: as read, replacing the data)."""
        self.set_flow(state.flow, state.chat_id, state.state)
        if fresh:
            self.data.clear()
            self.data.update(json.loads(json.dumps(state.data)))  # a deep copy: ``read`` stays as stored
        else:  # keep the dict handlers hold; only drop what the new state dropped
            for key in [k for k in self.data if k not in state.data]:
                del self.data[key]

    # --- flow steps ------------------------------------------------------------------------------------------

    def begin_step(self, step: Step) -> None:
        """A flow's step callback is about to run."""
        self.step = step

    def declare(self, state: object) -> None:
        """The state the running step's flow moves to when the open block commits (outside a flow's step, as
        when a step's callback also serves a plain button, there is no flow to move: nothing to do)."""
        if self.step is None:
            return
        if state != END and state not in self.step.states:
            raise RuntimeError(f"flow {self.step.flow!r} has no state {state!r}")
        self.step.then = state

    def end_step(self, returned: object) -> None:
        """The step returned ``returned`` (None: stay): adopt it in memory; it is written at the next write."""
        step, self.step = self.step, None
        if step is None or returned is None:
            return
        if returned != END and returned not in step.states:
            raise RuntimeError(f"flow {step.flow!r} has no state {returned!r}")
        self._adopt(self._after(step, returned))

    def _after(self, step: Step, state: object) -> PersonState:
        now = self.current()
        if state == END:
            data = {k: v for k, v in now.data.items() if k not in step.owned_keys}
            return PersonState(None, None, None, data, now.version)
        return PersonState(step.flow, step.chat_id, str(state), now.data, now.version)

    # --- transactions ----------------------------------------------------------------------------------------

    def _session(self) -> AsyncSession:
        if self.session is None:
            self.session = self.db.sessionmaker()
        return self.session

    @asynccontextmanager
    async def block(self, then: object = UNSET) -> AsyncIterator[AsyncSession]:
        """``context.unit()``: the outermost block commits, with the flow state and the marker if it wrote."""
        if then is not UNSET:
            self.declare(then)
        session = self._session()
        self.depth += 1
        try:
            yield session
        except BaseException:
            self.depth -= 1
            if self.depth == 0:
                await self._rollback(session)
            raise
        self.depth -= 1
        if self.depth == 0:
            try:
                await self._commit(session)
            except BaseException:
                await self._rollback(session)
                raise

    async def _commit(self, session: AsyncSession) -> None:
        await session.flush()
        wrote = bool(session.info.get("wrote"))
        step = self.step
        then = step.then if step is not None else UNSET
        if wrote and step is not None and then is UNSET:
            raise RuntimeError(
                f"a step of flow {step.flow!r} changed the database without saying where the flow goes: "
                "use `context.unit(then=STATE)` (or `context.then(STATE)` inside the block)"
            )
        new: PersonState | None = None
        if wrote or then is not UNSET:
            new = self._after(step, then) if step is not None and then is not UNSET else self.current()
            new = await self._write(session, new)
        await session.commit()
        self.committed = True
        session.info["wrote"] = False
        session.expunge_all()  # like a closed session: the next block reads afresh
        if new is not None:
            self._adopt(new)
            self.read = new
        if step is not None:
            step.then = UNSET
        if wrote:
            saved_in_this_update.set(True)

    async def _rollback(self, session: AsyncSession) -> None:
        await session.rollback()
        session.info["wrote"] = False
        session.expunge_all()
        if self.step is not None:
            self.step.then = UNSET

    async def _write(self, session: AsyncSession, new: PersonState) -> PersonState:
        """The person's state (if changed) and the handled marker (once), in the open transaction; returns the
        state as now stored."""
        if self.user_id is not None and not _same(new, self.read):
            new = replace(new, version=await write_person_state(session, self.user_id, self.read, new))
        if self.update_id is not None and not self.marked:
            await self._mark(session)
        return new

    async def _mark(self, session: AsyncSession) -> None:
        """The handled marker, in this transaction: the update's stored copy (bot/updates.py) counts as handled."""
        assert self.update_id is not None
        await note_handled(session, self.update_id)
        self.marked = True

    async def finish(self, quiet_markers: QuietMarkers | None = None) -> None:
        """After the handlers: write what is still pending (flow state changed later, the marker) in one go. An
        update that changed nothing leaves its marker to ``quiet_markers`` if given (SQLite: bot/updates.py)."""
        new = self.current()
        pending_state = self.user_id is not None and not _same(new, self.read)
        if not pending_state and (self.update_id is None or self.marked):
            return
        if not pending_state and quiet_markers is not None and not quiet_markers.closed:  # unmarked: nothing written
            assert self.update_id is not None
            quiet_markers.add(self.update_id)
            self.marked = True
            return
        session = self._session()
        marked = self.marked
        try:
            try:
                new = await self._write(session, new)
            except StaleFlowState:  # another update of this person moved on meanwhile: theirs stands
                log.warning("flow state of user %s changed concurrently; this update's change is dropped", self.user_id)
                if self.update_id is not None and not self.marked:
                    await self._mark(session)
            await session.commit()
        except BaseException:
            self.marked = marked
            await session.rollback()
            raise
        self.read = new

    def committed_elsewhere(self, *, marked: bool) -> None:
        """A writer of its own committed this update's effect (bot/checkin_batches.py), with its handled marker if
        ``marked``: the update is not run again, and the marker is not written twice."""
        self.committed = True
        self.marked = self.marked or marked

    def may_retry(self, error: BaseException) -> bool:
        """Whether ``error`` only means "try again" and running the update again is safe: a lock or a
        serialization failure, before anything of the update was committed."""
        return (
            self.attempt < RETRIES
            and not self.committed
            and not self.marked
            and not self.closed
            and transient_database_error(error)
        )

    async def close(self) -> None:
        """End of the update."""
        self.closed = True
        if self.session is not None:
            await self.session.close()


# A handler's transaction can fail for a reason that passes: SQLite answers "database is locked" at once when a
# transaction that read first then writes finds its snapshot stale (a busy timeout does not help there), and
# PostgreSQL aborts serialization failures and deadlocks. Run the update again a few times rather than apologise
# and mark it handled without its effects (the webhook crash test lost check-ins that way).
RETRIES = 4
SQLSTATE_RETRY = frozenset({"40001", "40P01"})  # serialization_failure, deadlock_detected


def transient_database_error(error: BaseException) -> bool:
    """A database error that may pass if the transaction is tried again."""
    if not isinstance(error, DBAPIError):
        return False
    orig = error.orig
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if state in SQLSTATE_RETRY:
        return True
    text = str(orig).lower()
    return "database is locked" in text or "database table is locked" in text or "database is busy" in text


def _same(a: PersonState, b: PersonState) -> bool:
    return (a.flow, a.chat_id, a.state) == (b.flow, b.chat_id, b.state) and json.dumps(
        a.data, sort_keys=True
    ) == json.dumps(b.data, sort_keys=True)


_current: ContextVar[Unit | None] = ContextVar("update_unit", default=None)


def current_unit() -> Unit | None:
    """The unit of the update being handled in this task, if any."""
    unit = _current.get()
    return None if unit is None or unit.closed else unit


@asynccontextmanager
async def open_unit(db: Database, then: object = UNSET) -> AsyncIterator[AsyncSession]:
    """The update's unit if there is one; elsewhere (jobs, a task outliving its update) a session of its own."""
    unit = current_unit()
    if unit is None:  # no update, so no flow: ``then`` has nothing to move
        async with db.session() as session:
            yield session
        return
    async with unit.block(then) as session:
        yield session


class _Turns:
    """One person's updates take turns in this process (updates run concurrently otherwise), so a double tap
    does not race its own flow state. Across replicas on PostgreSQL, each waits for the person's earlier stored
    updates (bot/updates.py); the compare-and-set on the state is the last guard."""

    def __init__(self) -> None:
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def of(self, user_id: int | None) -> AsyncIterator[None]:
        if user_id is None:
            yield
            return
        lock, holders = self._locks.get(user_id, (asyncio.Lock(), 0))
        self._locks[user_id] = (lock, holders + 1)
        try:
            async with lock:
                yield
        finally:
            lock, holders = self._locks[user_id]
            if holders == 1:
                del self._locks[user_id]  # nobody waits: keep no lock for people who are not writing
            else:
                self._locks[user_id] = (lock, holders - 1)


class UnitApplication(Application[Any, Any, Any, Any, Any, Any]):
    """The Application that gives each update its unit of work (only public PTB API is overridden)."""

    _turns: _Turns | None = None

    async def process_update(self, update: object) -> None:
        """Handle the update inside its unit: read the person's state first, write what is pending last."""
        if not isinstance(update, Update):
            await super().process_update(update)
            return
        user = update.effective_user
        if self._turns is None:
            self._turns = _Turns()
        async with self._turns.of(user.id if user else None):
            db = self.bot_data["resources"].db
            if user is not None and db.dialect == "postgresql" and isinstance(self.update_queue, DurableUpdateQueue):
                await wait_for_earlier(db, user.id, update.update_id)  # replicas: the person's earlier ones first
            await self._process_in_unit(update, user.id if user else None)

    async def _process_in_unit(self, update: Update, user_id: int | None) -> None:
        for attempt in range(RETRIES + 1):
            unit = Unit(self.bot_data["resources"].db, update.update_id, user_id, attempt=attempt)
            token = _current.set(unit)
            try:
                await self._attempt(update, unit)
            finally:
                _current.reset(token)
                await unit.close()
            if unit.retry_error is None:
                return
            cause = getattr(unit.retry_error, "orig", unit.retry_error)
            log.warning("update %s: %s (%s); trying again", update.update_id, type(cause).__name__, cause)
            await asyncio.sleep(0.05 * 2**attempt)

    async def _attempt(self, update: Update, unit: Unit) -> None:
        try:
            queue = self.update_queue
            check = isinstance(queue, DurableUpdateQueue) and queue.may_be_handled(update.update_id)
            new_caller, group = self._new_caller(update)
            if not await unit.load(check_handled=check, with_member=new_caller, chat_id=group):
                log.info("update %s was handled already; skipped", update.update_id)
                return
        except Exception as exc:
            await self.process_error(update=update, error=exc)
            return
        await super().process_update(update)
        if unit.retry_error is not None:
            return
        try:
            await unit.finish(self.bot_data["resources"].quiet_markers)
        except Exception as exc:
            await self.process_error(update=update, error=exc)

    def _new_caller(self, update: Update) -> tuple[bool, int | None]:
        """Whether the caller cache does not know the person in this chat (handlers/common.py's key), and the
        group's chat id if it is a group: then their member (and the group's branch) is read with their state, so
        that resolving them costs no statement of its own."""
        user, chat = update.effective_user, update.effective_chat
        if user is None:
            return False, None
        group = chat.id if chat is not None and chat.type in (ChatType.GROUP, ChatType.SUPERGROUP) else None
        return not self.bot_data["resources"].callers.knows((user.id, group)), group

    # The application closes what post_init opened in its own stop() and shutdown(), not in PTB's post_stop /
    # post_shutdown hooks: only run_polling / run_webhook call those, so the console and the tests (which start
    # and stop the application themselves) left the outbox sender running past the end and its database
    # connection to the garbage collector.

    async def stop(self) -> None:
        """Stop, then stop the outbox sender while the bot can still send: what is in flight is finished and
        recorded (the bot's HTTP client closes in :meth:`shutdown`)."""
        await super().stop()
        await self._stop_outbox_sender()

    async def shutdown(self) -> None:
        """Close resources: the handled markers still waiting (bot/updates.py) are written, the outbox sender is
        stopped (if the application never ran, :meth:`stop` did not), and the database's connections closed."""
        resources = self.bot_data.get("resources")
        if resources is not None:
            await resources.checkins.close()
        if resources is not None and resources.quiet_markers is not None:
            await resources.quiet_markers.close()
        await self._stop_outbox_sender()
        await super().shutdown()
        if resources is not None:
            await resources.db.dispose()

    async def _stop_outbox_sender(self) -> None:
        resources = self.bot_data.get("resources")
        if resources is not None and resources.worker is not None:
            await resources.worker.stop()

    async def process_error(
        self, update: object | None, error: Exception, job: Any = None, coroutine: Any = None
    ) -> bool:
        """A transient database error in an update's unit ends the attempt quietly (it is run again, see
        :data:`RETRIES`); anything else goes to the error handlers."""
        unit = current_unit()
        if job is None and coroutine is None and unit is not None and unit.may_retry(error):
            unit.retry_error = error
            return True  # stop this attempt's handlers; _process_in_unit runs the update again
        return await super().process_error(update, error, job, coroutine)
