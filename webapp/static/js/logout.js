// @ts-check

/**
 * On the logout page: refuse while this phone holds records not yet at the office,
 * saying how many and what to do, unless every one of them is in the file last saved
 * ("Simpan ke file"): then warn that they leave the phone with the logout and that the
 * file must reach a coordinator. Logging out tells the office of pending discards if it
 * can, revokes the device token, and forgets the receipts, drafts and cached pages (a
 * phone may be shared).
 */
(() => {
  'use strict';

  const CONFIG = self.pijarConfig;
  const REVOKE_URL = CONFIG.urls.currentDevice;
  const CACHE_PREFIX = CONFIG.cachePrefix;
  const PERSONAL_PAGES = CONFIG.urls.home; // cached pages under it show the volunteer's name
  const META = self.pijarOutbox.META;
  // What belongs to the volunteer logging out. persist_asked and discarded_count stay
  // with the phone (the count is the device's, and goes on with its next login).
  const PERSONAL_META = [
    META.device, META.cursor, META.lastSyncAt, META.authNeeded, META.lastError,
    META.carryOver, META.accountDeactivated, META.lastExport,
  ];
  const REVOKE_TIMEOUT_MS = 5000;
  const LAST_SYNC_TIMEOUT_MS = 8000;

  /**
   * Where logging out stands: 'clear' (nothing unsent), 'exported' (all unsent in the
   * last file), or 'refused'.
   * @typedef {{verdict: 'clear' | 'exported' | 'refused', counts: OutboxCounts, exported?: PijarMeta['last_export']}} LogoutCheck
   */

  /** @returns {Promise<LogoutCheck>} */
  async function checkUnsent() {
    const outbox = self.pijarOutbox;
    const [counts, unsent, exported] = await Promise.all([
      outbox.counts(), outbox.unsent(), outbox.getMeta(META.lastExport),
    ]);
    if (unsent.length === 0) return { verdict: 'clear', counts };
    if (exported && outbox.coveredByExport(unsent, exported.records)) return { verdict: 'exported', counts, exported };
    return { verdict: 'refused', counts };
  }

  /**
   * The notice above the form: why logging out is refused, or what it will do.
   * @param {HTMLFormElement} form @param {LogoutCheck} check
   */
  function showCheck(form, check) {
    const drafts = document.querySelector('[data-logout-drafts]');
    const fill = (/** @type {string} */ text) => text
      .replace('{waiting}', String(check.counts.waiting)).replace('{needs_fix}', String(check.counts.needs_fix))
      .replace('{unsent}', String(check.counts.waiting + check.counts.needs_fix));
    for (const [selector, verdict, message] of /** @type {const} */ ([
      ['[data-logout-blocked]', 'refused', form.dataset.unsentMessage],
      ['[data-logout-warning]', 'exported', form.dataset.exportedMessage],
    ])) {
      let notice = document.querySelector(selector);
      if (check.verdict !== verdict) {
        if (notice instanceof HTMLElement) notice.hidden = true;
        continue;
      }
      if (!notice) {
        notice = document.createElement('p');
        notice.className = verdict === 'refused' ? 'notice notice-error' : 'notice notice-warning';
        notice.setAttribute('role', 'alert');
        notice.setAttribute(selector.slice(1, -1), '');
        (drafts || form).before(notice);
      }
      if (notice instanceof HTMLElement) notice.hidden = false;
      notice.textContent = fill(message || '')
        .replace('{exported_at}', check.exported ? formatDateTime(check.exported.at) : '');
    }
    const button = form.querySelector('button[type=submit]');
    if (button instanceof HTMLButtonElement) button.disabled = check.verdict === 'refused';
  }

  /** DD-MM-YYYY HH:MM on the phone's clock (status.js is not on this page). @param {string} iso */
  function formatDateTime(iso) {
    const d = new Date(iso);
    const pad = (/** @type {number} */ n) => String(n).padStart(2, '0');
    return `${pad(d.getDate())}-${pad(d.getMonth() + 1)}-${d.getFullYear()} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
  }

  /** A half-filled form goes with the logout: say so. */
  async function showDrafts() {
    const note = document.querySelector('[data-logout-drafts]');
    if (!(note instanceof HTMLElement)) return;
    note.hidden = (await self.pijarOutbox.draftKeys()).length === 0;
  }

  /** @param {string} token */
  async function revokeToken(token) {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), REVOKE_TIMEOUT_MS);
    try {
      await fetch(REVOKE_URL, {
        method: 'DELETE', headers: { Authorization: `Bearer ${token}` }, signal: abort.signal,
      });
    } catch (err) {
      // offline: the token is forgotten here and expires on the server
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * One last sync while the token still works, so that discards (and anything unsent)
   * reach the office under this volunteer's name; bounded, never in the way.
   */
  async function lastSync() {
    const outbox = self.pijarOutbox;
    if (!self.pijarSync || navigator.onLine === false) return;
    const [discards, unsent] = await Promise.all([outbox.pendingDiscards(), outbox.unsent()]);
    if (discards.length === 0 && unsent.length === 0) return;
    const timeout = new Promise((resolve) => { setTimeout(resolve, LAST_SYNC_TIMEOUT_MS); });
    try {
      await Promise.race([self.pijarSync.syncNow({ force: true }), timeout]);
    } catch (err) {
      // the records and discards stay; the file or the next login carries them
    }
  }

  /** Cached volunteer pages show the volunteer's name: drop them (the worker refills later). */
  async function forgetCachedPages() {
    if (typeof caches === 'undefined') return;
    for (const name of await caches.keys()) {
      if (!name.startsWith(CACHE_PREFIX)) continue;
      const cache = await caches.open(name);
      for (const request of await cache.keys()) {
        if (new URL(request.url).pathname.startsWith(PERSONAL_PAGES)) await cache.delete(request);
      }
    }
  }

  /** @param {SubmitEvent} event */
  async function onLogoutSubmit(event) {
    const form = /** @type {HTMLFormElement} */ (event.currentTarget);
    event.preventDefault();
    const outbox = self.pijarOutbox;
    const button = form.querySelector('button[type=submit]');
    if (button instanceof HTMLButtonElement) button.disabled = true;
    const check = await checkUnsent(); // saved or changed in another tab meanwhile?
    if (check.verdict === 'refused') {
      showCheck(form, check);
      return;
    }
    await lastSync();
    const after = await checkUnsent();
    if (after.verdict === 'refused') { // e.g. the office sent one back just now
      showCheck(form, after);
      return;
    }
    // In the saved file as they are: they leave the phone (another volunteer may log in next).
    if (after.exported) await outbox.removeExported(after.exported.records);
    const device = await outbox.getMeta(META.device);
    if (device && device.token) await revokeToken(device.token);
    for (const key of PERSONAL_META) await outbox.deleteMeta(key);
    await outbox.clearReceipts();
    await outbox.clearDrafts();
    await forgetCachedPages();
    form.submit();
  }

  async function startLogout() {
    const form = document.querySelector('form[data-logout-form]');
    if (!(form instanceof HTMLFormElement)) return;
    const button = form.querySelector('button[type=submit]');
    // Held until the outbox is checked, so an early tap cannot skip the check.
    if (button instanceof HTMLButtonElement) button.disabled = true;
    let refused = false;
    try {
      if (!(await self.pijarOutbox.available())) return;
      const check = await checkUnsent();
      refused = check.verdict === 'refused';
      showCheck(form, check);
      await showDrafts();
      form.addEventListener('submit', onLogoutSubmit);
    } finally {
      if (!refused && button instanceof HTMLButtonElement) button.disabled = false;
    }
  }

  startLogout();
})();
