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
  const META = self.pijarOutbox.META;
  /** @type {Record<OutboxState, number>} the outbox list: what needs the volunteer first */
  const LIST_ORDER = { needs_fix: 0, waiting: 1, sent: 2 };

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
   * A text with `{name}` placeholders filled in (the template renders them so).
   * @param {string} key @param {Record<string, string>} values
   */
  function fillText(key, values) {
    return uiText(key).replace(/\{(\w+)\}/g, (whole, name) => (name in values ? values[name] : whole));
  }

  /**
   * Where a record stands, in the volunteer's words: waiting or needs fixing on the
   * phone; once sent, what the office made of it (in review until it says otherwise),
   * with the KPJ number once enrolled and the kept reference of a duplicate.
   * @param {Pick<OutboxItem, 'state' | 'server_status' | 'kpj' | 'duplicate_of'>} item
   */
  function statusText(item) {
    if (item.state !== 'sent') return uiText(`state.${item.state}`);
    const status = item.server_status || 'in_review';
    if (status === 'enrolled' && item.kpj) return fillText('status.enrolled_kpj', { kpj: item.kpj });
    if (status === 'duplicate' && item.duplicate_of) {
      return fillText('status.duplicate_of', { ref: item.duplicate_of });
    }
    return uiText(`status.${status}`);
  }

  /**
   * '' unless the office gave the record another reference than the phone showed: then
   * the words saying so, with the number the worker may have been given.
   * @param {Pick<OutboxItem, 'ref' | 'local_ref'>} item
   */
  function refNote(item) {
    return self.pijarOutbox.refChanged(item) ? fillText('ref.changed', { old: item.local_ref }) : '';
  }

  /**
   * The phone's counters, which add up: waiting + needs_fix + sent = total, and the sent
   * ones by what the office made of them (in review until it says otherwise).
   * @param {Pick<OutboxItem, 'state' | 'server_status'>[]} items
   * @returns {OutboxTally}
   */
  function tally(items) {
    /** @type {OutboxTally} */
    const counts = { waiting: 0, needs_fix: 0, sent: 0, total: items.length, atOffice: {} };
    for (const item of items) {
      counts[item.state] += 1;
      if (item.state !== 'sent') continue;
      const status = item.server_status || 'in_review';
      counts.atOffice[status] = (counts.atOffice[status] || 0) + 1;
    }
    return counts;
  }

  /**
   * The outbox list's order: what needs fixing, then what waits, then what was sent;
   * newest first within each. Returns a new array.
   * @template {Pick<OutboxItem, 'state' | 'created_at'>} T
   * @param {T[]} items
   * @returns {T[]}
   */
  function sortForList(items) {
    return [...items].sort((a, b) =>
      (LIST_ORDER[a.state] - LIST_ORDER[b.state]) || b.created_at.localeCompare(a.created_at));
  }

  /**
   * A reference as typed: no dashes or spaces, upper case, Crockford's look-alikes read
   * as the digits they stand for (O as 0, I and L as 1). @param {string} text
   */
  function normalRef(text) {
    return text.toUpperCase().replace(/[^0-9A-Z]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  }

  /**
   * Whether a record matches what the volunteer typed in the search box: part of the
   * worker's name (any case), or of a reference (the phone's or the server's), typed
   * with or without dashes. Nothing typed matches everything.
   * @param {Pick<OutboxItem, 'name' | 'ref' | 'local_ref'>} item
   * @param {string} query
   */
  function matchesSearch(item, query) {
    const words = query.trim().toLowerCase();
    if (!words) return true;
    if ((item.name || '').toLowerCase().includes(words)) return true;
    const ref = normalRef(words);
    if (ref.length < 2) return false;
    return [item.ref, item.local_ref].some((r) => Boolean(r) && normalRef(String(r)).includes(ref));
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
    const [counts, authNeeded, deactivated] = await Promise.all([
      outbox.counts(), outbox.getMeta(META.authNeeded), outbox.getMeta(META.accountDeactivated),
    ]);
    for (const el of document.querySelectorAll('[data-auth-needed]')) {
      // Logging in again would not help a deactivated account: that banner says so instead.
      if (el instanceof HTMLElement) el.hidden = !authNeeded || Boolean(deactivated);
    }
    for (const el of document.querySelectorAll('[data-deactivated]')) {
      if (el instanceof HTMLElement) el.hidden = !deactivated;
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
  const ui = {
    text: uiText, fillText, formatDateTime, statusText, problemText, refNote, tally, sortForList, matchesSearch,
  };
  self.pijarUi = ui;
  startPhoneStatus();
})();
