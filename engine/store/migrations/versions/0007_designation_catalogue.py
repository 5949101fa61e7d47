"""Personne désignée par la procédure sur une tâche, et catalogue des procédures.

- `human_tasks.designated` : la personne que la procédure a désignée (propriété `assignee` du
  BPMN). Remettre une telle tâche à disposition la rend à cette personne, pas à personne : une
  tâche d'expert n'est visible que de son titulaire, la libérer la perdait (issue 12). Les
  tâches d'expert ouvertes reprennent leur titulaire actuel (on ne peut les prendre soi-même :
  il vient de la procédure ou de l'équipe nationale).
- `processes` : une ligne par procédure, sa version courante (celle des nouveaux dossiers) et
  son retrait. Redéployer un contenu déjà connu la rend courante ; sans catalogue, la courante
  était toujours la plus haute version. Rempli avec la plus haute version de chaque procédure.

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
    with op.batch_alter_table("human_tasks") as batch_op:
        batch_op.add_column(sa.Column("designated", sa.String(length=200), nullable=True))
    op.execute(
        "UPDATE human_tasks SET designated = assignee "
        "WHERE role = 'expert' AND assignee IS NOT NULL"
    )
    op.create_table(
        "processes",
        sa.Column("process_id", sa.String(length=200), nullable=False),
        sa.Column("current_version_id", sa.Integer(), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("retired_by", sa.String(length=200), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["current_version_id"], ["process_versions.id"],
            name=op.f("fk_processes_current_version_id_process_versions"),
        ),
        sa.PrimaryKeyConstraint("process_id", name=op.f("pk_processes")),
    )  # fmt: skip
    op.execute(
        "INSERT INTO processes (process_id, current_version_id, updated_at) "
        "SELECT v.process_id, v.id, v.deployed_at FROM process_versions v "
        "WHERE v.version = (SELECT MAX(w.version) FROM process_versions w "
        "WHERE w.process_id = v.process_id)"
    )


def downgrade() -> None:
    op.drop_table("processes")
    with op.batch_alter_table("human_tasks") as batch_op:
        batch_op.drop_column("designated")
