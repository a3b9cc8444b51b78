"""create profiles, foods and meals, with a few reference foods

Revision ID: 0001
Revises:
Create Date: 2024-03-04 09:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Copied as data on purpose: a migration must keep producing the same rows even after the
# application's own reference data moves on.
REFERENCE_FOODS = [
    # name, brand, kcal, protein, carbs, fat (per 100 g)
    ("Apple", None, 52, 0.3, 13.8, 0.2),
    ("Banana", None, 89, 1.1, 22.8, 0.3),
    ("Orange", None, 47, 0.9, 11.8, 0.1),
    ("Rolled oats", "Quaker", 379, 13.2, 67.7, 6.5),
    ("Brown rice, cooked", None, 123, 2.7, 25.6, 1.0),
    ("Wholemeal bread", "Hovis", 247, 13.0, 41.0, 3.4),
    ("Greek yogurt", "Fage", 97, 9.0, 3.9, 5.0),
    ("Greek yogurt", "Danone", 108, 8.5, 4.2, 6.2),
    ("Whole milk", None, 61, 3.2, 4.8, 3.3),
    ("Cheddar cheese", None, 403, 24.9, 1.3, 33.1),
    ("Chicken breast, grilled", None, 165, 31.0, 0.0, 3.6),
    ("Salmon fillet", None, 208, 20.4, 0.0, 13.4),
    ("Egg, boiled", None, 155, 12.6, 1.1, 10.6),
    ("Lentils, cooked", None, 116, 9.0, 20.1, 0.4),
    ("Broccoli", None, 34, 2.8, 6.6, 0.4),
    ("Spinach", None, 23, 2.9, 3.6, 0.4),
    ("Almonds", None, 579, 21.2, 21.6, 49.9),
    ("Olive oil", "Carapelli", 884, 0.0, 0.0, 100.0),
    ("Dark chocolate 70%", "Lindt", 598, 7.8, 45.9, 42.6),
]


def upgrade() -> None:
    op.create_table(
        "profiles",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("display_name", sa.String(100), nullable=False),
        sa.Column("daily_kcal_goal", sa.Integer, nullable=False, server_default="2000"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.UniqueConstraint("email", name="uq_profiles_email"),
    )
    foods = op.create_table(
        "foods",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("brand", sa.String(120), nullable=True),
        sa.Column("kcal_per_100g", sa.Numeric(7, 2), nullable=False),
        sa.Column("protein_g", sa.Numeric(6, 2), nullable=False),
        sa.Column("carbs_g", sa.Numeric(6, 2), nullable=False),
        sa.Column("fat_g", sa.Numeric(6, 2), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "meals",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("profile_id", sa.Integer, sa.ForeignKey("profiles.id", ondelete="CASCADE",
                                                          name="fk_meals_profile_id"), nullable=False),
        sa.Column("food_id", sa.Integer, sa.ForeignKey("foods.id", name="fk_meals_food_id"), nullable=False),
        sa.Column("grams", sa.Numeric(7, 2), nullable=False),
        sa.Column("meal_type", sa.String(20), nullable=False),
        sa.Column("eaten_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.bulk_insert(foods, [
        dict(name=n, brand=b, kcal_per_100g=k, protein_g=p, carbs_g=c, fat_g=f)
        for n, b, k, p, c, f in REFERENCE_FOODS
    ])


def downgrade() -> None:
    op.drop_table("meals")
    op.drop_table("foods")
    op.drop_table("profiles")
