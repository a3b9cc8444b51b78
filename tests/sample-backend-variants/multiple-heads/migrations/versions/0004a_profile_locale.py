"""profiles.locale (written on one branch...)

Revision ID: 0004a
Revises: 0003
Create Date: 2024-07-22 10:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = "0004a"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("profiles", sa.Column("locale", sa.String(10), nullable=True))


def downgrade() -> None:
    op.drop_column("profiles", "locale")
