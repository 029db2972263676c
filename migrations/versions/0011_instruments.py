"""written instruments (文书) issued with a case, and the case's public query code

Revision ID: 0011
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from webapp.db import UtcDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

# An issued instrument is what the applicant holds in their hands: never changed, never
# taken back (a correction is a new instrument). Maintenance may still switch triggers off.
IMMUTABLE = """
CREATE FUNCTION instruments_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'instruments are immutable once issued: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER instruments_immutable BEFORE UPDATE OR DELETE ON instruments
    FOR EACH ROW EXECUTE FUNCTION instruments_immutable();
"""


def upgrade() -> None:
    op.create_table(
        "instruments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("number", sa.String(length=48), nullable=False),
        sa.Column("title", sa.String(length=64), nullable=False),
        sa.Column(
            "issued_at",
            UtcDateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),  # fmt: skip
        sa.Column("issued_by_id", sa.Integer(), nullable=True),
        sa.Column("facts", JSON_DOC, nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_instruments_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["issued_by_id"], ["users.id"], name=op.f("fk_instruments_issued_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instruments")),
        sa.UniqueConstraint("number", name=op.f("uq_instruments_number")),
    )
    op.create_index(op.f("ix_instruments_case_id"), "instruments", ["case_id"], unique=False)
    with op.batch_alter_table("cases") as batch_op:
        batch_op.add_column(sa.Column("query_code", sa.String(length=8), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(IMMUTABLE)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER instruments_immutable ON instruments")
        op.execute("DROP FUNCTION instruments_immutable()")
    with op.batch_alter_table("cases") as batch_op:
        batch_op.drop_column("query_code")
    op.drop_index(op.f("ix_instruments_case_id"), table_name="instruments")
    op.drop_table("instruments")
