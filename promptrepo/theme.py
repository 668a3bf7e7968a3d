"""The Radix Themes stylesheet, limited to the colour scales the app uses.

Radix's full `styles.css` carries all 31 colour scales (light, dark, alpha and P3 variants):
about a fifth of the render-blocking CSS every page waits for. This plugin loads the same
stylesheet in its documented parts (tokens/base.css, one file per colour, components.css,
utilities.css) with only the colours below. tests/unit/test_theme_colors.py fails when the
code names a colour that is not in the list.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from reflex_components_radix.plugin import RadixThemesPlugin

THEME_COLORS: tuple[str, ...] = (
    # accent and grays
    "violet",
    "slate",
    "gray",
    # what the app uses, plus close neighbours for status colours
    "red",
    "tomato",
    "crimson",
    "green",
    "grass",
    "jade",
    "teal",
    "orange",
    "amber",
    "yellow",
    "blue",
    "indigo",
    "iris",
    "cyan",
    "sky",
    "purple",
)


@dataclasses.dataclass
class RadixThemesSubsetPlugin(RadixThemesPlugin):
    def get_stylesheet_paths(self, **context: Any) -> tuple[str, ...]:
        if not self.enabled:
            return ()
        return (
            "@radix-ui/themes/tokens/base.css",
            *(f"@radix-ui/themes/tokens/colors/{color}.css" for color in THEME_COLORS),
            "@radix-ui/themes/components.css",
            "@radix-ui/themes/utilities.css",
        )
