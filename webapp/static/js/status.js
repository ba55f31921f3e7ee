// @ts-check

/**
 * What every volunteer page shows about the phone: online or not, records not yet
 * sent, and whether the volunteer must log in again before anything can be sent.
 * Also the small helpers the page scripts share (texts from the template, dates, the
 * words for where a record stands).
 */
(() => {
  'use strict';

  const TEXTS_ID = 'pijar-texts';
  const META = self.pijarConfig.meta;

  /**
   * A UI text rendered (translated) by the server into <template id="pijar-texts">.
   * @param {string} key
   */
  function uiText(key) {
    const texts = document.getElementById(TEXTS_ID);
    const found = texts instanceof HTMLTemplateElement && texts.content.querySelector(`[data-text="${key}"]`);
    return found ? (found.textContent || '').trim() : key;
  }

  /**
   * Where a record stands, in the volunteer's words: waiting or needs fixing on the
   * phone; once sent, what the office made of it (in review until it says otherwise).
   * @param {Pick<OutboxItem, 'state' | 'server_status'>} item
   */
  function statusText(item) {
    if (item.state !== 'sent') return uiText(`state.${item.state}`);
    return uiText(`status.${item.server_status || 'in_review'}`);
  }

  /**
   * Why the phone set a record aside to be fixed, in the volunteer's words; '' for no reason.
   * @param {Pick<OutboxItem, 'problem'>} item
   */
  function problemText(item) {
    return item.problem ? uiText(`problem.${item.problem}`) : '';
  }

  /** DD-MM-YYYY HH:MM, on the phone's clock. @param {string | null | undefined} iso */
  function formatDateTime(iso) {
    if (!iso) return '';
    const d = new Date(iso);
    const pad = (/** @type {number} */ n) => String(n).padStart(2, '0');
    return `${pad(d.getDate())}-${pad(d.getMonth() + 1)}-${d.getFullYear()} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
  }

  function showOnlineState() {
    const online = navigator.onLine !== false;
    for (const el of document.querySelectorAll('[data-online-status]')) {
      if (!(el instanceof HTMLElement)) continue;
      el.dataset.state = online ? 'online' : 'offline';
      for (const label of el.querySelectorAll('[data-when]')) {
        if (label instanceof HTMLElement) label.hidden = label.dataset.when !== el.dataset.state;
      }
    }
  }

  async function showPhoneState() {
    const outbox = self.pijarOutbox;
    const [counts, authNeeded] = await Promise.all([outbox.counts(), outbox.getMeta(META.authNeeded)]);
    for (const el of document.querySelectorAll('[data-auth-needed]')) {
      if (el instanceof HTMLElement) el.hidden = !authNeeded;
    }
    const unsent = counts.waiting + counts.needs_fix;
    for (const el of document.querySelectorAll('[data-pending-badge]')) {
      if (!(el instanceof HTMLElement)) continue;
      el.hidden = unsent === 0;
      const count = el.querySelector('[data-pending-count]');
      if (count) count.textContent = String(unsent);
    }
  }

  async function startPhoneStatus() {
    if (!(await self.pijarOutbox.available())) return; // the server-only pages still work
    document.documentElement.dataset.outbox = 'on';
    for (const el of document.querySelectorAll('[data-phone-status]')) {
      if (el instanceof HTMLElement) el.hidden = false;
    }
    showOnlineState();
    window.addEventListener('online', showOnlineState);
    window.addEventListener('offline', showOnlineState);
    self.pijarOutbox.onChange(showPhoneState);
    await showPhoneState();
    self.pijarAutosync.start();
  }

  /** @type {PijarUi} */
  const ui = { text: uiText, formatDateTime, statusText, problemText };
  self.pijarUi = ui;
  startPhoneStatus();
})();
