// @ts-check

/**
 * The phone's outbox: every registration is written here first, and leaves the
 * 'waiting' state only on a server receipt for it. All IndexedDB details live in
 * this file; the pages and the service worker (importScripts) share it.
 * Needs the vendored idb library (global `idb`) and self.pijarConfig loaded first.
 */
(() => {
  'use strict';

  const CONFIG = self.pijarConfig;
  const DB_NAME = CONFIG.db.name;
  const DB_VERSION = 1;
  const OUTBOX_STORE = CONFIG.db.outboxStore;
  const META_STORE = CONFIG.db.metaStore;
  const BY_STATE = CONFIG.db.byState; // [state, created_at]: oldest waiting first
  const META = CONFIG.meta;
  const FORM_VERSION = 1;
  const STATES = /** @type {const} */ (['waiting', 'needs_fix', 'sent']);
  const CHANNEL_NAME = CONFIG.channelName;
  const CHANGED_EVENT = CONFIG.events.outboxChanged;
  const MASK = '••';

  /** @type {Promise<import('idb').IDBPDatabase<PijarDB>> | null} */
  let dbPromise = null;
  const changes = new EventTarget();
  const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(CHANNEL_NAME) : null;
  if (channel) channel.onmessage = () => changes.dispatchEvent(new Event(CHANGED_EVENT));

  /** The database, opened once. Schema upgrades are cumulative and only ever add. */
  function openOutbox() {
    if (!dbPromise) {
      dbPromise = idb.openDB(DB_NAME, DB_VERSION, {
        upgrade(db, oldVersion) {
          if (oldVersion < 1) {
            const outbox = db.createObjectStore(OUTBOX_STORE, { keyPath: 'client_id' });
            outbox.createIndex(BY_STATE, ['state', 'created_at']);
            db.createObjectStore(META_STORE);
          }
          // if (oldVersion < 2) { ...add stores or indexes here, never drop... }
        },
        blocking() {
          // A newer version of the app wants to upgrade the schema: let it.
          dbPromise?.then((db) => db.close());
          dbPromise = null;
        },
      });
      dbPromise.catch(() => { dbPromise = null; });
    }
    return dbPromise;
  }

  /** True when IndexedDB works here (not in some private modes or very old browsers). */
  async function outboxAvailable() {
    try {
      if (typeof idb === 'undefined' || typeof indexedDB === 'undefined') return false;
      await openOutbox();
      return true;
    } catch (err) {
      return false;
    }
  }

  /** Tell this page, other tabs and the service worker that the outbox changed. */
  function notifyChanged() {
    changes.dispatchEvent(new Event(CHANGED_EVENT));
    if (channel) channel.postMessage({ type: 'changed' });
  }

  /** @param {() => void} callback called after any change, here or in another tab */
  function onOutboxChange(callback) {
    changes.addEventListener(CHANGED_EVENT, callback);
  }

  /** '3374 01•• •••• 0012', as the server masks a NIK. @param {string | number | null | undefined} value */
  function maskNik(value) {
    const nik = String(value || '').replace(/[\s.-]/g, '');
    if (nik.length !== 16) return '•'.repeat(nik.length);
    return `${nik.slice(0, 4)} ${nik.slice(4, 6)}${MASK} ${MASK}${MASK} ${nik.slice(12)}`;
  }

  /** A short reference shown before the server's: 'HP-1A2B-3C4D'. @param {string} clientId */
  function localRef(clientId) {
    const hex = clientId.replace(/-/g, '').toUpperCase();
    return `HP-${hex.slice(0, 4)}-${hex.slice(4, 8)}`;
  }

  /** ISO 8601 with the phone's offset, e.g. 2026-11-06T09:12:00+07:00. @param {Date} date */
  function isoWithOffset(date) {
    const pad = (/** @type {number} */ n) => String(Math.trunc(Math.abs(n))).padStart(2, '0');
    const offset = -date.getTimezoneOffset();
    const sign = offset >= 0 ? '+' : '-';
    return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
      `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}` +
      `${sign}${pad(offset / 60)}:${pad(offset % 60)}`;
  }

  function newClientId() {
    if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  /**
   * Save a new registration, before anything else is tried.
   * @param {Record<string, string>} payload the form's fields, by their form names
   * @returns {Promise<OutboxItem>}
   */
  async function addRegistration(payload) {
    const now = new Date();
    const clientId = newClientId();
    /** @type {OutboxItem} */
    const item = {
      client_id: clientId, form_version: FORM_VERSION, captured_at: isoWithOffset(now),
      payload, state: 'waiting', server_status: null, ref: null, local_ref: localRef(clientId),
      errors: null, note: null, name: payload.full_name || '', masked_nik: maskNik(payload.nik),
      created_at: now.toISOString(), updated_at: now.toISOString(), attempts: 0,
    };
    const db = await openOutbox();
    await db.add(OUTBOX_STORE, item);
    notifyChanged();
    return item;
  }

  /**
   * Save the corrected fields of a needs-fix record; it waits to be sent again, same id.
   * @param {string} clientId
   * @param {Record<string, string>} payload
   * @returns {Promise<OutboxItem | null>} null when there is no such record to fix
   */
  async function saveCorrection(clientId, payload) {
    const db = await openOutbox();
    const tx = db.transaction(OUTBOX_STORE, 'readwrite');
    const item = await tx.store.get(clientId);
    if (!item || item.state !== 'needs_fix') {
      await tx.done;
      return null;
    }
    Object.assign(item, {
      payload, state: 'waiting', errors: null, problem: null, name: payload.full_name || '',
      masked_nik: maskNik(payload.nik), updated_at: new Date().toISOString(),
    });
    await tx.store.put(item);
    await tx.done;
    notifyChanged();
    return item;
  }

  /** @param {string} clientId */
  async function getItem(clientId) {
    const db = await openOutbox();
    return db.get(OUTBOX_STORE, clientId);
  }

  /** Every record on this phone, newest first. */
  async function listItems() {
    const db = await openOutbox();
    const items = await db.getAll(OUTBOX_STORE);
    return items.sort((a, b) => b.created_at.localeCompare(a.created_at));
  }

  /** @param {OutboxState} state */
  function stateRange(state) {
    return IDBKeyRange.bound([state, ''], [state, '\uffff']);
  }

  /** How many records are waiting, need a fix, or were sent. */
  async function countItems() {
    const db = await openOutbox();
    /** @type {OutboxCounts} */
    const counts = { waiting: 0, needs_fix: 0, sent: 0 };
    for (const state of STATES) {
      counts[state] = await db.countFromIndex(OUTBOX_STORE, BY_STATE, stateRange(state));
    }
    return counts;
  }

  /** The oldest waiting records. @param {number} limit */
  async function waitingBatch(limit) {
    const db = await openOutbox();
    return db.getAllFromIndex(OUTBOX_STORE, BY_STATE, stateRange('waiting'), limit);
  }

  /** Unsent records in the sync API's item shape, for saving to a file. */
  async function unsentForExport() {
    const db = await openOutbox();
    const items = [
      ...(await db.getAllFromIndex(OUTBOX_STORE, BY_STATE, stateRange('waiting'))),
      ...(await db.getAllFromIndex(OUTBOX_STORE, BY_STATE, stateRange('needs_fix'))),
    ];
    return items.map((i) => ({
      client_id: i.client_id, form_version: i.form_version,
      captured_at: i.captured_at, payload: i.payload,
    }));
  }

  /** Count one more failed delivery attempt on these records. @param {string[]} clientIds */
  async function markAttempted(clientIds) {
    const db = await openOutbox();
    const tx = db.transaction(OUTBOX_STORE, 'readwrite');
    for (const id of clientIds) {
      const item = await tx.store.get(id);
      if (item) await tx.store.put({ ...item, attempts: (item.attempts || 0) + 1 });
    }
    await tx.done;
  }

  /**
   * The server's answer to one result, applied to its record (mutates `item`).
   * The personal data goes only when the server has it; a receipt stays.
   * @param {OutboxItem} item
   * @param {SyncItemResult} result
   */
  function applyResult(item, result) {
    const now = new Date().toISOString();
    if (result.status === 'accepted' || result.status === 'already_received') {
      if (result.ref) item.ref = result.ref;
      if (result.status === 'already_received' && item.server_status === 'needs_fix') {
        // The server still holds this very content, which a coordinator sent back.
        item.state = 'needs_fix';
      } else {
        Object.assign(item, { state: 'sent', server_status: 'in_review', payload: null, errors: null });
      }
    } else if (result.status === 'invalid' || result.status === 'conflict') {
      Object.assign(item, { state: 'needs_fix', errors: result.errors || {} });
    } else {
      return; // an unknown status: leave the record waiting
    }
    item.updated_at = now;
  }

  /**
   * A coordinator's decision on a record (mutates `item`).
   * @param {OutboxItem} item
   * @param {SyncUpdate} update
   */
  function applyUpdate(item, update) {
    item.server_status = update.status;
    if (update.ref) item.ref = update.ref;
    item.note = update.note || null;
    if (update.status === 'needs_fix' && item.state !== 'waiting') {
      item.state = 'needs_fix';
      item.errors = null;
      if (update.payload) {
        item.payload = update.payload;
        item.name = String(update.payload.full_name || item.name);
      }
    }
    item.updated_at = new Date().toISOString();
  }

  /** A needs-fix record this phone no longer holds (e.g. its storage was cleared). @param {SyncUpdate} update */
  function receiptFromUpdate(update) {
    const now = new Date().toISOString();
    /** @type {OutboxItem} */
    const item = {
      client_id: update.client_id, form_version: FORM_VERSION, captured_at: now,
      payload: null, state: 'sent', server_status: null, ref: null,
      local_ref: localRef(update.client_id), errors: null, note: null,
      name: '', masked_nik: maskNik(update.payload?.nik || ''),
      created_at: now, updated_at: now, attempts: 0,
    };
    return item;
  }

  /**
   * The server failed on this record alone, again and again, while it answered others:
   * back to the volunteer to check, with its data and a reason the pages word (mutates
   * `item`). False when it changed since it was sent (no longer the record that failed).
   * @param {OutboxItem} item
   * @param {SentRecord} sent the record as it was sent
   * @param {OutboxProblem} problem
   */
  function applyProblem(item, sent, problem) {
    if (!unchangedSince(item, sent.updated_at)) return false;
    Object.assign(item, { state: 'needs_fix', problem, errors: null, updated_at: new Date().toISOString() });
    return true;
  }

  /**
   * Still waiting and not edited since it was sent. @param {OutboxItem} item
   * @param {string | undefined} sentAt its updated_at when it was sent
   */
  function unchangedSince(item, sentAt) {
    return item.state === 'waiting' && item.updated_at === sentAt;
  }

  /**
   * What a sync response does to the records it names (mutates them; adds a receipt
   * for a record sent back that this phone no longer holds).
   * @param {Map<string, OutboxItem>} records the stored records the response names
   * @param {SentRecord[]} sent what was sent, as it was then
   * @param {SyncResponse} body
   * @returns {AppliedResponse}
   */
  function applyResponse(records, sent, body) {
    const sentAt = new Map(sent.map((s) => [s.client_id, s.updated_at]));
    const accepted = new Set();
    /** @type {Map<string, OutboxItem>} */
    const changed = new Map();
    let acknowledged = 0;
    let needsFix = 0;
    for (const result of body.results || []) {
      const item = records.get(result.client_id);
      // Edited again while this was in flight: the newer content still has to go.
      if (!item || !unchangedSince(item, sentAt.get(result.client_id))) continue;
      applyResult(item, result);
      if (result.status === 'accepted') accepted.add(item.client_id);
      if (item.state !== 'waiting') acknowledged += 1;
      if (item.state === 'needs_fix') needsFix += 1;
      changed.set(item.client_id, item);
    }
    for (const update of body.updates || []) {
      // A decision older than content accepted just now would undo the edit.
      if (accepted.has(update.client_id)) continue;
      let item = records.get(update.client_id);
      if (!item && !update.payload) continue;
      if (!item) {
        item = receiptFromUpdate(update);
        records.set(item.client_id, item);
      }
      applyUpdate(item, update);
      changed.set(item.client_id, item);
    }
    return { changed: [...changed.values()], acknowledged, needsFix };
  }

  /**
   * Apply a sync response and store its cursor, all in one transaction.
   * @param {SentRecord[]} sent what was sent, as it was then
   * @param {SyncResponse} body
   */
  async function applySyncResponse(sent, body) {
    const ids = [...(body.results || []), ...(body.updates || [])].map((r) => r.client_id);
    const db = await openOutbox();
    const tx = db.transaction([OUTBOX_STORE, META_STORE], 'readwrite');
    const store = tx.objectStore(OUTBOX_STORE);
    /** @type {Map<string, OutboxItem>} */
    const records = new Map();
    for (const id of new Set(ids)) {
      const item = await store.get(id);
      if (item) records.set(id, item);
    }
    const { changed, acknowledged, needsFix } = applyResponse(records, sent, body);
    for (const item of changed) await store.put(item);
    if (body.cursor !== undefined) await tx.objectStore(META_STORE).put(body.cursor, META.cursor);
    await tx.done;
    notifyChanged();
    return { acknowledged, needsFix };
  }

  /**
   * Set aside a record the server cannot read (see applyProblem), in one transaction.
   * @param {SentRecord} sent the record as it was sent
   * @returns {Promise<boolean>} whether it was set aside
   */
  async function markUnreadable(sent) {
    const db = await openOutbox();
    const tx = db.transaction(OUTBOX_STORE, 'readwrite');
    const item = await tx.store.get(sent.client_id);
    const marked = Boolean(item && applyProblem(item, sent, 'unreadable'));
    if (item && marked) await tx.store.put(item);
    await tx.done;
    if (marked) notifyChanged();
    return marked;
  }

  /** Forget sent receipts (on logout, so the next person on a shared phone sees none). */
  async function clearReceipts() {
    const db = await openOutbox();
    const tx = db.transaction(OUTBOX_STORE, 'readwrite');
    for (const key of await tx.store.index(BY_STATE).getAllKeys(stateRange('sent'))) {
      await tx.store.delete(key);
    }
    await tx.done;
    notifyChanged();
  }

  /**
   * @template {MetaKey} K
   * @param {K} key
   * @returns {Promise<PijarMeta[K] | undefined>}
   */
  async function getMeta(key) {
    const db = await openOutbox();
    return /** @type {PijarMeta[K] | undefined} */ (await db.get(META_STORE, key));
  }

  /**
   * @template {MetaKey} K
   * @param {K} key
   * @param {PijarMeta[K]} value
   */
  async function setMeta(key, value) {
    const db = await openOutbox();
    await db.put(META_STORE, value, key);
    notifyChanged();
  }

  /** @param {MetaKey} key */
  async function deleteMeta(key) {
    const db = await openOutbox();
    await db.delete(META_STORE, key);
    notifyChanged();
  }

  /** @type {PijarOutbox} */
  const outbox = {
    available: outboxAvailable, onChange: onOutboxChange,
    add: addRegistration, saveCorrection, get: getItem, list: listItems, counts: countItems,
    waitingBatch, unsentForExport, markAttempted, markUnreadable, applySyncResponse, clearReceipts,
    getMeta, setMeta, deleteMeta,
    applyResult, applyUpdate, applyResponse, applyProblem, maskNik, localRef, isoWithOffset,
  };
  self.pijarOutbox = outbox;
})();
