// The prompt editor's browser-side guards, loaded by pages/editor (rx.script src).
if (!window.__promptEditorGuard) {
  window.__promptEditorGuard = true;
  // Ctrl/Cmd+S saves the draft now instead of saving the web page.
  window.addEventListener('keydown', function (event) {
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 's') {
      var button = document.getElementById('save-now');
      if (button) {
        event.preventDefault();
        // The code editor sends its text once typing pauses: the last keys go first.
        if (window.__promptEditorFlush) {
          window.__promptEditorFlush(true); // settled: its save starts at once
        }
        button.click();
      }
    }
  });
  window.addEventListener('beforeunload', function (event) {
    var el = document.getElementById('save-status');
    var state = el && el.getAttribute('data-state');
    var unsent = document.documentElement.hasAttribute('data-unsent-edits');
    if (unsent || (state && state !== 'saved' && state !== 'readonly')) {
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
  // The code editor (components/code_editor.jsx) announces each edit the user makes.
  window.addEventListener('prompt-editor-change', function (event) {
    var view = window.__promptEditorView;
    var key = promptKey();
    if (view && !view.state.readOnly && key) {
      try {
        localStorage.setItem(key, JSON.stringify({text: event.detail, at: Date.now()}));
      } catch (e) { /* storage full or disabled: the server copy still applies */ }
    }
  });
  new MutationObserver(function (mutations) {
    mutations.forEach(function (m) {
      if (m.target.id === 'save-status' && m.oldValue && m.oldValue !== 'saved' &&
          m.target.getAttribute('data-state') === 'saved' &&
          !document.documentElement.hasAttribute('data-unsent-edits')) {
        var key = promptKey();
        if (key) { localStorage.removeItem(key); }
      }
    });
  }).observe(document.documentElement, {
    attributes: true, attributeFilter: ['data-state'], attributeOldValue: true, subtree: true
  });
  var offerBackup = function (view, key, kept) {
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
      // A user edit as far as the editor is concerned: it goes to the server like typing.
      view.dispatch({changes: {from: 0, to: view.state.doc.length, insert: kept.text}});
      box.remove();
      view.focus();
    });
    discard.addEventListener('click', function () {
      localStorage.removeItem(key);
      box.remove();
    });
    box.appendChild(text);
    box.appendChild(restore);
    box.appendChild(discard);
    view.dom.parentNode.insertBefore(box, view.dom);
  };
  window.setInterval(function () {
    var view = window.__promptEditorView;
    var key = promptKey();
    if (!view || !key || !view.dom.isConnected || view.state.readOnly || view.__backupChecked) {
      return;
    }
    view.__backupChecked = true;
    var old = document.getElementById('local-backup');
    if (old) { old.remove(); }
    var kept = null;
    try { kept = JSON.parse(localStorage.getItem(key) || 'null'); } catch (e) { kept = null; }
    if (!kept || typeof kept.text !== 'string' || kept.text === view.state.doc.toString()) {
      localStorage.removeItem(key);
      return;
    }
    offerBackup(view, key, kept);
  }, 400);
}
