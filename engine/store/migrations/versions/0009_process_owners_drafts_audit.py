"""Responsables, brouillons et journal des procédures (éditeur de procédures).

`process_owners` : qui modifie, publie et migre une procédure, en plus des administrateurs (par
identifiant de procédure : une procédure nouvelle a ses responsables avant sa première version).
`definition_drafts` : le brouillon ouvert d'une procédure, ses fichiers tels qu'enregistrés, un
numéro de verrou comparé par deux enregistrements simultanés, la version dont il part.
`process_audit` : ce que responsables et administrateurs ont fait d'une procédure.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "process_owners",
        sa.Column("process_id", sa.String(length=200), nullable=False),
        sa.Column("login", sa.String(length=200), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("granted_by", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["login"], ["users.login"], name=op.f("fk_process_owners_login_users")
        ),
        sa.PrimaryKeyConstraint("process_id", "login", name=op.f("pk_process_owners")),
    )
    op.create_table(
        "definition_drafts",
        sa.Column("process_id", sa.String(length=200), nullable=False),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("lock_version", sa.Integer(), nullable=False),
        sa.Column("base_version_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["base_version_id"], ["process_versions.id"],
            name=op.f("fk_definition_drafts_base_version_id_process_versions"),
        ),
        sa.PrimaryKeyConstraint("process_id", name=op.f("pk_definition_drafts")),
    )  # fmt: skip
    op.create_table(
        "process_audit",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("process_id", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_process_audit")),
    )
    op.create_index(
        op.f("ix_process_audit_process_id_id"), "process_audit", ["process_id", "id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_process_audit_process_id_id"), table_name="process_audit")
    op.drop_table("process_audit")
    op.drop_table("definition_drafts")
    op.drop_table("process_owners")
