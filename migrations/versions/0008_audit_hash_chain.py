"""tamper-evident audit trail: every event hash-chained per case (or actor), chain heads;
on PostgreSQL a trigger refuses UPDATE and DELETE on audit_events

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import hashlib
import json

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from webapp.db import UtcDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

GENESIS = "0" * 64
JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

APPEND_ONLY = """
CREATE FUNCTION audit_events_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
"""


def upgrade() -> None:
    with op.batch_alter_table("audit_events") as batch_op:
        batch_op.add_column(sa.Column("chain", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("chain_seq", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
    op.create_table(
        "audit_chain_heads",
        sa.Column("chain", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("chain", name=op.f("pk_audit_chain_heads")),
    )
    _chain_existing_events()
    with op.batch_alter_table("audit_events") as batch_op:
        for name, length in (("chain", 32), ("prev_hash", 64), ("hash", 64)):
            batch_op.alter_column(name, existing_type=sa.String(length=length), nullable=False)
        batch_op.alter_column("chain_seq", existing_type=sa.Integer(), nullable=False)
        batch_op.create_unique_constraint(
            batch_op.f("uq_audit_events_chain"), ["chain", "chain_seq"]
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(APPEND_ONLY)


def _chain_existing_events() -> None:
    """Events written before the chain existed are chained now, in the order they were
    written; the hash is the one audit/chain.py computes (kept here as it was at 0008)."""
    events = sa.table(
        "audit_events",
        sa.column("id", sa.Integer),
        sa.column("at", UtcDateTime()),
        sa.column("actor_id", sa.Integer),
        sa.column("action", sa.String),
        sa.column("case_id", sa.Integer),
        sa.column("task_id", sa.Integer),
        sa.column("theme_id", sa.Integer),
        sa.column("before", JSON_DOC),
        sa.column("after", JSON_DOC),
        sa.column("detail", sa.String),
        sa.column("chain", sa.String),
        sa.column("chain_seq", sa.Integer),
        sa.column("prev_hash", sa.String),
        sa.column("hash", sa.String),
    )
    heads = sa.table(
        "audit_chain_heads",
        sa.column("chain", sa.String),
        sa.column("seq", sa.Integer),
        sa.column("hash", sa.String),
        sa.column("event_id", sa.Integer),
    )
    bind = op.get_bind()
    state: dict[str, tuple[int, str, int]] = {}
    for row in bind.execute(sa.select(events).order_by(events.c.id)).mappings().all():
        if row["case_id"] is not None:
            chain = f"case:{row['case_id']}"
        elif row["actor_id"] is not None:
            chain = f"user:{row['actor_id']}"
        else:
            chain = "system"
        seq, prev, _ = state.get(chain, (0, GENESIS, 0))
        content = [
            chain, seq + 1, row["at"].isoformat(), row["actor_id"], row["action"],
            row["case_id"], row["task_id"], row["theme_id"], row["before"], row["after"],
            row["detail"], prev,
        ]  # fmt: skip
        canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
        bind.execute(
            events.update()
            .where(events.c.id == row["id"])
            .values(chain=chain, chain_seq=seq + 1, prev_hash=prev, hash=digest)
        )
        state[chain] = (seq + 1, digest, row["id"])
    if state:
        bind.execute(
            heads.insert(),
            [{"chain": c, "seq": s, "hash": h, "event_id": i} for c, (s, h, i) in state.items()],
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_events_append_only ON audit_events")
        op.execute("DROP FUNCTION audit_events_append_only()")
    op.drop_table("audit_chain_heads")
    with op.batch_alter_table("audit_events") as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_audit_events_chain"), type_="unique")
        for name in ("hash", "prev_hash", "chain_seq", "chain"):
            batch_op.drop_column(name)
