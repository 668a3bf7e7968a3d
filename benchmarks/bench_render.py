"""Render + validate a 10 KB prompt with 20 variables and 5 validators, on one core.

Measures the service path the API uses (`versions.render_and_validate`: coerce the values
against the variable spec, render the cached compiled template, run the validators, in a
render worker process under the time budget) and prints renders per second. Target:
>= 2,000/s. Baselines in the same run: rendering alone, and render + validators in this
process (`render_worker.render_and_validate_here`), whose difference to the service path is
the cost of the process hop (pipe round trip + JSON both ways).

    uv run python benchmarks/bench_render.py
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from workload import content, validators, values, variables_spec  # noqa: E402

from promptrepo.services import render_worker, templates, versions  # noqa: E402

TARGET = 2_000


def rate(fn, seconds: float = 2.0) -> tuple[float, float]:
    """Calls per second over ~`seconds` (best and median of 5 rounds)."""
    rounds = []
    for _ in range(5):
        n = 0
        start = time.perf_counter()
        deadline = start + seconds / 5
        while True:
            for _ in range(50):
                fn()
            n += 50
            now = time.perf_counter()
            if now >= deadline:
                break
        rounds.append(n / (now - start))
    return max(rounds), statistics.median(rounds)


def main() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core
    text = content()
    spec = variables_spec()
    checks = validators()
    vals = values(spec)
    rendered, results = versions.render_and_validate(text, spec, checks, vals)
    assert all(r.passed for r in results), results
    print(f"prompt: {len(text):,} chars, {len(spec)} variables, {len(checks)} validators")
    print(f"rendered: {len(rendered):,} chars; validators: {[r.passed for r in results]}")

    cold_start = time.perf_counter()
    for i in range(20):
        templates.analyze(text + f"\n{i}")
    cold_ms = (time.perf_counter() - cold_start) / 20 * 1000

    best_render, med_render = rate(lambda: templates.render(text, spec, vals))
    best_here, med_here = rate(
        lambda: render_worker.render_and_validate_here(text, spec, checks, vals)
    )
    best, med = rate(lambda: versions.render_and_validate(text, spec, checks, vals))
    tiny = rate(lambda: versions.render_and_validate("Hi {{ n }}", {}, [], {"n": 1}))[1]
    tiny_here = rate(
        lambda: render_worker.render_and_validate_here("Hi {{ n }}", {}, [], {"n": 1})
    )[1]
    print(f"first compile of a new 10 KB text (uncached): {cold_ms:.2f} ms")
    print(f"render only:           {med_render:,.0f}/s (best {best_render:,.0f}/s)")
    print(
        f"render + 5 validators: {med:,.0f}/s (best {best:,.0f}/s), "
        f"{1e6 / med:.0f} µs each; target >= {TARGET:,}/s -> "
        f"{'OK' if med >= TARGET else 'BELOW TARGET'}"
    )
    print(f"validators' share of the time: {1 - med / med_render:.0%}")
    print(
        f"same in this process:  {med_here:,.0f}/s (best {best_here:,.0f}/s); the process hop "
        f"costs {1e6 / med - 1e6 / med_here:.0f} µs per render of this prompt"
    )
    print(
        f"a one-line template (the editor's per-keystroke case): {tiny:,.0f}/s through the "
        f"worker vs {tiny_here:,.0f}/s here: {1e6 / tiny - 1e6 / tiny_here:.0f} µs of hop"
    )


if __name__ == "__main__":
    main()
