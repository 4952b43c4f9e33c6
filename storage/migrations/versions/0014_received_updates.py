"""received updates: the durable update queue (each update stored before Telegram is told it was delivered)

Revision ID: 0014_received_updates
Revises: 0001_foundation
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.base

revision: str = "0014_received_updates"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "received_updates",
        sa.Column("update_id", _ID, autoincrement=False, nullable=False),
        sa.Column("user_id", _ID, nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("received_at", storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("update_id", name=op.f("pk_received_updates")),
    )
    op.create_index("ix_received_updates_user_id_update_id", "received_updates", ["user_id", "update_id"])


def downgrade() -> None:
    op.drop_index("ix_received_updates_user_id_update_id", table_name="received_updates")
    op.drop_table("received_updates")
