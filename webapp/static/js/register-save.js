// @ts-check

/**
 * The registration form with the outbox: every submit is saved on the phone first,
 * online or not, confirmed at once with a local reference, and the form is emptied for
 * the next worker; the outbox sends it. `?fix=<client_id>` reopens a record the server
 * sent back, with its messages beside the fields.
 * Without IndexedDB (or JavaScript) the form posts to the server as before.
 */
(() => {
  'use strict';

  const CONFIG = self.pijarConfig;
  const FIX_URL = CONFIG.urls.fix;
  const PRISTINE = CONFIG.events.pristine;
  const LAST_RECEIPT = CONFIG.session.lastReceipt;
  const RELOADED_FOR_UPDATE = CONFIG.session.reloadedForUpdate; // set by pwa.js
  const FORM_SELECTOR = 'form.register-form';
  const FIX_PARAM = 'fix';

  /** @type {Promise<boolean> | null} whether the outbox works here, known shortly after load */
  let outboxCheck = null;
  let saving = false;
  /** @type {string | null} the record the receipt on screen is about */
  let shownClientId = null;

  /** @param {string} selector */
  function element(selector) {
    const found = document.querySelector(selector);
    return found instanceof HTMLElement ? found : null;
  }

  /** @param {string} selector @param {string} text */
  function say(selector, text) {
    const el = element(selector);
    if (!el) return;
    el.textContent = text;
    el.hidden = text === '';
  }

  /** The receipt above the form, kept up to date as the record travels. @param {OutboxItem | undefined} item */
  function showReceipt(item) {
    const receipt = element('[data-saved-receipt]');
    if (!receipt || !item) return;
    const ui = self.pijarUi;
    receipt.hidden = false;
    receipt.dataset.state = item.state;
    say('[data-local-ref]', item.local_ref);
    say('[data-saved-receipt] [data-slot=name]', item.name || ui.text('no-name'));
    say('[data-saved-receipt] [data-slot=nik]', item.masked_nik);
    say('[data-saved-receipt] [data-slot=status]', ui.statusText(item));
    say('[data-server-ref]', item.ref || '');
    const serverPart = element('[data-server-part]');
    if (serverPart) serverPart.hidden = !item.ref;
    const messages = Object.values(item.errors || {}).flat();
    const parts = [ui.problemText(item), item.note || '', ...messages];
    say('[data-saved-receipt] [data-slot=message]', parts.filter(Boolean).join(' '));
    const fix = receipt.querySelector('a[data-fix]');
    if (fix instanceof HTMLAnchorElement) {
      fix.hidden = item.state !== 'needs_fix';
      fix.href = FIX_URL + encodeURIComponent(item.client_id);
    }
  }

  async function refreshReceipt() {
    if (shownClientId) showReceipt(await self.pijarOutbox.get(shownClientId));
  }

  /** @param {HTMLFormElement} form */
  function markPristine(form) {
    delete form.dataset.dirty;
    delete form.dataset.fixing;
    say('[data-fix-banner]', '');
    say('[data-fix-note]', '');
    if (new URLSearchParams(window.location.search).has(FIX_PARAM)) {
      window.history.replaceState(null, '', window.location.pathname);
    }
    document.dispatchEvent(new Event(PRISTINE));
  }

  /** @param {HTMLFormElement} form */
  async function saveToOutbox(form) {
    const button = form.querySelector('button[type=submit]');
    if (saving) return;
    saving = true;
    if (button instanceof HTMLButtonElement) button.disabled = true;
    try {
      if (form.dataset.dirty === undefined && form.dataset.fixing === undefined) {
        say('[data-form-notice]', self.pijarUi.text('form.empty'));
        return;
      }
      say('[data-form-notice]', '');
      const payload = self.pijarForm.readPayload(form);
      const outbox = self.pijarOutbox;
      const fixing = form.dataset.fixing;
      // A record already fixed elsewhere (another tab) is saved as new: nothing typed is lost.
      const item = (fixing && (await outbox.saveCorrection(fixing, payload))) || (await outbox.add(payload));
      shownClientId = item.client_id;
      sessionStorage.setItem(LAST_RECEIPT, item.client_id);
      self.pijarForm.emptyForm(form);
      markPristine(form);
      showReceipt(item);
      element('[data-saved-receipt]')?.focus();
      window.scrollTo(0, 0);
      self.pijarAutosync.afterSave();
    } catch (err) {
      console.warn('could not save on the phone', err);
      say('[data-form-notice]', self.pijarUi.text('save.failed')); // what was typed is still in the form
    } finally {
      saving = false;
      if (button instanceof HTMLButtonElement) button.disabled = false;
    }
  }

  /** Open the record named in ?fix= with the server's messages. @param {HTMLFormElement} form */
  async function openFix(form) {
    const clientId = new URLSearchParams(window.location.search).get(FIX_PARAM);
    if (!clientId) return;
    const item = await self.pijarOutbox.get(clientId);
    if (!item || item.state !== 'needs_fix' || !item.payload) {
      say('[data-form-notice]', self.pijarUi.text('fix.gone'));
      window.history.replaceState(null, '', window.location.pathname);
      return;
    }
    self.pijarForm.fillForm(form, item.payload);
    form.dataset.fixing = clientId;
    delete form.dataset.dirty;
    say('[data-fix-banner]', `${self.pijarUi.text('fix.banner')} ${item.name || ''} (${item.ref || item.local_ref})`);
    say('[data-fix-note]', [self.pijarUi.problemText(item), item.note || ''].filter(Boolean).join(' '));
    self.pijarForm.showMessages(form, item.errors || {}, self.pijarUi.text('errors.title'));
  }

  /** Typing marks the form as half filled (no app update then); our own fills do not. */
  function watchTyping(/** @type {Event} */ event) {
    const form = event.target instanceof Element && event.target.closest(FORM_SELECTOR);
    if (form instanceof HTMLFormElement && event.isTrusted) form.dataset.dirty = '';
  }

  /**
   * Before htmx sees the submit: the outbox takes it; where IndexedDB does not work, the
   * form goes to the server as it would without JavaScript enhancements.
   * @param {Event} event
   */
  function takeSubmit(event) {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.matches(FORM_SELECTOR)) return;
    if (form.dataset.serverPost !== undefined || !outboxCheck) return;
    event.preventDefault();
    event.stopPropagation();
    outboxCheck.then((works) => {
      if (works) return saveToOutbox(form);
      form.dataset.serverPost = '';
      // Later, not now: during this submit event a new submit would be ignored.
      setTimeout(() => form.requestSubmit(), 0);
      return undefined;
    });
  }

  async function startRegisterSave() {
    outboxCheck = self.pijarOutbox.available();
    document.addEventListener('submit', takeSubmit, true);
    document.addEventListener('input', watchTyping, true);
    document.addEventListener('change', watchTyping, true);
    if (!(await outboxCheck)) return;
    self.pijarOutbox.onChange(refreshReceipt);
    if (sessionStorage.getItem(RELOADED_FOR_UPDATE)) {
      // The app updated itself right after a save: the volunteer still needs that receipt.
      sessionStorage.removeItem(RELOADED_FOR_UPDATE);
      shownClientId = sessionStorage.getItem(LAST_RECEIPT);
      await refreshReceipt();
    }
    const form = document.querySelector(FORM_SELECTOR);
    if (form instanceof HTMLFormElement) await openFix(form);
  }

  startRegisterSave();
})();
