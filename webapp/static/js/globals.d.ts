// For editors and `tsc` only (never loaded by a page): the contracts between the classic
// scripts that the pages and the service worker share. Each script sets at most one
// global, e.g. `self.pijarOutbox = outbox`, annotated with its interface below, so tsc
// checks every implementation against its contract. Page-only namespaces: pages.d.ts.

/** vendor/idb-8.0.4.umd.js, typed from the npm package of the same version. */
declare const idb: typeof import('idb');

// --- The config the server renders (webapp/pwa.py, phone_config()) -------------------

/** Where the phone's scripts find URLs and names: `<meta name="pijar-config">` or /sw.js. */
interface PijarConfig {
  /** What the phone reports in its heartbeat, e.g. '0.1.0+3f2a9c1b07de'. */
  version: string;
  urls: {
    sync: string;
    devices: string;
    currentDevice: string;
    /** The volunteer's home; every cached page under it shows the volunteer's name. */
    home: string;
    register: string;
    /** The form reopening a record sent back: append the record's client_id. */
    fix: string;
    outbox: string;
    worker: string;
    /** Where static files are served from (the service worker caches them). */
    static: string;
  };
  /** Phones in the field hold a database with these names: never change them. */
  db: {name: 'pijar-semar'; outboxStore: 'outbox'; metaStore: 'meta'; byState: 'state_created'};
  /** Keys of the meta store (see PijarMeta). */
  meta: {
    device: 'device';
    cursor: 'cursor';
    lastSyncAt: 'last_sync_at';
    authNeeded: 'auth_needed';
    lastError: 'last_error';
    persistAsked: 'persist_asked';
  };
  events: {outboxChanged: string; sync: string; pristine: string};
  /** sessionStorage keys. */
  session: {reloadedForUpdate: string; lastReceipt: string};
  cachePrefix: string;
  lockName: string;
  channelName: string;
  backgroundSyncTag: string;
  /** Only in the service worker's copy: the app shell it precaches. */
  shell?: PijarShell;
}

interface PijarShell {
  /** Every URL stored on install, pages first. */
  precache: string[];
  /** The pages served from the cache when the network fails. */
  pages: string[];
  offline: string;
  /** What the worker loads with importScripts, in order. */
  scripts: string[];
}

declare var pijarConfig: PijarConfig;

// --- The outbox (outbox.js) -----------------------------------------------------------

/** Where a record stands on the phone: only a server receipt makes it 'sent'. */
type OutboxState = 'waiting' | 'needs_fix' | 'sent';
/** Where a record stands at the office (webapp/lifecycle.py, PHONE_STATUS). */
type ServerStatus = 'in_review' | 'needs_fix' | 'approved' | 'rejected' | 'enrolled';
/** A form's fields by name: strings from the form; the server's copy has some numbers. */
type Payload = Record<string, string | number | null>;
/** Messages by field name, as the server words them. */
type FieldErrors = Record<string, string[]>;
/**
 * Why the phone itself set a record aside to be fixed, as a code the pages word
 * (`problem.<code>` in field/_texts.html): 'unreadable', the server failed (500) on
 * this record alone, twice, while it answered others.
 */
type OutboxProblem = 'unreadable';

interface OutboxItem {
  /** Made on the phone; the server's idempotency key. */
  client_id: string;
  form_version: number;
  /** ISO 8601 with the phone's offset. */
  captured_at: string;
  /** The personal data: null once the server has it. */
  payload: Payload | null;
  state: OutboxState;
  server_status: ServerStatus | null;
  /** The server's reference, once it has one. */
  ref: string | null;
  /** 'HP-1A2B-3C4D': the reference the volunteer sees before the server's. */
  local_ref: string;
  errors: FieldErrors | null;
  /** Set by the phone with state 'needs_fix'; cleared by a correction. Absent on older records. */
  problem?: OutboxProblem | null;
  /** A coordinator's note. */
  note: string | null;
  name: string;
  masked_nik: string;
  created_at: string;
  updated_at: string;
  /** Failed deliveries so far. */
  attempts: number;
}

type OutboxCounts = Record<OutboxState, number>;

/** One record as the sync API (and a saved outbox file) carries it. */
type SyncItem = Pick<OutboxItem, 'client_id' | 'form_version' | 'captured_at' | 'payload'>;

/** The server's answer for one item sent. */
interface SyncItemResult {
  client_id: string;
  status: 'accepted' | 'already_received' | 'invalid' | 'conflict';
  ref?: string;
  flags?: string[];
  errors?: FieldErrors;
}

/** A coordinator's decision on one of this phone's records. */
interface SyncUpdate {
  client_id: string;
  status: ServerStatus;
  ref?: string;
  note?: string;
  /** Only when the record is sent back: the server's copy, to fix and send again. */
  payload?: Payload;
}

/** The body of a 200 from POST /api/v1/sync. */
interface SyncResponse {
  results?: SyncItemResult[];
  updates?: SyncUpdate[];
  cursor?: string | null;
}

/** A record as it was when sent, to tell whether it was edited while in flight. */
type SentRecord = Pick<OutboxItem, 'client_id' | 'updated_at'>;

