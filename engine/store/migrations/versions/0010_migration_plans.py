"""Plans de migration des dossiers en cours d'une version à une autre, et leurs dossiers.

`migration_plans` : version source et cible, correspondance des éléments choisie par le
responsable, minuteries réarmées, révision du plan, exécution en cours ou dernière.
`migration_items` : chaque dossier d'un plan, en attente de l'exécution en cours et le résultat
de sa dernière tentative (migrable, migré, refusé avec la raison, conflit).

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "migration_plans",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("process_id", sa.String(length=200), nullable=False),
        sa.Column("source_version_id", sa.Integer(), nullable=False),
        sa.Column("target_version_id", sa.Integer(), nullable=False),
        sa.Column("mapping", sa.JSON(), nullable=False),
        sa.Column("rearm", sa.JSON(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=True),
        sa.Column("run_number", sa.Integer(), nullable=False),
        sa.Column("run_mode", sa.String(length=12), nullable=True),
        sa.Column("run_by", sa.String(length=200), nullable=True),
        sa.Column("run_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("run_finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["source_version_id"],
            ["process_versions.id"],
            name=op.f("fk_migration_plans_source_version_id_process_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["target_version_id"],
            ["process_versions.id"],
            name=op.f("fk_migration_plans_target_version_id_process_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_migration_plans")),
    )
    op.create_index(
        op.f("ix_migration_plans_process_id_id"), "migration_plans", ["process_id", "id"]
    )
    op.create_table(
        "migration_items",
        sa.Column("plan_id", BIG_ID, nullable=False),
        sa.Column("instance_id", BIG_ID, nullable=False),
        sa.Column("reference", sa.String(length=40), nullable=False),
        sa.Column("run_number", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=12), nullable=False),
        sa.Column("pending", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=True),
        sa.Column("element_id", sa.String(length=200), nullable=True),
        sa.Column("rule", sa.String(length=40), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=True),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("locked_by", sa.String(length=200), nullable=True),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["migration_plans.id"],
            name=op.f("fk_migration_items_plan_id_migration_plans"),
        ),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["process_instances.id"],
            name=op.f("fk_migration_items_instance_id_process_instances"),
        ),
        sa.PrimaryKeyConstraint("plan_id", "instance_id", name=op.f("pk_migration_items")),
    )
    op.create_index(
        op.f("ix_migration_items_pending_plan_id_instance_id"),
        "migration_items",
        ["pending", "plan_id", "instance_id"],
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_migration_items_pending_plan_id_instance_id"), "migration_items")
    op.drop_table("migration_items")
    op.drop_index(op.f("ix_migration_plans_process_id_id"), "migration_plans")
    op.drop_table("migration_plans")
