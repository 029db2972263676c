"""效能监督: 催办, escalations of red cards, audit verification results, days used per task,
and the indexes the dashboard's range counts read

Revision ID: 0020
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from webapp.db import UtcDateTime

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "task_urges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("urged_by_id", sa.Integer(), nullable=False),
        sa.Column("message", sa.String(length=500), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("reply_task_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["task_id"], ["case_tasks.id"], name=op.f("fk_task_urges_task_id_case_tasks")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_task_urges_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["urged_by_id"], ["users.id"], name=op.f("fk_task_urges_urged_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["reply_task_id"],
            ["case_tasks.id"],
            name=op.f("fk_task_urges_reply_task_id_case_tasks"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_urges")),
    )
    op.create_index(op.f("ix_task_urges_task_id"), "task_urges", ["task_id"])
    op.create_index(op.f("ix_task_urges_case_id"), "task_urges", ["case_id"])
    op.create_table(
        "task_escalations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("escalated_at", UtcDateTime(), nullable=False),
        sa.Column("next_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["task_id"], ["case_tasks.id"], name=op.f("fk_task_escalations_task_id_case_tasks")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_task_escalations_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_escalations")),
        sa.UniqueConstraint("task_id", "level", name=op.f("uq_task_escalations_task_id")),
    )
    op.create_index(op.f("ix_task_escalations_task_id"), "task_escalations", ["task_id"])
    op.create_index(op.f("ix_task_escalations_case_id"), "task_escalations", ["case_id"])
    op.create_index(op.f("ix_task_escalations_next_at"), "task_escalations", ["next_at"])
    op.create_table(
        "audit_verifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("checked_at", UtcDateTime(), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("chains", sa.Integer(), nullable=False),
        sa.Column("intact", sa.Boolean(), nullable=False),
        sa.Column("message", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_verifications")),
    )
    with op.batch_alter_table("case_tasks") as batch:
        batch.add_column(sa.Column("used_days", sa.Numeric(7, 2), nullable=True))
        batch.create_index("ix_case_tasks_kind_completed", ["kind", "completed_at"])
        batch.create_index(
            "ix_case_tasks_status_department_card", ["status", "department_id", "card"]
        )
        batch.create_index("ix_case_tasks_case_department", ["case_id", "department_id"])
    op.create_index(op.f("ix_cases_submitted_at"), "cases", ["submitted_at"])
    op.create_index(op.f("ix_cases_accepted_at"), "cases", ["accepted_at"])
    op.create_index(op.f("ix_cases_completed_at"), "cases", ["completed_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_cases_completed_at"), table_name="cases")
    op.drop_index(op.f("ix_cases_accepted_at"), table_name="cases")
    op.drop_index(op.f("ix_cases_submitted_at"), table_name="cases")
    with op.batch_alter_table("case_tasks") as batch:
        batch.drop_index("ix_case_tasks_case_department")
        batch.drop_index("ix_case_tasks_status_department_card")
        batch.drop_index("ix_case_tasks_kind_completed")
        batch.drop_column("used_days")
    op.drop_table("audit_verifications")
    op.drop_table("task_escalations")
    op.drop_table("task_urges")
