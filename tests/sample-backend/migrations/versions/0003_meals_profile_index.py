"""index meals by profile and time, for the meal list and the day summary

Revision ID: 0003
Revises: 0002
Create Date: 2024-05-20 08:15:00
"""
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_meals_profile_id_eaten_at", "meals", ["profile_id", "eaten_at"])


def downgrade() -> None:
    op.drop_index("ix_meals_profile_id_eaten_at", table_name="meals")
