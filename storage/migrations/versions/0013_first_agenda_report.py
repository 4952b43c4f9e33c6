"""first agenda report: an index on material_dispatches (branch_id, dispatched_at) for the period's dispatches

Revision ID: 0013_first_agenda_report
Revises: 0001_foundation
Create Date: 2026-12-01 23:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013_first_agenda_report"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = None
# The table is the first agenda feature's own (0004); the report reads it by branch and period.
depends_on: str | Sequence[str] | None = "0004_first_agenda"


def upgrade() -> None:
    with op.batch_alter_table("material_dispatches", schema=None) as batch_op:
        batch_op.create_index("ix_material_dispatches_branch_dispatched", ["branch_id", "dispatched_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("material_dispatches", schema=None) as batch_op:
        batch_op.drop_index("ix_material_dispatches_branch_dispatched")
