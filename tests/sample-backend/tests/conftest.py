"""Fixtures: the real application wired to a throwaway SQLite file, so the suite needs no PostgreSQL."""
from __future__ import annotations

import socket

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from app.db import Database
from app.main import create_app
from app.migrations_info import expected_heads
from app.models import Base
from app.observability import configure_logging
from app.settings import Settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stamp(database: Database, *revisions: str) -> None:
    with database.engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS alembic_version (version_num VARCHAR(32) PRIMARY KEY)"))
        conn.execute(text("DELETE FROM alembic_version"))
        for revision in revisions:
            conn.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": revision})


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'nutriprofile.db'}"


@pytest.fixture
def database(sqlite_url) -> Database:
    db = Database(sqlite_url)
    Base.metadata.create_all(db.engine)
    # What `alembic upgrade head` leaves behind, so the readiness check sees an up-to-date schema.
    stamp(db, *expected_heads())
    yield db
    db.dispose()


def make_client(database: Database, **settings) -> TestClient:
    return TestClient(create_app(Settings(**settings), database=database))


@pytest.fixture(scope="session")
def default_app():
    """The app with the default settings, built once for every test that needs no other: building it
    (FastAPI prepares each route's models) costs more than most tests do. `client` gives it each
    test's own database."""
    return create_app(Settings(), database=Database(None))


@pytest.fixture
def client(default_app, database) -> TestClient:
    settings = default_app.state.settings
    # As create_app does for each app it builds: a test before may have set another level.
    configure_logging(settings.log_level, settings.secret_values())
    default_app.state.database = database
    with TestClient(default_app) as c:
        yield c


@pytest.fixture
def profile(client) -> dict:
    response = client.post("/api/v1/profiles", json={"email": "camille@example.com", "display_name": "Camille",
                                                       "daily_kcal_goal": 1800})
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
def oats(client) -> dict:
    response = client.post("/api/v1/foods", json={"name": "Rolled oats", "brand": "Quaker", "kcal_per_100g": 379,
                                                    "protein_g": 13.2, "carbs_g": 67.7, "fat_g": 6.5,
                                                    "category": "grain"})
    assert response.status_code == 201, response.text
    return response.json()
