// @ts-check

/**
 * The registration form with the outbox: every submit is saved on the phone first,
 * online or not, confirmed at once with the worker's reference (made on the phone), and
 * the form is emptied for the next worker (draft.js keeps the drive, place and work);
 * the outbox sends it. `?fix=<client_id>` reopens a record sent back, with its messages
 * beside the fields, or one not yet sent, to change it.
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
  const RULES_META = 'meta[name=pijar-rules]'; // the rules the page came with (field/register.html)
  const RULES_URL = CONFIG.urls.rules; // else the precached copy
  const WARNED_AS_TYPED = ['nik', 'birth_date', 'sex', 'monthly_income'];

  /** @type {Promise<boolean> | null} whether the outbox works here, known shortly after load */
  let outboxCheck = null;
  let saving = false;
  /** @type {string | null} the record the receipt on screen is about */
  let shownClientId = null;
  /** @type {PhoneRules | null} */
  let rules = null;
  /** Counts checks, so that a slow one never shows its warnings over a newer state. */
  let checkRun = 0;
  /** @type {Promise<[string, unknown][]> | null} [client_id, NIK] of the records on this phone */
  let savedNiksRead = null;

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

  /**
   * The receipt above the form, kept up to date as the record travels: a card with the
   * reference the worker keeps (made on the phone, the office's should it differ), their
   * first name and the date, large enough to photograph.
   * @param {OutboxItem | undefined} item
   */
  function showReceipt(item) {
    const receipt = element('[data-saved-receipt]');
    if (!receipt || !item) return;
    const ui = self.pijarUi;
    receipt.hidden = false;
    receipt.dataset.state = item.state;
    receipt.dataset.clientId = item.client_id;
    say('[data-saved-receipt] [data-ref]', self.pijarOutbox.shownRef(item));
    say('[data-saved-receipt] [data-ref-changed]', ui.refNote(item));
    say('[data-saved-receipt] [data-slot=first-name]', self.pijarDraft.firstName(item.name) || ui.text('no-name'));
    say('[data-saved-receipt] [data-slot=date]', ui.formatDateTime(item.captured_at).slice(0, 10));
    say('[data-saved-receipt] [data-slot=name]', item.name || ui.text('no-name'));
    say('[data-saved-receipt] [data-slot=nik]', item.masked_nik);
    say('[data-saved-receipt] [data-slot=status]', ui.statusText(item));
    const messages = Object.values(item.errors || {}).flat();
    const parts = [ui.problemText(item), item.note || '', ...messages];
    say('[data-saved-receipt] [data-slot=message]', parts.filter(Boolean).join(' '));
    const fix = receipt.querySelector('a[data-fix]');
    if (fix instanceof HTMLAnchorElement) {
      fix.hidden = item.state !== 'needs_fix';
      fix.href = FIX_URL + encodeURIComponent(item.client_id);
    }
  }

  /**
   * The receipt again, as its record now stands. A newer save may show another record
   * while this one reads: only the record still shown is drawn (else the worker is
   * handed the previous worker's number).
   */
  async function refreshReceipt() {
    const wanted = shownClientId;
    if (!wanted) return;
    const item = await self.pijarOutbox.get(wanted);
    if (item && item.client_id === shownClientId) showReceipt(item);
  }

  /**
   * A deactivated account saves no new registrations (what is on the phone stays, and
   * can be saved to a file); changes to its records still can be saved.
   * @param {HTMLFormElement} form
   */
  async function blockIfDeactivated(form) {
    const outbox = self.pijarOutbox;
    const deactivated = Boolean(await outbox.getMeta(outbox.META.accountDeactivated));
    const blocked = deactivated && form.dataset.fixing === undefined;
    const button = form.querySelector('button[type=submit]');
    if (button instanceof HTMLButtonElement && !saving) button.disabled = blocked;
    form.toggleAttribute('data-deactivated', blocked);
    return blocked;
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

  /**
   * The server's rules for this form: those the page came with, else /app/rules.json from
   * the service worker's cache; null without any (then the server alone checks).
   */
  async function loadRules() {
    if (rules) return rules;
    try {
      const embedded = document.querySelector(RULES_META);
      const found = embedded instanceof HTMLMetaElement ? JSON.parse(embedded.content) : await (await fetch(RULES_URL)).json();
      if (self.pijarValidate.usable(found)) rules = found;
    } catch (err) {
      console.warn('no rules to check the form with', err);
    }
    return rules;
  }

  /**
   * [client_id, NIK] of the records this phone still holds the data of (not yet sent, or
   * sent back); sent records keep only a masked NIK, and the server flags those. Read
   * again whenever the outbox changes, so that a save need not wait for it.
   * @returns {Promise<[string, unknown][]>}
   */
  async function readSavedNiks() {
    try {
      const items = await self.pijarOutbox.list();
      return items.flatMap((item) => (item.payload ? [[item.client_id, item.payload.nik]] : []));
    } catch (err) {
      return []; // no outbox here (the form posts to the server): nothing saved to compare
    }
  }

  /** The NIKs saved on this phone but that of `except` (the record being fixed). @param {string | undefined} except */
  async function savedNiks(except) {
    if (!savedNiksRead) savedNiksRead = readSavedNiks();
    return (await savedNiksRead).filter(([clientId]) => clientId !== except).map(([, nik]) => nik);
  }

  /** @param {HTMLFormElement} form @param {Payload} payload */
  async function checkForm(form, payload) {
    const [found, niks] = await Promise.all([loadRules(), savedNiks(form.dataset.fixing)]);
    return self.pijarValidate.check(payload, found, { savedNiks: niks });
  }

  /**
   * What the server would refuse, beside the fields in the form's order, nothing saved:
   * the summary lists them all and the first field takes the focus.
   * @param {HTMLFormElement} form @param {PhoneCheck} result
   */
  function refuse(form, result) {
    self.pijarForm.showMessages(form, result.errors, self.pijarUi.text('errors.title'), 'none');
    self.pijarForm.showWarnings(form, result.warnings);
    const first = Object.keys(result.errors)[0];
    let target = form.querySelector(`#${CSS.escape(first)}`);
    if (target instanceof HTMLSelectElement && target.disabled) {
      target = form.querySelector(`[data-kecamatan-for="${CSS.escape(first)}"]`); // choose the kecamatan first
    }
    if (target instanceof HTMLElement) {
      target.focus({ preventScroll: true });
      target.closest('[data-field]')?.scrollIntoView({ block: 'center' });
    }
  }

  /** What deserves a second look in the record just saved (it is saved). @param {PhoneWarning[]} warnings */
  function showSavedWarnings(warnings) {
    const box = element('[data-saved-warnings]');
    const list = box && box.querySelector('ul');
    if (!box || !list) return;
    list.replaceChildren(...warnings.map((warning) => {
      const label = self.pijarUi.text(`field.${warning.field}`);
      return Object.assign(document.createElement('li'), { textContent: `${label}: ${warning.message}` });
    }));
    box.hidden = warnings.length === 0;
  }

  /** Warnings as the NIK, birth date, sex or income change: before the save. @param {Event} event */
  async function warnAsTyped(event) {
    const field = event.target;
    if (!(field instanceof HTMLInputElement || field instanceof HTMLSelectElement)) return;
    const form = field.closest(FORM_SELECTOR);
    if (!(form instanceof HTMLFormElement) || !WARNED_AS_TYPED.includes(field.name) || saving) return;
    const run = ++checkRun;
    const result = await checkForm(form, self.pijarForm.readPayload(form));
    if (run === checkRun && !saving) self.pijarForm.showWarnings(form, result.warnings);
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
      if (await blockIfDeactivated(form)) {
        say('[data-form-notice]', self.pijarUi.text('account.deactivated'));
        return;
      }
      const payload = self.pijarForm.readPayload(form);
      const outbox = self.pijarOutbox;
      const fixing = form.dataset.fixing;
      // Checked before anything is written: what the server would refuse is not saved.
      checkRun += 1;
      const result = await checkForm(form, payload);
      if (Object.keys(result.errors).length > 0) {
        refuse(form, result);
        return;
      }
      // A record already fixed elsewhere (another tab) is saved as new: nothing typed is lost.
      const item = (fixing && (await outbox.saveCorrection(fixing, payload))) || (await outbox.add(payload));
      shownClientId = item.client_id;
      sessionStorage.setItem(LAST_RECEIPT, item.client_id);
      // The draft goes before the form empties (an update may reload the page then).
      await self.pijarDraft.saved(payload, fixing || null);
      self.pijarForm.emptyForm(form);
      self.pijarDraft.carryInto(form);
      markPristine(form);
      showReceipt(item);
      showSavedWarnings(result.warnings);
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
    if (!item || !self.pijarOutbox.editable(item) || !item.payload) {
      say('[data-form-notice]', self.pijarUi.text('fix.gone'));
      window.history.replaceState(null, '', window.location.pathname);
      return;
    }
    self.pijarForm.fillForm(form, item.payload);
    form.dataset.fixing = clientId;
    delete form.dataset.dirty;
    // A record not yet sent is changed; one sent back is fixed.
    const banner = item.state === 'waiting' ? 'edit.banner' : 'fix.banner';
    say('[data-fix-banner]', `${self.pijarUi.text(banner)} ${item.name || ''} (${self.pijarOutbox.shownRef(item)})`);
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
    document.addEventListener('change', warnAsTyped);
    if (!(await outboxCheck)) return;
    self.pijarOutbox.onChange(refreshReceipt);
    savedNiksRead = readSavedNiks();
    self.pijarOutbox.onChange(() => { savedNiksRead = readSavedNiks(); });
    if (sessionStorage.getItem(RELOADED_FOR_UPDATE)) {
      // The app updated itself right after a save: the volunteer still needs that receipt.
      sessionStorage.removeItem(RELOADED_FOR_UPDATE);
      shownClientId = sessionStorage.getItem(LAST_RECEIPT);
      await refreshReceipt();
    }
    const form = document.querySelector(FORM_SELECTOR);
    if (form instanceof HTMLFormElement) {
      await openFix(form);
      self.pijarOutbox.onChange(() => { blockIfDeactivated(form); });
      await blockIfDeactivated(form);
    }
  }

  startRegisterSave();
})();
