"""roles as a set per user (role_grants, scoped by department); tasks that need no BPMN
element (case_tasks.kind, nullable engine ids, subject)

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "role_grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column(
            "granted_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_role_grants_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_role_grants_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_role_grants")),
        sa.UniqueConstraint(
            "user_id",
            "role",
            "department_id",
            name=op.f("uq_role_grants_user_id"),
        ),
    )
    with op.batch_alter_table("role_grants") as batch_op:
        batch_op.create_index(batch_op.f("ix_role_grants_user_id"), ["user_id"])
        batch_op.create_index("ix_role_grants_department_role", ["department_id", "role"])
    # Each user's one role becomes their first grant, with the department it was scoped to.
    op.execute(
        "INSERT INTO role_grants (user_id, role, department_id) "
        "SELECT id, role, department_id FROM users ORDER BY id"
    )
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_constraint("fk_users_department_id_departments", type_="foreignkey")
        batch_op.drop_column("department_id")
        batch_op.drop_column("role")

    with op.batch_alter_table("case_tasks") as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("subject", JSON_DOC, nullable=True))
        batch_op.alter_column("engine_task_id", existing_type=sa.String(length=36), nullable=True)
        batch_op.alter_column("bpmn_id", existing_type=sa.String(length=128), nullable=True)
    _fill_task_kinds()
    with op.batch_alter_table("case_tasks") as batch_op:
        batch_op.alter_column("kind", existing_type=sa.String(length=16), nullable=False)


def _fill_task_kinds() -> None:
    """Existing tasks are BPMN tasks: 受理 and 出件 by the version's named tasks, else items."""
    bind = op.get_bind()
    bind.execute(sa.text("UPDATE case_tasks SET kind = 'item'"))
    versions = bind.execute(sa.text("SELECT id, definition FROM theme_versions")).all()
    for version_id, definition in versions:
        if isinstance(definition, str):
            definition = json.loads(definition)
        for key, kind in (("acceptance_task", "acceptance"), ("delivery_task", "delivery")):
            bpmn_id = (definition or {}).get(key)
            if not bpmn_id:
                continue
            bind.execute(
                sa.text(
                    "UPDATE case_tasks SET kind = :kind WHERE bpmn_id = :bpmn_id AND case_id IN "
                    "(SELECT id FROM cases WHERE theme_version_id = :version_id)"
                ),
                {"kind": kind, "bpmn_id": bpmn_id, "version_id": version_id},
            )


def downgrade() -> None:
    op.execute("DELETE FROM case_tasks WHERE engine_task_id IS NULL")
    with op.batch_alter_table("case_tasks") as batch_op:
        batch_op.alter_column("bpmn_id", existing_type=sa.String(length=128), nullable=False)
        batch_op.alter_column("engine_task_id", existing_type=sa.String(length=36), nullable=False)
        batch_op.drop_column("subject")
        batch_op.drop_column("kind")
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("role", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("department_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_users_department_id_departments", "departments", ["department_id"], ["id"]
        )
    # A user keeps their first grant (a one-role schema cannot hold more).
    op.execute(
        "UPDATE users SET role = (SELECT g.role FROM role_grants g WHERE g.user_id = users.id "
        "ORDER BY g.id LIMIT 1), department_id = (SELECT g.department_id FROM role_grants g "
        "WHERE g.user_id = users.id ORDER BY g.id LIMIT 1)"
    )
    with op.batch_alter_table("users") as batch_op:
        batch_op.alter_column("role", existing_type=sa.String(length=16), nullable=False)
    op.drop_table("role_grants")
