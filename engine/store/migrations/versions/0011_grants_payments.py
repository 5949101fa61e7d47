"""Aides et versements : programmes (plafonds sur plusieurs appels), aide de chaque dossier
lauréat (accordée, actuelle, état), versements enregistrés.

`programmes` : enveloppe et nombre de lauréats communs aux vagues successives d'un programme.
`campaigns.programme_code` : le programme d'un appel, s'il en a un.
`grants` : l'aide d'un dossier sur son appel ; les totaux de l'appel sont la somme des aides
en cours. `payments` : avance, tranches et solde versés (montant, date, référence).

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "programmes",
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("process_id", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("envelope_cents", sa.BigInteger(), nullable=False),
        sa.Column("max_laureates", sa.Integer(), nullable=True),
        sa.Column("granted_cents", sa.BigInteger(), nullable=False),
        sa.Column("laureates", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_programmes")),
    )
    with op.batch_alter_table("campaigns") as batch:
        batch.add_column(sa.Column("programme_code", sa.String(length=60), nullable=True))
        batch.create_foreign_key(
            op.f("fk_campaigns_programme_code_programmes"),
            "programmes",
            ["programme_code"],
            ["code"],
        )
    op.create_table(
        "grants",
        sa.Column("instance_id", BIG_ID, nullable=False),
        sa.Column("campaign_code", sa.String(length=60), nullable=False),
        sa.Column("granted_cents", sa.BigInteger(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["process_instances.id"],
            name=op.f("fk_grants_instance_id_process_instances"),
        ),
        sa.ForeignKeyConstraint(
            ["campaign_code"], ["campaigns.code"], name=op.f("fk_grants_campaign_code_campaigns")
        ),
        sa.PrimaryKeyConstraint("instance_id", name=op.f("pk_grants")),
    )
    op.create_index(op.f("ix_grants_campaign_code_status"), "grants", ["campaign_code", "status"])
    op.create_table(
        "payments",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("instance_id", BIG_ID, nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("paid_on", sa.String(length=10), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["process_instances.id"],
            name=op.f("fk_payments_instance_id_process_instances"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
    )
    op.create_index(op.f("ix_payments_instance_id_id"), "payments", ["instance_id", "id"])
    _existing_grants()


def _existing_grants() -> None:
    """Dossiers granted before this revision: their reservation (`enveloppe` in the data, with
    `montant_accorde` on the call `campagne`) becomes their grant, and the tranches their data
    lists (`versements`) become payments, so that the call's totals stay the sum of the live
    grants and no payment already made is forgotten."""
    connection = op.get_bind()
    instances = sa.table(
        "process_instances",
        sa.column("id"), sa.column("data", sa.JSON()), sa.column("status"),
        sa.column("created_at"), sa.column("updated_at"),
    )  # fmt: skip
    calls = sa.table("campaigns", sa.column("code"))
    codes = set(connection.execute(sa.select(calls.c.code)).scalars())
    grants, payments = [], []
    for row in connection.execute(sa.select(instances)):
        data = row.data or {}
        if "enveloppe" not in data or data.get("campagne") not in codes:
            continue
        try:
            amount = round(float(data["montant_accorde"]) * 100)
        except (KeyError, TypeError, ValueError):
            continue
        grants.append({
            "instance_id": row.id, "campaign_code": data["campagne"], "granted_cents": amount,
            "amount_cents": amount, "status": "en_cours", "reason": None,
            "created_at": row.updated_at, "updated_at": row.updated_at, "updated_by": None,
        })  # fmt: skip
        for made in data.get("versements") or []:
            if not isinstance(made, dict):
                continue
            payments.append({
                "instance_id": row.id, "kind": "avance" if made.get("tranche") == 1 else "tranche",
                "label": f"Tranche {made.get('tranche')}",
                "amount_cents": round(float(made.get("montant") or 0) * 100),
                "paid_on": str(made.get("date") or "")[:10],
                "reference": str(made.get("reference") or "")[:100],
                "recorded_at": row.updated_at, "recorded_by": None,
            })  # fmt: skip
    if grants:
        op.bulk_insert(sa.table("grants", *(sa.column(k) for k in grants[0])), grants)
    if payments:
        op.bulk_insert(sa.table("payments", *(sa.column(k) for k in payments[0])), payments)


def downgrade() -> None:
    op.drop_index(op.f("ix_payments_instance_id_id"), "payments")
    op.drop_table("payments")
    op.drop_index(op.f("ix_grants_campaign_code_status"), "grants")
    op.drop_table("grants")
    with op.batch_alter_table("campaigns") as batch:
        batch.drop_constraint(op.f("fk_campaigns_programme_code_programmes"), type_="foreignkey")
        batch.drop_column("programme_code")
    op.drop_table("programmes")
