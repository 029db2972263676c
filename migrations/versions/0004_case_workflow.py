"""case workflow: correction, gaps, claims, deadlines, cards, timers

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch_op:
        batch_op.add_column(sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("promised_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("card", sa.String(length=8), nullable=False, server_default="none")
        )
        batch_op.add_column(
            sa.Column("pauses", JSON_DOC, nullable=False, server_default=sa.text("'[]'"))
        )
        batch_op.add_column(sa.Column("correction", JSON_DOC, nullable=True))
        batch_op.add_column(sa.Column("end_reason", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("delivery", JSON_DOC, nullable=True))
        batch_op.add_column(sa.Column("next_check_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("next_timer_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_cases_next_check_at"), ["next_check_at"])

    with op.batch_alter_table("case_tasks") as batch_op:
        batch_op.add_column(sa.Column("claimed_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("allowed_days", sa.Numeric(5, 1), nullable=True))
        batch_op.add_column(sa.Column("due_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("yellow_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("card", sa.String(length=8), nullable=False, server_default="none")
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_case_tasks_claimed_by_id_users"), "users", ["claimed_by_id"], ["id"]
        )
        batch_op.create_index(
            "ix_case_tasks_department_status_due", ["department_id", "status", "due_at", "id"]
        )
        batch_op.create_index("ix_case_tasks_claimed_status", ["claimed_by_id", "status"])
        batch_op.create_index(
            "ix_case_tasks_department_status_card",
            ["department_id", "status", "card", "due_at", "id"],
        )

    op.create_table(
        "case_material_gaps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("material_code", sa.String(length=64), nullable=False),
        sa.Column("material_name", sa.String(length=128), nullable=False),
        sa.Column("promised_date", sa.Date(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column(
            "recorded_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("received_by_id", sa.Integer(), nullable=True),
        sa.Column("overdue_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_material_gaps_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_case_material_gaps_recorded_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["received_by_id"],
            ["users.id"],
            name=op.f("fk_case_material_gaps_received_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_material_gaps")),
    )
    op.create_index(
        op.f("ix_case_material_gaps_case_id"), "case_material_gaps", ["case_id"], unique=False
    )

    op.create_table(
        "case_comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.String(length=1000), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_comments_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_case_comments_author_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_comments")),
    )
    op.create_index(op.f("ix_case_comments_case_id"), "case_comments", ["case_id"], unique=False)

    op.create_table(
        "e_licences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("holder_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("item_code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column(
            "issued_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_e_licences_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["holder_id"], ["users.id"], name=op.f("fk_e_licences_holder_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_e_licences_department_id_departments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_e_licences")),
    )
    op.create_index(op.f("ix_e_licences_holder_id"), "e_licences", ["holder_id"], unique=False)
    op.create_index(op.f("ix_e_licences_case_id"), "e_licences", ["case_id"], unique=False)


def downgrade() -> None:
    op.drop_table("e_licences")
    op.drop_table("case_comments")
    op.drop_table("case_material_gaps")
    with op.batch_alter_table("case_tasks") as batch_op:
        batch_op.drop_index("ix_case_tasks_department_status_card")
        batch_op.drop_index("ix_case_tasks_claimed_status")
        batch_op.drop_index("ix_case_tasks_department_status_due")
        batch_op.drop_constraint(
            batch_op.f("fk_case_tasks_claimed_by_id_users"), type_="foreignkey"
        )
        for column in (
            "card",
            "yellow_at",
            "due_at",
            "allowed_days",
            "claimed_at",
            "claimed_by_id",
        ):
            batch_op.drop_column(column)
    with op.batch_alter_table("cases") as batch_op:
        batch_op.drop_index(batch_op.f("ix_cases_next_check_at"))
        for column in (
            "next_timer_at", "next_check_at", "delivery", "end_reason", "correction",
            "pauses", "card", "promised_at", "accepted_at",
        ):  # fmt: skip
            batch_op.drop_column(column)
