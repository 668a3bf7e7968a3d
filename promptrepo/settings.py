"""Every knob and secret of PromptRepo, read from the environment (or `.env`).

One object, `settings`, is imported wherever a value is needed. Development needs no
variable at all: SQLite under ./data/, in-process cache and limits, a secret generated once.
"""

from __future__ import annotations

import secrets
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

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


def url_origin(url: str) -> str:
    """`scheme://host[:port]` of a URL, lower-cased, default ports dropped (as in `Origin`)."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if not scheme or not host:
        return ""
    if ":" in host:  # IPv6
        host = f"[{host}]"
    port = parts.port
    if port and (scheme, port) not in (("http", 80), ("https", 443)):
        host = f"{host}:{port}"
    return f"{scheme}://{host}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    app_env: Literal["development", "test", "production"] = "development"
    public_url: str = "http://localhost:3000"
    database_url: str = f"sqlite:///{DATA_DIR / 'promptrepo.db'}"
    redis_url: str | None = None
    secret_key: str = ""
    log_level: str = "INFO"
    # Other sites allowed to call the API from a browser with credentials, besides PUBLIC_URL
    # itself (comma-separated origins, e.g. "https://docs.example.com,https://admin.example.com").
    cors_origins: Annotated[list[str], NoDecode] = []

    # Accounts
    auth_provider: Literal["local", "supabase"] = "local"
    session_ttl_seconds: int = 7 * 24 * 3600
    password_reset_ttl_seconds: int = 3600
    # How long a project invitation link works (services/members.py).
    invite_ttl_seconds: int = 7 * 24 * 3600
    login_rate_limit: str = "5/15 minutes"  # failed logins per account (e-mail)
    login_address_rate_limit: str = "100/15 minutes"  # failed logins per client address
    password_reset_email_rate_limit: str = "3/hour"  # reset mails per e-mail address
    password_reset_address_rate_limit: str = "10/hour"  # reset requests per client address
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
    # GET /api/metrics answers only `Authorization: Bearer <METRICS_TOKEN>` (unset: 404).
    metrics_token: str | None = None
    # PostgreSQL roles (see ARCHITECTURE.md, "Database roles"). DATABASE_URL is the owner's
    # login: migrations run as it and create the two roles below. The app itself logs in as
    # APP_DATABASE_URL (row-level security for the acting user) and, only for the named
    # system paths in db.SYSTEM_PATHS, as SYSTEM_DATABASE_URL. Unset, each is DATABASE_URL with
    # the role's name as user and DB_APP_PASSWORD / DB_SYSTEM_PASSWORD as password.
    app_database_url: str | None = None
    system_database_url: str | None = None
    db_app_password: str | None = None
    db_system_password: str | None = None

    # Rendering (services/render_pool.py): every render and its validators run in worker
    # processes; one still busy after RENDER_TIMEOUT_SECONDS is killed and replaced (422).
    render_timeout_seconds: float = Field(default=1.0, gt=0)
    render_workers: int = Field(default=2, ge=1)  # per serving process, started lazily
    render_worker_memory_mb: int = Field(default=1024, ge=0)  # address-space cap; 0: none
    render_worker_nice: int = Field(default=19, ge=0, le=19)  # requests keep the CPU first
    # a render still running after this long is lowered to render_worker_nice (see render_pool)
    render_full_priority_ms: float = Field(default=15, ge=0)
    render_queue_seconds: float = Field(default=5.0, gt=0)  # wait for a free worker, then 429
    render_per_account: int = Field(default=1, ge=0)  # one account's renders at once; 0: any

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

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("cors_origins")
    @classmethod
    def _origins_are_origins(cls, value: list[str]) -> list[str]:
        cleaned = []
        for origin in value:
            origin = origin.rstrip("/")
            if origin == "*" or origin != url_origin(origin):
                raise ValueError(
                    f"CORS_ORIGINS: {origin!r} is not an origin (scheme://host[:port], no path)"
                )
            cleaned.append(origin)
        return cleaned

    @property
    def public_origin(self) -> str:
        """PUBLIC_URL's origin (scheme://host[:port]), as browsers send it in `Origin`."""
        return url_origin(self.public_url)

    @property
    def allowed_origins(self) -> list[str]:
        """Origins allowed to call the API with credentials and to open the websocket. A
        loopback PUBLIC_URL also allows its twin (localhost ↔ 127.0.0.1, same port), so
        `make run`'s default works at either address."""
        origins = [self.public_origin]
        for a, b in (("//localhost", "//127.0.0.1"), ("//127.0.0.1", "//localhost")):
            if a in self.public_origin:
                origins.append(self.public_origin.replace(a, b, 1))
        return list(dict.fromkeys([*origins, *self.cors_origins]))

    def origin_allowed(self, origin: str) -> bool:
        """Whether a request's `Origin` is one of `allowed_origins` (`null` never is)."""
        return origin.rstrip("/").lower() in {o.lower() for o in self.allowed_origins}

    @property
    def uses_https(self) -> bool:
        return self.public_url.lower().startswith("https://")

    @cached_property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def role_database_url(self, role: Literal["app", "system"]) -> str:
        """The URL the app logs in with as `role` (the owner's URL itself on SQLite)."""
        explicit = self.app_database_url if role == "app" else self.system_database_url
        if explicit:
            return explicit
        return derived_role_url(
            self.database_url,
            APP_ROLE if role == "app" else SYSTEM_ROLE,
            self.db_app_password if role == "app" else self.db_system_password,
        )


# The login roles the app uses on PostgreSQL (created by migration 0005).
APP_ROLE = "promptrepo_user"
SYSTEM_ROLE = "promptrepo_system"


def derived_role_url(owner_url: str, role: str, password: str | None) -> str:
    """`owner_url` with `role` (and `password`) as its user; unchanged for SQLite."""
    from sqlalchemy.engine import make_url

    url = make_url(owner_url)
    if url.get_backend_name() != "postgresql":
        return owner_url
    return url.set(username=role, password=password).render_as_string(hide_password=False)


settings = Settings()
