"""Campagnes (appels à projets) et formulaire de dépôt des versions de procédure.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("process_versions") as batch_op:
        batch_op.add_column(sa.Column("start_form", sa.String(length=300), nullable=True))
    op.create_table(
        "campaigns",
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("process_id", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("opens_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("instruction_deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("committee_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("envelope_cents", sa.BigInteger(), nullable=False),
        sa.Column("max_laureates", sa.Integer(), nullable=True),
        sa.Column("granted_cents", sa.BigInteger(), nullable=False),
        sa.Column("laureates", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_campaigns")),
    )


def downgrade() -> None:
    op.drop_table("campaigns")
    with op.batch_alter_table("process_versions") as batch_op:
        batch_op.drop_column("start_form")
