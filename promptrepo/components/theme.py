"""Applies the signed-in user's stored theme preference in the browser.

Reflex's `set_color_mode` lives in the frontend's ColorModeContext and cannot be called from
a backend handler. This invisible component reads `AppState.theme_key` ("<preference>:<login
stamp>") and, whenever that key differs from the last one applied in this browser, calls the
same `setColorMode` the navbar toggle uses. So the stored preference is applied after each
login and after each change in /settings (on any device, at its next page load), while a
quick flip of the navbar toggle stays a local choice until the next login.
"""

from __future__ import annotations

import reflex as rx
from reflex_base import constants
from reflex_base.style import _color_mode_var
from reflex_base.vars import VarData
from reflex_base.vars.base import Var

from promptrepo.state.base import AppState

APPLIED_KEY = "promptrepo_theme_applied"


class ThemePreferenceSync(rx.Fragment):
    """Renders nothing; its hook applies the stored theme preference."""

    def add_hooks(self) -> list[str | Var]:
        key = AppState.theme_key
        set_color_mode = _color_mode_var(_js_expr=constants.ColorMode.SET)
        code = f"""useEffect(() => {{
  const key = {key!s};
  if (!key) return;
  const mode = key.split(":")[0];
  if (!["light", "dark", "system"].includes(mode)) return;
  if (localStorage.getItem("{APPLIED_KEY}") === key) return;
  // After the color-mode provider's own first effect, which runs after this one (a parent's
  // effects follow its children's) and resets the mode from localStorage: on a full page load
  // (every sign-in) the state can arrive before that first render.
  const timer = setTimeout(() => {{
    // Saved here, not only by the provider's own effect: a sign-in's full page load may come
    // before that effect runs, and the next page must not find the key applied but the
    // mode not saved.
    localStorage.setItem("theme", mode);
    localStorage.setItem("{APPLIED_KEY}", key);
    {set_color_mode!s}(mode);
  }}, 0);
  return () => clearTimeout(timer);
}}, [{key!s}]);"""
        return [
            Var(
                _js_expr=code,
                _var_data=VarData.merge(
                    key._get_all_var_data(),
                    set_color_mode._get_all_var_data(),
                    VarData(imports={"react": ["useEffect"]}),
                ),
            )
        ]


def theme_preference_sync() -> rx.Component:
    return ThemePreferenceSync.create()
