"""Client ids on signals and injury reports (a phone's offline queue can replay them
safely), and the login chain of tokens (a reused refresh token revokes only its login).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.add_column("access_token", sa.Column("login_chain", sa.String(length=32), nullable=True))
    op.create_index("ix_access_token_login_chain", "access_token", ["login_chain"])
    for table in ("signal", "injury_report"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("client_id", sa.Uuid(), nullable=True))
            batch.create_unique_constraint(
                f"uq_{table}_incident_id_client_id", ["incident_id", "client_id"]
            )


def downgrade() -> None:
    for table in ("signal", "injury_report"):
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(f"uq_{table}_incident_id_client_id", type_="unique")
            batch.drop_column("client_id")
    op.drop_index("ix_access_token_login_chain", "access_token")
    with op.batch_alter_table("access_token") as batch:
        batch.drop_column("login_chain")
