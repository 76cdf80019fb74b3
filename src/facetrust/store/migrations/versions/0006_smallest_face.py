"""The smallest face a model judges is part of its decision rule: it joins the unique key. Scans stored before
the floor existed keep 0 (no floor), so a model with a floor scans those inputs afresh.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

BEFORE = ["sha256", "model_name", "model_version", "threshold", "uncertain_band", "emotion_model", "video_model"]


def upgrade() -> None:
    with op.batch_alter_table("scans") as batch:
        batch.add_column(sa.Column("smallest_face", sa.Integer, nullable=False, server_default="0"))
        batch.drop_constraint("uq_scans_input_model_decision", type_="unique")
        batch.create_unique_constraint("uq_scans_input_model_decision", [*BEFORE, "smallest_face"])


def downgrade() -> None:
    with op.batch_alter_table("scans") as batch:
        batch.drop_constraint("uq_scans_input_model_decision", type_="unique")
        batch.create_unique_constraint("uq_scans_input_model_decision", BEFORE)
        batch.drop_column("smallest_face")
