// @ts-check

/**
 * Installs the service worker (from the volunteer pages only), brings in a new version
 * only while no form is half filled, and asks once for storage that the browser
 * will not clear on its own.
 */
(() => {
  'use strict';

  const CONFIG = self.pijarConfig;
  const WORKER_URL = CONFIG.urls.worker;
  const WORKER_SCOPE = '/';
  const PRISTINE_EVENT = CONFIG.events.pristine;
  const RELOADED_FLAG = CONFIG.session.reloadedForUpdate; // read by register-save.js
  const PERSIST_ASKED = CONFIG.meta.persistAsked;
  const DIRTY_FORM = 'form[data-dirty]';

  let reloadOnTakeover = false;

  /** True when reloading the page would lose nothing the volunteer typed. */
  function safeToReload() {
    return document.querySelector(DIRTY_FORM) === null;
  }

  /**
   * A new version is installed and waiting: start it now if nothing would be lost,
   * otherwise as soon as the form is saved or emptied.
   * @param {ServiceWorker} waiting
   */
  function offerUpdate(waiting) {
    const activate = () => {
      if (!safeToReload()) return false;
      reloadOnTakeover = true;
      waiting.postMessage({ type: 'activate-update' });
      return true;
    };
    if (activate()) return;
    const retry = () => { if (activate()) document.removeEventListener(PRISTINE_EVENT, retry); };
    document.addEventListener(PRISTINE_EVENT, retry);
  }

  /** @param {ServiceWorkerRegistration} registration */
  function watchForUpdates(registration) {
    // Only an update has a controller already; the first install takes over by itself.
    if (registration.waiting && navigator.serviceWorker.controller) offerUpdate(registration.waiting);
    registration.addEventListener('updatefound', () => {
      const installing = registration.installing;
      if (!installing) return;
      installing.addEventListener('statechange', () => {
        if (installing.state === 'installed' && navigator.serviceWorker.controller) offerUpdate(installing);
      });
    });
    navigator.serviceWorker.addEventListener('controllerchange', () => {
      if (!reloadOnTakeover) return;
      sessionStorage.setItem(RELOADED_FLAG, '1');
      window.location.reload();
    });
    // A volunteer may keep the app open for hours: look for a new version now and then.
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') registration.update().catch(() => undefined);
    });
  }

  async function registerWorker() {
    if (!('serviceWorker' in navigator)) return;
    try {
      const registration = await navigator.serviceWorker.register(WORKER_URL, { scope: WORKER_SCOPE });
      watchForUpdates(registration);
      const controller = navigator.serviceWorker.controller;
      if (controller && navigator.onLine !== false) controller.postMessage({ type: 'refill-shell' });
    } catch (err) {
      console.warn('service worker not installed', err); // the online pages still work
    }
  }

  /** Ask once that the browser keep the outbox even when the phone runs short of space. */
  async function askForPersistentStorage() {
    const storage = navigator.storage;
    if (!storage || !storage.persist || !self.pijarOutbox) return;
    try {
      if (await storage.persisted()) return;
      if (await self.pijarOutbox.getMeta(PERSIST_ASKED)) return;
      await self.pijarOutbox.setMeta(PERSIST_ASKED, new Date().toISOString());
      await storage.persist();
    } catch (err) {
      // not offered here; the storage warning on the home page still helps
    }
  }

  // Only the form shows a receipt again after an update (register-save.js reads the flag).
  if (!document.querySelector('[data-saved-receipt]')) sessionStorage.removeItem(RELOADED_FLAG);
  registerWorker();
  askForPersistentStorage();
})();
