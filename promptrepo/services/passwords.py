"""Password rules and argon2id hashing (pwdlib): the only place a password is ever touched.

Passwords are never logged and never leave this module except as an argon2id hash.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from promptrepo.services.errors import ValidationFailed

MIN_LENGTH = 8
MAX_LENGTH = 128


@lru_cache(maxsize=1)
def _hasher() -> PasswordHash:
    # Argon2Hasher's defaults are argon2id (type ID), 64 MiB, t=3, p=4 as recommended by pwdlib.
    return PasswordHash((Argon2Hasher(),))


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A hash to verify against when no account matches, so timing does not reveal it."""
    return _hasher().hash("not-a-real-password-for-timing-only")


def password_problem(password: str, *, field: str = "password") -> str | None:
    """The reason `password` is unacceptable, or None when it follows the rules."""
    if not isinstance(password, str) or len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    if not password.strip():
        return "A password cannot be only spaces."
    return None


def validate_password(password: str, *, field: str = "password") -> None:
    """Raise ValidationFailed (at `field`) unless the password is 8..128 characters."""
    problem = password_problem(password)
    if problem:
        raise ValidationFailed(problem, errors=[{"loc": [field], "msg": problem}])


def hash_password(password: str) -> str:
    """The argon2id hash of `password` (after checking the length rules)."""
    validate_password(password)
    return _hasher().hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    """True when `password` matches `password_hash`; spends the same time when there is no hash."""
    if not isinstance(password, str) or len(password) > MAX_LENGTH:
        _hasher().verify("x", _dummy_hash())
        return False
    if not password_hash:
        _hasher().verify(password, _dummy_hash())
        return False
    try:
        return _hasher().verify(password, password_hash)
    except Exception:  # a malformed stored hash counts as a mismatch
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether a stored hash was made with weaker parameters than today's."""
    return _hasher().current_hasher.check_needs_rehash(password_hash)


def fingerprint(password_hash: str | None) -> str:
    """A short digest of the stored hash: signed into reset links so they die once used."""
    return hashlib.sha256((password_hash or "").encode()).hexdigest()[:24]
