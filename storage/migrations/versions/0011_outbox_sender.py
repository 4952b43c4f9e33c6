"""outbox sender: a priority per row (its claim index), the member's last queued menu, the live senders

Revision ID: 0011_outbox_sender
Revises: 0001_foundation
Create Date: 2026-12-01 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.base

revision: str = "0011_outbox_sender"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("priority", sa.SmallInteger(), server_default="10", nullable=False))
        batch_op.create_index(
            "ix_outbox_status_priority_not_before", ["status", "priority", "not_before"], unique=False
        )
    op.create_table(
        "member_menus",
        sa.Column("member_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("digest", sa.String(length=32), nullable=False),
        sa.Column("updated_at", storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_member_menus_member_id_members"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_member_menus")),
    )
    op.create_table(
        "outbox_senders",
        sa.Column("sender_id", sa.String(length=32), nullable=False),
        sa.Column("seen_at", storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sender_id", name=op.f("pk_outbox_senders")),
    )


def downgrade() -> None:
    op.drop_table("outbox_senders")
    op.drop_table("member_menus")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_status_priority_not_before")
        batch_op.drop_column("priority")
