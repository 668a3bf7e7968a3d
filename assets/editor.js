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

// Dialogs opened from the state (Promote, Split, Review, a version's text, a validator) have
// no Radix trigger to give the focus back to, so closing one left it on <body>. One helper
// for all of them: remember the last control focused outside any dialog; when a dialog goes
// away and the focus is nowhere, focus that control again, or, if a confirm re-rendered it
// away, the first control of the nearest part of the page that still exists (a History row).
if (!window.__promptEditorFocusReturn) {
  window.__promptEditorFocusReturn = true;
  var DIALOGS = '[role=dialog], [role=alertdialog]';
  var FOCUSABLE = 'button:not([disabled]), a[href], input:not([disabled]), select, ' +
    'textarea, [tabindex]:not([tabindex="-1"])';
  var opener = null; // {el, id, scopes: ids of its ancestors, nearest first}
  var pendingUntil = 0;
  var dialogOpen = false;
  var restoring = false;
  var nowhere = function () {
    var a = document.activeElement;
    return !a || a === document.body || a === document.documentElement || !a.isConnected;
  };
  document.addEventListener('focusin', function (event) {
    var el = event.target;
    if (!(el instanceof Element) || el.closest(DIALOGS) ||
        el.hasAttribute('data-radix-focus-guard')) {
      return;
    }
    var scopes = [];
    for (var p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      if (p.id) { scopes.push(p.id); }
    }
    opener = {el: el, id: el.id, scopes: scopes};
    if (!restoring) { pendingUntil = 0; } // the user moved on
  }, true);
  document.addEventListener('pointerdown', function (event) {
    if (!(event.target instanceof Element) || !event.target.closest(DIALOGS)) {
      pendingUntil = 0;
    }
  }, true);
  var target = function () {
    if (!opener) { return null; }
    if (opener.el.isConnected) { return opener.el; }
    var same = opener.id && document.getElementById(opener.id);
    if (same) { return same; }
    for (var i = 0; i < opener.scopes.length; i++) {
      var scope = document.getElementById(opener.scopes[i]);
      if (scope) {
        var first = scope.querySelector(FOCUSABLE);
        if (first) { return first; }
        scope.setAttribute('tabindex', '-1');
        return scope;
      }
    }
    return null;
  };
  var giveBack = function () {
    if (Date.now() > pendingUntil || document.querySelector(DIALOGS) || !nowhere()) { return; }
    var el = target();
    if (el) {
      restoring = true;
      try { el.focus(); } finally { restoring = false; }
    }
  };
  new MutationObserver(function () {
    var open = !!document.querySelector(DIALOGS);
    if (dialogOpen && !open) {
      // Radix moves the focus on close after a tick; the state may re-render the list later.
      pendingUntil = Date.now() + 3000;
    }
    dialogOpen = open;
    if (!open && pendingUntil) {
      // and again while a confirm's answer may still re-render the opener away
      [30, 300, 1000, 2500].forEach(function (ms) { window.setTimeout(giveBack, ms); });
    }
  // Radix portals an open dialog into <body> itself: its direct children are enough to
  // watch (with the whole subtree, every keystroke's DOM changes in the editor and the
  // preview went through this observer).
  }).observe(document.body, {childList: true});

  // Enter in the Promote dialog's reason field confirms, as in a form, unless it is disabled.
  document.addEventListener('keydown', function (event) {
    var el = event.target;
    if (event.key !== 'Enter' || event.isComposing || event.shiftKey || event.ctrlKey ||
        event.metaKey || event.altKey || !(el instanceof Element) || el.id !== 'promote-reason') {
      return;
    }
    var confirm = document.getElementById('promote-confirm');
    if (confirm && !confirm.disabled) {
      event.preventDefault();
      // after the field's own Enter handling, which sends its text first
      window.setTimeout(function () { confirm.click(); }, 0);
    }
  });
}
