"""SQLite through aiosqlite with one trip to the connection's thread per statement.

aiosqlite runs each sqlite3 call in the connection's own thread and wakes the event loop with the answer: one
trip costs two thread switches, far more than the statement itself on a small indexed table. SQLAlchemy's adapter
makes four trips per SELECT (open a cursor, execute, fetch, close) and three per INSERT/UPDATE/DELETE, and one for
each commit and rollback, even when no transaction is open (a read-only session's commit, the pool's rollback of
a connection returned after its commit). On a busy machine these trips were most of what an update cost: 18 of
them for ``/help``, 52 for a check-in.

This adapter runs cursor, execute, fetch and close as one function in the connection's thread, and skips a commit
or a rollback when sqlite3 has no transaction open (sqlite3 would do nothing then anyway). Statements, their
order, their transactions and their errors are unchanged: only the number of trips shrinks. It is SQLAlchemy's
own aiosqlite dialect, given this adapter as its DBAPI module (``create_async_engine(url, module=...)``).
"""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Sequence
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT

from storage.base import BUSY_TIMEOUT_MS, LAST_STATEMENT, SMALL_READ

_Result = tuple[Any, list[Any], int, int | None]  # description, rows, rowcount, lastrowid


def _run(connection: sqlite3.Connection, operation: str, parameters: Any, many: bool, commit: bool) -> _Result:
    """One statement, start to finish, in the connection's thread; then the commit, if it is the last statement
    of its transaction (LAST_STATEMENT)."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        result = description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()
    if commit and connection.in_transaction:
        connection.commit()  # SQLAlchemy's own commit, right after, then finds no transaction: no trip
    return result


def note_last_statement(_conn: Any, cursor: Any, _statement: Any, _params: Any, context: Any, _many: bool) -> None:
    """``before_cursor_execute``: tell the cursor that its statement is the last of the transaction (the
    LAST_STATEMENT execution option), so that it commits in the same trip; or a small read (SMALL_READ)."""
    if context is not None and isinstance(cursor, _OneTripCursor):
        options = context.execution_options
        cursor._commit = bool(options.get(LAST_STATEMENT))
        cursor._inline = bool(options.get(SMALL_READ))


# A small read on the loop's thread runs with no busy timeout (bot/db.py's is restored after it): in WAL mode a read
# does not wait for writers, and in the rare case SQLite answers "busy" it goes to the thread instead.


def _inline_read(connection: sqlite3.Connection, operation: str, parameters: Any) -> _Result | None:
    """A small read run here, on the event loop's thread; None when SQLite is busy (then it takes the trip)."""
    connection.execute("PRAGMA busy_timeout=0")
    try:
        return _run(connection, operation, parameters, False, False)
    except sqlite3.OperationalError as error:
        if "locked" in str(error).lower() or "busy" in str(error).lower():
            return None
        raise
    finally:
        connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


class _OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """A client-side cursor whose statement runs in one trip; its rows are kept here, as SQLAlchemy's are."""

    __slots__ = ("_commit", "_description", "_inline", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:  # no cursor opened yet
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        self._commit = False  # set by note_last_statement
        self._inline = False

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int:
        return self._lastrowid  # type: ignore[return-value]

    @property
    def arraysize(self) -> int:
        return 1

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        pass

    async def _async_soft_close(self) -> None:
        return  # nothing is open: the statement's cursor was closed in its trip

    def close(self) -> None:
        self._rows.clear()

    def setinputsizes(self, *inputsizes: Any) -> None:
        return None

    def nextset(self) -> None:
        return None

    async def _trip(self, operation: Any, parameters: Any, many: bool) -> None:
        async with self._adapt_connection._execute_mutex:
            connection: aiosqlite.Connection = self._connection  # type: ignore[assignment]
            commit, self._commit = self._commit, False
            inline, self._inline = self._inline, False
            raw = connection._conn
            found = _inline_read(raw, operation, parameters) if inline and not many and not raw.in_transaction else None
            if found is not None:
                result = found
            else:
                result = await connection._execute(_run, raw, operation, parameters, many, commit)
        self._description, rows, self._rowcount, self._lastrowid = result
        self._rows = collections.deque(rows)

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        await self._trip(operation, parameters, False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Sequence[Any]) -> Any:
        await self._trip(operation, seq_of_parameters, True)


class _OneTripConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()

    _cursor_cls = _OneTripCursor  # type: ignore[assignment]

    def _in_transaction(self) -> bool:
        raw = self._connection._connection
        return raw is not None and bool(raw.in_transaction)

    def commit(self) -> None:
        if self._in_transaction():
            super().commit()

    def rollback(self) -> None:
        if self._in_transaction():
            super().rollback()


class OneTripDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """The DBAPI module SQLAlchemy's aiosqlite dialect uses, with the adapter above."""

    def connect(self, *arg: Any, **kw: Any) -> AsyncAdapt_aiosqlite_connection:
        adapted = super().connect(*arg, **kw)
        return _OneTripConnection(self, adapted._connection)


def one_trip_dbapi() -> OneTripDBAPI:
    return OneTripDBAPI(aiosqlite, sqlite3)
