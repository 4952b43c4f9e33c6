"""membership history: which branch each member belonged to, and when (a period's ledger counts its members)

Revision ID: 0008_memberships
Revises: 0001_foundation
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_memberships"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "memberships",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("member_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("org_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_memberships_member_id_members"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_memberships_org_id_organisations"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_memberships")),
    )
    op.create_index("ix_memberships_org_started", "memberships", ["org_id", "started_on"], unique=False)
    op.create_index(op.f("ix_memberships_member_id"), "memberships", ["member_id"], unique=False)
    # Existing members: one row each, from their join date (else the day they were entered), closed for the
    # inactive on the day they were last changed.
    if op.get_bind().dialect.name == "sqlite":
        created, updated = "date(created_at)", "date(updated_at)"
    else:
        created, updated = "CAST(created_at AS DATE)", "CAST(updated_at AS DATE)"
    op.execute(
        "INSERT INTO memberships (member_id, org_id, started_on, ended_on, reason) "
        f"SELECT id, org_id, COALESCE(join_date, {created}), "
        f"CASE WHEN active THEN NULL ELSE {updated} END, "
        "CASE WHEN active THEN NULL ELSE 'left' END FROM members"
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_memberships_member_id"), table_name="memberships")
    op.drop_index("ix_memberships_org_started", table_name="memberships")
    op.drop_table("memberships")
