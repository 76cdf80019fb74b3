"""Submissions: every request to scan an input, with its own name and owner, pointing at the scan it got.

Scans stay content-addressed (the same bytes, model and rule are judged once); a repeat upload under another
name, or by another client, is a submission of its own, so no one is shown someone else's file name.
Existing scans each get the submission they were made by (name from the scan, no owner).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "submissions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("scan_id", sa.Integer(), sa.ForeignKey("scans.id"), nullable=False),
        sa.Column("name", sa.String(1024), nullable=False),
        sa.Column("owner", sa.String(64), nullable=False, server_default=""),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_submissions_scan_id", "submissions", ["scan_id"])
    op.create_index("ix_submissions_owner", "submissions", ["owner"])
    op.create_index("ix_submissions_submitted_at", "submissions", ["submitted_at"])
    op.execute("INSERT INTO submissions (scan_id, name, owner, submitted_at) "
               "SELECT id, name, '', scanned_at FROM scans ORDER BY id")


def downgrade() -> None:
    op.drop_table("submissions")
