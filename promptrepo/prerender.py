"""Marketing pages paint from their prerendered HTML before their scripts load.

React Router prerenders every page into `.web/build/client/<page>.html`: the landing page and
pricing arrive complete, styled by one stylesheet. But their `<head>` also asks for ~230 KB
(compressed) of JavaScript at high priority (`<link rel="modulepreload">`), and on a slow
phone connection that download shares the link with the stylesheet, so the first paint waited
for it: Lighthouse's mobile run measured first and largest contentful paint at 2.8 s, of which
the HTML and CSS alone need about 1 s.

`defer_scripts` rewrites such a page so that nothing but the HTML and the stylesheet is
fetched before the first paint. The same modules are preloaded and the same bootstrap (React
Router's: the manifest, the route modules, then the client entry, which hydrates) runs right
after that paint, so the page is the same page a frame later: the signed-in user's plan, the
landing page's teaser and every link work as before. Links are plain `<a href>`s, so a click
before hydration is an ordinary navigation; a click on a button before hydration is held and
played again once React has hydrated it (EARLY_CLICKS_JS).

Only the pages of DEFERRED_ROUTES are rewritten: the app's own pages prerender a loading
shell, for which the scripts are the critical path. A page whose bootstrap does not have the
expected shape (another React Router version) is left as it is, and `defer_scripts` says so.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

from promptrepo import routes

DEFERRED_ROUTES = (routes.HOME, routes.PRICING)
MARKER = "data-promptrepo-deferred"

_PRELOAD = re.compile(r'<link rel="modulepreload" href="([^"]+)"(?: [a-zA-Z-]+="[^"]*")*/>')
_BOOTSTRAP = re.compile(r'<script type="module" async="">(.*?)</script>', re.S)
_SIDE_EFFECT_IMPORT = re.compile(r'^import "([^"]+)";$')
_NAMED_IMPORT = re.compile(r'^import \* as (\w+) from "([^"]+)";$')


# A click on a control only React drives (a button, a menu trigger), made before the page has
# hydrated, is held and played again once React has taken the control over: it is not lost.
# Links need no script and go through at once.
EARLY_CLICKS_JS = """const early = [];
const hold = (event) => {
  const el = event.target instanceof Element
    ? event.target.closest('button, [role="button"], [aria-haspopup]') : null;
  if (!el || el.closest("a[href]")) return;
  event.preventDefault();
  event.stopPropagation();
  if (!early.includes(el)) early.push(el);
};
document.addEventListener("click", hold, true);
const isHydrated = (el) => !!el && Object.keys(el).some((k) => k.startsWith("__reactProps"));
const replayWhenHydrated = (frames) => {
  const probe = early[0] || document.querySelector("button");
  if (probe && !isHydrated(probe) && frames < 600) {
    requestAnimationFrame(() => replayWhenHydrated(frames + 1));
    return;
  }
  document.removeEventListener("click", hold, true);
  for (const el of early.splice(0)) {
    const options = { bubbles: true, cancelable: true, button: 0, isPrimary: true, pointerType: "mouse" };
    el.dispatchEvent(new PointerEvent("pointerdown", options));
    el.dispatchEvent(new MouseEvent("mousedown", options));
    el.dispatchEvent(new PointerEvent("pointerup", options));
    el.dispatchEvent(new MouseEvent("mouseup", options));
    if (!el.hasAttribute("aria-haspopup")) el.click(); // a menu opens on pointerdown
  }
};
"""


def _deferred_bootstrap(code: str, preloads: list[str]) -> str | None:
    """React Router's module bootstrap, run after the first paint; None if not understood."""
    imports: list[tuple[str | None, str]] = []
    rest: list[str] = []
    for line in code.strip().splitlines():
        line = line.strip()
        if not line:
            continue
        if match := _SIDE_EFFECT_IMPORT.match(line):
            imports.append((None, match.group(1)))
        elif match := _NAMED_IMPORT.match(line):
            imports.append((match.group(1), match.group(2)))
        elif line.startswith("import ") or "await" in line:
            return None
        else:
            rest.append(line)
    if not imports or not rest:
        return None
    names = ", ".join(name or "" for name, _ in imports)
    modules = ", ".join(f"import({json.dumps(url)})" for _, url in imports)
    body = "\n".join(rest)
    return (
        f'<script type="module" {MARKER}="">\n'
        "// Prerendered page: its scripts load after the first paint (promptrepo/prerender.py).\n"
        f"{EARLY_CLICKS_JS}"
        "const start = async () => {\n"
        f"  for (const href of {json.dumps(preloads)}) {{\n"
        '    const link = document.createElement("link");\n'
        '    link.rel = "modulepreload";\n'
        "    link.href = href;\n"
        "    document.head.appendChild(link);\n"
        "  }\n"
        f"  const [{names}] = await Promise.all([{modules}]);\n"
        f"{body}\n"
        "  replayWhenHydrated(0);\n"
        "};\n"
        "requestAnimationFrame(() => setTimeout(start, 0));\n"
        "</script>"
    )


def defer_page(html: str) -> str | None:
    """The page with its scripts deferred past the first paint, or None when it cannot be."""
    if MARKER in html:
        return html
    preloads = _PRELOAD.findall(html)
    bootstraps = _BOOTSTRAP.findall(html)
    if not preloads or len(bootstraps) != 1:
        return None
    bootstrap = _deferred_bootstrap(bootstraps[0], preloads)
    if bootstrap is None:
        return None
    html = _PRELOAD.sub("", html)
    return _BOOTSTRAP.sub(lambda _: bootstrap, html, count=1)


def page_files(client_dir: Path, route: str) -> list[Path]:
    """The prerendered files of `route`: React Router writes both `pricing.html` and
    `pricing/index.html` (the one the server sends for /pricing)."""
    name = route.strip("/")
    candidates = [name + ".html", name + "/index.html"] if name else ["index.html"]
    return [client_dir / c for c in candidates if (client_dir / c).is_file()]


def defer_scripts(client_dir: Path, pages: tuple[str, ...] = DEFERRED_ROUTES) -> list[str]:
    """Rewrite the files of the routes `pages` in the built client folder; returns the files
    (or routes without any) left as they were.

    The precompressed copies are rewritten with them: the `.gz` from the new text, and the
    `.br` removed (the server then sends the gzip one) rather than left stale."""
    untouched: list[str] = []
    for route in pages:
        files = page_files(client_dir, route)
        if not files:
            untouched.append(route)
        for path in files:
            html = path.read_text(encoding="utf-8")
            deferred = defer_page(html)
            if deferred is None:
                untouched.append(str(path.relative_to(client_dir)))
                continue
            if deferred == html:
                continue
            path.write_text(deferred, encoding="utf-8")
            Path(f"{path}.br").unlink(missing_ok=True)
            Path(f"{path}.gz").write_bytes(gzip.compress(deferred.encode("utf-8"), 9, mtime=0))
    return untouched
