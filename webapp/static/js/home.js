// @ts-check

/**
 * The volunteer's home (/app): one set of counters for this phone's records that adds up
 * (waiting + needs fixing + at the office = all, those at the office by what it made of
 * them), when it last reached the office, the "Kirim sekarang" button, a warning when
 * storage runs short, and "Simpan ke file" (which then lets the volunteer log out).
 */
(() => {
  'use strict';

  const META = self.pijarOutbox.META;
  const STORAGE_WARNING_RATIO = 0.8;
  const EXPORT_FORMAT = 'pijar-semar-outbox';
  const EXPORT_VERSION = 1;
  /** @type {Record<SyncStatus, string>} */
  const SYNC_MESSAGES = {
    sent: 'sync.sent', idle: 'sync.idle', offline: 'sync.offline', retry: 'sync.retry',
    stuck: 'sync.retry', auth: 'sync.auth', deactivated: 'account.deactivated', busy: 'sync.busy',
  };

  /** @param {string} selector @param {string} text */
  function say(selector, text) {
    const el = document.querySelector(selector);
    if (el) el.textContent = text;
  }

  /** The records at the office, one line per status (the words of the outbox list). @param {OutboxTally} tally */
  function showAtOffice(tally) {
    const list = document.querySelector('[data-office-counts]');
    if (!list) return;
    const lines = Object.entries(tally.atOffice).map(([status, count]) => {
      const line = document.createElement('li');
      line.dataset.officeCount = status;
      const number = Object.assign(document.createElement('span'), { className: 'count', textContent: String(count) });
      line.append(number, ` ${self.pijarUi.statusText({ state: 'sent', server_status: /** @type {ServerStatus} */ (status) })}`);
      return line;
    });
    list.replaceChildren(...lines);
    if (list instanceof HTMLElement) list.hidden = lines.length === 0;
  }

  async function showCounts() {
    const outbox = self.pijarOutbox;
    const [items, lastSync, exported] = await Promise.all([
      outbox.list(), outbox.getMeta(META.lastSyncAt), outbox.getMeta(META.lastExport),
    ]);
    const tally = self.pijarUi.tally(items);
    for (const key of /** @type {const} */ (['waiting', 'needs_fix', 'sent', 'total'])) {
      say(`[data-count="${key}"]`, String(tally[key]));
    }
    showAtOffice(tally);
    const last = document.querySelector('[data-last-sync]');
    if (last) {
      last.textContent = lastSync ? self.pijarUi.formatDateTime(lastSync) : self.pijarUi.text('never');
      if (lastSync) last.setAttribute('datetime', lastSync);
    }
    const exportButton = document.getElementById('export-unsent');
    if (exportButton instanceof HTMLButtonElement) exportButton.disabled = tally.waiting + tally.needs_fix === 0;
    const exportedLine = document.querySelector('[data-last-export]');
    if (exportedLine instanceof HTMLElement) {
      exportedLine.hidden = !exported || tally.waiting + tally.needs_fix === 0;
      say('[data-last-export] time', exported ? self.pijarUi.formatDateTime(exported.at) : '');
    }
  }

  async function warnIfStorageShort() {
    const warning = document.querySelector('[data-storage-warning]');
    if (!(warning instanceof HTMLElement) || !navigator.storage || !navigator.storage.estimate) return;
    const { usage = 0, quota = 0 } = await navigator.storage.estimate();
    warning.hidden = !(quota > 0 && usage / quota > STORAGE_WARNING_RATIO);
  }

  /** @param {HTMLButtonElement} button */
  async function sendNow(button) {
    const message = document.querySelector('[data-sync-message]');
    button.disabled = true;
    if (message) message.textContent = self.pijarUi.text('sync.sending');
    try {
      const result = await self.pijarAutosync.run({ force: true });
      if (message) message.textContent = self.pijarUi.text(SYNC_MESSAGES[result.status] || 'sync.retry');
    } finally {
      button.disabled = false;
    }
  }

  /**
   * Save the records not yet sent to a JSON file a coordinator can upload, and remember
   * which (as they are now): logging out is then allowed, with a warning.
   */
  async function exportUnsent() {
    const outbox = self.pijarOutbox;
    const device = await outbox.getMeta(META.device);
    const page = document.querySelector('[data-username]');
    const username = (device && device.username) || (page && page.getAttribute('data-username')) || '';
    const unsent = await outbox.unsent();
    const file = {
      format: EXPORT_FORMAT, version: EXPORT_VERSION,
      exported_at: outbox.isoWithOffset(new Date()), username,
      items: unsent.map(outbox.syncItem),
    };
    const blob = new Blob([JSON.stringify(file, null, 1)], { type: 'application/json' });
    const link = document.createElement('a');
    link.href = URL.createObjectURL(blob);
    const stamp = file.exported_at.slice(0, 16).replace(/[T:]/g, '-');
    link.download = `pijar-semar-${username || 'relawan'}-${stamp}.json`;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
    await outbox.setMeta(META.lastExport, {
      at: new Date().toISOString(),
      records: unsent.map((i) => ({ client_id: i.client_id, updated_at: i.updated_at })),
    });
  }

  async function startHome() {
    if (!(await self.pijarOutbox.available())) return;
    // The phone's counters replace the server's: one set, which adds up.
    const serverCounts = document.querySelector('[data-server-counts]');
    if (serverCounts instanceof HTMLElement) serverCounts.hidden = true;
    const sendButton = document.getElementById('send-now');
    if (sendButton instanceof HTMLButtonElement) sendButton.addEventListener('click', () => sendNow(sendButton));
    const exportButton = document.getElementById('export-unsent');
    if (exportButton) exportButton.addEventListener('click', () => { exportUnsent(); });
    self.pijarOutbox.onChange(showCounts);
    await showCounts();
    await warnIfStorageShort();
  }

  startHome();
})();
