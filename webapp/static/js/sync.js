// @ts-check
'use strict';

/**
 * The sync engine, shared by the pages and the service worker: sends the outbox in
 * batches, one sender at a time across tabs, and applies what the server answers.
 * Nothing leaves the outbox here except on a server receipt (see outbox.js).
 * Needs idb and outbox.js loaded first.
 */

const SYNC_URL = '/api/v1/sync';
const BATCH_SIZE = 100;
const LOCK_NAME = 'pijar-sync';
const REQUEST_TIMEOUT_MS = 30000;
const RETRY_STATUSES = [408, 429];
const BACKOFF_BASE_MS = 2000;
const BACKOFF_CAP_MS = 3 * 60 * 1000;
const BUSY_RETRY_MS = 3000;
const BACKGROUND_SYNC_TAG = 'pijar-outbox';

/** @typedef {'sent' | 'idle' | 'offline' | 'retry' | 'auth' | 'busy' | 'stuck'} SyncStatus */
/** @typedef {{status: SyncStatus, sent: number, needsFix: number, retryAfterMs?: number}} SyncResult */

/** The app version the server records for this phone (pages: a meta tag; the worker: its config). */
function appVersion() {
  const fromWorker = /** @type {any} */ (self).PIJAR_SW?.version;
  if (fromWorker) return String(fromWorker);
  const meta = typeof document === 'object' && document.querySelector('meta[name=app-version]');
  return (meta && meta.getAttribute('content')) || 'unknown';
}

/**
 * Run `task` unless another tab (or the service worker) is already sending.
 * @param {() => Promise<SyncResult>} task
 * @returns {Promise<SyncResult>}
 */
async function exclusively(task) {
  const locks = /** @type {any} */ (navigator).locks;
  if (!locks) return task();
  return locks.request(LOCK_NAME, { ifAvailable: true }, (/** @type {any} */ lock) =>
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
 * @param {any} body
 * @returns {Promise<{status: SyncStatus | 'ok', body?: any, retryAfterMs?: number, httpStatus?: number}>}
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
 * Send every waiting record, batch by batch, then stop at the first failure.
 * With `force`, one request is made even when nothing waits (heartbeat and updates).
 * @param {{force?: boolean}} [options]
 * @returns {Promise<SyncResult>}
 */
async function sendOutbox(options = {}) {
  const outbox = self.pijarOutbox;
  const device = await outbox.getMeta('device');
  if (!device || !device.token) {
    await outbox.setMeta('auth_needed', true);
    return { status: 'auth', sent: 0, needsFix: 0 };
  }
  let sent = 0;
  let needsFix = 0;
  let force = Boolean(options.force);
  let batchSize = BATCH_SIZE;
  const tried = new Set();
  for (;;) {
    const items = (await outbox.waitingBatch(batchSize + tried.size))
      .filter((/** @type {any} */ i) => !tried.has(i.client_id)).slice(0, batchSize);
    if (items.length === 0 && !force) break;
    force = false;
    const counts = await outbox.counts();
    const answer = await postBatch(device.token, {
      device: { app_version: appVersion(), pending: counts.waiting, needs_fix: counts.needs_fix },
      cursor: (await outbox.getMeta('cursor')) ?? null,
      items: items.map((/** @type {any} */ i) => ({
        client_id: i.client_id, form_version: i.form_version,
        captured_at: i.captured_at, payload: i.payload,
      })),
    });
    if (answer.httpStatus === 413 && batchSize > 1) { // too big: try smaller batches
      batchSize = Math.ceil(batchSize / 2);
      continue;
    }
    if (answer.status !== 'ok') {
      await outbox.markAttempted(items.map((/** @type {any} */ i) => i.client_id));
      await outbox.setMeta('last_error', { at: new Date().toISOString(), status: answer.httpStatus || 0 });
      if (answer.status === 'auth') await outbox.setMeta('auth_needed', true);
      return { status: /** @type {SyncStatus} */ (answer.status), sent, needsFix, retryAfterMs: answer.retryAfterMs };
    }
    items.forEach((/** @type {any} */ i) => tried.add(i.client_id));
    const applied = await outbox.applySyncResponse(items, answer.body);
    sent += applied.acknowledged - applied.needsFix;
    needsFix += applied.needsFix;
    await outbox.setMeta('last_sync_at', new Date().toISOString());
    if (await outbox.getMeta('auth_needed')) await outbox.deleteMeta('auth_needed');
  }
  return { status: sent || needsFix ? 'sent' : 'idle', sent, needsFix };
}

/**
 * Send now, unless another sender is busy. Safe to call from anywhere, any time.
 * @param {{force?: boolean}} [options]
 * @returns {Promise<SyncResult>}
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
    const registration = /** @type {any} */ (await navigator.serviceWorker.getRegistration());
    if (!registration || !registration.sync || !registration.active) return false;
    await registration.sync.register(BACKGROUND_SYNC_TAG);
    return true;
  } catch (err) {
    return false; // Background Sync is an extra trigger only; the timer still runs
  }
}

self.pijarSync = {
  syncNow, backoffDelay, requestBackgroundSync, BACKGROUND_SYNC_TAG, BUSY_RETRY_MS,
};
