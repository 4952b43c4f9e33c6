"""flow state per person and handled-update markers, read and written in the update's session

Replaces python-telegram-bot's persistence (conversations and user data in ``chat_state``): what people had
there moves over, so a flow left half-way before the upgrade continues after it.

Revision ID: 0010_flow_state
Revises: 0001_foundation
"""

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

import storage.base

revision: str = "0010_flow_state"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    flow_state = op.create_table(
        "flow_state",
        sa.Column("user_id", _ID, autoincrement=False, nullable=False),
        sa.Column("flow", sa.String(length=64), nullable=True),
        sa.Column("chat_id", _ID, nullable=True),
        sa.Column("state", sa.String(length=64), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_flow_state")),
    )
    op.create_table(
        "handled_updates",
        sa.Column("update_id", _ID, autoincrement=False, nullable=False),
        sa.Column("handled_at", storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("update_id", name=op.f("pk_handled_updates")),
    )
    op.create_index(op.f("ix_handled_updates_handled_at"), "handled_updates", ["handled_at"], unique=False)
    _move_ptb_persistence(flow_state)


def _move_ptb_persistence(flow_state: sa.Table) -> None:
    """Conversations (one per person: starting a flow ended the others) and user data from ``chat_state``."""
    bind = op.get_bind()
    chat_state = sa.table("chat_state", sa.column("scope"), sa.column("key"), sa.column("data", sa.JSON()))
    rows = bind.execute(sa.select(chat_state.c.scope, chat_state.c.key, chat_state.c.data)).all()
    people: dict[int, dict[str, Any]] = {}
    for scope, key, value in rows:
        if scope == "user":
            people.setdefault(int(key), {"flow": None, "chat_id": None, "state": None, "data": {}})["data"] = value
        elif scope.startswith("conversation:") and value is not None:
            parts = json.loads(key)  # [chat, user] for flows per chat, [user] for flows across chats
            person = people.setdefault(int(parts[-1]), {"flow": None, "chat_id": None, "state": None, "data": {}})
            person.update(
                flow=scope.removeprefix("conversation:"),
                chat_id=int(parts[0]) if len(parts) == 2 else None,
                state=str(value),
            )
    now = datetime.now(UTC)  # the column type stores it as UTC on each backend
    records = [
        {"user_id": user_id, **person, "version": 1, "updated_at": now}
        for user_id, person in people.items()
        if person["flow"] is not None or person["data"]
    ]
    if records:
        op.bulk_insert(flow_state, records)
    op.execute(
        sa.delete(chat_state).where(
            sa.or_(chat_state.c.scope.in_(("user", "chat")), chat_state.c.scope.like("conversation:%"))
        )
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_handled_updates_handled_at"), table_name="handled_updates")
    op.drop_table("handled_updates")
    op.drop_table("flow_state")
