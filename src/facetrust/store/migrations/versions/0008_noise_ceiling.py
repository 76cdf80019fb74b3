"""A grain ceiling the user chose joins the unique key: a scan under --noise-ceiling is not the model's own scan.
Scans stored before keep "" (the card's ceiling), which they used.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

BEFORE = ["sha256", "model_name", "model_version", "threshold", "uncertain_band", "emotion_model", "video_model",
          "smallest_face", "face_finder"]


def upgrade() -> None:
    with op.batch_alter_table("scans") as batch:
        batch.add_column(sa.Column("noise_ceiling", sa.String(20), nullable=False, server_default=""))
        batch.drop_constraint("uq_scans_input_model_decision", type_="unique")
        batch.create_unique_constraint("uq_scans_input_model_decision", [*BEFORE, "noise_ceiling"])


def downgrade() -> None:
    with op.batch_alter_table("scans") as batch:
        batch.drop_constraint("uq_scans_input_model_decision", type_="unique")
        batch.create_unique_constraint("uq_scans_input_model_decision", BEFORE)
        batch.drop_column("noise_ceiling")
