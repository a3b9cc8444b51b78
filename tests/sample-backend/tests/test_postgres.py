"""Migrations and COPY against a real PostgreSQL. Skipped unless TEST_DATABASE_URL is set.

TEST_DATABASE_URL must name a throwaway database on this machine: its public schema is dropped
and recreated before each test.
"""
import io
import os
from urllib.parse import urlsplit

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text

from app import seed
from app.db import Database
from app.migrations_info import MIGRATIONS_DIR, expected_heads
from app.settings import normalize_database_url

from .conftest import make_client
from .test_migrations import alembic_config

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
pytestmark = pytest.mark.skipif(not TEST_DATABASE_URL, reason="needs TEST_DATABASE_URL (a throwaway PostgreSQL database)")


def _sqlalchemy_url() -> str:
    return normalize_database_url(TEST_DATABASE_URL)


@pytest.fixture
def pg(monkeypatch):
    if urlsplit(_sqlalchemy_url()).hostname not in ("127.0.0.1", "localhost", "::1"):
        pytest.fail("TEST_DATABASE_URL must point at a loopback server: these tests drop its public schema")
    monkeypatch.setenv("DATABASE_URL", TEST_DATABASE_URL)
    engine = create_engine(_sqlalchemy_url(), future=True)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    yield engine
    engine.dispose()


def alembic(action: str, target: str) -> None:
    getattr(command, action)(alembic_config(io.StringIO()), target)


def current(engine) -> list:
    with engine.connect() as conn:
        if conn.execute(text("SELECT to_regclass('alembic_version')")).scalar() is None:
            return []
        return sorted(r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version")))


def schema(engine) -> dict:
    """Everything a downgrade must restore: columns with types, defaults, nullability; indexes; constraints."""
    with engine.connect() as conn:
        columns = conn.execute(text("""
            SELECT table_name, column_name, data_type, character_maximum_length, numeric_precision,
                   numeric_scale, is_nullable, column_default
            FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> 'alembic_version'
            ORDER BY table_name, ordinal_position""")).all()
        indexes = conn.execute(text("""
            SELECT tablename, indexdef FROM pg_indexes
            WHERE schemaname = 'public' AND tablename <> 'alembic_version' ORDER BY 1, 2""")).all()
        constraints = conn.execute(text("""
            SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint
            WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text <> 'alembic_version' ORDER BY 1, 2""")).all()
    return {"columns": [tuple(r) for r in columns], "indexes": [tuple(r) for r in indexes],
            "constraints": [tuple(r) for r in constraints]}


def linear_history() -> list:
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def test_every_downgrade_restores_the_previous_schema_exactly(pg):
    previous = schema(pg)
    for revision in linear_history():
        alembic("upgrade", revision)
        assert current(pg) == [revision]
        upgraded = schema(pg)
        alembic("downgrade", "-1")
        assert schema(pg) == previous, f"downgrade of {revision} did not restore the schema"
        alembic("upgrade", revision)
        assert schema(pg) == upgraded
        previous = upgraded
    assert current(pg) == expected_heads()
    alembic("downgrade", "base")
    assert current(pg) == [] and schema(pg)["columns"] == []


def test_category_backfill_and_its_downgrade_leave_other_columns_alone(pg):
    alembic("upgrade", "0001")
    with pg.connect() as conn:
        before = conn.execute(text("SELECT id, name, brand, kcal_per_100g, protein_g FROM foods ORDER BY id")).all()
    alembic("upgrade", "0002")
    with pg.connect() as conn:
        categories = dict(conn.execute(text("SELECT name, category FROM foods")).all())
    assert categories["Banana"] == "fruit" and categories["Greek yogurt"] == "dairy"
    assert categories["Chicken breast, grilled"] == "protein"
    alembic("downgrade", "0001")
    with pg.connect() as conn:
        after = conn.execute(text("SELECT id, name, brand, kcal_per_100g, protein_g FROM foods ORDER BY id")).all()
    assert after == before


def test_seed_copies_rows_and_the_app_serves_them(pg):
    alembic("upgrade", "head")
    result = seed.seed(_sqlalchemy_url(), rows=5000, rng_seed=3)
    with pg.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM meals")).scalar_one() == 5000
        assert conn.execute(text("SELECT count(*) FROM foods")).scalar_one() == result["foods"] + 19
    database = Database(_sqlalchemy_url())
    with make_client(database) as client:
        health = client.get("/api/v1/health")
        assert health.status_code == 200, health.text
        assert health.json()["revision"] == ",".join(expected_heads())
        page = client.get("/api/v1/foods", params={"limit": 5, "offset": 10}).json()
        assert page["total"] == result["foods"] + 19 and len(page["items"]) == 5
    database.dispose()
