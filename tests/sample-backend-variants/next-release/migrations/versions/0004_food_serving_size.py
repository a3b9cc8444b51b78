"""foods.serving_g, a typical portion, filled in for the existing foods by category

Revision ID: 0004
Revises: 0003
Create Date: 2024-07-02 11:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BACKFILL = """
UPDATE foods SET serving_g = CASE category
    WHEN 'fruit' THEN 120
    WHEN 'vegetable' THEN 80
    WHEN 'grain' THEN 60
    WHEN 'dairy' THEN 150
    WHEN 'protein' THEN 120
    WHEN 'fat' THEN 15
    WHEN 'sweet' THEN 25
    ELSE 100
END
"""


def upgrade() -> None:
    # Nullable and defaulted, so the release still running during the migration (which does not
    # know the column) keeps inserting foods; existing rows get a real portion, not the default.
    op.add_column("foods", sa.Column("serving_g", sa.Numeric(6, 1), nullable=True, server_default="100"))
    op.execute(BACKFILL)


def downgrade() -> None:
    op.drop_column("foods", "serving_g")
