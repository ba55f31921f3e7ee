// @ts-check

/**
 * When a page sends the outbox: at start, after each save, on the `online` event, on
 * a timer with backoff while records wait (a dead server looks online to the browser),
 * when the page comes back into view, and on the "Kirim sekarang" button.
 * The service worker adds Background Sync where the browser has it.
 */
(() => {
  'use strict';

  const SYNC_EVENT = self.pijarConfig.events.sync;
  const AFTER_SAVE_MS = 50;
  /** @type {SyncStatus[]} */
  const RETRY = ['offline', 'retry', 'stuck'];

  let failures = 0;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  /** @type {Promise<SyncResult> | null} */
  let running = null;

  /** @param {number} ms */
  function scheduleSync(ms) {
    clearTimeout(timer);
    timer = setTimeout(() => { runSync(); }, ms);
  }

  /**
   * Plan the next attempt from how this one went.
   * @param {SyncResult} result
   */
  async function planNext(result) {
    const sync = self.pijarSync;
    // Nothing goes until the volunteer logs in again, or an admin reactivates the account.
    if (result.status === 'auth' || result.status === 'deactivated') return;
    if (result.status === 'busy') return scheduleSync(sync.BUSY_RETRY_MS * (1 + Math.random()));
    if (RETRY.includes(result.status)) {
      failures += 1;
      return scheduleSync(sync.backoffDelay(failures, result.retryAfterMs));
    }
    failures = 0;
    const counts = await self.pijarOutbox.counts();
    if (counts.waiting > 0) scheduleSync(sync.BUSY_RETRY_MS);
  }

  /**
   * One run: send, tell the page how it went, plan the next one.
   * @param {SyncOptions} options
   */
  async function syncAndPlan(options) {
    /** @type {SyncResult} */
    let result = { status: 'offline', sent: 0, needsFix: 0 };
    try {
      // Without a network the browser knows the answer; the `online` event wakes us.
      if (navigator.onLine !== false) result = await self.pijarSync.syncNow(options);
    } catch (err) {
      console.warn('sync failed', err); // e.g. storage trouble: try again later
      result = { status: 'stuck', sent: 0, needsFix: 0 };
    }
    document.dispatchEvent(new CustomEvent(SYNC_EVENT, { detail: result }));
    await planNext(result);
    return result;
  }

  /**
   * Send now, one run at a time in this page.
   * @param {SyncOptions} [options] force: ask the server even if nothing waits
   */
  function runSync(options = {}) {
    if (running) return running;
    clearTimeout(timer);
    running = syncAndPlan(options).finally(() => { running = null; });
    return running;
  }

  /** After a save: send soon, and let the service worker send if this page closes. */
  function syncAfterSave() {
    self.pijarSync.requestBackgroundSync();
    scheduleSync(AFTER_SAVE_MS);
  }

  function startAutosync() {
    window.addEventListener('online', () => { failures = 0; runSync(); });
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') runSync();
    });
    runSync({ force: true });
  }

  /** @type {PijarAutosync} */
  const autosync = { start: startAutosync, run: runSync, afterSave: syncAfterSave };
  self.pijarAutosync = autosync;
})();
