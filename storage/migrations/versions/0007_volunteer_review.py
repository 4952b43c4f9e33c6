"""volunteer service review: an activity's revision (edits announced once each) and when it was cancelled

Revision ID: 0007_volunteer_review
Revises: 0005_volunteer
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.base

revision: str = "0007_volunteer_review"
down_revision: str | Sequence[str] | None = "0005_volunteer"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "revision",
                sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                nullable=False,
                server_default=sa.text("0"),
            )
        )
        batch_op.add_column(sa.Column("cancelled_at", storage.base.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.drop_column("cancelled_at")
        batch_op.drop_column("revision")
