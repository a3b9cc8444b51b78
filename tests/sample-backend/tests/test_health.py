import time

from app.db import Database
from app.migrations_info import expected_heads
from app.version import VERSION

from .conftest import free_port, make_client, stamp


def unreachable_database(password: str = "hunter2-do-not-log") -> Database:
    # Nothing listens on a freshly freed loopback port: the connection is refused at once.
    return Database(f"postgresql+psycopg2://nutri:{password}@127.0.0.1:{free_port()}/nutri", connect_timeout_s=2)


def test_liveness_answers_without_touching_the_database():
    with make_client(unreachable_database()) as client:
        response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readiness_reports_database_revision_and_version(client):
    response = client.get("/api/v1/health")
    assert response.status_code == 200, response.text
    head = ",".join(expected_heads())
    assert response.json() == {"status": "ok", "database": "ok", "revision": head,
                               "expected_revision": head, "version": VERSION}


def test_readiness_flags_a_database_behind_the_code(client, database):
    stamp(database, "0002")
    response = client.get("/api/v1/health")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "schema_mismatch"
    assert body["database"] == "ok"
    assert body["revision"] == "0002"
    assert body["expected_revision"] == ",".join(expected_heads())


def test_readiness_flags_a_database_never_migrated(sqlite_url):
    with make_client(Database(sqlite_url)) as client:
        response = client.get("/api/v1/health")
    assert response.status_code == 503
    assert response.json()["status"] == "schema_mismatch"
    assert response.json()["revision"] is None


def test_readiness_fails_fast_and_hides_the_password_when_database_is_down(capsys):
    started = time.monotonic()
    with make_client(unreachable_database("hunter2-do-not-log")) as client:
        response = client.get("/api/v1/health")
    assert time.monotonic() - started < 10
    assert response.status_code == 503
    body = response.json()
    assert body["database"] == "unreachable"
    assert body["status"] == "error"
    assert "127.0.0.1" in body["error"]
    assert "hunter2" not in response.text
    assert "hunter2" not in capsys.readouterr().out


def test_readiness_without_database_url_says_so():
    with make_client(Database(None)) as client:
        response = client.get("/api/v1/health")
    assert response.status_code == 503
    assert response.json()["database"] == "unconfigured"


def test_api_answers_503_in_one_log_line_when_database_is_down(capsys):
    with make_client(unreachable_database("hunter2-do-not-log")) as client:
        capsys.readouterr()
        response = client.get("/api/v1/foods")
    out = capsys.readouterr().out
    assert response.status_code == 503
    assert response.json() == {"detail": "database unavailable"}
    assert "ERROR app.request database unavailable on GET /api/v1/foods: connection to server at" in out
    assert "Traceback" not in out and "hunter2" not in out
