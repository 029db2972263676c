"""publications with who, when and why; item records edited as drafts in the browser

Revision ID: 0014
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from webapp.db import JsonDocument, UtcDateTime

revision = "0014"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("theme_versions") as batch_op:
        batch_op.add_column(sa.Column("reason", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("source", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("restores", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("catalog", JsonDocument, nullable=True))
    op.create_table(
        "catalog_item_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_code", sa.String(length=64), nullable=False),
        sa.Column("document", JsonDocument, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column(
            "created_at",
            UtcDateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column("published_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_catalog_item_revisions_author_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_item_revisions")),
    )
    op.create_index(
        op.f("ix_catalog_item_revisions_item_code"),
        "catalog_item_revisions",
        ["item_code"],
        unique=False,
    )
    op.create_index(
        op.f("ix_catalog_item_revisions_status"),
        "catalog_item_revisions",
        ["status"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_catalog_item_revisions_status"), table_name="catalog_item_revisions")
    op.drop_index(op.f("ix_catalog_item_revisions_item_code"), table_name="catalog_item_revisions")
    op.drop_table("catalog_item_revisions")
    with op.batch_alter_table("theme_versions") as batch_op:
        batch_op.drop_column("catalog")
        batch_op.drop_column("restores")
        batch_op.drop_column("source")
        batch_op.drop_column("reason")
