"""Configuration read from the environment, the way Fly.io hands it to the machine."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Mapping, Optional
from urllib.parse import unquote

# Fly's Postgres attaches DATABASE_URL as postgres://, a scheme SQLAlchemy 1.4 rejects.
_PG_SCHEMES = ("postgres://", "postgresql://")


def normalize_database_url(url: str) -> str:
    """Return a URL SQLAlchemy accepts, with the psycopg2 driver made explicit."""
    url = url.strip()
    for scheme in _PG_SCHEMES:
        if url.startswith(scheme):
            return "postgresql+psycopg2://" + url[len(scheme):]
    return url


_PASSWORD_IN_URL = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^:/@\s]*:)(?P<password>[^@\s]*)(?P<tail>@)", re.I)


def redact_url(text: str) -> str:
    """Replace the password of any URL found in text; used before anything reaches a log."""
    return _PASSWORD_IN_URL.sub(lambda m: m.group("head") + "***" + m.group("tail"), text)


@dataclass(frozen=True)
class Settings:
    database_url: Optional[str] = field(default=None, repr=False)
    # Secrets the runbook requires on Fly. The app starts without them; only code that needs
    # one fails, so a missing secret shows up where it matters instead of as a crash loop.
    jwt_secret: Optional[str] = field(default=None, repr=False)
    huggingface_token: Optional[str] = field(default=None, repr=False)
    lemonsqueezy_api_key: Optional[str] = field(default=None, repr=False)
    lemonsqueezy_webhook_secret: Optional[str] = field(default=None, repr=False)
    usda_api_key: Optional[str] = field(default=None, repr=False)
    db_connect_timeout_s: int = 3
    db_statement_timeout_ms: int = 2000
    log_level: str = "INFO"

    @classmethod
    def from_env(cls, env: Optional[Mapping[str, str]] = None) -> "Settings":
        env = os.environ if env is None else env

        def opt(name: str) -> Optional[str]:
            value = env.get(name, "").strip()
            return value or None

        raw_url = opt("DATABASE_URL")
        return cls(
            database_url=normalize_database_url(raw_url) if raw_url else None,
            jwt_secret=opt("JWT_SECRET"),
            huggingface_token=opt("HUGGINGFACE_TOKEN"),
            lemonsqueezy_api_key=opt("LEMONSQUEEZY_API_KEY"),
            lemonsqueezy_webhook_secret=opt("LEMONSQUEEZY_WEBHOOK_SECRET"),
            usda_api_key=opt("USDA_API_KEY"),
            db_connect_timeout_s=int(env.get("DB_CONNECT_TIMEOUT_S", "3")),
            db_statement_timeout_ms=int(env.get("DB_STATEMENT_TIMEOUT_MS", "2000")),
            log_level=env.get("LOG_LEVEL", "INFO").upper(),
        )

    def secret_values(self) -> list:
        """Every configured secret value, so log output can be scrubbed of them."""
        values = [self.jwt_secret, self.huggingface_token, self.lemonsqueezy_api_key,
                  self.lemonsqueezy_webhook_secret, self.usda_api_key]
        if self.database_url:
            m = _PASSWORD_IN_URL.search(self.database_url)
            if m and m.group("password"):
                values.append(m.group("password"))
                values.append(unquote(m.group("password")))
        return [v for v in values if v]
