// @ts-check

/**
 * On the logout page: refuse while this phone holds records not yet at the office,
 * saying how many and what to do. Otherwise revoke the device token, forget the
 * receipts and cached pages (a phone may be shared), then log out.
 */
(() => {
  'use strict';

  const CONFIG = self.pijarConfig;
  const REVOKE_URL = CONFIG.urls.currentDevice;
  const CACHE_PREFIX = CONFIG.cachePrefix;
  const PERSONAL_PAGES = CONFIG.urls.home; // cached pages under it show the volunteer's name
  const META = CONFIG.meta;
  // What belongs to the volunteer logging out; persist_asked stays with the phone.
  const PERSONAL_META = [META.device, META.cursor, META.lastSyncAt, META.authNeeded, META.lastError];
  const REVOKE_TIMEOUT_MS = 5000;

  /** @param {HTMLFormElement} form @returns {Promise<boolean>} true when logging out is refused */
  async function refuseIfUnsent(form) {
    const counts = await self.pijarOutbox.counts();
    if (counts.waiting + counts.needs_fix === 0) return false;
    const text = (form.dataset.unsentMessage || '')
      .replace('{waiting}', String(counts.waiting)).replace('{needs_fix}', String(counts.needs_fix));
    let notice = document.querySelector('[data-logout-blocked]');
    if (!notice) {
      notice = document.createElement('p');
      notice.className = 'notice notice-error';
      notice.setAttribute('role', 'alert');
      notice.setAttribute('data-logout-blocked', '');
      form.before(notice);
    }
    notice.textContent = text;
    const button = form.querySelector('button[type=submit]');
    if (button instanceof HTMLButtonElement) button.disabled = true;
    return true;
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
    if (await refuseIfUnsent(form)) return; // saved in another tab meanwhile
    const device = await outbox.getMeta(META.device);
    if (device && device.token) await revokeToken(device.token);
    for (const key of PERSONAL_META) await outbox.deleteMeta(key);
    await outbox.clearReceipts();
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
      refused = await refuseIfUnsent(form);
      if (!refused) form.addEventListener('submit', onLogoutSubmit);
    } finally {
      if (!refused && button instanceof HTMLButtonElement) button.disabled = false;
    }
  }

  startLogout();
})();
