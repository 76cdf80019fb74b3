"""Scans with an expression model are a different question: the expression model joins the unique key.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("scans") as batch:
        batch.add_column(sa.Column("emotion_model", sa.String(300), nullable=False, server_default=""))
        batch.drop_constraint("uq_scans_input_model_decision", type_="unique")
        batch.create_unique_constraint("uq_scans_input_model_decision", ["sha256", "model_name", "model_version",
                                                                         "threshold", "uncertain_band",
                                                                         "emotion_model"])


def downgrade() -> None:
    with op.batch_alter_table("scans") as batch:
        batch.drop_constraint("uq_scans_input_model_decision", type_="unique")
        batch.create_unique_constraint("uq_scans_input_model_decision", ["sha256", "model_name", "model_version",
                                                                         "threshold", "uncertain_band"])
        batch.drop_column("emotion_model")
