"""first agenda item: study materials, dispatches, meeting items, nudges

Revision ID: 0004_first_agenda
Revises: 0003_meetings
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.base

revision: str = "0004_first_agenda"
down_revision: str | Sequence[str] | None = "0003_meetings"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "study_materials",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("owner_org_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=True),
        sa.Column("issued_on", sa.Date(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("url", sa.String(length=500), nullable=True),
        sa.Column("attachment_file_id", sa.String(length=200), nullable=True),
        sa.Column("attachment_name", sa.String(length=200), nullable=True),
        sa.Column("created_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_at", storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["members.id"],
            name=op.f("fk_study_materials_created_by_id_members"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["owner_org_id"],
            ["organisations.id"],
            name=op.f("fk_study_materials_owner_org_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_study_materials")),
    )
    with op.batch_alter_table("study_materials", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_study_materials_owner_org_id"), ["owner_org_id"], unique=False)

    op.create_table(
        "first_agenda_items",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("meeting_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("form", sa.String(length=16), nullable=True),
        sa.Column("led_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("led_by_name", sa.String(length=100), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("recorded_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("recorded_at", storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["led_by_id"], ["members.id"], name=op.f("fk_first_agenda_items_led_by_id_members"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meetings.id"], name=op.f("fk_first_agenda_items_meeting_id_meetings"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["members.id"],
            name=op.f("fk_first_agenda_items_recorded_by_id_members"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_first_agenda_items")),
        sa.UniqueConstraint("meeting_id", name=op.f("uq_first_agenda_items_meeting_id")),
    )
    op.create_table(
        "first_agenda_nudges",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("material_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("branch_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("nudged_at", storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["branch_id"],
            ["organisations.id"],
            name=op.f("fk_first_agenda_nudges_branch_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["material_id"],
            ["study_materials.id"],
            name=op.f("fk_first_agenda_nudges_material_id_study_materials"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_first_agenda_nudges")),
        sa.UniqueConstraint("material_id", "branch_id", name=op.f("uq_first_agenda_nudges_material_id_branch_id")),
    )
    op.create_table(
        "material_dispatches",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("material_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("branch_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("dispatched_at", storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("dispatched_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.ForeignKeyConstraint(
            ["branch_id"],
            ["organisations.id"],
            name=op.f("fk_material_dispatches_branch_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["dispatched_by_id"],
            ["members.id"],
            name=op.f("fk_material_dispatches_dispatched_by_id_members"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["material_id"],
            ["study_materials.id"],
            name=op.f("fk_material_dispatches_material_id_study_materials"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_material_dispatches")),
        sa.UniqueConstraint("material_id", "branch_id", name=op.f("uq_material_dispatches_material_id_branch_id")),
    )
    with op.batch_alter_table("material_dispatches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_material_dispatches_branch_id"), ["branch_id"], unique=False)

    op.create_table(
        "first_agenda_materials",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("item_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("material_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("position", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["first_agenda_items.id"],
            name=op.f("fk_first_agenda_materials_item_id_first_agenda_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["material_id"],
            ["study_materials.id"],
            name=op.f("fk_first_agenda_materials_material_id_study_materials"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_first_agenda_materials")),
        sa.UniqueConstraint("item_id", "material_id", name=op.f("uq_first_agenda_materials_item_id_material_id")),
    )
    with op.batch_alter_table("first_agenda_materials", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_first_agenda_materials_material_id"), ["material_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("first_agenda_materials", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_first_agenda_materials_material_id"))

    op.drop_table("first_agenda_materials")
    with op.batch_alter_table("material_dispatches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_material_dispatches_branch_id"))

    op.drop_table("material_dispatches")
    op.drop_table("first_agenda_nudges")
    op.drop_table("first_agenda_items")
    with op.batch_alter_table("study_materials", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_study_materials_owner_org_id"))

    op.drop_table("study_materials")
