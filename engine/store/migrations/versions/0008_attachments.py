"""Pièces jointes des dossiers.

Une ligne par fichier reçu : son empreinte SHA-256 (le contenu est rangé hors de la base, sous
cette empreinte), sa taille, son type lu dans son contenu, son nom d'origine, qui l'a envoyé et
quand. Un fichier reçu mais pas encore joint (l'étape qui l'a reçu a échoué, ou le brouillon
n'est pas déposé) a `instance_id` nul ; l'étape qui réussit le joint au dossier (`task_id`,
`field`, `attached_by`, `attached_at`), et une signature (`signature`) dit qui a signé et quand.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "attachments",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("media_type", sa.String(length=120), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("instance_id", BIG_ID, nullable=True),
        sa.Column("task_id", sa.String(length=36), nullable=True),
        sa.Column("field", sa.String(length=200), nullable=True),
        sa.Column("label", sa.String(length=300), nullable=True),
        sa.Column("signature", sa.Boolean(), nullable=False),
        sa.Column("uploaded_by", sa.String(length=200), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attached_by", sa.String(length=200), nullable=True),
        sa.Column("attached_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["instance_id"], ["process_instances.id"],
            name=op.f("fk_attachments_instance_id_process_instances"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
    )  # fmt: skip
    op.create_index(
        op.f("ix_attachments_instance_id_id"), "attachments", ["instance_id", "id"], unique=False
    )
    op.create_index(op.f("ix_attachments_sha256"), "attachments", ["sha256"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_attachments_sha256"), table_name="attachments")
    op.drop_index(op.f("ix_attachments_instance_id_id"), table_name="attachments")
    op.drop_table("attachments")
