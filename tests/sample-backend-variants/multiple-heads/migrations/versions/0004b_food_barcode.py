"""foods.barcode (...and this one on another, merged without `alembic merge`)

Revision ID: 0004b
Revises: 0003
Create Date: 2024-07-22 14:30:00
"""
from alembic import op
import sqlalchemy as sa

revision = "0004b"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("foods", sa.Column("barcode", sa.String(14), nullable=True))


def downgrade() -> None:
    op.drop_column("foods", "barcode")
