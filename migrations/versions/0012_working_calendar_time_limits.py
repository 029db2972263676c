"""working calendar kept in the database (seeded from chinesecalendar); tasks' calendar-day
limits and legal (法定) deadlines

Revision ID: 0012
Revises: 0009
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

from webapp.db import UtcDateTime
from webapp.working_calendar.notice import package_notices

HOLIDAY, WORKDAY, PACKAGE = "holiday", "workday", "package"  # as in arrangement.py

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    years = op.create_table(
        "calendar_years",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("notice", sa.String(length=200), nullable=True),
        sa.Column("entered_at", UtcDateTime(), nullable=False),
        sa.Column("entered_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["entered_by_id"], ["users.id"], name=op.f("fk_calendar_years_entered_by_id_users")
        ),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_calendar_years")),
    )
    days = op.create_table(
        "calendar_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["year"], ["calendar_years.year"], name=op.f("fk_calendar_days_year_calendar_years")
        ),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_calendar_days")),
    )
    op.create_index(op.f("ix_calendar_days_year"), "calendar_days", ["year"], unique=False)
    with op.batch_alter_table("case_tasks") as batch_op:
        batch_op.add_column(
            sa.Column("calendar_days", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("legal_days", sa.Numeric(5, 1), nullable=True))
        batch_op.add_column(sa.Column("legal_due_at", UtcDateTime(), nullable=True))
        batch_op.add_column(sa.Column("legal_overdue_at", UtcDateTime(), nullable=True))
    # The years the installed chinesecalendar release knows; later years are entered by
    # administrators from the State Council's notice.
    seeded_at = dt.datetime.now(dt.UTC)
    notices = package_notices()
    op.bulk_insert(
        years, [{"year": n.year, "source": PACKAGE, "entered_at": seeded_at} for n in notices]
    )
    op.bulk_insert(
        days,
        [
            {"day": d.day, "year": n.year, "kind": kind, "name": d.name}
            for n in notices
            for kind, group in ((HOLIDAY, n.holidays), (WORKDAY, n.workdays))
            for d in group
        ],
    )


def downgrade() -> None:
    with op.batch_alter_table("case_tasks") as batch_op:
        batch_op.drop_column("legal_overdue_at")
        batch_op.drop_column("legal_due_at")
        batch_op.drop_column("legal_days")
        batch_op.drop_column("calendar_days")
    op.drop_index(op.f("ix_calendar_days_year"), table_name="calendar_days")
    op.drop_table("calendar_days")
    op.drop_table("calendar_years")
