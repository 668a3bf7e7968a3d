"""Model provider connections and the price table, per user.

A connection is an OpenAI-compatible Chat Completions endpoint (name, base URL, API key,
default model). The key is encrypted at rest with Fernet under a key derived from SECRET_KEY
(HKDF-SHA256), decrypted only to make a call, and never returned to a page: listings say
whether a key is saved, nothing more. `echo` is built in (offline, deterministic) and always
available. Prices are US dollars per million input and output tokens, keyed by model name.
"""

from __future__ import annotations

import base64
import re
import uuid
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlparse

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from promptrepo.models import ModelPrice, ProviderConnection
from promptrepo.services import audit
from promptrepo.services.errors import Conflict, NotFound, ValidationFailed
from promptrepo.services.principal import Principal, require_user, require_write

ECHO = "echo"
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,59}$")
MAX_KEY_CHARS = 1000
MAX_PRICE = 100_000.0


@dataclass(frozen=True)
class ConnectionInfo:
    """A connection as pages see it: no key, only whether one is saved."""

    id: str
    name: str
    base_url: str
    default_model: str
    has_key: bool
    builtin: bool = False

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "name": self.name,
            "base_url": self.base_url,
            "default_model": self.default_model,
            "has_key": self.has_key,
            "builtin": self.builtin,
        }


ECHO_INFO = ConnectionInfo(
    id=ECHO,
    name=ECHO,
    base_url="(built in, offline)",
    default_model=ECHO,
    has_key=False,
    builtin=True,
)


@dataclass(frozen=True)
class Target:
    """What a call needs (the decrypted key included): only ever held server-side."""

    name: str
    base_url: str
    api_key: str
    default_model: str

    @property
    def is_echo(self) -> bool:
        return self.name == ECHO

    def __repr__(self) -> str:  # keep the key out of logs and tracebacks
        return f"Target(name={self.name!r}, base_url={self.base_url!r})"


ECHO_TARGET = Target(name=ECHO, base_url="", api_key="", default_model=ECHO)


