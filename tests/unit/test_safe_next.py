"""`next` after login: only paths on this site are followed."""

import pytest

from promptrepo.state.auth import safe_next


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/settings", "/settings"),
        ("/projects/abc?tab=prompts", "/projects/abc?tab=prompts"),
        (None, "/dashboard"),
        ("", "/dashboard"),
        ("//evil.example/x", "/dashboard"),
        ("/\\evil.example", "/dashboard"),
        ("https://evil.example/", "/dashboard"),
        ("javascript:alert(1)", "/dashboard"),
        ("settings", "/dashboard"),
        ("/login", "/dashboard"),
        ("/logout/", "/dashboard"),
        ("/ok\nSet-Cookie: x", "/dashboard"),
    ],
)
def test_only_same_site_paths_are_followed(target, expected) -> None:
    assert safe_next(target) == expected
