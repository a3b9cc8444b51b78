import pytest

from app.settings import Settings, normalize_database_url, redact_url


@pytest.mark.parametrize("given, expected", [
    ("postgres://u:p@db.internal:5432/app", "postgresql+psycopg2://u:p@db.internal:5432/app"),
    ("postgresql://u:p@db.internal/app?sslmode=disable", "postgresql+psycopg2://u:p@db.internal/app?sslmode=disable"),
    ("postgresql+psycopg2://u:p@h/app", "postgresql+psycopg2://u:p@h/app"),
    ("  postgres://u@h/app\n", "postgresql+psycopg2://u@h/app"),
    ("sqlite:///tmp/x.db", "sqlite:///tmp/x.db"),
])
def test_database_url_is_normalised_for_sqlalchemy(given, expected):
    assert normalize_database_url(given) == expected


def test_redact_url_hides_only_the_password():
    text = "could not use postgres://nutri:s3cr%40t@top2.nearest.of.app.internal:5432/nutri"
    assert redact_url(text) == "could not use postgres://nutri:***@top2.nearest.of.app.internal:5432/nutri"


def test_settings_never_show_secrets_in_repr():
    settings = Settings.from_env({"DATABASE_URL": "postgres://u:pw-123@h/db", "JWT_SECRET": "jwt-456"})
    assert settings.database_url == "postgresql+psycopg2://u:pw-123@h/db"
    assert "pw-123" not in repr(settings) and "jwt-456" not in repr(settings)
    assert {"pw-123", "jwt-456"} <= set(settings.secret_values())


def test_app_settings_start_without_optional_secrets():
    settings = Settings.from_env({})
    assert settings.database_url is None
    assert settings.jwt_secret is None
    assert settings.secret_values() == []
