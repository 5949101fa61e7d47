"""Index des corbeilles sur les tâches ouvertes : périmètre par SIREN, tri par échéance.

Mesuré par `bench/inbox.py` (1 000 000 de tâches, 100 000 ouvertes, PostgreSQL) :

- `ix_human_tasks_open_role_siren` : le filtre d'un périmètre est `territory = :p OR siren = :p`
  (`Viewer.task_filter`) ; sans index sur `siren`, PostgreSQL lit toutes les tâches ouvertes du
  rôle (55 000 pour les préfets) et filtre. Avec lui, chaque branche du OU a son index
  (BitmapOr avec l'index (status, role, territory, due_at)) : quelques centaines de lignes.
- `ix_human_tasks_open_role_due` : la corbeille nationale (rôle sans périmètre) triée par
  échéance (`due_at IS NULL, due_at, created_at, id`, voir `engine.service.tasks._order_by`)
  triait toutes les tâches ouvertes du rôle (20 000) pour en garder 25 ; l'index donne les
  lignes dans l'ordre et la lecture s'arrête à la 25e. L'expression `(due_at IS NULL)` doit
  rester celle du ORDER BY : si le tri change, cet index doit suivre.

Index partiels (`WHERE status = 'ouverte'`) : ils ne grossissent pas avec l'historique des
tâches terminées. Le second n'est créé que sur PostgreSQL : SQLite ne sait pas relire un index
sur expression (et la base embarquée n'a pas ces volumes).

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

OPEN = sa.text("status = 'ouverte'")


def upgrade() -> None:
    op.create_index(
        "ix_human_tasks_open_role_siren", "human_tasks", ["role", "siren"],
        postgresql_where=OPEN, sqlite_where=OPEN,
    )  # fmt: skip
    if op.get_bind().dialect.name == "postgresql":
        op.create_index(
            "ix_human_tasks_open_role_due", "human_tasks",
            ["role", sa.text("(due_at IS NULL)"), "due_at", "created_at", "id"],
            postgresql_where=OPEN,
        )  # fmt: skip


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_human_tasks_open_role_due", table_name="human_tasks")
    op.drop_index("ix_human_tasks_open_role_siren", table_name="human_tasks")
