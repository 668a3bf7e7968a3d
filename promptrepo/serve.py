"""The production server behind `make run`, the test harness and the benchmarks.

    python -m promptrepo.serve [--host 127.0.0.1] [--port 3000] [--workers N] [--rebuild]
    python -m promptrepo.serve --build-only      # e.g. once before starting several servers
    python -m promptrepo.serve --migrate         # migrate the database first (`make run`)

It does what `reflex run --env prod --single-port` does, with two differences:

1. **The frontend is built only when something that shapes it changed.** A SHA-256 over the
   app's sources (promptrepo/, admin/, assets/, rxconfig.py, reflex.lock/), the Reflex
   version and the settings baked into the pages (the API address the browser connects to,
   `PUBLIC_URL`) is stored beside the build (`.web/promptrepo-frontend.sha256`). When it
   matches and the build is there, Reflex's compile and export (13-20 s here) are skipped;
   otherwise `reflex export --frontend-only --no-zip` rebuilds it first. Every Python file
   counts, not only pages: state classes and the models they use end up in the compiled
   JavaScript too, so a narrower choice could serve stale pages.
2. **A crashed worker is replaced.** Reflex 0.10.1's production runner builds granian's
   `Server` itself and does not pass `respawn_failed_workers`, so a `kill -9` of one worker
   stopped the whole server. The backend still runs through Reflex's own runner
   (`reflex.utils.exec.run_backend_prod`: same start method, app preloaded before the fork,
   same log set-up, `GRANIAN_WORKERS`), with granian's `Server` replaced by a subclass whose
   respawn is on. A worker that dies is forked again from the preloaded supervisor (about a
   second); granian itself stops if the same worker crashes again within 5.5 s (a crash loop).

3. **The API's two hottest GETs skip the app's middleware layers.** Granian serves
   `asgi_app()` below: the Reflex app behind `ServingFrontDoor` (api/serving.py), which
   answers a cached `resolve` (and the Langfuse SDK's `get_prompt`) before Reflex's and our
   ~15 ASGI layers, adding what those layers add to such an answer; everything else goes to
   the app as before. It runs through Reflex's own granian runner
   (`run_granian_backend_prod`, what `run_backend_prod` calls) with this target.

4. **The garbage collector does not stall the event loop.** Each event and render leaves
   cyclic garbage (Reflex's states, SQLAlchemy sessions, tasks); with CPython's default
   thresholds a worker under load ran a young collection ~13 times a second and a full one
   every ~10 s that stopped everything for 200-400 ms, and its keystrokes and API answers
   queued behind it. `tune_gc()` freezes what the start-up built (never collected, and a
   fork's children share those pages) and collects young objects every GC_THRESHOLDS[0]
   allocations instead of 700 (`benchmarks/bench_fleet.py`, README).

After a build, the marketing pages' prerendered HTML is rewritten so their scripts load after
the first paint (promptrepo/prerender.py).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from promptrepo.prerender import defer_scripts

ROOT = Path.cwd()
FINGERPRINT_FILE = "promptrepo-frontend.sha256"
SOURCE_DIRS = ("promptrepo", "admin", "assets", "reflex.lock")
SOURCE_FILES = ("rxconfig.py",)
BUILD_ATTEMPTS = 3
SKIPPED_PARTS = {"__pycache__", ".web", "data", "node_modules"}
# How long a worker keeps a tab's state lock and state after an event (see main()): about a
# burst of typing and its save. A worker killed outright loses the state changes of at most
# this long (drafts are in the database); the lock expires 10 s after it was taken.
STATE_LEASE = "2s"
# gc.set_threshold for the serving processes (see tune_gc). Measured at 250 tabs + the API at
# 1,000/s (bench_fleet, alternated): default (700, 10, 10): keystroke p99 1.7-3.2 s, API
# 89-215/s, errors; (20,000, 20, 10): young collections every ~2.5 s of up to ~70 ms.
GC_THRESHOLDS = (20_000, 20, 10)


def _source_files(root: Path) -> list[Path]:
    files = [root / name for name in SOURCE_FILES if (root / name).is_file()]
    for name in SOURCE_DIRS:
        folder = root / name
        if folder.is_dir():
            files.extend(
                path
                for path in folder.rglob("*")
                if path.is_file()
                and not SKIPPED_PARTS.intersection(path.relative_to(root).parts)
                and path.suffix != ".pyc"
            )
    return sorted(files)


def frontend_fingerprint(root: Path) -> str:
    """SHA-256 of everything the built frontend depends on (call after the port is set)."""
    from reflex import constants
    from reflex_base.config import get_config

    config = get_config()
    digest = hashlib.sha256()
    baked = {
        "reflex": constants.Reflex.VERSION,
        "api_url": config.api_url,
        "deploy_url": config.deploy_url,
        "frontend_path": config.frontend_path,
        "transport": config.transport,
        "public_url": os.environ.get("PUBLIC_URL", ""),
    }
    digest.update(repr(sorted(baked.items())).encode())
    for path in _source_files(root):
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def _web_dir(root: Path) -> Path:
    from reflex.utils import prerequisites

    return root / prerequisites.get_web_dir()


def frontend_is_current(root: Path, fingerprint: str) -> bool:
    """True when `.web/` holds a finished build made from exactly these sources."""
    web = _web_dir(root)
    stamp = web / FINGERPRINT_FILE
    return (
        stamp.is_file()
        and stamp.read_text().strip() == fingerprint
        and (web / "build" / "client" / "index.html").is_file()
    )


def build_frontend(root: Path) -> None:
    """Compile and export the frontend with Reflex, then record what it was built from."""
    web = _web_dir(root)
    # A failed or interrupted build must not look current next time.
    (web / FINGERPRINT_FILE).unlink(missing_ok=True)
    command = [sys.executable, "-m", "reflex", "export", "--frontend-only", "--no-zip"]
    command += ["--env", "prod", "--loglevel", "warning"]
    # React Router prerenders each page with a 10 s timeout and no retry; on a machine busy
    # with other builds that timeout is sometimes hit. Such a failure is transient: retry.
    for attempt in range(1, BUILD_ATTEMPTS + 1):
        if subprocess.run(command, cwd=root).returncode == 0:
            break
        if attempt == BUILD_ATTEMPTS:
            raise SystemExit(f"The frontend build failed {BUILD_ATTEMPTS} times (see above).")
        print("==> the frontend build failed; trying again", flush=True)
    untouched = defer_scripts(web / "build" / "client")
    if untouched:
        print(f"==> left as built (unexpected shape): {', '.join(untouched)}", flush=True)
    # Reflex may have updated reflex.lock/ while building (a new frontend package): the
    # stamp describes the sources as they are now, or the next start would rebuild again.
    (web / FINGERPRINT_FILE).write_text(frontend_fingerprint(root) + "\n")


def _public_url_configured(root: Path) -> bool:
    """Whether PUBLIC_URL is set, in the environment or in `.env` (settings read both, any
    case)."""
    from dotenv import dotenv_values  # what pydantic-settings reads `.env` with

    names = {name.lower() for name, value in os.environ.items() if value}
    env_file = root / ".env"
    if env_file.is_file():
        names |= {name.lower() for name, value in dotenv_values(env_file).items() if value}
    return "public_url" in names


def _prepare_metrics_dir(port: int) -> None:
    """Let every worker write its Prometheus figures where /api/metrics sums them (set before
    prometheus_client is first imported; emptied at each start, one folder per port)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return
    directory = Path(tempfile.gettempdir()) / f"promptrepo-metrics-{port}"
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)


