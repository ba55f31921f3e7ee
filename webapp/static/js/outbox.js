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
  // 2: drafts and discards. Phones hold version 1 databases: upgrades only ever add.
  const DB_VERSION = 2;
  const OUTBOX_STORE = CONFIG.db.outboxStore;
  const META_STORE = CONFIG.db.metaStore;
  const DRAFT_STORE = 'drafts'; // half-filled forms, by 'new' or the client_id edited
  const DISCARD_STORE = 'discards'; // discards the office has yet to hear of
  const BY_STATE = CONFIG.db.byState; // [state, created_at]: oldest waiting first
  /** @type {PijarMetaKeys} the server's keys and the phone's own */
  const META = {
    ...CONFIG.meta,
    carryOver: 'carry_over',
    accountDeactivated: 'account_deactivated',
    discardedCount: 'discarded_count',
    lastExport: 'last_export',
  };
  const FORM_VERSION = 1;
  const STATES = /** @type {const} */ (['waiting', 'needs_fix', 'sent']);
  const CHANNEL_NAME = CONFIG.channelName;
  const CHANGED_EVENT = CONFIG.events.outboxChanged;
  const LOCK_NAME = CONFIG.lockName; // the sync engine's: no record is discarded in flight
  const MASK = '••';
  const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  const REFERENCE_PREFIX = 'PS-';
  const MAX_REASON = 200;
  const MAX_DISCARDS_SENT = 200;
  // Edited from the phone while the office may still take new content (DESIGN.md, Sync API).
  const EDITABLE_AT_OFFICE = [null, 'in_review', 'needs_fix'];

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
          if (oldVersion < 2) {
            db.createObjectStore(DRAFT_STORE);
            db.createObjectStore(DISCARD_STORE, { keyPath: 'client_id' });
          }
          // if (oldVersion < 3) { ...add stores or indexes here, never drop... }
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

  /**
   * The registration's reference, 'PS-XXXX-XXXX': the id's first 5 bytes (40 bits,
   * big-endian) in Crockford base32, as the server makes it too. '' for an id that is
   * not a UUID. @param {string} clientId
   */
  function reference(clientId) {
    const hex = String(clientId).replace(/-/g, '').slice(0, 10);
    if (!/^[0-9a-fA-F]{10}$/.test(hex)) return '';
    let value = parseInt(hex, 16); // below 2 ** 40: exact in a double
    let code = '';
    for (let i = 0; i < 8; i += 1) {
      code = CROCKFORD[value % 32] + code;
      value = Math.floor(value / 32);
    }
    return `${REFERENCE_PREFIX}${code.slice(0, 4)}-${code.slice(4)}`;
  }

  /** The reference to give the worker. @param {Pick<OutboxItem, 'ref' | 'local_ref'>} item */
  function shownRef(item) {
    return item.ref || item.local_ref;
  }

  /**
   * The server stored the record under another reference than the phone showed (the
   * rare collision). Older records' 'HP-' numbers were never meant to last: no change.
   * @param {Pick<OutboxItem, 'ref' | 'local_ref'>} item
   */
  function refChanged(item) {
    return Boolean(item.ref && item.local_ref.startsWith(REFERENCE_PREFIX) && item.ref !== item.local_ref);
  }

  /**
   * The office may hold it: it gave a reference or a decision. (A record never answered
   * has neither: if a response was lost, the office may hold it unknown to the phone.)
   * @param {Pick<OutboxItem, 'ref' | 'server_status'>} item
   */
  function knownToServer(item) {
    return Boolean(item.ref || item.server_status);
  }

  /** @param {Pick<OutboxItem, 'state' | 'payload'>} item */
  function editable(item) {
    return (item.state === 'waiting' || item.state === 'needs_fix') && item.payload !== null;
  }

  /**
   * Every unsent record is in the file as it is now (same id, not changed since).
   * @param {SentRecord[]} unsent
   * @param {SentRecord[] | undefined} exported
   */
  function coveredByExport(unsent, exported) {
    const saved = new Map((exported || []).map((r) => [r.client_id, r.updated_at]));
    return unsent.every((r) => saved.get(r.client_id) === r.updated_at);
  }

  /** @param {OutboxItem} item @returns {SyncItem} */
  function syncItem(item) {
    return {
      client_id: item.client_id, form_version: item.form_version,
      captured_at: item.captured_at, payload: item.payload,
    };
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
      payload, state: 'waiting', server_status: null, ref: null, local_ref: reference(clientId),
      errors: null, note: null, name: payload.full_name || '', masked_nik: maskNik(payload.nik),
      created_at: now.toISOString(), updated_at: now.toISOString(), attempts: 0,
    };
    const db = await openOutbox();
    await db.add(OUTBOX_STORE, item);
    notifyChanged();
    return item;
  }

  /**
   * Save new content for a record: a correction of one sent back, a change to one not yet
   * sent, or (sent while the volunteer was changing it) one the office still has in
   * review, which goes again under its id as an edit. It waits to be sent, same id.
   * @param {string} clientId
   * @param {Record<string, string>} payload
   * @returns {Promise<OutboxItem | null>} null when there is no such record to change
   */
  async function saveCorrection(clientId, payload) {
    const db = await openOutbox();
    const tx = db.transaction([OUTBOX_STORE, DRAFT_STORE], 'readwrite');
    const store = tx.objectStore(OUTBOX_STORE);
    const item = await store.get(clientId);
    const changeable = item && (item.state !== 'sent' || EDITABLE_AT_OFFICE.includes(item.server_status));
    if (!item || !changeable) {
      await tx.done;
      return null;
    }
    Object.assign(item, {
      payload, state: 'waiting', errors: null, problem: null, name: payload.full_name || '',
      masked_nik: maskNik(payload.nik), updated_at: new Date().toISOString(),
    });
    await store.put(item);
    await tx.objectStore(DRAFT_STORE).delete(clientId);
    await tx.done;
    notifyChanged();
    return item;
  }

  /**
   * Run `task` while no sync is under way (the sync engine's lock), so that a record
   * is never discarded while a request carrying it is in flight.
   * @template T
   * @param {() => Promise<T>} task
   * @returns {Promise<T>}
   */
  async function betweenSyncs(task) {
    const locks = typeof navigator === 'undefined' ? undefined : navigator.locks;
    if (!locks) return task();
    return locks.request(LOCK_NAME, () => task());
  }

  /**
   * Take a waiting or needs-fix record off the phone. The office hears of it: an event
   * on the record if it may hold it (a tombstone goes with the next sync), otherwise
   * one more in the phone's count of discards (the heartbeat).
   * @param {string} clientId
   * @param {string} reason why, as the volunteer put it
   * @returns {Promise<DiscardReport | null>} null when it cannot be discarded
   */
  async function discardItem(clientId, reason) {
    const why = String(reason || '').trim().slice(0, MAX_REASON);
    if (!why) throw new Error('a discard needs a reason');
    const db = await openOutbox();
    const report = await betweenSyncs(async () => {
      const tx = db.transaction([OUTBOX_STORE, DRAFT_STORE, DISCARD_STORE, META_STORE], 'readwrite');
      const item = await tx.objectStore(OUTBOX_STORE).get(clientId);
      if (!item || (item.state !== 'waiting' && item.state !== 'needs_fix')) {
        await tx.done;
        return null;
      }
      /** @type {DiscardReport} */
      let told = 'count';
      if (knownToServer(item)) {
        await tx.objectStore(DISCARD_STORE).put({ client_id: clientId, reason: why, at: new Date().toISOString() });
        told = 'event';
      } else {
        const meta = tx.objectStore(META_STORE);
        const count = /** @type {number | undefined} */ (await meta.get(META.discardedCount)) || 0;
        await meta.put(count + 1, META.discardedCount);
      }
      await tx.objectStore(OUTBOX_STORE).delete(clientId);
      await tx.objectStore(DRAFT_STORE).delete(clientId);
      await tx.done;
      return told;
    });
    if (report) notifyChanged();
    return report;
  }

  /** Discards the office has yet to hear of, the oldest first. */
  async function pendingDiscards() {
    const db = await openOutbox();
    const all = await db.getAll(DISCARD_STORE);
    return all.sort((a, b) => a.at.localeCompare(b.at)).slice(0, MAX_DISCARDS_SENT);
  }

  /** @param {string[]} clientIds discards a 200 answered */
  async function forgetDiscards(clientIds) {
    if (clientIds.length === 0) return;
    const db = await openOutbox();
    const tx = db.transaction(DISCARD_STORE, 'readwrite');
    for (const id of clientIds) await tx.store.delete(id);
    await tx.done;
  }

  /** @param {string} key */
  async function getDraft(key) {
    const db = await openOutbox();
    return db.get(DRAFT_STORE, key);
  }

  /** @param {Draft} draft */
  async function putDraft(draft) {
    const db = await openOutbox();
    await db.put(DRAFT_STORE, draft, draft.key);
  }

  /** @param {string} key */
  async function deleteDraft(key) {
    const db = await openOutbox();
    await db.delete(DRAFT_STORE, key);
  }

  async function draftKeys() {
    const db = await openOutbox();
    return /** @type {string[]} */ (await db.getAllKeys(DRAFT_STORE));
  }

  async function clearDrafts() {
    const db = await openOutbox();
    await db.clear(DRAFT_STORE);
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

  /** Waiting and needs-fix records, each group oldest first. */
  async function unsent() {
    const db = await openOutbox();
    return [
      ...(await db.getAllFromIndex(OUTBOX_STORE, BY_STATE, stateRange('waiting'))),
      ...(await db.getAllFromIndex(OUTBOX_STORE, BY_STATE, stateRange('needs_fix'))),
    ];
  }

  /**
   * Take off the phone the unsent records that are in a saved file as they are now.
   * @param {SentRecord[]} exported
   */
  async function removeExported(exported) {
    const saved = new Map(exported.map((r) => [r.client_id, r.updated_at]));
    const db = await openOutbox();
    const tx = db.transaction([OUTBOX_STORE, DRAFT_STORE], 'readwrite');
    const store = tx.objectStore(OUTBOX_STORE);
    let removed = 0;
    for (const id of saved.keys()) {
      const item = await store.get(id);
      if (!item || item.state === 'sent' || item.updated_at !== saved.get(id)) continue;
      await store.delete(id);
      await tx.objectStore(DRAFT_STORE).delete(id);
      removed += 1;
    }
    await tx.done;
    if (removed) notifyChanged();
    return removed;
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
      if (result.status === 'already_received' && item.server_status === 'needs_fix') {
        // The server still holds this very content, which a coordinator sent back.
        item.state = 'needs_fix';
      } else {
        // A coordinator's note was about the content before: the fix is in.
        Object.assign(item, { state: 'sent', server_status: 'in_review', payload: null, errors: null, note: null });
      }
    } else if (result.status === 'invalid' || result.status === 'conflict') {
      Object.assign(item, { state: 'needs_fix', errors: result.errors || {} });
    } else {
      return; // an unknown status: leave the record waiting
    }
    // With any answer: the server holds a record under this id, with this reference.
    if (result.ref) item.ref = result.ref;
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
    item.kpj = update.kpj || null;
    item.duplicate_of = update.duplicate_of || null;
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
      local_ref: reference(update.client_id), errors: null, note: null,
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
    available: outboxAvailable, onChange: onOutboxChange, META,
    add: addRegistration, saveCorrection, discard: discardItem, pendingDiscards, forgetDiscards,
    getDraft, putDraft, deleteDraft, draftKeys, clearDrafts,
    get: getItem, list: listItems, counts: countItems,
    waitingBatch, unsent, removeExported, markAttempted, markUnreadable, applySyncResponse, clearReceipts,
    getMeta, setMeta, deleteMeta,
    applyResult, applyUpdate, applyResponse, applyProblem, maskNik, reference, shownRef, refChanged,
    knownToServer, editable, coveredByExport, syncItem, isoWithOffset,
  };
  self.pijarOutbox = outbox;
})();
