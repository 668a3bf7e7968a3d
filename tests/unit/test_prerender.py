"""promptrepo/prerender.py on pages in the shape React Router 7 prerenders them (copied from a
build of this app): the scripts move past the first paint, in the same order, and a page of
another shape is left alone."""

from __future__ import annotations

import gzip
from pathlib import Path

from promptrepo.prerender import MARKER, defer_page, defer_scripts

HEAD = (
    '<!DOCTYPE html><html lang="en"><head><meta charSet="utf-8"/>'
    '<link as="style" href="/assets/styles-1.css" rel="preload"/>'
    '<link rel="modulepreload" href="/assets/manifest-a.js"/>'
    '<link rel="modulepreload" href="/assets/entry.client-b.js"/>'
    '<link rel="modulepreload" href="/assets/react-c.js" crossorigin="anonymous"/>'
    '<link rel="modulepreload" href="/assets/_index-d.js"/>'
    '<link href="/assets/styles-1.css" rel="stylesheet" type="text/css"/></head>'
)
BOOTSTRAP = (
    '<script type="module" async="">import "/assets/manifest-a.js";\n'
    'import * as route0 from "/assets/root-e.js";\n'
    'import * as route1 from "/assets/_index-d.js";\n'
    "  \n"
    '  window.__reactRouterRouteModules = {"root":route0,"routes/_index":route1};\n'
    "\n"
    'import("/assets/entry.client-b.js");</script>'
)
PAGE = (
    HEAD + "<body><h1>Hello</h1><script>window.__ctx = 1;</script>" + BOOTSTRAP + "</body></html>"
)


def test_the_head_asks_for_no_script_and_the_bootstrap_runs_after_the_first_paint() -> None:
    out = defer_page(PAGE)
    assert out is not None
    assert 'rel="modulepreload"' not in out
    assert 'async="">import' not in out
    assert out.count(MARKER) == 1
    # The same modules, preloaded after the paint, in the order React Router listed them.
    assert (
        '["/assets/manifest-a.js", "/assets/entry.client-b.js", "/assets/react-c.js", '
        '"/assets/_index-d.js"]' in out
    )
    assert (
        'const [, route0, route1] = await Promise.all([import("/assets/manifest-a.js"), '
        'import("/assets/root-e.js"), import("/assets/_index-d.js")]);' in out
    )
    body = out[out.index("const [") :]
    assert body.index("window.__reactRouterRouteModules") < body.index(
        'import("/assets/entry.client-b.js")'
    )
    assert "requestAnimationFrame(() => setTimeout(start, 0))" in out
    # Clicks on buttons before hydration are held and played again after it.
    assert 'document.addEventListener("click", hold, true)' in out
    assert body.index('import("/assets/entry.client-b.js")') < body.index("replayWhenHydrated(0)")
    # Everything else is as it was: the stylesheet, the content, the other inline scripts.
    assert '<link href="/assets/styles-1.css" rel="stylesheet"' in out
    assert "<h1>Hello</h1><script>window.__ctx = 1;</script>" in out


def test_a_deferred_page_is_left_as_it_is() -> None:
    once = defer_page(PAGE)
    assert defer_page(once) == once


def test_a_page_of_another_shape_is_not_rewritten() -> None:
    named = BOOTSTRAP.replace("import * as route0 from", "import {route0} from")
    assert defer_page(PAGE.replace(BOOTSTRAP, named)) is None
    assert defer_page(PAGE.replace(BOOTSTRAP, "")) is None
    assert defer_page(PAGE.replace(BOOTSTRAP, BOOTSTRAP * 2)) is None


def test_defer_scripts_rewrites_both_files_of_a_route_and_their_compressed_copies(
    tmp_path: Path,
) -> None:
    for name in ("index.html", "pricing.html", "pricing/index.html", "dashboard.html"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(PAGE)
        (tmp_path / f"{name}.br").write_bytes(b"stale")
        (tmp_path / f"{name}.gz").write_bytes(gzip.compress(PAGE.encode()))

    assert defer_scripts(tmp_path, ("/", "/pricing", "/explore")) == ["/explore"]

    for name in ("index.html", "pricing.html", "pricing/index.html"):
        text = (tmp_path / name).read_text()
        assert MARKER in text
        assert gzip.decompress((tmp_path / f"{name}.gz").read_bytes()).decode() == text
        assert not (tmp_path / f"{name}.br").exists()  # no stale brotli copy
    # The app's pages keep their scripts in the head.
    assert (tmp_path / "dashboard.html").read_text() == PAGE
    assert (tmp_path / "dashboard.html.br").exists()


def test_defer_scripts_names_a_page_it_could_not_rewrite(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("<html><body>no scripts</body></html>")
    assert defer_scripts(tmp_path, ("/",)) == ["index.html"]
    assert (tmp_path / "index.html").read_text() == "<html><body>no scripts</body></html>"
