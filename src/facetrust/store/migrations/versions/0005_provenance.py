"""The provenance finding of a scan (declared_ai, declared_edited, camera_signed, none) as a column, so that
stored scans can be filtered by it. Scans stored before provenance was read keep NULL.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("scans") as batch:
        batch.add_column(sa.Column("provenance", sa.String(20), nullable=True))
        batch.create_index("ix_scans_provenance", ["provenance"])


def downgrade() -> None:
    with op.batch_alter_table("scans") as batch:
        batch.drop_index("ix_scans_provenance")
        batch.drop_column("provenance")
