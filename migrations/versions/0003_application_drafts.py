"""application drafts

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "application_drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("applicant_id", sa.Integer(), nullable=False),
        sa.Column("theme_id", sa.Integer(), nullable=False),
        sa.Column("theme_version_id", sa.Integer(), nullable=False),
        sa.Column(
            "answers",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["applicant_id"], ["users.id"], name=op.f("fk_application_drafts_applicant_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["theme_id"], ["themes.id"], name=op.f("fk_application_drafts_theme_id_themes")
        ),
        sa.ForeignKeyConstraint(
            ["theme_version_id"],
            ["theme_versions.id"],
            name=op.f("fk_application_drafts_theme_version_id_theme_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application_drafts")),
        # One draft per applicant and theme; it also serves "my drafts" (applicant_id first).
        sa.UniqueConstraint(
            "applicant_id", "theme_id", name=op.f("uq_application_drafts_applicant_id")
        ),
    )


def downgrade() -> None:
    op.drop_table("application_drafts")
