"""PTB persistence in the database: conversation states, user data and chat data survive a restart.

Only JSON-friendly values belong in ``user_data``/``chat_data`` (ids, strings, numbers, lists, dicts).
``bot_data`` holds the process's resources and is not persisted.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import delete, select
from telegram.ext import BasePersistence, PersistenceInput
from telegram.ext._utils.types import CDCData, ConversationDict, ConversationKey

from bot.clock import now_utc
from bot.db import Database
from storage.models import ChatState
from storage.queries import upsert_insert

_CONVERSATION = "conversation:"


class DatabasePersistence(BasePersistence[dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """Keeps conversations, user data and chat data in the ``chat_state`` table."""

    def __init__(self, db: Database, update_interval: float = 1.0) -> None:
        super().__init__(
            store_data=PersistenceInput(bot_data=False, callback_data=False), update_interval=update_interval
        )
        self.db = db

    async def _load(self, scope: str) -> dict[str, Any]:
        async with self.db.session() as session:
            rows = (await session.scalars(select(ChatState).where(ChatState.scope == scope))).all()
        return {row.key: row.data for row in rows}

    async def _store(self, scope: str, key: str, data: Any) -> None:
        async with self.db.session() as session:
            stmt = upsert_insert(session)(ChatState).values(scope=scope, key=key, data=data, updated_at=now_utc())
            stmt = stmt.on_conflict_do_update(
                index_elements=["scope", "key"],
                set_={"data": stmt.excluded.data, "updated_at": stmt.excluded.updated_at},
            )
            await session.execute(stmt)

    async def _drop(self, scope: str, key: str) -> None:
        async with self.db.session() as session:
            await session.execute(delete(ChatState).where(ChatState.scope == scope, ChatState.key == key))

    async def get_user_data(self) -> dict[int, dict[Any, Any]]:
        """Every user's data."""
        return {int(k): dict(v) for k, v in (await self._load("user")).items()}

    async def get_chat_data(self) -> dict[int, dict[Any, Any]]:
        """Every chat's data."""
        return {int(k): dict(v) for k, v in (await self._load("chat")).items()}

    async def get_bot_data(self) -> dict[Any, Any]:
        """Not persisted."""
        return {}

    async def get_callback_data(self) -> CDCData | None:
        """Not persisted (buttons carry short references, not arbitrary data)."""
        return None

    async def get_conversations(self, name: str) -> ConversationDict:
        """The states of conversation ``name``."""
        stored = await self._load(_CONVERSATION + name)
        return {tuple(json.loads(key)): state for key, state in stored.items()}

    async def update_conversation(self, name: str, key: ConversationKey, new_state: object | None) -> None:
        """Store (or end) one conversation's state."""
        encoded = json.dumps(list(key))
        if new_state is None:
            await self._drop(_CONVERSATION + name, encoded)
        else:
            await self._store(_CONVERSATION + name, encoded, new_state)

    async def update_user_data(self, user_id: int, data: dict[Any, Any]) -> None:
        """Store one user's data."""
        await self._store("user", str(user_id), data)

    async def update_chat_data(self, chat_id: int, data: dict[Any, Any]) -> None:
        """Store one chat's data."""
        await self._store("chat", str(chat_id), data)

    async def update_bot_data(self, data: dict[Any, Any]) -> None:
        """Not persisted."""

    async def update_callback_data(self, data: CDCData) -> None:
        """Not persisted."""

    async def drop_chat_data(self, chat_id: int) -> None:
        """Forget a chat."""
        await self._drop("chat", str(chat_id))

    async def drop_user_data(self, user_id: int) -> None:
        """Forget a user."""
        await self._drop("user", str(user_id))

    async def refresh_user_data(self, user_id: int, user_data: dict[Any, Any]) -> None:
        """Nothing to refresh: this process holds the current copy."""

    async def refresh_chat_data(self, chat_id: int, chat_data: dict[Any, Any]) -> None:
        """Nothing to refresh."""

    async def refresh_bot_data(self, bot_data: dict[Any, Any]) -> None:
        """Nothing to refresh."""

    async def flush(self) -> None:
        """Everything is written as it changes."""
