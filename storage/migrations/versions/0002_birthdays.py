"""political birthdays: greeting preferences, branch wishes, the daily run log

Revision ID: 0002_birthdays
Revises: 0001_foundation
Create Date: 2026-11-26 20:09:10.792765
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.base

revision: str = "0002_birthdays"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "birthday_runs",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("job", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("runs", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("queued", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("first_run_at", storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_run_at", storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_birthday_runs")),
        sa.UniqueConstraint("job", "day", name=op.f("uq_birthday_runs_job_day")),
    )
    op.create_table(
        "birthday_preferences",
        sa.Column("member_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("greetings_enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_birthday_preferences_member_id_members"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_birthday_preferences")),
    )
    op.create_table(
        "birthday_wishes",
        sa.Column("org_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("updated_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("updated_at", storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_birthday_wishes_org_id_organisations"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["members.id"],
            name=op.f("fk_birthday_wishes_updated_by_id_members"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("org_id", name=op.f("pk_birthday_wishes")),
    )


def downgrade() -> None:
    op.drop_table("birthday_wishes")
    op.drop_table("birthday_preferences")
    op.drop_table("birthday_runs")