# --------------------------------------------------------------------------- encryption
@lru_cache(maxsize=4)
def _fernet(secret: str) -> Fernet:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"promptrepo provider api keys"
    ).derive(secret.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def _secret() -> str:
    from promptrepo.settings import settings

    return settings.secret_key


def encrypt_key(api_key: str) -> str:
    return _fernet(_secret()).encrypt(api_key.encode()).decode() if api_key else ""


def decrypt_key(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet(_secret()).decrypt(token.encode()).decode()
    except InvalidToken:
        raise ValidationFailed(
            "This connection's API key cannot be read (SECRET_KEY changed since it was saved); "
            "remove the connection and add it again.",
            errors=[{"loc": ["api_key"], "msg": "cannot be decrypted"}],
        ) from None


# --------------------------------------------------------------------------- connections
def _info(row: ProviderConnection) -> ConnectionInfo:
    return ConnectionInfo(
        id=str(row.id),
        name=row.name,
        base_url=row.base_url,
        default_model=row.default_model,
        has_key=bool(row.api_key_encrypted),
    )


def clean_base_url(url: str) -> str:
    url = (url or "").strip().rstrip("/")
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc or len(url) > 500:
        raise ValidationFailed(
            "The base URL is an http(s) address, e.g. https://api.openai.com/v1.",
            errors=[{"loc": ["base_url"], "msg": "must be an http(s) URL"}],
        )
    return url


def list_connections(session: Session, principal: Principal | None) -> list[ConnectionInfo]:
    """The user's connections (by name), after the built-in `echo`."""
    principal = require_user(principal)
    rows = session.exec(
        select(ProviderConnection)
        .where(ProviderConnection.user_id == principal.user_id)
        .order_by(ProviderConnection.name)
    ).all()
    return [ECHO_INFO, *(_info(r) for r in rows)]


def add_connection(
    session: Session,
    principal: Principal | None,
    *,
    name: str,
    base_url: str,
    api_key: str,
    default_model: str = "",
) -> ConnectionInfo:
    """Save a connection; the key is stored encrypted. Names are unique per user."""
    principal = require_write(principal)
    name = (name or "").strip()
    if not NAME_RE.match(name):
        raise ValidationFailed(
            "A connection's name is 1 to 60 letters, digits, spaces, '_', '.' or '-'.",
            errors=[{"loc": ["name"], "msg": "invalid name"}],
        )
    if name.lower() == ECHO:
        raise ValidationFailed(
            "'echo' is the built-in offline provider; choose another name.",
            errors=[{"loc": ["name"], "msg": "reserved"}],
        )
    api_key = (api_key or "").strip()
    if len(api_key) > MAX_KEY_CHARS:
        raise ValidationFailed(
            "That API key is too long.", errors=[{"loc": ["api_key"], "msg": "too long"}]
        )
    default_model = (default_model or "").strip()
    if len(default_model) > 200:
        raise ValidationFailed(
            "A model name is at most 200 characters.",
            errors=[{"loc": ["default_model"], "msg": "too long"}],
        )
    row = ProviderConnection(
        user_id=principal.user_id,
        name=name,
        base_url=clean_base_url(base_url),
        api_key_encrypted=encrypt_key(api_key),
        default_model=default_model,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raise Conflict(f"You already have a connection named {name!r}.") from None
    audit.record(session, principal.user_id, "provider.added", "provider", row.id, name=name)
    return _info(row)


def _own_connection(
    session: Session, principal: Principal, connection_id: str
) -> ProviderConnection:
    try:
        cid = uuid.UUID(str(connection_id))
    except ValueError:
        raise NotFound("Connection not found.") from None
    row = session.get(ProviderConnection, cid)
    if row is None or row.user_id != principal.user_id:
        raise NotFound("Connection not found.")
    return row


def remove_connection(session: Session, principal: Principal | None, connection_id: str) -> None:
    """Delete a connection and its stored key."""
    principal = require_write(principal)
    row = _own_connection(session, principal, connection_id)
    audit.record(session, principal.user_id, "provider.removed", "provider", row.id, name=row.name)
    session.delete(row)
    session.flush()


def target(session: Session, principal: Principal | None, name: str) -> Target:
    """The connection named `name` with its key decrypted (`echo` needs none)."""
    principal = require_user(principal)
    if (name or ECHO) == ECHO:
        return ECHO_TARGET
    row = session.exec(
        select(ProviderConnection).where(
            ProviderConnection.user_id == principal.user_id, ProviderConnection.name == name
        )
    ).first()
    if row is None:
        raise NotFound(f"You have no provider connection named {name!r} (see Settings).")
    return Target(
        name=row.name,
        base_url=row.base_url,
        api_key=decrypt_key(row.api_key_encrypted),
        default_model=row.default_model,
    )


# --------------------------------------------------------------------------- prices
@dataclass(frozen=True)
class Price:
    model: str
    input_per_million: float
    output_per_million: float

    def cost(self, input_tokens: int | None, output_tokens: int | None) -> float:
        return (
            (input_tokens or 0) * self.input_per_million
            + (output_tokens or 0) * self.output_per_million
        ) / 1_000_000


def list_prices(session: Session, principal: Principal | None) -> list[Price]:
    principal = require_user(principal)
    rows = session.exec(
        select(ModelPrice).where(ModelPrice.user_id == principal.user_id).order_by(ModelPrice.model)
    ).all()
    return [Price(r.model, r.input_per_million, r.output_per_million) for r in rows]


def _price_value(value: float | str, what: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = -1.0
    if not 0 <= number <= MAX_PRICE:
        raise ValidationFailed(
            f"The {what} price is a number of dollars per million tokens (0 to {MAX_PRICE:,.0f}).",
            errors=[{"loc": [what], "msg": "invalid price"}],
        )
    return number


def set_price(
    session: Session,
    principal: Principal | None,
    model: str,
    input_per_million: float | str,
    output_per_million: float | str,
) -> Price:
    """Add or change a model's price (dollars per million input / output tokens)."""
    principal = require_write(principal)
    model = (model or "").strip()
    if not model or len(model) > 200:
        raise ValidationFailed(
            "Name the model (1 to 200 characters).", errors=[{"loc": ["model"], "msg": "required"}]
        )
    price_in = _price_value(input_per_million, "input")
    price_out = _price_value(output_per_million, "output")
    row = session.exec(
        select(ModelPrice).where(ModelPrice.user_id == principal.user_id, ModelPrice.model == model)
    ).first()
    if row is None:
        row = ModelPrice(user_id=principal.user_id, model=model)
    row.input_per_million, row.output_per_million = price_in, price_out
    session.add(row)
    session.flush()
    return Price(model, price_in, price_out)


def remove_price(session: Session, principal: Principal | None, model: str) -> None:
    principal = require_write(principal)
    row = session.exec(
        select(ModelPrice).where(ModelPrice.user_id == principal.user_id, ModelPrice.model == model)
    ).first()
    if row is None:
        raise NotFound(f"No price for {model!r}.")
    session.delete(row)
    session.flush()


def price_for(session: Session, user_id: uuid.UUID, model: str) -> Price | None:
    row = session.exec(
        select(ModelPrice).where(ModelPrice.user_id == user_id, ModelPrice.model == model)
    ).first()
    return Price(row.model, row.input_per_million, row.output_per_million) if row else None
