"""证照夹: an e-licence's holder party, status (有效 / 已注销) and verification check code

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

from webapp.db import UtcDateTime

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def upgrade() -> None:
    with op.batch_alter_table("e_licences") as batch:
        batch.add_column(sa.Column("party_id", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("status", sa.String(length=16), server_default="valid", nullable=False)
        )
        batch.add_column(sa.Column("check_code", sa.String(length=8), nullable=True))
        batch.add_column(sa.Column("revoked_at", UtcDateTime(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_e_licences_party_id_parties"), "parties", ["party_id"], ["id"]
        )
        batch.create_index(op.f("ix_e_licences_party_id"), ["party_id"], unique=False)
        batch.create_index(op.f("ix_e_licences_number"), ["number"], unique=False)
    # Licences issued before the wallet get a check code of their own, so they verify too.
    bind = op.get_bind()
    table = sa.table("e_licences", sa.column("id", sa.Integer), sa.column("check_code", sa.String))
    for (licence_id,) in bind.execute(sa.select(table.c.id)).all():
        code = "".join(secrets.choice(ALPHABET) for _ in range(6))
        bind.execute(table.update().where(table.c.id == licence_id).values(check_code=code))
    with op.batch_alter_table("e_licences") as batch:
        batch.alter_column("check_code", existing_type=sa.String(length=8), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("e_licences") as batch:
        batch.drop_index(op.f("ix_e_licences_number"))
        batch.drop_index(op.f("ix_e_licences_party_id"))
        batch.drop_constraint(op.f("fk_e_licences_party_id_parties"), type_="foreignkey")
        batch.drop_column("revoked_at")
        batch.drop_column("check_code")
        batch.drop_column("status")
        batch.drop_column("party_id")