def _respawning_granian() -> None:
    """Make Reflex's runner build granian's Server with failed-worker respawn on."""
    import granian.server

    base = granian.server.Server
    if getattr(base, "_promptrepo_respawns", False):
        return

    class RespawningServer(base):  # type: ignore[misc, valid-type]
        _promptrepo_respawns = True

        def __init__(self, *args, **kwargs):
            kwargs.setdefault("respawn_failed_workers", True)
            # The default waits 3.5 s with the old and new worker both up; a failed worker is
            # already gone, so the new one can take over at once.
            kwargs.setdefault("respawn_interval", 0.0)
            super().__init__(*args, **kwargs)

    granian.server.Server = RespawningServer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="promptrepo.serve", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "3000")))
    parser.add_argument("--workers", type=int, help="worker processes (GRANIAN_WORKERS)")
    parser.add_argument("--rebuild", action="store_true", help="build the frontend even if current")
    parser.add_argument(
        "--build-only", action="store_true", help="build the frontend if needed, then exit"
    )
    parser.add_argument(
        "--migrate", action="store_true", help="apply the database's migrations before serving"
    )
    parser.add_argument("--loglevel", default="warning")
    args = parser.parse_args(argv)

    started = time.monotonic()
    # What `reflex run --env prod --single-port --frontend-port P --backend-port P
    # --backend-host H` sets, as environment variables so the export subprocess and the
    # workers read the same configuration.
    os.environ.update(
        REFLEX_ENV_MODE="prod",
        REFLEX_FRONTEND_PORT=str(args.port),
        REFLEX_BACKEND_PORT=str(args.port),
        REFLEX_BACKEND_HOST=args.host,
    )
    # Without PUBLIC_URL the app is where this server listens: its origin is the one browsers
    # may open the websocket from, so `PORT=8080 make run` must not keep the default's :3000
    # (every page at :8080 stayed unconnected, its websocket refused with 403).
    if not _public_url_configured(ROOT):
        os.environ["PUBLIC_URL"] = f"http://localhost:{args.port}"
    # Reflex's deploy URL defaults to localhost:<this port>; the app's public address is the
    # right value, and the same for every server of a fleet, so they all share one build.
    if not os.environ.get("REFLEX_DEPLOY_URL"):
        os.environ["REFLEX_DEPLOY_URL"] = os.environ["PUBLIC_URL"]
    if args.workers:
        os.environ["GRANIAN_WORKERS"] = str(args.workers)
    # Reflex's opportunistic state lock (with Redis as its state manager): the worker that
    # takes a tab's state lock keeps it, and the state in memory, for STATE_LEASE, so that
    # the events of a burst of typing (the text, the autosave, the watcher) load and save the
    # state once instead of each. Another worker asking for the lock (a reconnect that
    # landed elsewhere) gets it at once: the holder writes the state back and lets go; so does
    # a server that stops. bench_fleet at 150 tabs: app CPU 67 → 56 s, API 298 → 568 req/s.
    os.environ.setdefault("REFLEX_OPLOCK_ENABLED", "true")
    os.environ.setdefault("REFLEX_OPLOCK_HOLD_TIME", STATE_LEASE)
    _prepare_metrics_dir(args.port)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))

    from reflex_base import constants

    fingerprint = frontend_fingerprint(ROOT)
    if args.rebuild or not frontend_is_current(ROOT, fingerprint):
        print("==> building the frontend (sources changed since the last build)", flush=True)
        build_frontend(ROOT)
    else:
        print("==> the frontend is up to date: reusing .web/build", flush=True)
    if args.build_only:
        return 0

    from reflex.utils import exec as reflex_exec
    from reflex.utils import prerequisites
    from reflex_base.environment import environment

    # The workers only evaluate the pages (and, from the second start on, only the stateful
    # ones) instead of compiling them again. An internal variable: set it through Reflex.
    environment.REFLEX_SKIP_COMPILE.set(True)
    if args.migrate:
        # In this process rather than a `promptrepo.cli migrate` before it: the app imports
        # the same modules anyway (a second interpreter's imports cost ~2 s of a restart).
        from promptrepo.db import migrate

        migrate()
        print("==> the database is at the newest migration", flush=True)
    _respawning_granian()
    print(
        f"==> serving on http://{args.host}:{args.port} "
        f"(prepared in {time.monotonic() - started:.1f} s)",
        flush=True,
    )
    # What reflex_exec.run_backend_prod(mount_frontend_compiled_app=True) does, with our
    # target: the app is imported here first, so that forked workers share it.
    environment.REFLEX_MOUNT_FRONTEND_COMPILED_APP.set(True)
    prerequisites.get_app()
    tune_gc()
    reflex_exec.run_granian_backend_prod(
        args.host,
        args.port,
        constants.LogLevel(args.loglevel),
        app_target="promptrepo.serve:asgi_app",
    )
    return 0


def tune_gc() -> None:
    """Freeze every object alive now (start-up's modules, pages, app: never scanned or
    collected again, and not written to by a forked child's collections) and collect young
    objects less often (GC_THRESHOLDS). Called before the fork and in each worker."""
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def asgi_app():
    """What granian serves (a factory, called in each worker): the Reflex app behind the
    serving front door."""
    from promptrepo.api.serving import ServingFrontDoor
    from promptrepo.promptrepo import app

    served = ServingFrontDoor(app())
    tune_gc()
    return served


if __name__ == "__main__":
    sys.exit(main())
