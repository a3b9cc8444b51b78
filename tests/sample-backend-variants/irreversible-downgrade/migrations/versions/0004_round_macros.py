"""round protein, carbs and fat to whole grams (discards the decimals: no way back)

Revision ID: 0004
Revises: 0003
Create Date: 2024-07-16 09:20:00
"""
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("UPDATE foods SET protein_g = round(protein_g), carbs_g = round(carbs_g), fat_g = round(fat_g)")


def downgrade() -> None:
    raise RuntimeError("revision 0004 is irreversible: it rounded protein_g, carbs_g and fat_g to whole grams "
                       "and the discarded decimals cannot be recomputed; restore the backup taken before it ran")
