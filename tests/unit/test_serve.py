"""promptrepo.serve: when the built frontend is reused, and that granian respawns workers.

The start itself (built app, kill -9 of a worker) is tests/e2e/test_resilience.py; the
timings are benchmarks/bench_start.py.
"""

from __future__ import annotations

from pathlib import Path

import granian.server
import pytest

from promptrepo import serve


@pytest.fixture
def app_root(tmp_path: Path) -> Path:
    (tmp_path / "promptrepo" / "pages").mkdir(parents=True)
    (tmp_path / "promptrepo" / "pages" / "home.py").write_text("TITLE = 'Home'\n")
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "styles.css").write_text("body {}\n")
    (tmp_path / "rxconfig.py").write_text("# config\n")
    build = tmp_path / ".web" / "build" / "client"
    build.mkdir(parents=True)
    (build / "index.html").write_text("<html></html>")
    return tmp_path


def _stamp(root: Path) -> None:
    (root / ".web" / serve.FINGERPRINT_FILE).write_text(serve.frontend_fingerprint(root) + "\n")


def _current(root: Path) -> bool:
    return serve.frontend_is_current(root, serve.frontend_fingerprint(root))


def test_an_unchanged_checkout_reuses_its_build(app_root: Path) -> None:
    _stamp(app_root)
    (app_root / "promptrepo" / "pages" / "__pycache__").mkdir()
    (app_root / "promptrepo" / "pages" / "__pycache__" / "home.cpython-311.pyc").write_bytes(b"x")
    assert _current(app_root)


def test_a_changed_page_or_asset_needs_a_build(app_root: Path) -> None:
    _stamp(app_root)
    (app_root / "promptrepo" / "pages" / "home.py").write_text("TITLE = 'Welcome'\n")
    assert not _current(app_root)
    _stamp(app_root)
    (app_root / "assets" / "new.svg").write_text("<svg/>")
    assert not _current(app_root)


def test_a_different_public_address_needs_a_build(
    app_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PUBLIC_URL", "http://one.example")
    _stamp(app_root)
    monkeypatch.setenv("PUBLIC_URL", "http://two.example")
    assert not _current(app_root)


def test_no_build_or_no_stamp_means_a_build(app_root: Path) -> None:
    assert not _current(app_root)  # never stamped (e.g. an interrupted build)
    _stamp(app_root)
    (app_root / ".web" / "build" / "client" / "index.html").unlink()
    assert not _current(app_root)


def test_reflexs_runner_gets_a_granian_server_that_respawns(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(granian.server, "Server", granian.server.Server)  # restored afterwards
    serve._respawning_granian()
    server = granian.server.Server(target="promptrepo.promptrepo:app", workers=2)
    assert server.respawn_failed_workers is True
    assert server.respawn_interval == 0.0
    explicit = granian.server.Server(target="x:app", respawn_failed_workers=False)
    assert explicit.respawn_failed_workers is False


def test_tune_gc_freezes_start_up_and_collects_young_objects_less_often() -> None:
    """In a fresh interpreter (freezing is for the whole process): what exists at the call
    is frozen, and young objects are collected every GC_THRESHOLDS[0] allocations."""
    import subprocess
    import sys

    script = (
        "import gc; from promptrepo import serve; "
        "before = gc.get_freeze_count(); serve.tune_gc(); "
        "print(before, gc.get_freeze_count(), *gc.get_threshold())"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout.split()
    before, frozen, *thresholds = map(int, out)
    assert before == 0
    assert frozen > 10_000  # the modules imported so far
    assert tuple(thresholds) == serve.GC_THRESHOLDS
    assert serve.GC_THRESHOLDS[0] > 700  # CPython's default, which stalled the server


def test_public_url_counts_as_configured_from_the_environment_or_dotenv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Unconfigured, the server makes PUBLIC_URL its own address (`PORT=8080 make run`: the
    websocket's Origin must be :8080, not the default :3000); a configured one is kept."""
    monkeypatch.delenv("PUBLIC_URL", raising=False)
    monkeypatch.delenv("public_url", raising=False)
    assert not serve._public_url_configured(tmp_path)
    (tmp_path / ".env").write_text("SECRET_KEY=x\nPUBLIC_URL=\n")
    assert not serve._public_url_configured(tmp_path)  # empty: the default applies
    (tmp_path / ".env").write_text("public_url=https://prompts.example.com\n")
    assert serve._public_url_configured(tmp_path)
    (tmp_path / ".env").unlink()
    monkeypatch.setenv("PUBLIC_URL", "https://prompts.example.com")
    assert serve._public_url_configured(tmp_path)
