"""The full incident record: periods, subject and reunification, places, assignments,
member profiles, movement order, overdue teams, incident closing, users and roles.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    # Plain ADD COLUMN with defaults: existing rows get sensible values.
    op.add_column(
        "incident",
        sa.Column("status", sa.String(length=20), nullable=False, server_default="open"),
    )
    op.add_column("incident", sa.Column("closed_at", sa.DateTime(), nullable=True))
    op.add_column(
        "member", sa.Column("qualifications", sa.Text(), nullable=False, server_default="")
    )
    op.add_column(
        "member",
        sa.Column("resource_type", sa.String(length=20), nullable=False, server_default="ground"),
    )
    op.add_column(
        "member", sa.Column("medical_notes", sa.Text(), nullable=False, server_default="")
    )
    op.add_column(
        "member",
        sa.Column("contact", sa.String(length=200), nullable=False, server_default=""),
    )
    op.add_column("team", sa.Column("overdue_since", sa.DateTime(), nullable=True))
    op.add_column("team_member", sa.Column("march", sa.String(length=10), nullable=True))

    op.create_table(
        "operational_period",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incident.id"), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("ends_at", sa.DateTime(), nullable=False),
        sa.Column("objectives", sa.Text(), nullable=False, server_default=""),
        sa.UniqueConstraint("incident_id", "number"),
    )
    op.create_index("ix_operational_period_incident_id", "operational_period", ["incident_id"])
    op.create_table(
        "subject",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incident.id"), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=50), nullable=False),
        sa.Column("age", sa.Float(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False, server_default=""),
        sa.Column("last_seen_lat", sa.Float(), nullable=False),
        sa.Column("last_seen_lon", sa.Float(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("guardian_name", sa.String(length=200), nullable=False),
        sa.Column("guardian_relation", sa.String(length=100), nullable=False),
        sa.Column("handover_code_hash", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False, server_default="missing"),
        sa.Column("found_at", sa.DateTime(), nullable=True),
        sa.Column("found_by_member_id", sa.Integer(), sa.ForeignKey("member.id"), nullable=True),
        sa.Column("found_lat", sa.Float(), nullable=True),
        sa.Column("found_lon", sa.Float(), nullable=True),
        sa.Column("condition", sa.Text(), nullable=False, server_default=""),
        sa.Column("handed_over_at", sa.DateTime(), nullable=True),
        sa.Column("handed_to", sa.String(length=200), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_subject_incident_id", "subject", ["incident_id"])
    op.create_table(
        "place",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incident.id"), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
    )
    op.create_index("ix_place_incident_id", "place", ["incident_id"])
    op.create_table(
        "assignment",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incident.id"), nullable=False),
        sa.Column("period_id", sa.Integer(), sa.ForeignKey("operational_period.id"), nullable=True),
        sa.Column("team_id", sa.Integer(), sa.ForeignKey("team.id"), nullable=False),
        sa.Column("segment", sa.String(length=50), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False, server_default="planned"),
        sa.Column("instructions", sa.Text(), nullable=False, server_default=""),
        sa.Column("rendezvous_id", sa.Integer(), sa.ForeignKey("place.id"), nullable=True),
        sa.Column("turnaround_at", sa.DateTime(), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("completed_at", sa.DateTime(), nullable=True),
        sa.Column("reported_pod", sa.Float(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_assignment_incident_id", "assignment", ["incident_id"])
    op.create_index("ix_assignment_team_id", "assignment", ["team_id"])
    op.create_table(
        "app_user",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("login", sa.String(length=100), nullable=False, unique=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=300), nullable=False, server_default=""),
        sa.Column("is_admin", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "access_token",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("app_user.id"), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_access_token_user_id", "access_token", ["user_id"])
    op.create_table(
        "incident_role",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incident.id"), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("app_user.id"), nullable=False),
        sa.Column("role", sa.String(length=30), nullable=False),
        sa.Column("member_id", sa.Integer(), sa.ForeignKey("member.id"), nullable=True),
        sa.UniqueConstraint("incident_id", "user_id"),
    )
    op.create_index("ix_incident_role_incident_id", "incident_role", ["incident_id"])
    op.create_index("ix_incident_role_user_id", "incident_role", ["user_id"])


def downgrade() -> None:
    for table in (
        "incident_role",
        "access_token",
        "app_user",
        "assignment",
        "place",
        "subject",
        "operational_period",
    ):
        op.drop_table(table)
    with op.batch_alter_table("team_member") as batch:
        batch.drop_column("march")
    with op.batch_alter_table("team") as batch:
        batch.drop_column("overdue_since")
    with op.batch_alter_table("member") as batch:
        for column in ("contact", "medical_notes", "resource_type", "qualifications"):
            batch.drop_column(column)
    with op.batch_alter_table("incident") as batch:
        batch.drop_column("closed_at")
        batch.drop_column("status")
