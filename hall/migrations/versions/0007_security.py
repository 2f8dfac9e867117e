"""security: token last use, device revocation, window roles, the audit trail

- ``auth_tokens.last_used_at``: a staff token's last use (the idle timeout; written at most
  once a minute per token, outside the hot path's statements).
- ``devices.revoked_at``: a revoked device's token no longer works.
- ``windows.roles``: the staff roles that may work a window (NULL: any counter role).
- ``audit_log``: the append-only, hash-chained trail of staff and admin actions (留痕).

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("auth_tokens") as batch:
        batch.add_column(sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("devices") as batch:
        batch.add_column(sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("windows") as batch:
        batch.add_column(sa.Column("roles", sa.JSON(), nullable=True))
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(80), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.Column("hall_id", sa.Integer(), nullable=True),
        sa.Column("window_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("target", sa.String(80), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("audit_log")
    with op.batch_alter_table("windows") as batch:
        batch.drop_column("roles")
    with op.batch_alter_table("devices") as batch:
        batch.drop_column("revoked_at")
    with op.batch_alter_table("auth_tokens") as batch:
        batch.drop_column("last_used_at")
