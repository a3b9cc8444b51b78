"""foods.category, filled in for the existing rows

Revision ID: 0002
Revises: 0001
Create Date: 2024-04-15 10:30:00
"""
from alembic import op
import sqlalchemy as sa

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# The rule that files existing foods; new rows get their category from the API.
BACKFILL = """
UPDATE foods SET category = CASE
    WHEN lower(name) ~ '(apple|banana|orange|berr|grape|pear|mango|kiwi)' THEN 'fruit'
    WHEN lower(name) ~ '(broccoli|spinach|carrot|tomato|lettuce|pepper|kale)' THEN 'vegetable'
    WHEN lower(name) ~ '(oat|rice|bread|pasta|quinoa|cereal)' THEN 'grain'
    WHEN lower(name) ~ '(yogurt|milk|cheese|cheddar|butter)' THEN 'dairy'
    WHEN lower(name) ~ '(chicken|beef|pork|salmon|tuna|egg|lentil|tofu|bean)' THEN 'protein'
    WHEN lower(name) ~ '(almond|walnut|peanut|cashew|oil)' THEN 'fat'
    WHEN lower(name) ~ '(chocolate|cookie|candy|cake)' THEN 'sweet'
    ELSE 'other'
END
"""


def upgrade() -> None:
    # Nullable first, filled, then tightened: existing rows never hold a placeholder value.
    op.add_column("foods", sa.Column("category", sa.String(40), nullable=True))
    op.execute(BACKFILL)
    op.alter_column("foods", "category", existing_type=sa.String(40), nullable=False,
                    server_default="other")


def downgrade() -> None:
    op.drop_column("foods", "category")
