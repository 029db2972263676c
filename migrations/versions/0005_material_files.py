"""material files: uploaded materials of a case, bytes kept once per content;
theme version digests

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("theme_versions") as batch_op:
        batch_op.add_column(sa.Column("digest", sa.String(length=64), nullable=True))
    op.create_table(
        "material_blobs",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_material_blobs")),
    )
    op.create_table(
        "material_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("material_code", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=False),
        sa.Column(
            "uploaded_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_material_files_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["sha256"],
            ["material_blobs.sha256"],
            name=op.f("fk_material_files_sha256_material_blobs"),
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"], ["users.id"], name=op.f("fk_material_files_uploaded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_material_files")),
    )
    op.create_index(op.f("ix_material_files_case_id"), "material_files", ["case_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_material_files_case_id"), table_name="material_files")
    op.drop_table("material_files")
    op.drop_table("material_blobs")
    with op.batch_alter_table("theme_versions") as batch_op:
        batch_op.drop_column("digest")
