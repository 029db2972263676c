"""Indexes for the worker and the inbox at a million open tasks: the bulk card moves read
only the tasks (and cases) whose card can still move, in the order their instants come;
the inbox's due-date index carries the columns its filters and capped counts test
(PostgreSQL: read from the index alone), and its 24小时内到期 filter reads the tasks not yet
red in due order

Revision ID: 0021
Revises: 0020
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

OPEN_NOT_RED = sa.text("status = 'open' AND card <> 'red'")
OPEN_NO_CARD = sa.text("status = 'open' AND card = 'none'")
PROMISE_WATCHED = sa.text("status = 'in_progress' AND card <> 'red'")
INBOX_COLUMNS = ["department_id", "status", "due_at", "id"]


def upgrade() -> None:
    op.create_index(
        "ix_case_tasks_open_due", "case_tasks", ["due_at"],
        postgresql_where=OPEN_NOT_RED, sqlite_where=OPEN_NOT_RED,
    )  # fmt: skip
    op.create_index(
        "ix_case_tasks_open_yellow", "case_tasks", ["yellow_at"],
        postgresql_where=OPEN_NO_CARD, sqlite_where=OPEN_NO_CARD,
    )  # fmt: skip
    op.create_index(
        "ix_cases_open_promise", "cases", ["promised_at"],
        postgresql_where=PROMISE_WATCHED, sqlite_where=PROMISE_WATCHED,
    )  # fmt: skip
    op.create_index(
        "ix_case_tasks_department_not_red_due", "case_tasks", ["department_id", "due_at", "id"],
        postgresql_include=["holder_role", "claimed_by_id"],
        postgresql_where=OPEN_NOT_RED, sqlite_where=OPEN_NOT_RED,
    )  # fmt: skip
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_case_tasks_department_status_due", table_name="case_tasks")
        op.create_index(
            "ix_case_tasks_department_status_due", "case_tasks", INBOX_COLUMNS,
            postgresql_include=["card", "holder_role", "claimed_by_id"],
        )  # fmt: skip


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_case_tasks_department_status_due", table_name="case_tasks")
        op.create_index("ix_case_tasks_department_status_due", "case_tasks", INBOX_COLUMNS)
    op.drop_index("ix_case_tasks_department_not_red_due", table_name="case_tasks")
    op.drop_index("ix_cases_open_promise", table_name="cases")
    op.drop_index("ix_case_tasks_open_yellow", table_name="case_tasks")
    op.drop_index("ix_case_tasks_open_due", table_name="case_tasks")
