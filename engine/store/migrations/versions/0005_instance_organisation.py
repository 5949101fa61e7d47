"""Nom de l'organisation demandeuse sur chaque dossier (corbeilles, recherche).

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("process_instances") as batch_op:
        batch_op.add_column(sa.Column("organisation", sa.String(length=300), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_process_instances_organisation"), ["organisation"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("process_instances") as batch_op:
        batch_op.drop_index(batch_op.f("ix_process_instances_organisation"))
        batch_op.drop_column("organisation")
