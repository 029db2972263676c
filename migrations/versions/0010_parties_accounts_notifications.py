"""parties (persons, companies, their roles in cases, account links), applicants' verified
mobiles and notification channels, one-time codes, the notification outbox and in-app
messages

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import webapp.db

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "one_time_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("mobile", sa.String(length=16), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", webapp.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", webapp.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("used_at", webapp.db.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_one_time_codes")),
    )
    with op.batch_alter_table("one_time_codes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_one_time_codes_mobile_purpose", ["mobile", "purpose"], unique=False
        )

    op.create_table(
        "parties",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column(
            "created_at",
            webapp.db.UtcDateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parties")),
        sa.UniqueConstraint("kind", "number", name=op.f("uq_parties_kind")),
    )
    op.create_table(
        "party_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("capacity", sa.String(length=16), nullable=False),
        sa.Column(
            "linked_at",
            webapp.db.UtcDateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["party_id"], ["parties.id"], name=op.f("fk_party_accounts_party_id_parties")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_party_accounts_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_party_accounts")),
        sa.UniqueConstraint(
            "party_id", "user_id", "capacity", name=op.f("uq_party_accounts_party_id")
        ),
    )
    with op.batch_alter_table("party_accounts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_party_accounts_party_id"), ["party_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_party_accounts_user_id"), ["user_id"], unique=False)

    op.create_table(
        "case_parties",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("mobile", sa.String(length=16), nullable=True),
        sa.Column("confirmed_at", webapp.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("confirmed_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_parties_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["confirmed_by_id"], ["users.id"], name=op.f("fk_case_parties_confirmed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["party_id"], ["parties.id"], name=op.f("fk_case_parties_party_id_parties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_parties")),
        sa.UniqueConstraint("case_id", "party_id", "role", name=op.f("uq_case_parties_case_id")),
    )
    with op.batch_alter_table("case_parties", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_parties_case_id"), ["case_id"], unique=False)
        batch_op.create_index("ix_case_parties_party_id", ["party_id"], unique=False)

    op.create_table(
        "messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("case_no", sa.String(length=32), nullable=True),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=128), nullable=False),
        sa.Column("body", sa.String(length=1000), nullable=False),
        sa.Column("created_at", webapp.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("read_at", webapp.db.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_messages_case_id_cases")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_messages_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
        sa.UniqueConstraint("key", name=op.f("uq_messages_key")),
    )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index("ix_messages_user_read", ["user_id", "read_at"], unique=False)

    op.create_table(
        "notification_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("mobile", sa.String(length=16), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=128), nullable=False),
        sa.Column("body", sa.String(length=1000), nullable=False),
        sa.Column(
            "created_at",
            webapp.db.UtcDateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", webapp.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", webapp.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_notification_outbox_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notification_outbox_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_outbox")),
        sa.UniqueConstraint("key", name=op.f("uq_notification_outbox_key")),
    )
    with op.batch_alter_table("notification_outbox", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notification_outbox_case_id"), ["case_id"], unique=False
        )
        batch_op.create_index(
            "ix_notification_outbox_status_next", ["status", "next_attempt_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_notification_outbox_user_id"), ["user_id"], unique=False
        )

    with op.batch_alter_table("case_material_gaps", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reminded_at", webapp.db.UtcDateTime(timezone=True), nullable=True)
        )

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mobile", sa.String(length=16), nullable=True))
        batch_op.add_column(
            sa.Column("mobile_verified_at", webapp.db.UtcDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "notify_channels",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=False,
                server_default=sa.text('\'["in_app", "sms"]\''),
            )
        )
        batch_op.create_unique_constraint(batch_op.f("uq_users_mobile"), ["mobile"])


def downgrade() -> None:
    with op.batch_alter_table("case_material_gaps", schema=None) as batch_op:
        batch_op.drop_column("reminded_at")

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_users_mobile"), type_="unique")
        batch_op.drop_column("notify_channels")
        batch_op.drop_column("mobile_verified_at")
        batch_op.drop_column("mobile")

    with op.batch_alter_table("notification_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_outbox_user_id"))
        batch_op.drop_index("ix_notification_outbox_status_next")
        batch_op.drop_index(batch_op.f("ix_notification_outbox_case_id"))

    op.drop_table("notification_outbox")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_user_read")

    op.drop_table("messages")
    with op.batch_alter_table("case_parties", schema=None) as batch_op:
        batch_op.drop_index("ix_case_parties_party_id")
        batch_op.drop_index(batch_op.f("ix_case_parties_case_id"))

    op.drop_table("case_parties")
    with op.batch_alter_table("party_accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_party_accounts_user_id"))
        batch_op.drop_index(batch_op.f("ix_party_accounts_party_id"))

    op.drop_table("party_accounts")
    op.drop_table("parties")
    with op.batch_alter_table("one_time_codes", schema=None) as batch_op:
        batch_op.drop_index("ix_one_time_codes_mobile_purpose")

    op.drop_table("one_time_codes")
