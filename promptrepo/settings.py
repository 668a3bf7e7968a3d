"""Every knob and secret of PromptRepo, read from the environment (or `.env`).

One object, `settings`, is imported wherever a value is needed. Development needs no
variable at all: SQLite under ./data/, in-process cache and limits, a secret generated once.
"""

from __future__ import annotations

import secrets
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT_DIR / "data"
INSECURE_SECRETS = {"", "changeme", "change-me", "secret", "dev"}


def _development_secret() -> str:
    """Return the secret stored in ./data/secret_key, creating it on first use."""
    path = DATA_DIR / "secret_key"
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    app_env: Literal["development", "test", "production"] = "development"
    public_url: str = "http://localhost:3000"
    database_url: str = f"sqlite:///{DATA_DIR / 'promptrepo.db'}"
    redis_url: str | None = None
    secret_key: str = ""
    log_level: str = "INFO"

    # Accounts
    auth_provider: Literal["local", "supabase"] = "local"
    session_ttl_seconds: int = 7 * 24 * 3600
    password_reset_ttl_seconds: int = 3600
    login_rate_limit: str = "5/15 minutes"
    signup_rate_limit: str = "20/hour"
    supabase_url: str | None = None
    supabase_anon_key: str | None = None
    supabase_jwt_secret: str | None = None
    # Lets account deletion delete the Supabase user too (server-side only; never sent out).
    supabase_service_role_key: str | None = None

    # Mail (password reset); without SMTP_HOST the link is written to the log.
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    mail_from: str = "PromptRepo <no-reply@promptrepo.local>"

    # Billing
    stripe_secret_key: str | None = None
    stripe_webhook_secret: str | None = None
    stripe_api_base: str | None = None
    stripe_price_pro: str | None = None
    stripe_price_enterprise: str | None = None

    # API
    api_max_body_bytes: int = 1024 * 1024
    cache_ttl_seconds: int = 300
    # Requests per client address for calls without credentials (public gallery, sign-up).
    api_anonymous_rate_limit: str = "300/minute"
    # On SQLite, database threads at once per worker for cache misses of resolve/render
    # (0: no limit). PostgreSQL batches misses on one connection instead (api/serving_db.py).
    api_serving_db_slots: int = Field(default=4, ge=0)
    # Benchmarks only: serve this file's bytes at GET /api/v1/_bench/static (no auth/limits).
    api_bench_body_file: str | None = None

    db_pool_size: int = Field(default=10, ge=1)
    # Benchmarks only: "redis-py" admits API calls with redis-py (hiredis parser) and `limits`'
    # own moving window instead of the pipelined client and its one Lua script (bench_api
    # compares both in one run).
    api_gate_client: Literal["fast", "redis-py"] = "fast"

    # Webhooks (services/webhooks.py). URLs resolving to private, loopback or link-local
    # addresses are refused unless this is true (tests and self-hosted receivers).
    webhook_allow_private: bool = False
    # How often each worker looks for due deliveries (a new event also wakes it at once).
    webhook_poll_seconds: float = Field(default=2.0, gt=0)
    # Waits between attempts (Standard Webhooks' schedule); retried for 24 h in all.
    webhook_retry_delays: list[float] = [5, 300, 1800, 7200, 18000, 36000]
    webhook_retry_window_seconds: float = 24 * 3600
    webhook_timeout_seconds: float = 10.0

    @model_validator(mode="after")
    def _secret_key_rules(self) -> Settings:
        if self.app_env == "production":
            if self.secret_key in INSECURE_SECRETS or len(self.secret_key) < 32:
                raise ValueError(
                    "SECRET_KEY must be set to a random value of at least 32 characters "
                    "when APP_ENV=production"
                )
        elif not self.secret_key:
            self.secret_key = _development_secret()
        return self

    @cached_property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


settings = Settings()
