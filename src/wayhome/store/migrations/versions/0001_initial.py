"""Initial incident picture: incidents, roster, teams and pairs, positions, activity log.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def _created_at() -> sa.Column[object]:
    return sa.Column("created_at", sa.DateTime(), nullable=False)


def upgrade() -> None:
    op.create_table(
        "incident",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        _created_at(),
    )
    op.create_table(
        "activity_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incident.id"), nullable=False),
        sa.Column("time", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=50), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
    )
    op.create_index("ix_activity_log_incident_id", "activity_log", ["incident_id"])
    op.create_table(
        "member",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incident.id"), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("needs_protection", sa.Boolean(), nullable=False),
        _created_at(),
    )
    op.create_index("ix_member_incident_id", "member", ["incident_id"])
    op.create_table(
        "team",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incident.id"), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        _created_at(),
    )
    op.create_index("ix_team_incident_id", "team", ["incident_id"])
    op.create_table(
        "position",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incident.id"), nullable=False),
        sa.Column("member_id", sa.Integer(), sa.ForeignKey("member.id"), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("time", sa.DateTime(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
    )
    # A member's track in time order, and the cheap way to its newest point.
    op.create_index("ix_position_track", "position", ["incident_id", "member_id", "time"])
    op.create_table(
        "team_member",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("team_id", sa.Integer(), sa.ForeignKey("team.id"), nullable=False),
        sa.Column("member_id", sa.Integer(), sa.ForeignKey("member.id"), nullable=False),
        sa.Column("pair", sa.Integer(), nullable=False),
        sa.Column("protects_id", sa.Integer(), sa.ForeignKey("member.id"), nullable=True),
        sa.UniqueConstraint("team_id", "member_id"),
    )
    op.create_index("ix_team_member_team_id", "team_member", ["team_id"])
    op.create_table(
        "last_position",
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incident.id"), primary_key=True),
        sa.Column("member_id", sa.Integer(), sa.ForeignKey("member.id"), primary_key=True),
        sa.Column("position_id", sa.Uuid(), sa.ForeignKey("position.id"), nullable=False),
        sa.Column("time", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    for table in ("last_position", "team_member", "position", "team", "member", "activity_log"):
        op.drop_table(table)
    op.drop_table("incident")
