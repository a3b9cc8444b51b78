"""What schema revision this code expects, read from its own migrations folder."""
from __future__ import annotations

from pathlib import Path

from alembic.script import ScriptDirectory

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def format_revisions(revisions) -> str:
    # Several heads (a branch nobody merged) are shown together so a comparison still works.
    return ",".join(sorted(revisions))


def expected_heads(migrations_dir: Path = MIGRATIONS_DIR) -> list:
    return sorted(ScriptDirectory(str(migrations_dir)).get_heads())
