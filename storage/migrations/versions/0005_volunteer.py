"""volunteer service: communities, registrations, activities, dispatches, sign-ups, self-reports

Revision ID: 0005_volunteer
Revises: 0001_foundation
Create Date: 2026-11-26 20:09:55.151544
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.base

revision: str = "0005_volunteer"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "communities",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("town", sa.String(length=100), nullable=False),
        sa.Column("latitude", sa.Double(), nullable=True),
        sa.Column("longitude", sa.Double(), nullable=True),
        sa.Column("contact", sa.String(length=200), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_communities")),
        sa.UniqueConstraint("town", "name", name=op.f("uq_communities_town_name")),
    )
    op.create_table(
        "activities",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("community_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=True),
        sa.Column("latitude", sa.Double(), nullable=True),
        sa.Column("longitude", sa.Double(), nullable=True),
        sa.Column("radius_m", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("starts_at", storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("slots", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("taken", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("skills", sa.String(length=300), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("org_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_at", storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("taken >= 0 AND taken <= slots", name=op.f("ck_activities_places")),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_activities_community_id_communities"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["members.id"], name=op.f("fk_activities_created_by_id_members"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_activities_org_id_organisations"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activities")),
    )
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.create_index("ix_activities_starts_at", ["starts_at"], unique=False)

    op.create_table(
        "community_registrations",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("member_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("community_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("registered_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("current_member_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_at", storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_community_registrations_community_id_communities"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_community_registrations_member_id_members"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community_registrations")),
        sa.UniqueConstraint("current_member_id", name=op.f("uq_community_registrations_current_member_id")),
    )
    with op.batch_alter_table("community_registrations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_community_registrations_community_id"), ["community_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_community_registrations_member_id"), ["member_id"], unique=False)

    op.create_table(
        "service_reports",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("ref", sa.String(length=64), nullable=True),
        sa.Column("member_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("org_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("service_date", sa.Date(), nullable=False),
        sa.Column("starts_at", storage.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ends_at", storage.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("minutes", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("outside_minutes", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("community_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("place", sa.String(length=200), nullable=True),
        sa.Column("description", sa.String(length=1000), nullable=False),
        sa.Column("photos", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decision_reason", sa.String(length=500), nullable=True),
        sa.Column("decided_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("decided_at", storage.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_service_reports_community_id_communities"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["members.id"],
            name=op.f("fk_service_reports_decided_by_id_members"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_service_reports_member_id_members"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_service_reports_org_id_organisations"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_reports")),
        sa.UniqueConstraint("ref", name=op.f("uq_service_reports_ref")),
    )
    with op.batch_alter_table("service_reports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_service_reports_member_id"), ["member_id"], unique=False)
        batch_op.create_index("ix_service_reports_org_status", ["org_id", "status"], unique=False)

    op.create_table(
        "activity_dispatches",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("activity_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("org_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_at", storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activities.id"],
            name=op.f("fk_activity_dispatches_activity_id_activities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["members.id"],
            name=op.f("fk_activity_dispatches_created_by_id_members"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
            name=op.f("fk_activity_dispatches_org_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity_dispatches")),
        sa.UniqueConstraint("activity_id", "org_id", name=op.f("uq_activity_dispatches_activity_id_org_id")),
    )
    with op.batch_alter_table("activity_dispatches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_activity_dispatches_activity_id"), ["activity_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_activity_dispatches_org_id"), ["org_id"], unique=False)

    op.create_table(
        "activity_signups",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("activity_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("member_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("queued_at", storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("promoted_at", storage.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("checked_in_at", storage.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("checkin_method", sa.String(length=16), nullable=True),
        sa.Column("checked_out_at", storage.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("checkout_method", sa.String(length=16), nullable=True),
        sa.Column("minutes", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("outside_minutes", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("auto_closed", sa.Boolean(), nullable=False),
        sa.Column("confirmed_at", storage.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("corrected_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("correction_reason", sa.String(length=300), nullable=True),
        sa.Column("created_at", storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activities.id"],
            name=op.f("fk_activity_signups_activity_id_activities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["corrected_by_id"],
            ["members.id"],
            name=op.f("fk_activity_signups_corrected_by_id_members"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_activity_signups_member_id_members"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity_signups")),
        sa.UniqueConstraint("activity_id", "member_id", name=op.f("uq_activity_signups_activity_id_member_id")),
    )
    with op.batch_alter_table("activity_signups", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_activity_signups_member_id"), ["member_id"], unique=False)
        batch_op.create_index("ix_activity_signups_queue", ["activity_id", "status", "queued_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("activity_signups", schema=None) as batch_op:
        batch_op.drop_index("ix_activity_signups_queue")
        batch_op.drop_index(batch_op.f("ix_activity_signups_member_id"))

    op.drop_table("activity_signups")
    with op.batch_alter_table("activity_dispatches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_activity_dispatches_org_id"))
        batch_op.drop_index(batch_op.f("ix_activity_dispatches_activity_id"))

    op.drop_table("activity_dispatches")
    with op.batch_alter_table("service_reports", schema=None) as batch_op:
        batch_op.drop_index("ix_service_reports_org_status")
        batch_op.drop_index(batch_op.f("ix_service_reports_member_id"))

    op.drop_table("service_reports")
    with op.batch_alter_table("community_registrations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_community_registrations_member_id"))
        batch_op.drop_index(batch_op.f("ix_community_registrations_community_id"))

    op.drop_table("community_registrations")
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.drop_index("ix_activities_starts_at")

    op.drop_table("activities")
    op.drop_table("communities")
