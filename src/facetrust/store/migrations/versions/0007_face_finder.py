"""The face finder joins the unique key: a scan with a finder or crop mode the user chose (--detector, --face-mode)
is not the model's own scan. Scans stored before keep "" (the card's finder), which they used.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

BEFORE = ["sha256", "model_name", "model_version", "threshold", "uncertain_band", "emotion_model", "video_model",
          "smallest_face"]


def upgrade() -> None:
    with op.batch_alter_table("scans") as batch:
        batch.add_column(sa.Column("face_finder", sa.String(100), nullable=False, server_default=""))
        batch.drop_constraint("uq_scans_input_model_decision", type_="unique")
        batch.create_unique_constraint("uq_scans_input_model_decision", [*BEFORE, "face_finder"])


def downgrade() -> None:
    with op.batch_alter_table("scans") as batch:
        batch.drop_constraint("uq_scans_input_model_decision", type_="unique")
        batch.create_unique_constraint("uq_scans_input_model_decision", BEFORE)
        batch.drop_column("face_finder")
