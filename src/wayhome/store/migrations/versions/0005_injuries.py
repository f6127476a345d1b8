"""Injuries: injury reports and each team's capability (full or reduced).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    # Plain ADD COLUMN with a default: existing teams are at full capability.
    op.add_column(
        "team",
        sa.Column("capability", sa.String(length=20), nullable=False, server_default="full"),
    )
    op.create_table(
        "injury_report",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incident.id"), nullable=False),
        sa.Column("member_id", sa.Integer(), sa.ForeignKey("member.id"), nullable=False),
        sa.Column("severity", sa.String(length=20), nullable=False),
        sa.Column("treatment", sa.Text(), nullable=False),
        sa.Column("time", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
    )
    op.create_index("ix_injury_report_incident_id", "injury_report", ["incident_id"])


def downgrade() -> None:
    op.drop_table("injury_report")
    with op.batch_alter_table("team") as batch:
        batch.drop_column("capability")
