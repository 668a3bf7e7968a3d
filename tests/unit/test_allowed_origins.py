"""PUBLIC_URL and CORS_ORIGINS: the origins whose pages may use the app (CORS, websocket)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from promptrepo.settings import Settings, url_origin


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://Prompts.Example.com/app/", "https://prompts.example.com"),
        ("https://prompts.example.com:443", "https://prompts.example.com"),
        ("http://127.0.0.1:3000/", "http://127.0.0.1:3000"),
        ("http://[::1]:8080", "http://[::1]:8080"),
        ("not a url", ""),
    ],
)
def test_the_origin_of_a_url_is_what_browsers_send(url: str, origin: str) -> None:
    assert url_origin(url) == origin


def test_public_url_comes_first_then_the_listed_origins() -> None:
    settings = Settings(
        public_url="https://prompts.example.com/",
        cors_origins="https://docs.example.com, http://localhost:5173/,https://prompts.example.com",
    )
    assert settings.allowed_origins == [
        "https://prompts.example.com",
        "https://docs.example.com",
        "http://localhost:5173",
    ]
    assert settings.uses_https


@pytest.mark.parametrize("bad", ["*", "https://docs.example.com/path", "docs.example.com"])
def test_anything_but_an_origin_is_refused_at_start_up(bad: str) -> None:
    with pytest.raises(ValidationError, match="CORS_ORIGINS"):
        Settings(cors_origins=bad)
