"""Trust across agencies: agencies, jurisdictions, grants and trespass presence, trusted
credential issuers and revocations, the hash-chained activity log, refresh tokens,
guardian identity documents and commander overrides.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "agency",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(length=200), nullable=False, unique=True),
        sa.Column("kind", sa.String(length=40), nullable=False, server_default="other"),
        sa.Column("contact", sa.String(length=200), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    with op.batch_alter_table("app_user") as batch:
        batch.add_column(sa.Column("agency_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_app_user_agency_id", "agency", ["agency_id"], ["id"])
    with op.batch_alter_table("member") as batch:
        batch.add_column(sa.Column("agency_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_member_agency_id", "agency", ["agency_id"], ["id"])
    op.add_column(
        "access_token",
        sa.Column("kind", sa.String(length=10), nullable=False, server_default="access"),
    )
    op.add_column(
        "subject",
        sa.Column("guardian_id_document", sa.String(length=200), nullable=False, server_default=""),
    )
    op.add_column(
        "subject", sa.Column("handover_override", sa.Text(), nullable=False, server_default="")
    )
    op.add_column(
        "assignment", sa.Column("grant_override", sa.Text(), nullable=False, server_default="")
    )
    op.add_column("activity_log", sa.Column("seq", sa.Integer(), nullable=True))
    op.add_column(
        "activity_log",
        sa.Column("prev_hash", sa.String(length=64), nullable=False, server_default=""),
    )
    op.add_column(
        "activity_log",
        sa.Column("hash", sa.String(length=64), nullable=False, server_default=""),
    )
    op.create_table(
        "activity_chain",
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incident.id"), primary_key=True),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("head_hash", sa.String(length=64), nullable=False),
    )
    op.create_table(
        "jurisdiction",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("agency_id", sa.Integer(), sa.ForeignKey("agency.id"), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("contact", sa.String(length=200), nullable=False, server_default=""),
        sa.Column("geometry", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_jurisdiction_agency_id", "jurisdiction", ["agency_id"])
    op.create_table(
        "access_grant",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incident.id"), nullable=False),
        sa.Column(
            "jurisdiction_id", sa.Integer(), sa.ForeignKey("jurisdiction.id"), nullable=False
        ),
        sa.Column("agency_id", sa.Integer(), sa.ForeignKey("agency.id"), nullable=True),
        sa.Column("team_id", sa.Integer(), sa.ForeignKey("team.id"), nullable=True),
        sa.Column("member_id", sa.Integer(), sa.ForeignKey("member.id"), nullable=True),
        sa.Column("activities", sa.String(length=200), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        sa.Column("until_incident_closes", sa.Boolean(), nullable=False),
        sa.Column("conditions", sa.Text(), nullable=False, server_default=""),
        sa.Column("granted_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_by", sa.String(length=200), nullable=False, server_default=""),
        sa.Column("warned_at", sa.DateTime(), nullable=True),
        sa.Column("expired_alerted_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_access_grant_incident_id", "access_grant", ["incident_id"])
    op.create_index("ix_access_grant_jurisdiction_id", "access_grant", ["jurisdiction_id"])
    op.create_table(
        "jurisdiction_presence",
        sa.Column(
            "jurisdiction_id", sa.Integer(), sa.ForeignKey("jurisdiction.id"), primary_key=True
        ),
        sa.Column("member_id", sa.Integer(), sa.ForeignKey("member.id"), primary_key=True),
        sa.Column("inside", sa.Boolean(), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "trusted_issuer",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key_id", sa.String(length=100), nullable=False, unique=True),
        sa.Column("agency_name", sa.String(length=200), nullable=False),
        sa.Column("public_key", sa.String(length=100), nullable=False),
        sa.Column("list_version", sa.Integer(), nullable=False),
        sa.Column("added_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "revocation_list",
        sa.Column("key_id", sa.String(length=100), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "credential_revocation",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key_id", sa.String(length=100), nullable=False),
        sa.Column("credential_id", sa.String(length=100), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("key_id", "credential_id"),
    )
    op.create_index("ix_credential_revocation_key_id", "credential_revocation", ["key_id"])


def downgrade() -> None:
    for table in (
        "credential_revocation",
        "revocation_list",
        "trusted_issuer",
        "jurisdiction_presence",
        "access_grant",
        "jurisdiction",
        "activity_chain",
    ):
        op.drop_table(table)
    with op.batch_alter_table("activity_log") as batch:
        for column in ("hash", "prev_hash", "seq"):
            batch.drop_column(column)
    with op.batch_alter_table("assignment") as batch:
        batch.drop_column("grant_override")
    with op.batch_alter_table("subject") as batch:
        batch.drop_column("handover_override")
        batch.drop_column("guardian_id_document")
    with op.batch_alter_table("access_token") as batch:
        batch.drop_column("kind")
    with op.batch_alter_table("member") as batch:
        batch.drop_constraint("fk_member_agency_id", type_="foreignkey")
        batch.drop_column("agency_id")
    with op.batch_alter_table("app_user") as batch:
        batch.drop_constraint("fk_app_user_agency_id", type_="foreignkey")
        batch.drop_column("agency_id")
    op.drop_table("agency")
