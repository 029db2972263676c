"""好差评: ratings (once per case and item, once more after 整改)

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from webapp.db import JsonDocument, UtcDateTime

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ratings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=64), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=24), nullable=False),
        sa.Column("tags", JsonDocument, nullable=False),
        sa.Column("comment", sa.String(length=500), nullable=False),
        sa.Column("rater_id", sa.Integer(), nullable=False),
        sa.Column(
            "created_at",
            UtcDateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column("rectification_task_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_ratings_case_id_cases")),
        sa.ForeignKeyConstraint(["rater_id"], ["users.id"], name=op.f("fk_ratings_rater_id_users")),
        sa.ForeignKeyConstraint(
            ["rectification_task_id"],
            ["case_tasks.id"],
            name=op.f("fk_ratings_rectification_task_id_case_tasks"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ratings")),
        sa.UniqueConstraint("case_id", "scope", "round", name=op.f("uq_ratings_case_id")),
    )
    op.create_index(op.f("ix_ratings_case_id"), "ratings", ["case_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_ratings_case_id"), table_name="ratings")
    op.drop_table("ratings")