/** What a sync response changed: `acknowledged` includes `needsFix`. */
interface AppliedResponse {
  changed: OutboxItem[];
  acknowledged: number;
  needsFix: number;
}

/** The meta store: one value per key. */
interface PijarMeta {
  /** The sync token this phone got at login. */
  device: {token: string; device_id: number; username: string; created_at: string};
  /** Where the coordinators' decisions were read up to. */
  cursor: string | null;
  last_sync_at: string;
  auth_needed: boolean;
  last_error: {at: string; status: number};
  /** When the browser was asked to keep the outbox (asked once). */
  persist_asked: string;
}
type MetaKey = keyof PijarMeta;

/** The IndexedDB schema (idb's DBSchema shape). */
type PijarDB = {
  outbox: {key: string; value: OutboxItem; indexes: {state_created: [string, string]}};
  meta: {key: MetaKey; value: PijarMeta[MetaKey]};
};

interface PijarOutbox {
  /** True when IndexedDB works here (not in some private modes). */
  available(): Promise<boolean>;
  /** `callback` runs after any change, in this page, another tab or the worker. */
  onChange(callback: () => void): void;
  add(payload: Record<string, string>): Promise<OutboxItem>;
  /** null when there is no such record to fix (any more). */
  saveCorrection(clientId: string, payload: Record<string, string>): Promise<OutboxItem | null>;
  get(clientId: string): Promise<OutboxItem | undefined>;
  /** Newest first. */
  list(): Promise<OutboxItem[]>;
  counts(): Promise<OutboxCounts>;
  /** The oldest waiting records. */
  waitingBatch(limit: number): Promise<OutboxItem[]>;
  unsentForExport(): Promise<SyncItem[]>;
  markAttempted(clientIds: string[]): Promise<void>;
  /** Set aside a record the server cannot read; false when it changed since it was sent. */
  markUnreadable(sent: SentRecord): Promise<boolean>;
  /** Apply a sync response and store its cursor, in one transaction. */
  applySyncResponse(sent: SentRecord[], body: SyncResponse): Promise<{acknowledged: number; needsFix: number}>;
  clearReceipts(): Promise<void>;
  getMeta<K extends MetaKey>(key: K): Promise<PijarMeta[K] | undefined>;
  setMeta<K extends MetaKey>(key: K, value: PijarMeta[K]): Promise<void>;
  deleteMeta(key: MetaKey): Promise<void>;
  // Pure functions: the state machine and the formats.
  applyResult(item: OutboxItem, result: SyncItemResult): void;
  applyUpdate(item: OutboxItem, update: SyncUpdate): void;
  applyResponse(records: Map<string, OutboxItem>, sent: SentRecord[], body: SyncResponse): AppliedResponse;
  applyProblem(item: OutboxItem, sent: SentRecord, problem: OutboxProblem): boolean;
  maskNik(value: string | number | null | undefined): string;
  localRef(clientId: string): string;
  isoWithOffset(date: Date): string;
}

declare var pijarOutbox: PijarOutbox;

// --- The sync engine (sync.js) --------------------------------------------------------

type SyncStatus = 'sent' | 'idle' | 'offline' | 'retry' | 'auth' | 'busy' | 'stuck';

interface SyncResult {
  status: SyncStatus;
  /** Records the server took. */
  sent: number;
  /** Records the server sent back to be fixed. */
  needsFix: number;
  retryAfterMs?: number;
}

/**
 * How a run sizes its batches. `usual`: the size when no record is suspected (smaller
 * after a 413). `suspects`: after a 500 for several records, how many of the oldest
 * untried ones hold the record the server fails on (0: none suspected).
 */
interface BatchPlan {
  size: number;
  usual: number;
  suspects: number;
}

interface SyncOptions {
  /** Ask the server even when nothing waits (heartbeat, coordinators' decisions). */
  force?: boolean;
}

interface PijarSync {
  /** Send now unless another sender is busy. Never throws on a network failure. */
  syncNow(options?: SyncOptions): Promise<SyncResult>;
  /** Milliseconds before retry number `attempt`; `serverHintMs` is a minimum. */
  backoffDelay(attempt: number, serverHintMs?: number): number;
  requestBackgroundSync(): Promise<boolean>;
  /** The next records to send: the oldest waiting, none already tried in this run. */
  pickBatch(oldestWaiting: OutboxItem[], tried: Set<string>, size: number): OutboxItem[];
  /** The batch size after a 413; null when a single record was already too large. */
  smallerBatch(size: number): number | null;
  /** Full batches, nothing suspected. */
  firstPlan(): BatchPlan;
  /** After a 500 for `sent` records (more than one): they are suspected; send half. */
  suspectBatch(plan: BatchPlan, sent: number): BatchPlan;
  /** After `answered` records got results: fewer suspects, or usual batches when none is left. */
  answeredBatch(plan: BatchPlan, answered: number): BatchPlan;
  /** After a record the server fails on alone was found: usual batches if it `taken` others, else one record. */
  isolatedRecord(plan: BatchPlan, taken: boolean): BatchPlan;
  BUSY_RETRY_MS: number;
}

declare var pijarSync: PijarSync;
