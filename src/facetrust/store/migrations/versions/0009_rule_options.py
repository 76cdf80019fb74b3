"""Options a user turned on in the decision rule (today `agree`, a second opinion before a photo's face is called
fake) join the unique key: a scan under --agree is not the model's own scan. Scans stored before keep "" (none),
which they used.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

BEFORE = ["sha256", "model_name", "model_version", "threshold", "uncertain_band", "emotion_model", "video_model",
          "smallest_face", "face_finder", "noise_ceiling"]


def upgrade() -> None:
    with op.batch_alter_table("scans") as batch:
        batch.add_column(sa.Column("rule_options", sa.String(100), nullable=False, server_default=""))
        batch.drop_constraint("uq_scans_input_model_decision", type_="unique")
        batch.create_unique_constraint("uq_scans_input_model_decision", [*BEFORE, "rule_options"])


def downgrade() -> None:
    with op.batch_alter_table("scans") as batch:
        batch.drop_constraint("uq_scans_input_model_decision", type_="unique")
        batch.create_unique_constraint("uq_scans_input_model_decision", BEFORE)
        batch.drop_column("rule_options")
