"""The back office as the law runs it: approval levels, task clock stops, 延期 days,
signed promises (告知承诺书) and credit records

Revision ID: 0018
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from webapp.db import JsonDocument, UtcDateTime

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("case_tasks") as batch:
        batch.add_column(sa.Column("holder_role", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("level", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("reviews", JsonDocument, nullable=True))
        batch.add_column(sa.Column("pauses", JsonDocument, nullable=True))
        batch.add_column(
            sa.Column("extended_days", sa.Numeric(precision=5, scale=1), nullable=True)
        )
    op.create_table(
        "item_promises",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("item_code", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("signed_by_id", sa.Integer(), nullable=False),
        sa.Column("signed_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_item_promises_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["signed_by_id"], ["users.id"], name=op.f("fk_item_promises_signed_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item_promises")),
        sa.UniqueConstraint("case_id", "item_code", name=op.f("uq_item_promises_case_id")),
    )
    op.create_index(op.f("ix_item_promises_case_id"), "item_promises", ["case_id"])
    op.create_table(
        "credit_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("item_code", sa.String(length=64), nullable=False),
        sa.Column("subject_name", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_credit_records_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_credit_records_recorded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_records")),
    )
    op.create_index(op.f("ix_credit_records_case_id"), "credit_records", ["case_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_credit_records_case_id"), table_name="credit_records")
    op.drop_table("credit_records")
    op.drop_index(op.f("ix_item_promises_case_id"), table_name="item_promises")
    op.drop_table("item_promises")
    with op.batch_alter_table("case_tasks") as batch:
        batch.drop_column("extended_days")
        batch.drop_column("pauses")
        batch.drop_column("reviews")
        batch.drop_column("level")
        batch.drop_column("holder_role")
