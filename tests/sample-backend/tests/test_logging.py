import re

from fastapi import APIRouter

from .conftest import make_client

REQUEST_LINE = re.compile(r"^\S+ \S+ (?P<level>INFO|ERROR) app\.request method=(?P<method>\w+) path=(?P<path>\S+) "
                          r"status=(?P<status>\d{3}) duration_ms=\d+\.\d$")


def request_lines(output: str) -> list:
    return [m.groupdict() for m in map(REQUEST_LINE.match, output.splitlines()) if m]


def test_one_log_line_per_request(client, capsys):
    capsys.readouterr()
    client.get("/health")
    client.get("/api/v1/foods/77")
    assert request_lines(capsys.readouterr().out) == [
        {"level": "INFO", "method": "GET", "path": "/health", "status": "200"},
        {"level": "INFO", "method": "GET", "path": "/api/v1/foods/77", "status": "404"},
    ]


def test_server_errors_are_logged_as_error_without_secrets(database, capsys):
    client = make_client(database, jwt_secret="jwt-value-never-logged")
    router = APIRouter()

    @router.get("/boom")
    def boom():
        raise RuntimeError("token jwt-value-never-logged rejected")

    client.app.include_router(router)
    capsys.readouterr()
    response = client.get("/boom")
    out = capsys.readouterr().out
    assert response.status_code == 500
    assert {"level": "ERROR", "method": "GET", "path": "/boom", "status": "500"} in request_lines(out)
    assert "Traceback" in out
    assert "jwt-value-never-logged" not in out
