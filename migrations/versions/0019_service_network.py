"""The service network: service points, clerks placed at a point, a case's points and
帮办代办, 材料流转单

Revision ID: 0019
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from webapp.db import UtcDateTime

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

CASE_POINTS = (
    "submitted_point_id",
    "accepted_point_id",
    "delivered_point_id",
    "collection_point_id",
)


def upgrade() -> None:
    op.create_table(
        "service_points",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("hours", sa.String(length=100), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["service_points.id"],
            name=op.f("fk_service_points_parent_id_service_points"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_points")),
        sa.UniqueConstraint("code", name=op.f("uq_service_points_code")),
        sa.UniqueConstraint("name", name=op.f("uq_service_points_name")),
    )
    with op.batch_alter_table("role_grants") as batch:
        batch.add_column(sa.Column("service_point_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_role_grants_service_point_id_service_points"),
            "service_points",
            ["service_point_id"],
            ["id"],
        )
        batch.create_index(op.f("ix_role_grants_service_point_id"), ["service_point_id"])
    with op.batch_alter_table("cases") as batch:
        for column in CASE_POINTS:
            batch.add_column(sa.Column(column, sa.Integer(), nullable=True))
            batch.create_foreign_key(
                op.f(f"fk_cases_{column}_service_points"), "service_points", [column], ["id"]
            )
            batch.create_index(op.f(f"ix_cases_{column}"), [column])
        batch.add_column(sa.Column("assisted_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("assistance", sa.String(length=8), nullable=True))
        batch.create_foreign_key(
            op.f("fk_cases_assisted_by_id_users"), "users", ["assisted_by_id"], ["id"]
        )
        batch.create_index(op.f("ix_cases_assisted_by_id"), ["assisted_by_id"])
    op.create_table(
        "material_transfers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("from_point_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("materials", sa.JSON(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("sent_at", UtcDateTime(), nullable=False),
        sa.Column("sent_by_id", sa.Integer(), nullable=False),
        sa.Column("received_at", UtcDateTime(), nullable=True),
        sa.Column("received_by_id", sa.Integer(), nullable=True),
        sa.Column("receipt_number", sa.String(length=40), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_material_transfers_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_material_transfers_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["from_point_id"],
            ["service_points.id"],
            name=op.f("fk_material_transfers_from_point_id_service_points"),
        ),
        sa.ForeignKeyConstraint(
            ["received_by_id"],
            ["users.id"],
            name=op.f("fk_material_transfers_received_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["sent_by_id"], ["users.id"], name=op.f("fk_material_transfers_sent_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_material_transfers")),
    )
    op.create_index(op.f("ix_material_transfers_case_id"), "material_transfers", ["case_id"])
    op.create_index(
        op.f("ix_material_transfers_from_point_id"), "material_transfers", ["from_point_id"]
    )
    op.create_index(
        "ix_material_transfers_department_received",
        "material_transfers",
        ["department_id", "received_at"],
    )


def downgrade() -> None:
    op.drop_table("material_transfers")
    with op.batch_alter_table("cases") as batch:
        batch.drop_index(op.f("ix_cases_assisted_by_id"))
        batch.drop_constraint(op.f("fk_cases_assisted_by_id_users"), type_="foreignkey")
        batch.drop_column("assistance")
        batch.drop_column("assisted_by_id")
        for column in reversed(CASE_POINTS):
            batch.drop_index(op.f(f"ix_cases_{column}"))
            batch.drop_constraint(op.f(f"fk_cases_{column}_service_points"), type_="foreignkey")
            batch.drop_column(column)
    with op.batch_alter_table("role_grants") as batch:
        batch.drop_index(op.f("ix_role_grants_service_point_id"))
        batch.drop_constraint(
            op.f("fk_role_grants_service_point_id_service_points"), type_="foreignkey"
        )
        batch.drop_column("service_point_id")
    op.drop_table("service_points")
