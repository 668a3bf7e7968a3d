// The prompt editor's browser-side guards, loaded by pages/editor (rx.script src).
if (!window.__promptEditorGuard) {
  window.__promptEditorGuard = true;
  // Ctrl/Cmd+S saves the draft now instead of saving the web page.
  window.addEventListener('keydown', function (event) {
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 's') {
      var button = document.getElementById('save-now');
      if (button) {
        event.preventDefault();
        button.click();
      }
    }
  });
  window.addEventListener('beforeunload', function (event) {
    var el = document.getElementById('save-status');
    var state = el && el.getAttribute('data-state');
    if (state && state !== 'saved' && state !== 'readonly') {
      event.preventDefault();
      event.returnValue = '';
    }
  });

  // A safety net in this browser: the text typed is kept in localStorage until the server
  // has saved it, and offered back if the tab was closed or the server lost it first.
  var PREFIX = 'promptrepo:unsaved:';
  var promptKey = function () {
    var m = window.location.pathname.match(/^\/projects\/[^/]+\/prompts\/([^/]+)/);
    return m ? PREFIX + m[1] : null;
  };
  document.addEventListener('input', function (event) {
    var area = event.target;
    var key = promptKey();
    if (area && area.id === 'prompt-content' && !area.readOnly && key) {
      try {
        localStorage.setItem(key, JSON.stringify({text: area.value, at: Date.now()}));
      } catch (e) { /* storage full or disabled: the server copy still applies */ }
    }
  }, true);
  new MutationObserver(function (mutations) {
    mutations.forEach(function (m) {
      if (m.target.id === 'save-status' && m.oldValue && m.oldValue !== 'saved' &&
          m.target.getAttribute('data-state') === 'saved') {
        var key = promptKey();
        if (key) { localStorage.removeItem(key); }
      }
    });
  }).observe(document.documentElement, {
    attributes: true, attributeFilter: ['data-state'], attributeOldValue: true, subtree: true
  });
  var offerBackup = function (area, key, kept) {
    var box = document.createElement('div');
    box.id = 'local-backup';
    box.setAttribute('role', 'alert');
    box.style.cssText = 'border:1px solid var(--amber-7);background:var(--amber-3);' +
      'color:var(--amber-12);border-radius:6px;padding:0.5rem 0.75rem;font-size:0.85rem;' +
      'display:flex;gap:0.75rem;align-items:center;flex-wrap:wrap;width:100%';
    var when = new Date(kept.at || Date.now()).toLocaleString();
    var text = document.createElement('span');
    text.textContent = 'This browser kept text you typed here that was never saved (' +
      kept.text.length + ' characters, ' + when + ').';
    var restore = document.createElement('button');
    restore.id = 'restore-local';
    restore.textContent = 'Restore it';
    var discard = document.createElement('button');
    discard.id = 'discard-local';
    discard.textContent = 'Discard';
    [restore, discard].forEach(function (b) {
      b.type = 'button';
      b.style.cssText = 'border:1px solid currentColor;border-radius:4px;padding:2px 8px;' +
        'background:transparent;color:inherit;cursor:pointer';
    });
    restore.addEventListener('click', function () {
      var setter = Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value').set;
      setter.call(area, kept.text);
      area.dispatchEvent(new Event('input', {bubbles: true}));
      box.remove();
      area.focus();
    });
    discard.addEventListener('click', function () {
      localStorage.removeItem(key);
      box.remove();
    });
    box.appendChild(text);
    box.appendChild(restore);
    box.appendChild(discard);
    area.parentNode.insertBefore(box, area);
  };
  window.setInterval(function () {
    var area = document.getElementById('prompt-content');
    var key = promptKey();
    if (!area || !key || area.readOnly || area.getAttribute('data-backup-checked')) { return; }
    area.setAttribute('data-backup-checked', '1');
    var old = document.getElementById('local-backup');
    if (old) { old.remove(); }
    var kept = null;
    try { kept = JSON.parse(localStorage.getItem(key) || 'null'); } catch (e) { kept = null; }
    if (!kept || typeof kept.text !== 'string' || kept.text === area.value) {
      localStorage.removeItem(key);
      return;
    }
    offerBackup(area, key, kept);
  }, 400);
}
