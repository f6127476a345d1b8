"""Roll call (PAR): member status (ICS-211), team leaders, roll calls and their answers.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    # Plain ADD COLUMN with defaults: no table rebuild, so existing rows and keys stay put.
    op.add_column(
        "member",
        sa.Column("status", sa.String(length=20), nullable=False, server_default="pending"),
    )
    op.add_column(
        "team_member",
        sa.Column("leader", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "roll_call",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incident.id"), nullable=False),
        sa.Column("team_id", sa.Integer(), sa.ForeignKey("team.id"), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
    )
    op.create_index("ix_roll_call_incident_id", "roll_call", ["incident_id"])
    op.create_index("ix_roll_call_due_at", "roll_call", ["due_at"])
    op.create_table(
        "roll_call_answer",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("roll_call_id", sa.Integer(), sa.ForeignKey("roll_call.id"), nullable=False),
        sa.Column("member_id", sa.Integer(), sa.ForeignKey("member.id"), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.Column("answered_by", sa.Integer(), sa.ForeignKey("member.id"), nullable=True),
        sa.Column("escalated_at", sa.DateTime(), nullable=True),
        sa.UniqueConstraint("roll_call_id", "member_id"),
    )
    op.create_index("ix_roll_call_answer_roll_call_id", "roll_call_answer", ["roll_call_id"])


def downgrade() -> None:
    op.drop_table("roll_call_answer")
    op.drop_table("roll_call")
    with op.batch_alter_table("team_member") as batch:
        batch.drop_column("leader")
    with op.batch_alter_table("member") as batch:
        batch.drop_column("status")
