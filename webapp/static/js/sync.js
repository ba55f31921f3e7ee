// @ts-check

/**
 * The sync engine, shared by the pages and the service worker: sends the outbox in
 * batches, one sender at a time across tabs, and applies what the server answers.
 * Nothing leaves the outbox here except on a server receipt (see outbox.js), or, for
 * a record the server fails on alone while it answers others, back to the volunteer.
 * Needs self.pijarConfig, idb and outbox.js loaded first.
 */
(() => {
  'use strict';

  const CONFIG = self.pijarConfig;
  const SYNC_URL = CONFIG.urls.sync;
  const LOCK_NAME = CONFIG.lockName;
  const BACKGROUND_SYNC_TAG = CONFIG.backgroundSyncTag;
  const META = self.pijarOutbox.META;
  // The 401 of an account an admin switched off (other 401s say 'unauthorized').
  const DEACTIVATED = 'deactivated';
  const BATCH_SIZE = 100;
  const TOO_LARGE = 413;
  // The server failed on what it was sent; 502-504 mean it is down or away, retried
  // later as a whole and never blamed on a record.
  const SERVER_ERROR = 500;
  // Records the server fails on alone, in a run where it takes none, before the run
  // stops: a server failing on every record is broken, and must not send them all back.
  const MAX_UNPROVEN = 3;
  const REQUEST_TIMEOUT_MS = 30000;
  const RETRY_STATUSES = [408, 429];
  const BACKOFF_BASE_MS = 2000;
  const BACKOFF_CAP_MS = 3 * 60 * 1000;
  const BUSY_RETRY_MS = 3000;

  /**
   * One POST's outcome, classified.
   * @typedef {{status: SyncStatus, retryAfterMs?: number, httpStatus?: number}} BatchFailure
   * @typedef {{status: 'ok', body: SyncResponse} | BatchFailure} BatchAnswer
   * @typedef {{device: object, cursor: string | null, items: SyncItem[], discarded: {client_id: string, reason: string}[]}} SyncRequest
   */

  /** The server failed on every record it was given alone: try again later. @type {BatchFailure} */
  const UNPROVEN = { status: 'retry', httpStatus: SERVER_ERROR };

  /** @param {BatchAnswer} answer */
  function isServerError(answer) {
    return answer.status !== 'ok' && answer.httpStatus === SERVER_ERROR;
  }

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

  /** Whether a 401 says the account is deactivated (its JSON error). @param {Response} response */
  async function isDeactivated(response) {
    try {
      const body = await response.json();
      return Boolean(body && body.error === DEACTIVATED);
    } catch (err) {
      return false;
    }
  }

  /**
   * POST one batch. Resolves with the parsed answer or a classified failure; never throws.
   * @param {string} token
   * @param {SyncRequest} body
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
      if (response.status === 401) {
        return { status: (await isDeactivated(response)) ? 'deactivated' : 'auth', httpStatus: 401 };
      }
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

  /** A run's first plan: full batches, no record suspected. @returns {BatchPlan} */
  function firstPlan() {
    return { size: BATCH_SIZE, usual: BATCH_SIZE, suspects: 0 };
  }

  /**
   * A 500 for `sent` records (more than one): one of them may be what the server cannot
   * read. They are the oldest untried, so they lead the next batches: send half of them.
   * @param {BatchPlan} plan
   * @param {number} sent
   * @returns {BatchPlan}
   */
  function suspectBatch(plan, sent) {
    return { ...plan, size: Math.ceil(sent / 2), suspects: sent };
  }

  /**
   * `answered` records came back with results, so none of them is the culprit. The search
   * goes on in half of the suspects left, or ends (usual batches) when none is left.
   * @param {BatchPlan} plan
   * @param {number} answered
   * @returns {BatchPlan}
   */
  function answeredBatch(plan, answered) {
    if (plan.suspects === 0) return { ...plan, size: plan.usual };
    const suspects = Math.max(0, plan.suspects - answered);
    if (suspects === 0) return { ...plan, size: plan.usual, suspects };
    return { ...plan, size: Math.ceil(suspects / 2), suspects };
  }

  /**
   * A record the server fails on alone was found. If the server took others in this run,
   * usual batches for the rest; if not, one record next, the cheapest way to learn
   * whether it takes any record at all.
   * @param {BatchPlan} plan
   * @param {boolean} taken
   * @returns {BatchPlan}
   */
  function isolatedRecord(plan, taken) {
    return { ...plan, size: taken ? plan.usual : 1, suspects: 0 };
  }

  /**
   * POST these records (none: a heartbeat) with the phone's counts, cursor and the
   * discards the office has yet to hear of (forgotten once a 200 answers).
   * @param {string} token
   * @param {OutboxItem[]} items
   */
  async function send(token, items) {
    const outbox = self.pijarOutbox;
    const counts = await outbox.counts();
    const discards = await outbox.pendingDiscards();
    const discarded = (await outbox.getMeta(META.discardedCount)) || 0;
    const answer = await postBatch(token, {
      device: { app_version: CONFIG.version, pending: counts.waiting, needs_fix: counts.needs_fix, discarded },
      cursor: (await outbox.getMeta(META.cursor)) ?? null,
      items: items.map(outbox.syncItem),
      discarded: discards.map((d) => ({ client_id: d.client_id, reason: d.reason })),
    });
    if (answer.status === 'ok') await outbox.forgetDiscards(discards.map((d) => d.client_id));
    return answer;
  }

  /**
   * Apply a 200: results, coordinators' decisions, cursor.
   * @param {OutboxItem[]} items what was sent
   * @param {SyncResponse} body
   */
  async function apply(items, body) {
    const outbox = self.pijarOutbox;
    const applied = await outbox.applySyncResponse(items, body);
    await outbox.setMeta(META.lastSyncAt, new Date().toISOString());
    if (await outbox.getMeta(META.authNeeded)) await outbox.deleteMeta(META.authNeeded);
    if (await outbox.getMeta(META.accountDeactivated)) await outbox.deleteMeta(META.accountDeactivated);
    return applied;
  }

  /**
   * Does the server work for others? An empty request (a heartbeat) must get a 200; its
   * decisions and cursor are applied like any other.
   * @param {string} token
   * @returns {Promise<BatchAnswer>}
   */
  async function heartbeat(token) {
    const answer = await send(token, []);
    if (answer.status === 'ok') await apply([], answer.body);
    return answer;
  }

  /**
   * One record got a 500 on its own. It is blamed only when the server answers others
   * (a heartbeat) and then fails on this record alone once more; otherwise the answer
   * to go on with (a 200 for it, or the failure that ends the run).
   * @param {string} token
   * @param {OutboxItem} item
   * @returns {Promise<BatchAnswer | {status: 'unreadable'}>}
   */
  async function sendAlone(token, item) {
    const check = await heartbeat(token);
    if (check.status !== 'ok') return check;
    const again = await send(token, [item]);
    return isServerError(again) ? { status: 'unreadable' } : again;
  }

  /**
   * What one run has done so far.
   * @typedef {{sent: number, needsFix: number, taken: boolean, unreadable: OutboxItem[]}} Run
   * `taken`: the server took records in this run (a 200 to a request carrying some), so
   * it is not failing on every record. `unreadable`: records it failed on alone, twice,
   * while it answered empty requests; blamed only once it has taken others.
   */

  /** Send the unreadable records back to the volunteer, if the server took others. @param {Run} run */
  async function setAside(run) {
    if (!run.taken) return;
    for (const item of run.unreadable.splice(0)) {
      if (await self.pijarOutbox.markUnreadable(item)) run.needsFix += 1;
    }
  }

  /**
   * End the run on a failure: nothing leaves the outbox but what the evidence allows.
   * @param {Run} run
   * @param {BatchFailure} answer
   * @param {OutboxItem[]} items the records of the request that failed
   * @returns {Promise<SyncResult>}
   */
  async function failedRun(run, answer, items) {
    const outbox = self.pijarOutbox;
    await setAside(run);
    const attempted = new Set([...items, ...run.unreadable].map((i) => i.client_id));
    await outbox.markAttempted([...attempted]);
    await outbox.setMeta(META.lastError, { at: new Date().toISOString(), status: answer.httpStatus || 0 });
    if (answer.status === 'auth') await outbox.setMeta(META.authNeeded, true);
    // The records stay (they can be saved to a file); nothing is sent until an admin acts.
    if (answer.status === 'deactivated') await outbox.setMeta(META.accountDeactivated, true);
    return { status: answer.status, sent: run.sent, needsFix: run.needsFix, retryAfterMs: answer.retryAfterMs };
  }

  /**
   * Send every waiting record, batch by batch, then stop at the first failure of the
   * server or the network. A 500 for several records (while the server answers an empty
   * request) splits them until the record it fails on is alone; that one goes back to
   * the volunteer (see sendAlone, setAside) and the rest go on: nobody waits behind one
   * record. With `force`, one request is made even when nothing waits (heartbeat and
   * updates).
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
    const token = device.token;
    /** @type {Run} */
    const run = { sent: 0, needsFix: 0, taken: false, unreadable: [] };
    // Discards waiting to be told go even when no record does.
    let force = Boolean(options.force) || (await outbox.pendingDiscards()).length > 0;
    let plan = firstPlan();
    /** @type {Set<string>} */
    const tried = new Set();
    for (;;) {
      const items = pickBatch(await outbox.waitingBatch(plan.size + tried.size), tried, plan.size);
      if (items.length === 0 && !force) break;
      force = false;
      let answer = await send(token, items);
      const smaller = answer.status !== 'ok' && answer.httpStatus === TOO_LARGE ? smallerBatch(items.length) : null;
      if (smaller) { // too big: try smaller batches
        plan = { ...plan, size: smaller, usual: Math.min(plan.usual, smaller) };
        continue;
      }
      if (isServerError(answer) && items.length > 1) {
        // At the first 500, a server that fails an empty request too is down: stop and
        // wait, rather than knock harder with ever smaller batches.
        const check = plan.suspects === 0 ? await heartbeat(token) : null;
        if (!check || check.status === 'ok') {
          plan = suspectBatch(plan, items.length);
          continue;
        }
        answer = check;
      } else if (isServerError(answer) && items.length === 1) {
        const alone = await sendAlone(token, items[0]);
        if (alone.status === 'unreadable') {
          tried.add(items[0].client_id);
          run.unreadable.push(items[0]);
          plan = isolatedRecord(plan, run.taken);
          // Failing on record after record and taking none: broken, not fed bad records.
          if (run.taken || run.unreadable.length < MAX_UNPROVEN) continue;
          return failedRun(run, UNPROVEN, []);
        }
        answer = alone;
      }
      if (answer.status !== 'ok') return failedRun(run, answer, items);
      items.forEach((i) => tried.add(i.client_id));
      const applied = await apply(items, answer.body);
      run.sent += applied.acknowledged - applied.needsFix;
      run.needsFix += applied.needsFix;
      run.taken = run.taken || items.length > 0;
      plan = answeredBatch(plan, items.length);
    }
    // Only the records it fails on were there to send: they wait, and are tried again.
    if (run.unreadable.length && !run.taken) return failedRun(run, UNPROVEN, []);
    await setAside(run);
    return { status: run.sent || run.needsFix ? 'sent' : 'idle', sent: run.sent, needsFix: run.needsFix };
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
  const sync = {
    syncNow, backoffDelay, requestBackgroundSync,
    pickBatch, smallerBatch, firstPlan, suspectBatch, answeredBatch, isolatedRecord, BUSY_RETRY_MS,
  };
  self.pijarSync = sync;
})();
