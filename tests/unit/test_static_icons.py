"""The pages every visitor loads first name their icons statically.

`rx.icon(<a var>)` compiles to lucide's DynamicIcon, which brings a map of every lucide icon
(~250 kB of JavaScript, 38 kB compressed) into the page's bundle: from the command palette in
the shared layout, it loaded on every page, the landing and pricing pages included (Lighthouse
mobile, issue 15). Shared components and the marketing pages pass a string, or choose between
static icons with rx.cond.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "promptrepo"
FIRST_PAGES = [
    *sorted((ROOT / "components").glob("*.py")),
    ROOT / "pages" / "home.py",
    ROOT / "pages" / "pricing.py",
]


def _str_parameters(tree: ast.Module) -> dict[int, set[str]]:
    """For each line inside a function, the names of its parameters annotated `str`."""
    names: dict[int, set[str]] = {}
    for func in ast.walk(tree):
        if isinstance(func, ast.FunctionDef):
            params = {
                a.arg
                for a in func.args.args + func.args.kwonlyargs
                if isinstance(a.annotation, ast.Name) and a.annotation.id == "str"
            }
            for line in range(func.lineno, (func.end_lineno or func.lineno) + 1):
                names.setdefault(line, set()).update(params)
    return names


def _dynamic_icons(path: Path) -> list[int]:
    """Lines calling rx.icon with anything but a string literal or a `str` parameter."""
    tree = ast.parse(path.read_text())
    str_params = _str_parameters(tree)
    lines = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "icon"
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "rx"
        ):
            first = node.args[0] if node.args else None
            static = (isinstance(first, ast.Constant) and isinstance(first.value, str)) or (
                isinstance(first, ast.Name) and first.id in str_params.get(node.lineno, set())
            )
            if not static:
                lines.append(node.lineno)
    return lines


@pytest.mark.parametrize("path", FIRST_PAGES, ids=lambda p: p.name)
def test_shared_components_and_marketing_pages_name_icons_statically(path: Path) -> None:
    assert _dynamic_icons(path) == [], f"{path.name}: rx.icon with a var on lines"


def test_the_check_finds_an_icon_named_by_a_var(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        'rx.icon("folder")\nrx.icon(rx.cond(x, "a", "b"))\nrx.icon(name)\n'
        "def f(icon: str, row: Row):\n    rx.icon(icon)\n    rx.icon(row.icon)\n"
    )
    assert _dynamic_icons(sample) == [2, 3, 6]
