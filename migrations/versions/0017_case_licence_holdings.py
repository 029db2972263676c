"""证照复用: the e-licences a case's applicant held at submission, kept with the case

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from webapp.db import JsonDocument

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL for the cases already there: their material set reads the holdings of today.
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("licence_holdings", JsonDocument, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("licence_holdings")
