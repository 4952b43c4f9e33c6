"""meetings reports: an index on organisations.parent_id (a city's subtree and its branches' Party groups)

Revision ID: 0012_meetings_reports
Revises: 0001_foundation
Create Date: 2026-12-01 23:20:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012_meetings_reports"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_organisations_parent_id"), ["parent_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organisations_parent_id"))
