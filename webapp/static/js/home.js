// @ts-check

/**
 * The volunteer's home (/app): what is on this phone, when it last reached the office,
 * the "Kirim sekarang" button, a warning when storage runs short, and "Simpan ke file".
 */
(() => {
  'use strict';

  const META = self.pijarConfig.meta;
  const STORAGE_WARNING_RATIO = 0.8;
  const EXPORT_FORMAT = 'pijar-semar-outbox';
  const EXPORT_VERSION = 1;
  /** @type {Record<SyncStatus, string>} */
  const SYNC_MESSAGES = {
    sent: 'sync.sent', idle: 'sync.idle', offline: 'sync.offline', retry: 'sync.retry',
    stuck: 'sync.retry', auth: 'sync.auth', busy: 'sync.busy',
  };

  async function showCounts() {
    const outbox = self.pijarOutbox;
    const [counts, lastSync] = await Promise.all([outbox.counts(), outbox.getMeta(META.lastSyncAt)]);
    for (const [state, count] of Object.entries(counts)) {
      const el = document.querySelector(`[data-count="${state}"]`);
      if (el) el.textContent = String(count);
    }
    const last = document.querySelector('[data-last-sync]');
    if (last) {
      last.textContent = lastSync ? self.pijarUi.formatDateTime(lastSync) : self.pijarUi.text('never');
      if (lastSync) last.setAttribute('datetime', lastSync);
    }
    const exportButton = document.getElementById('export-unsent');
    if (exportButton instanceof HTMLButtonElement) exportButton.disabled = counts.waiting + counts.needs_fix === 0;
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

  /** Save the records not yet sent to a JSON file a coordinator can upload. */
  async function exportUnsent() {
    const outbox = self.pijarOutbox;
    const device = await outbox.getMeta(META.device);
    const page = document.querySelector('[data-username]');
    const username = (device && device.username) || (page && page.getAttribute('data-username')) || '';
    const file = {
      format: EXPORT_FORMAT, version: EXPORT_VERSION,
      exported_at: outbox.isoWithOffset(new Date()), username,
      items: await outbox.unsentForExport(),
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
  }

  async function startHome() {
    if (!(await self.pijarOutbox.available())) return;
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
