// @ts-check

/**
 * The service worker. /sw.js serves this file behind one generated line that sets
 * self.pijarConfig: the pages' config plus the app shell (precache, pages, offline,
 * scripts).
 *
 * Pages: network first (short timeout when a copy is cached), then the cache, then
 * /offline. A volunteer page the server turns away (an expired session: a redirect to
 * the login page, or a 401) comes from the cache while the phone holds a device token:
 * the app keeps working and the password is asked for only when sending needs it.
 * Static files: cache first. /api/: never touched. The first version takes over at once;
 * later ones wait until a page says no form is half filled.
 */
(() => {
  'use strict';

  const CONFIG = self.pijarConfig;
  const SHELL = CONFIG.shell;
  if (!SHELL) throw new Error('/sw.js puts the app shell before this file');
  const PRECACHE = SHELL.precache;
  const OFFLINE_URL = SHELL.offline;
  const CACHE_PREFIX = CONFIG.cachePrefix;
  const CACHE_NAME = CACHE_PREFIX + CONFIG.version;
  const BACKGROUND_SYNC_TAG = CONFIG.backgroundSyncTag;
  const NAVIGATION_TIMEOUT_MS = 4000;
  const STATIC_PREFIX = CONFIG.urls.static;
  const API_PREFIX = '/api/'; // every version of the API
  /** @type {SyncStatus[]} */
  const RETRY_LATER = ['offline', 'retry'];

  importScripts(...SHELL.scripts);

  const worker = /** @type {ServiceWorkerGlobalScope & typeof globalThis} */ (self);
  const shellPages = new Set(SHELL.pages);
  const shellFiles = new Set(PRECACHE);

  /**
   * Background Sync's event, which TypeScript's worker types do not have.
   * @typedef {ExtendableEvent & {tag: string}} BackgroundSyncEvent
   */

  /** Fetch one shell URL for the cache; a redirect (e.g. to /login) is a failure. @param {string} url */
  async function fetchForCache(url) {
    const response = await fetch(new Request(url, { cache: 'reload', credentials: 'same-origin' }));
    if (!response.ok || response.redirected) throw new Error(`cannot precache ${url}: ${response.status}`);
    return response;
  }

  /**
   * Store the whole shell; any failure fails the install and the old version stays.
   * Each body is stored as soon as it arrives: holding responses unread would keep the
   * browser's few connections per host busy and stall the rest.
   */
  async function precache() {
    const cache = await caches.open(CACHE_NAME);
    await Promise.all(PRECACHE.map(async (url) => {
      await cache.put(url, await fetchForCache(url));
    }));
  }

  /** Put back shell entries that are missing (e.g. pages forgotten at logout). */
  async function refillShell() {
    const cache = await caches.open(CACHE_NAME);
    for (const url of PRECACHE) {
      if (await cache.match(url)) continue;
      try {
        await cache.put(url, await fetchForCache(url));
      } catch (err) {
        return; // offline or logged out: try again next time
      }
    }
  }

  /** Drop the caches of older versions. */
  async function deleteOldCaches() {
    for (const name of await caches.keys()) {
      if (name.startsWith(CACHE_PREFIX) && name !== CACHE_NAME) await caches.delete(name);
    }
  }

  /** @param {number} ms @returns {Promise<undefined>} */
  function delay(ms) {
    return new Promise((resolve) => { setTimeout(resolve, ms); });
  }

  /** Logged out on the server's side (the browser follows a redirect itself). @param {Response} response */
  function turnedAway(response) {
    return response.type === 'opaqueredirect' || response.redirected || response.status === 401;
  }

  /** The phone can still send: a device token is kept (logout.js deletes it). */
  async function holdsDeviceToken() {
    try {
      const device = await worker.pijarOutbox.getMeta(worker.pijarOutbox.META.device);
      return Boolean(device && device.token);
    } catch (err) {
      return false;
    }
  }

  /** @param {FetchEvent} event a page's request */
  async function navigate(event) {
    const url = new URL(event.request.url);
    const key = shellPages.has(url.pathname) ? url.pathname : null;
    const cache = await caches.open(CACHE_NAME);
    const cached = key ? await cache.match(key) : undefined;
    const network = fetch(event.request).then(async (response) => {
      if (key && response.ok && response.type === 'basic' && !response.redirected) {
        await cache.put(key, response.clone());
      }
      return response;
    });
    event.waitUntil(network.catch(() => undefined));
    try {
      // A dead server can look online for a long time: don't keep the volunteer waiting.
      const first = cached ? await Promise.race([network, delay(NAVIGATION_TIMEOUT_MS)]) : await network;
      if (first && cached && turnedAway(first) && (await holdsDeviceToken())) return cached;
      if (first) return first;
    } catch (err) {
      // offline: fall through to the cache
    }
    return cached || (await cache.match(OFFLINE_URL)) || Response.error();
  }

  /** @param {Request} request */
  async function cacheFirst(request) {
    const cache = await caches.open(CACHE_NAME);
    const cached = await cache.match(request, { ignoreVary: true });
    if (cached) return cached;
    const response = await fetch(request);
    if (response.ok && new URL(request.url).pathname.startsWith(STATIC_PREFIX)) {
      await cache.put(request, response.clone());
    }
    return response;
  }

  /** Background Sync: send the outbox; a failure asks the browser to try again later. */
  async function backgroundSend() {
    const result = await worker.pijarSync.syncNow();
    if (RETRY_LATER.includes(result.status)) throw new Error(`sync: ${result.status}`);
  }

  worker.addEventListener('install', (event) => {
    event.waitUntil(precache().then(() => {
      // First install: take over now. An update waits for a page's go-ahead.
      if (!worker.registration.active) return worker.skipWaiting();
      return undefined;
    }));
  });

  worker.addEventListener('activate', (event) => {
    event.waitUntil(deleteOldCaches().then(() => worker.clients.claim()));
  });

  worker.addEventListener('fetch', (event) => {
    const request = event.request;
    if (request.method !== 'GET') return;
    const url = new URL(request.url);
    if (url.origin !== worker.location.origin || url.pathname.startsWith(API_PREFIX)) return;
    if (request.mode === 'navigate') {
      event.respondWith(navigate(event));
    } else if (url.pathname.startsWith(STATIC_PREFIX) || shellFiles.has(url.pathname)) {
      event.respondWith(cacheFirst(request));
    }
  });

  worker.addEventListener('message', (event) => {
    const type = event.data && event.data.type;
    if (type === 'activate-update') worker.skipWaiting();
    if (type === 'refill-shell') event.waitUntil(refillShell());
  });

  worker.addEventListener('sync', (event) => {
    const sync = /** @type {BackgroundSyncEvent} */ (event);
    if (sync.tag === BACKGROUND_SYNC_TAG) sync.waitUntil(backgroundSend());
  });
})();
