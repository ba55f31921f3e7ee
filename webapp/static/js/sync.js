// @ts-check

/**
 * The sync engine, shared by the pages and the service worker: sends the outbox in
 * batches, one sender at a time across tabs, and applies what the server answers.
 * Nothing leaves the outbox here except on a server receipt (see outbox.js).
 * Needs self.pijarConfig, idb and outbox.js loaded first.
 */
(() => {
  'use strict';

  const CONFIG = self.pijarConfig;
  const SYNC_URL = CONFIG.urls.sync;
  const LOCK_NAME = CONFIG.lockName;
  const BACKGROUND_SYNC_TAG = CONFIG.backgroundSyncTag;
  const META = CONFIG.meta;
  const BATCH_SIZE = 100;
  const TOO_LARGE = 413;
  const REQUEST_TIMEOUT_MS = 30000;
  const RETRY_STATUSES = [408, 429];
  const BACKOFF_BASE_MS = 2000;
  const BACKOFF_CAP_MS = 3 * 60 * 1000;
  const BUSY_RETRY_MS = 3000;

  /**
   * One POST's outcome, classified.
   * @typedef {{status: 'ok', body: SyncResponse}
   *   | {status: SyncStatus, retryAfterMs?: number, httpStatus?: number}} BatchAnswer
   */

  /**
   * Run `task` unless another tab (or the service worker) is already sending.
   * @param {() => Promise<SyncResult>} task
   * @returns {Promise<SyncResult>}
   */
  async function exclusively(task) {
    const locks = navigator.locks;
    if (!locks) return task();
    return locks.request(LOCK_NAME, { ifAvailable: true }, (lock) =>
      lock ? task() : { status: 'busy', sent: 0, needsFix: 0 });
  }

  /** Retry-After in milliseconds, if the server sent one. @param {Response} response */
  function retryAfterMs(response) {
    const seconds = Number(response.headers.get('Retry-After'));
    return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined;
  }

  /**
   * POST one batch. Resolves with the parsed answer or a classified failure; never throws.
   * @param {string} token
   * @param {{device: object, cursor: string | null, items: SyncItem[]}} body
   * @returns {Promise<BatchAnswer>}
   */
  async function postBatch(token, body) {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), REQUEST_TIMEOUT_MS);
    try {
      const response = await fetch(SYNC_URL, {
        method: 'POST',
        credentials: 'same-origin', // the server reads the language cookie for its messages
        cache: 'no-store',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
        body: JSON.stringify(body),
        signal: abort.signal,
      });
      if (response.ok) return { status: 'ok', body: await response.json() };
      if (response.status === 401) return { status: 'auth', httpStatus: 401 };
      if (response.status >= 500 || RETRY_STATUSES.includes(response.status)) {
        return { status: 'retry', retryAfterMs: retryAfterMs(response), httpStatus: response.status };
      }
      return { status: 'stuck', httpStatus: response.status };
    } catch (err) {
      return { status: 'offline' }; // no connection, a timeout, or a body cut short
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * The next records to send: the oldest waiting ones, none the server already answered
   * in this run (a record it left waiting would otherwise be sent round and round).
   * @param {OutboxItem[]} oldestWaiting waiting records, oldest first
   * @param {Set<string>} tried client ids answered in this run
   * @param {number} size
   */
  function pickBatch(oldestWaiting, tried, size) {
    return oldestWaiting.filter((i) => !tried.has(i.client_id)).slice(0, size);
  }

  /** After a 413 (too large): half as many; null when one record was already too many. @param {number} size */
  function smallerBatch(size) {
    return size > 1 ? Math.ceil(size / 2) : null;
  }

  /**
   * Send every waiting record, batch by batch, then stop at the first failure.
   * With `force`, one request is made even when nothing waits (heartbeat and updates).
   * @param {SyncOptions} [options]
   * @returns {Promise<SyncResult>}
   */
  async function sendOutbox(options = {}) {
    const outbox = self.pijarOutbox;
    const device = await outbox.getMeta(META.device);
    if (!device || !device.token) {
      await outbox.setMeta(META.authNeeded, true);
      return { status: 'auth', sent: 0, needsFix: 0 };
    }
    let sent = 0;
    let needsFix = 0;
    let force = Boolean(options.force);
    let batchSize = BATCH_SIZE;
    /** @type {Set<string>} */
    const tried = new Set();
    for (;;) {
      const items = pickBatch(await outbox.waitingBatch(batchSize + tried.size), tried, batchSize);
      if (items.length === 0 && !force) break;
      force = false;
      const counts = await outbox.counts();
      const answer = await postBatch(device.token, {
        device: { app_version: CONFIG.version, pending: counts.waiting, needs_fix: counts.needs_fix },
        cursor: (await outbox.getMeta(META.cursor)) ?? null,
        items: items.map((i) => ({
          client_id: i.client_id, form_version: i.form_version,
          captured_at: i.captured_at, payload: i.payload,
        })),
      });
      const smaller = answer.status !== 'ok' && answer.httpStatus === TOO_LARGE ? smallerBatch(batchSize) : null;
      if (smaller) { // too big: try smaller batches
        batchSize = smaller;
        continue;
      }
      if (answer.status !== 'ok') {
        await outbox.markAttempted(items.map((i) => i.client_id));
        await outbox.setMeta(META.lastError, { at: new Date().toISOString(), status: answer.httpStatus || 0 });
        if (answer.status === 'auth') await outbox.setMeta(META.authNeeded, true);
        return { status: answer.status, sent, needsFix, retryAfterMs: answer.retryAfterMs };
      }
      items.forEach((i) => tried.add(i.client_id));
      const applied = await outbox.applySyncResponse(items, answer.body);
      sent += applied.acknowledged - applied.needsFix;
      needsFix += applied.needsFix;
      await outbox.setMeta(META.lastSyncAt, new Date().toISOString());
      if (await outbox.getMeta(META.authNeeded)) await outbox.deleteMeta(META.authNeeded);
    }
    return { status: sent || needsFix ? 'sent' : 'idle', sent, needsFix };
  }

  /**
   * Send now, unless another sender is busy. Safe to call from anywhere, any time.
   * @param {SyncOptions} [options]
   */
  async function syncNow(options = {}) {
    return exclusively(() => sendOutbox(options));
  }

  /**
   * How long to wait before retry number `attempt` (1, 2, ...): exponential, capped,
   * with jitter so that phones coming back together do not all knock at once.
   * @param {number} attempt
   * @param {number} [serverHintMs] the server's Retry-After, respected as a minimum
   */
  function backoffDelay(attempt, serverHintMs) {
    const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, attempt - 1));
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    return Math.max(delay, Math.min(serverHintMs || 0, BACKOFF_CAP_MS));
  }

  /** Ask the browser to wake the service worker to send when it has a connection. */
  async function requestBackgroundSync() {
    try {
      if (!('serviceWorker' in navigator)) return false;
      // Background Sync is not in every browser, nor in TypeScript's DOM types.
      const registration = /** @type {ServiceWorkerRegistration & {sync?: {register(tag: string): Promise<void>}} | undefined} */ (
        await navigator.serviceWorker.getRegistration());
      if (!registration || !registration.sync || !registration.active) return false;
      await registration.sync.register(BACKGROUND_SYNC_TAG);
      return true;
    } catch (err) {
      return false; // Background Sync is an extra trigger only; the timer still runs
    }
  }

  /** @type {PijarSync} */
  const sync = { syncNow, backoffDelay, requestBackgroundSync, pickBatch, smallerBatch, BUSY_RETRY_MS };
  self.pijarSync = sync;
})();
