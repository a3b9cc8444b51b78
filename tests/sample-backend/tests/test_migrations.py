"""Migration scripts checked without a database: history shape and offline SQL."""
import ast
import io
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config

from app.migrations_info import MIGRATIONS_DIR, expected_heads

BACKEND = Path(__file__).resolve().parent.parent


def alembic_config(buffer: io.StringIO) -> Config:
    return Config(str(BACKEND / "alembic.ini"), output_buffer=buffer)


def revision_files():
    for path in sorted((MIGRATIONS_DIR / "versions").glob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        values = {t.id: ast.literal_eval(node.value) for node in tree.body if isinstance(node, ast.Assign)
                  for t in node.targets if isinstance(t, ast.Name) and t.id in ("revision", "down_revision")}
        functions = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
        yield path, values, functions


def test_every_revision_can_be_undone_and_has_a_short_id():
    files = list(revision_files())
    assert files
    for path, values, functions in files:
        assert {"upgrade", "downgrade"} <= functions, path.name
        assert len(values["revision"]) <= 8 and path.name.startswith(values["revision"] + "_"), path.name


def test_expected_revision_is_the_one_no_revision_builds_on():
    files = list(revision_files())
    parents = {v["down_revision"] for _, v, _ in files}
    tips = sorted(v["revision"] for _, v, _ in files if v["revision"] not in parents)
    assert expected_heads() == tips


def render(monkeypatch, action: str, revision_range: str) -> str:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    buffer = io.StringIO()
    getattr(command, action)(alembic_config(buffer), revision_range, sql=True)
    return buffer.getvalue()


def test_offline_upgrade_renders_sql_without_a_database(monkeypatch):
    sql = render(monkeypatch, "upgrade", "base:heads")
    assert "CREATE TABLE foods" in sql and "CREATE TABLE meals" in sql
    assert "INSERT INTO foods" in sql
    assert "ALTER TABLE foods ADD COLUMN category" in sql
    assert "SET lock_timeout = '10s'" in sql
    # One transaction per revision: a failure later on leaves earlier revisions committed.
    assert sql.count("BEGIN;") == sql.count("COMMIT;") == len(list(revision_files()))


def test_offline_upgrade_from_a_revision_renders_only_what_is_pending(monkeypatch):
    sql = render(monkeypatch, "upgrade", "0001:heads")
    assert "CREATE TABLE foods" not in sql
    assert "ALTER TABLE foods ADD COLUMN category" in sql
    assert "UPDATE alembic_version SET version_num='0002' WHERE alembic_version.version_num = '0001'" in sql


def test_offline_downgrade_renders_every_step_back(monkeypatch):
    sql = render(monkeypatch, "downgrade", "0003:base")
    assert "DROP INDEX ix_meals_profile_id_eaten_at" in sql
    assert "ALTER TABLE foods DROP COLUMN category" in sql
    assert "DROP TABLE profiles" in sql


def test_online_migration_without_database_url_explains_itself(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(SystemExit, match="DATABASE_URL is not set"):
        command.upgrade(alembic_config(io.StringIO()), "head")
