"""materials with the application: files attached to a draft before submission,
paper materials declared by the applicant and received at the window

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from webapp.db import UtcDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("material_files") as batch_op:
        batch_op.alter_column("case_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("draft_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_material_files_draft_id_application_drafts"),
            "application_drafts",
            ["draft_id"],
            ["id"],
        )
        batch_op.create_index(op.f("ix_material_files_draft_id"), ["draft_id"], unique=False)
        batch_op.create_check_constraint(
            op.f("ck_material_files_one_owner"), "(case_id IS NULL) <> (draft_id IS NULL)"
        )
    op.create_table(
        "paper_materials",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("material_code", sa.String(length=64), nullable=False),
        sa.Column("material_name", sa.String(length=128), nullable=False),
        sa.Column("declared_at", UtcDateTime(), nullable=True),
        sa.Column("received_at", UtcDateTime(), nullable=True),
        sa.Column("received_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_paper_materials_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["received_by_id"], ["users.id"], name=op.f("fk_paper_materials_received_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_paper_materials")),
        sa.UniqueConstraint("case_id", "material_code", name=op.f("uq_paper_materials_case_id")),
    )
    op.create_index(
        op.f("ix_paper_materials_case_id"), "paper_materials", ["case_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_paper_materials_case_id"), table_name="paper_materials")
    op.drop_table("paper_materials")
    op.execute("DELETE FROM material_files WHERE case_id IS NULL")
    with op.batch_alter_table("material_files") as batch_op:
        batch_op.drop_constraint(op.f("ck_material_files_one_owner"), type_="check")
        batch_op.drop_index(op.f("ix_material_files_draft_id"))
        batch_op.drop_constraint(
            op.f("fk_material_files_draft_id_application_drafts"), type_="foreignkey"
        )
        batch_op.drop_column("draft_id")
        batch_op.alter_column("case_id", existing_type=sa.Integer(), nullable=False)
