"""Every colour the code names is in the trimmed Radix stylesheet (promptrepo/theme.py)."""

from __future__ import annotations

import re
from pathlib import Path

from promptrepo.theme import THEME_COLORS

ROOT = Path(__file__).resolve().parents[2]
RADIX_COLORS = {
    "tomato", "red", "ruby", "crimson", "pink", "plum", "purple", "violet", "iris", "indigo",
    "blue", "cyan", "teal", "jade", "green", "grass", "brown", "orange", "sky", "mint", "lime",
    "yellow", "amber", "gold", "bronze", "gray", "mauve", "slate", "sage", "olive", "sand",
}  # fmt: skip
COLOR_USES = [
    re.compile(r'(?:color_scheme|accent_color|gray_color)\s*=\s*"([a-z]+)"'),
    re.compile(r'rx\.color\(\s*"([a-z]+)"'),
    re.compile(r"var\(--([a-z]+)-a?\d+\)"),
    # string literals chosen at run time: color_scheme=rx.cond(..., "green", "red")
    re.compile(r'"([a-z]+)"'),
]


def named_colors() -> dict[str, str]:
    found: dict[str, str] = {}
    files = [
        *ROOT.glob("promptrepo/**/*.py"),
        *ROOT.glob("promptrepo/**/*.jsx"),
        *ROOT.glob("admin/**/*.py"),
        ROOT / "assets/styles.css",
    ]
    for path in files:
        text = path.read_text()
        for pattern in COLOR_USES:
            for name in pattern.findall(text):
                if name in RADIX_COLORS:
                    found.setdefault(name, str(path.relative_to(ROOT)))
    return found


def test_every_color_the_code_uses_is_in_the_stylesheet() -> None:
    missing = {c: where for c, where in named_colors().items() if c not in THEME_COLORS}
    assert not missing, f"add these colours to THEME_COLORS in promptrepo/theme.py: {missing}"
