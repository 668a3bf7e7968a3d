"""check_health answers 'error' when the database is unreachable (the API turns it into 503)."""

import pytest

from promptrepo.db import build_engine
from promptrepo.services.health import check_health


def test_health_is_ok_with_a_working_database(use_engine) -> None:
    assert check_health()["status"] == "ok"


def test_health_is_error_when_the_database_is_down(monkeypatch: pytest.MonkeyPatch) -> None:
    import promptrepo.db as db

    dead = build_engine("postgresql+psycopg://postgres@127.0.0.1:1/nowhere", pool_size=1)
    monkeypatch.setattr(db, "get_engine", lambda: dead)
    result = check_health()
    assert result["status"] == "error"
    assert result["database"]["status"] == "error"
