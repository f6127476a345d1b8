"""The map and clues: an incident's linked plan directory, and clues reported from the field.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.add_column("incident", sa.Column("plan_dir", sa.Text(), nullable=True))
    op.create_table(
        "clue",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incident.id"), nullable=False),
        sa.Column("member_id", sa.Integer(), sa.ForeignKey("member.id"), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("bearing_deg", sa.Float(), nullable=True),
        sa.Column("time", sa.DateTime(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False, server_default=""),
        sa.Column("reported_by", sa.String(length=200), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("evidence_id", sa.String(length=20), nullable=True),
        sa.Column("applied_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_clue_incident_id", "clue", ["incident_id"])


def downgrade() -> None:
    op.drop_table("clue")
    with op.batch_alter_table("incident") as batch:
        batch.drop_column("plan_dir")
