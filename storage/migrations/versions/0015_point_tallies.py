"""point tallies: the closed months' attendance counts per member, so the city's points read 30,000 rows instead of
grouping a million attendance rows; attendance and meetings indexed by updated_at (has anything changed since?)

Revision ID: 0015_point_tallies
Revises: 0009_points
Create Date: 2026-12-02 14:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.base

revision: str = "0015_point_tallies"
down_revision: str | Sequence[str] | None = "0009_points"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = "0003_meetings"

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "point_tally_builds",
        sa.Column("id", _ID, nullable=False),
        sa.Column("org_id", _ID, nullable=False),
        sa.Column("year", _ID, nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("through", _ID, nullable=False),
        sa.Column("built_at", storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
            name=op.f("fk_point_tally_builds_org_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_point_tally_builds")),
        sa.UniqueConstraint("org_id", "year", "digest", name=op.f("uq_point_tally_builds_org_id_year_digest")),
    )
    op.create_table(
        "point_tallies",
        sa.Column("build_id", _ID, nullable=False),
        sa.Column("month", _ID, nullable=False),
        sa.Column("member_id", _ID, nullable=False),
        *[sa.Column(f"c{slot}", sa.Integer(), nullable=False) for slot in range(8)],
        sa.ForeignKeyConstraint(
            ["build_id"],
            ["point_tally_builds.id"],
            name=op.f("fk_point_tallies_build_id_point_tally_builds"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_point_tallies_member_id_members"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("build_id", "month", "member_id", name=op.f("pk_point_tallies")),
    )
    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.create_index("ix_attendance_updated_at", ["updated_at"], unique=False)
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.create_index("ix_meetings_updated_at", ["updated_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.drop_index("ix_meetings_updated_at")
    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.drop_index("ix_attendance_updated_at")
    op.drop_table("point_tallies")
    op.drop_table("point_tally_builds")
