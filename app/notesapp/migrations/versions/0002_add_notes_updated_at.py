"""Add notes.updated_at, set when a note is edited.

An added column that may be empty: release 1 (which does not know it) keeps working on
the migrated database, so a rollback needs no downgrade.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("notes", sa.Column("updated_at", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notes") as batch:
        batch.drop_column("updated_at")
