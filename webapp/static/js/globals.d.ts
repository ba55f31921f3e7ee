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
    /** The registration rules the phone checks before saving (PhoneRules, pages.d.ts). */
    rules: string;
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
/**
 * Where a record stands at the office (webapp/lifecycle.py, PHONE_WORDS; DESIGN.md, Sync
 * API): 'refused' (BPJS did not accept the worker) and 'exited' are worded ahead of the
 * server sending them.
 */
type ServerStatus = 'in_review' | 'needs_fix' | 'approved' | 'in_batch' | 'sent_to_bpjs' | 'enrolled'
  | 'refused' | 'rejected' | 'duplicate' | 'exited';
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
  /** The server's reference, once it has one (the phone's own unless they collided). */
  ref: string | null;
  /**
   * The reference the phone made from client_id when the record was saved, 'PS-XXXX-XXXX'
   * (older records: 'HP-1A2B-3C4D', which the server never used). Shown until the server's.
   */
  local_ref: string;
  errors: FieldErrors | null;
  /** Set by the phone with state 'needs_fix'; cleared by a correction. Absent on older records. */
  problem?: OutboxProblem | null;
  /** A coordinator's note; cleared once the fix is sent. */
  note: string | null;
  /** The BPJS Ketenagakerjaan participant number, once enrolled. Absent on older records. */
  kpj?: string | null;
  /** The reference of the registration kept when this one is a duplicate. */
  duplicate_of?: string | null;
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
  /** Only with 'enrolled'. */
  kpj?: string;
  /** Only with 'duplicate': the reference of the registration kept. */
  duplicate_of?: string;
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
  /** What the next registration starts with: the previous one's drive, place and work. */
  carry_over: CarryOver;
  /** The server said the volunteer's account is deactivated (cleared by any 200). */
  account_deactivated: boolean;
  /** Records discarded on this phone before the office ever had them (the heartbeat's count). */
  discarded_count: number;
  /** The unsent records as they were when last saved to a file ("Simpan ke file"). */
  last_export: {at: string; records: SentRecord[]};
}
type MetaKey = keyof PijarMeta;

/**
 * The meta store's keys: the server's (PijarConfig.meta) and those only the phone uses,
 * named in outbox.js (pijarOutbox.META).
 */
type PijarMetaKeys = PijarConfig['meta'] & {
  carryOver: 'carry_over';
  accountDeactivated: 'account_deactivated';
  discardedCount: 'discarded_count';
  lastExport: 'last_export';
};

/** The fields a registration passes to the next one (see draft.js), by form name. */
type CarryOver = Record<string, string>;

/** A half-filled form, kept as the volunteer types (version 2 of the database). */
interface Draft {
  /** 'new' for a new registration, or the client_id of the record being edited. */
  key: string;
  payload: Record<string, string>;
  saved_at: string;
}

/**
 * A record discarded on this phone that the office may hold: kept until a 200 answers a
 * request carrying it. No personal data.
 */
interface Discard {
  client_id: string;
  reason: string;
  at: string;
}

/** How the office learns of a discard: an event on its record, or the heartbeat's count. */
type DiscardReport = 'event' | 'count';

/** The IndexedDB schema (idb's DBSchema shape). Version 2 added drafts and discards. */
type PijarDB = {
  outbox: {key: string; value: OutboxItem; indexes: {state_created: [string, string]}};
  meta: {key: MetaKey; value: PijarMeta[MetaKey]};
  drafts: {key: string; value: Draft};
  discards: {key: string; value: Discard};
};

interface PijarOutbox {
  /** True when IndexedDB works here (not in some private modes). */
  available(): Promise<boolean>;
  /** `callback` runs after any change, in this page, another tab or the worker. */
  onChange(callback: () => void): void;
  /** The meta store's keys, the server's and the phone's own. */
  META: PijarMetaKeys;
  add(payload: Record<string, string>): Promise<OutboxItem>;
  /**
   * New content for a record not yet sent, sent back, or at the office still in review
   * (sent again under its id, an edit); null when it can no longer be changed.
   */
  saveCorrection(clientId: string, payload: Record<string, string>): Promise<OutboxItem | null>;
  /**
   * Take a waiting or needs-fix record off the phone, telling the office (see
   * DiscardReport); null when it cannot be discarded (sent meanwhile, or gone).
   */
  discard(clientId: string, reason: string): Promise<DiscardReport | null>;
  /** Discards not yet carried by a request that got a 200, for the next sync. */
  pendingDiscards(): Promise<Discard[]>;
  /** A 200 answered a request carrying these discards. */
  forgetDiscards(clientIds: string[]): Promise<void>;
  getDraft(key: string): Promise<Draft | undefined>;
  putDraft(draft: Draft): Promise<void>;
  deleteDraft(key: string): Promise<void>;
  /** Drafts on this phone (their keys). */
  draftKeys(): Promise<string[]>;
  clearDrafts(): Promise<void>;
  get(clientId: string): Promise<OutboxItem | undefined>;
  /** Newest first. */
  list(): Promise<OutboxItem[]>;
  counts(): Promise<OutboxCounts>;
  /** The oldest waiting records. */
  waitingBatch(limit: number): Promise<OutboxItem[]>;
  /** Waiting and needs-fix records, oldest first (for a file, or the logout check). */
  unsent(): Promise<OutboxItem[]>;
  /**
   * Take unsent records off the phone that are in a saved file as they are now (logout
   * after "Simpan ke file"); returns how many.
   */
  removeExported(exported: SentRecord[]): Promise<number>;
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
  /** 'PS-XXXX-XXXX': the first 5 bytes of the id in Crockford base32 (DESIGN.md, References). */
  reference(clientId: string): string;
  /** The reference to give the worker: the server's once known, else the phone's. */
  shownRef(item: Pick<OutboxItem, 'ref' | 'local_ref'>): string;
  /** The server gave another reference than the one the phone showed (a collision). */
  refChanged(item: Pick<OutboxItem, 'ref' | 'local_ref'>): boolean;
  /** The office may hold this record: a discard is then an event on it, not a count. */
  knownToServer(item: Pick<OutboxItem, 'ref' | 'server_status'>): boolean;
  /** Waiting or sent back: the volunteer may still open, change or discard it. */
  editable(item: Pick<OutboxItem, 'state' | 'payload'>): boolean;
  /** Every unsent record is in the saved file as it is now. */
  coveredByExport(unsent: SentRecord[], exported: SentRecord[] | undefined): boolean;
  /** One record as the sync API (and a saved file) carries it. */
  syncItem(item: OutboxItem): SyncItem;
  isoWithOffset(date: Date): string;
}

declare var pijarOutbox: PijarOutbox;

// --- The sync engine (sync.js) --------------------------------------------------------

/** 'auth': log in again; 'deactivated': the account is switched off (the queue stays). */
type SyncStatus = 'sent' | 'idle' | 'offline' | 'retry' | 'auth' | 'deactivated' | 'busy' | 'stuck';

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
