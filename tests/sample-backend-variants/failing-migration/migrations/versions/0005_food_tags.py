"""food_tags, seeded from the categories; fails half-way on a misspelt column

Revision ID: 0005
Revises: 0004
Create Date: 2024-07-09 16:40:00
"""
from alembic import op
import sqlalchemy as sa

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "food_tags",
        sa.Column("food_id", sa.Integer, sa.ForeignKey("foods.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("tag", sa.String(40), primary_key=True),
    )
    op.execute("INSERT INTO food_tags (food_id, tag) SELECT id, category FROM foods")
    # The defect this release ships with: the column is "category". PostgreSQL rejects the
    # statement, the revision's transaction rolls back, and 0004 stays applied and stamped.
    op.execute("UPDATE foods SET category = lower(categroy)")


def downgrade() -> None:
    op.drop_table("food_tags")
