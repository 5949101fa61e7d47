"""Départements couverts par un dossier en plus du sien (un contrat sur le 59 et le 62) : le
préfet de chacun voit le dossier et a les tâches de son département.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "dossier_territories",
        sa.Column("instance_id", BIG_ID, nullable=False),
        sa.Column("territory", sa.String(length=3), nullable=False),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["process_instances.id"],
            name=op.f("fk_dossier_territories_instance_id_process_instances"),
        ),
        sa.PrimaryKeyConstraint("instance_id", "territory", name=op.f("pk_dossier_territories")),
    )
    op.create_index(
        op.f("ix_dossier_territories_territory_instance_id"),
        "dossier_territories",
        ["territory", "instance_id"],
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_dossier_territories_territory_instance_id"), "dossier_territories")
    op.drop_table("dossier_territories")
