"""'Use in code' shows the app's real address: PUBLIC_URL when set, else the page's origin."""

import pytest

from promptrepo.settings import Settings
from promptrepo.state.editor import base


def test_the_pages_origin_is_used_when_public_url_is_not_configured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PUBLIC_URL", raising=False)
    monkeypatch.setattr(base, "settings", Settings(_env_file=None))
    assert base.public_base("https://prompts.example.com") == "https://prompts.example.com"
    assert base.public_base("") == "http://localhost:3000"


def test_a_configured_public_url_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUBLIC_URL", "https://api.example.com/")
    monkeypatch.setattr(base, "settings", Settings(_env_file=None))
    assert base.public_base("http://10.0.0.5:3000") == "https://api.example.com"
