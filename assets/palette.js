// Ctrl/Cmd+K opens the command palette (components/palette.py) on every signed-in page, by
// clicking its navbar button; the dialog itself handles arrows, Enter and Escape.
if (!window.__promptPaletteShortcut) {
  window.__promptPaletteShortcut = true;
  window.addEventListener('keydown', function (event) {
    if ((event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === 'k') {
      var button = document.getElementById('palette-open');
      if (button && !document.getElementById('command-palette')) {
        event.preventDefault();
        button.click();
      } else if (button) {
        event.preventDefault();  // already open: keep the browser's own Ctrl+K away
      }
    }
  });
}
