"""Accessibility checks the browser tests share."""

# Every visible form control or button whose accessible name would be empty: no aria-label,
# aria-labelledby, linked <label>, title, or (for a button) text. Evaluated on an element
# (`locator.evaluate`) or on `document`; returns the offenders' ids (or their HTML).
UNNAMED_CONTROLS_JS = """
root => [...root.querySelectorAll(
  'input, textarea, select, button, [role=textbox], [role=combobox], [role=switch], [role=checkbox]'
)].filter(el => el.getClientRects().length > 0 && el.type !== 'hidden'
  && !el.closest('[aria-hidden=true]')).filter(el => {
  const byIds = (el.getAttribute('aria-labelledby') || '').split(/\\s+/).filter(Boolean)
    .map(id => (document.getElementById(id) || {}).textContent || '').join(' ');
  const byLabel = el.labels ? [...el.labels].map(l => l.textContent).join(' ') : '';
  const ownText = ['BUTTON'].includes(el.tagName) ? el.textContent : '';
  const name = [el.getAttribute('aria-label'), byIds, byLabel, el.getAttribute('title'), ownText]
    .map(v => (v || '').trim()).find(Boolean);
  return !name;
}).map(el => el.id || el.outerHTML.slice(0, 120))
"""
