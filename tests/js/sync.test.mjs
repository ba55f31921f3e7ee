// The sync engine (webapp/static/js/sync.js): when the phone tries again, and how it
// sends the outbox in batches. The outbox's rules are the real ones (outbox.js); only
// IndexedDB and the server are stand-ins.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { PHONE_CONFIG, loadScripts, plain } from './helpers.mjs';

const SECOND = 1000;
const MINUTE = 60 * SECOND;

/** The sync engine with Math.random fixed to `random`. @param {number} random */
function syncWithRandom(random) {
  const math = Object.assign(Object.create(Math), { random: () => random });
  return loadScripts(['outbox.js', 'sync.js'], { Math: math }).pijarSync;
}

describe('waiting before trying again', () => {
  it('the wait doubles after each failure, up to three minutes', () => {
    const shortest = syncWithRandom(0);
    const waits = [1, 2, 3, 4, 5, 6, 7, 8, 9, 30].map((attempt) => shortest.backoffDelay(attempt));
    assert.deepEqual(waits, [1, 2, 4, 8, 16, 32, 64, 90, 90, 90].map((s) => s * SECOND));
    const longest = syncWithRandom(0.999999);
    assert.ok(longest.backoffDelay(30) <= 3 * MINUTE);
    assert.ok(longest.backoffDelay(30) > 2.99 * MINUTE);
  });

  it('phones that failed together spread out: each waits between half and all of the ceiling', () => {
    const { pijarSync: sync } = loadScripts(['outbox.js', 'sync.js']);
    const waits = Array.from({ length: 500 }, () => sync.backoffDelay(3));
    assert.ok(waits.every((ms) => ms >= 4 * SECOND && ms <= 8 * SECOND));
    assert.ok(Math.max(...waits) - Math.min(...waits) > 2 * SECOND);
  });

  it("the server's Retry-After is waited at least, but never more than three minutes", () => {
    const sync = syncWithRandom(0);
    assert.equal(sync.backoffDelay(1, 45 * SECOND), 45 * SECOND);
    assert.equal(sync.backoffDelay(1, 100), SECOND);
    assert.equal(sync.backoffDelay(1, 60 * MINUTE), 3 * MINUTE);
  });
});

describe('batches', () => {
  const { pijarSync: sync } = loadScripts(['outbox.js', 'sync.js']);
  const waiting = ['a', 'b', 'c', 'd'].map((id) => ({ client_id: id }));

  it('the oldest waiting records go first, as many as fit', () => {
    assert.deepEqual(plain(sync.pickBatch(waiting, new Set(), 3)), waiting.slice(0, 3));
  });

  it('a record the server already answered in this run is not sent again', () => {
    assert.deepEqual(plain(sync.pickBatch(waiting, new Set(['a', 'c']), 3)), [waiting[1], waiting[3]]);
  });

  it('a batch too large for the server is halved, down to a single record', () => {
    const sizes = [100];
    for (let size = sync.smallerBatch(100); size; size = sync.smallerBatch(size)) sizes.push(size);
    assert.deepEqual(sizes, [100, 50, 25, 13, 7, 4, 2, 1]);
  });
});

// --- sending, end to end in the engine -------------------------------------------------

/** Registrations waiting on the phone, oldest first. @param {number} count */
function waitingRecords(count) {
  return Array.from({ length: count }, (_, n) => {
    const id = `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
    const at = new Date(Date.UTC(2026, 10, 6, 2, 0, n)).toISOString();
    return {
      client_id: id, form_version: 1, captured_at: at, payload: { full_name: `Pekerja ${n}` },
      state: 'waiting', server_status: null, ref: null, local_ref: `HP-${n}`, errors: null,
      note: null, name: `Pekerja ${n}`, masked_nik: '', created_at: at, updated_at: at, attempts: 0,
    };
  });
}

/**
 * A stand-in for POST /api/v1/sync: takes at most `maxItems` per request (413 above),
 * answers each item with `statusFor(item)`, or fails as a whole with `failure`, or with
 * what `failWhen(body, n)` returns for request number n (1, 2, ...; null: no failure).
 */
function fakeServer({ maxItems = 100, statusFor = () => 'accepted', failure = null, failWhen = () => null } = {}) {
  const requests = [];
  async function fetch(url, init) {
    const body = JSON.parse(init.body);
    requests.push({ url, authorization: init.headers.Authorization, body });
    const failed = failure || failWhen(body, requests.length);
    if (failed) return new Response('{}', failed);
    if (body.items.length > maxItems) return new Response('{}', { status: 413 });
    const results = body.items.map((item, n) => ({
      client_id: item.client_id, status: statusFor(item), ref: `PS-${requests.length}-${n}`,
    }));
    return new Response(JSON.stringify({ results, updates: [], cursor: 'c-1' }), { status: 200 });
  }
  return { fetch, requests, sizes: () => requests.map((r) => r.body.items.length) };
}

/**
 * A phone holding `records` (and `discards`, tombstones of records discarded), its outbox
 * in memory, sending to `server`.
 */
function phone(records, server, { loggedIn = true, discards = [], discardedCount } = {}) {
  const scope = loadScripts(['outbox.js', 'sync.js'], { fetch: server.fetch, navigator: {} });
  const rules = scope.pijarOutbox;
  const META = PHONE_CONFIG.meta;
  const meta = new Map(loggedIn ? [[META.device, { token: 'token-1' }]] : []);
  if (discardedCount !== undefined) meta.set('discarded_count', discardedCount);
  const tombstones = new Map(discards.map((d) => [d.client_id, d]));
  const stored = new Map(records.map((r) => [r.client_id, r]));
  const inState = (state) => [...stored.values()].filter((r) => r.state === state);
  scope.pijarOutbox = {
    ...rules,
    getMeta: async (key) => meta.get(key),
    setMeta: async (key, value) => { meta.set(key, value); },
    deleteMeta: async (key) => { meta.delete(key); },
    waitingBatch: async (limit) => inState('waiting').slice(0, limit),
    counts: async () => ({ waiting: inState('waiting').length, needs_fix: inState('needs_fix').length, sent: 0 }),
    markAttempted: async (ids) => { for (const id of ids) stored.get(id).attempts += 1; },
    pendingDiscards: async () => [...tombstones.values()],
    forgetDiscards: async (ids) => { for (const id of ids) tombstones.delete(id); },
    markUnreadable: async (sent) => {
      const item = stored.get(sent.client_id);
      return Boolean(item && rules.applyProblem(item, sent, 'unreadable'));
    },
    applySyncResponse: async (sent, body) => {
      const { acknowledged, needsFix } = rules.applyResponse(stored, sent, body);
      return { acknowledged, needsFix };
    },
  };
  return { sync: scope.pijarSync, meta, tombstones };
}

describe('sending the outbox', () => {
  it('a hundred records too many for one request all reach the office, in smaller batches', async () => {
    const records = waitingRecords(100);
    const server = fakeServer({ maxItems: 30 });
    const result = await phone(records, server).sync.syncNow();
    assert.deepEqual(plain(result), { status: 'sent', sent: 100, needsFix: 0 });
    assert.deepEqual(server.sizes(), [100, 50, 25, 25, 25, 25]);
    assert.ok(records.every((r) => r.state === 'sent' && r.payload === null && r.ref));
    assert.equal(server.requests[2].body.items[0].client_id, records[0].client_id, 'oldest first');
  });

  it('a record too large on its own stays waiting and counts as a failed attempt', async () => {
    const records = waitingRecords(1);
    const server = fakeServer({ maxItems: 0 });
    const { sync, meta } = phone(records, server);
    const result = await sync.syncNow();
    assert.equal(result.status, 'stuck');
    assert.equal(records[0].state, 'waiting');
    assert.equal(records[0].attempts, 1);
    assert.equal(meta.get('last_error').status, 413);
  });

  it('a record the server leaves waiting is not sent round and round in one run', async () => {
    const records = waitingRecords(2);
    const server = fakeServer({ statusFor: (item) => (item.client_id === records[1].client_id ? 'later' : 'accepted') });
    const result = await phone(records, server).sync.syncNow();
    assert.deepEqual(plain(result), { status: 'sent', sent: 1, needsFix: 0 });
    assert.equal(server.requests.length, 1);
    assert.deepEqual(records.map((r) => r.state), ['sent', 'waiting']);
  });

  it('records the server finds wrong come back to be fixed, counted apart', async () => {
    const records = waitingRecords(3);
    const server = fakeServer({ statusFor: (item) => (item.client_id === records[0].client_id ? 'invalid' : 'accepted') });
    const result = await phone(records, server).sync.syncNow();
    assert.deepEqual(plain(result), { status: 'sent', sent: 2, needsFix: 1 });
    assert.equal(records[0].state, 'needs_fix');
    assert.equal(records[0].payload.full_name, 'Pekerja 0');
  });

  it('a server in trouble: nothing lost, try again no sooner than it asked', async () => {
    const records = waitingRecords(2);
    const server = fakeServer({ failure: { status: 503, headers: { 'Retry-After': '120' } } });
    const result = await phone(records, server).sync.syncNow();
    assert.deepEqual(plain(result), { status: 'retry', sent: 0, needsFix: 0, retryAfterMs: 120 * SECOND });
    assert.ok(records.every((r) => r.state === 'waiting' && r.payload && r.attempts === 1));
  });

  it('a token the server no longer takes: nothing lost, the volunteer is asked to log in', async () => {
    const records = waitingRecords(1);
    const server = fakeServer({ failure: { status: 401 } });
    const { sync, meta } = phone(records, server);
    assert.equal((await sync.syncNow()).status, 'auth');
    assert.equal(meta.get('auth_needed'), true);
    assert.equal(records[0].state, 'waiting');
  });

  it('without a device token nothing is sent and the volunteer is asked to log in', async () => {
    const server = fakeServer();
    const { sync, meta } = phone(waitingRecords(1), server, { loggedIn: false });
    assert.equal((await sync.syncNow()).status, 'auth');
    assert.equal(server.requests.length, 0);
    assert.equal(meta.get('auth_needed'), true);
  });

  it('with nothing waiting, a forced run still reports to the office and reads its decisions', async () => {
    const server = fakeServer();
    const { sync, meta } = phone([], server);
    const result = await sync.syncNow({ force: true });
    assert.equal(result.status, 'idle');
    const [request] = server.requests;
    assert.equal(request.url, '/api/v1/sync');
    assert.equal(request.authorization, 'Bearer token-1');
    assert.deepEqual(request.body, {
      device: { app_version: '0.1.0+test', pending: 0, needs_fix: 0, discarded: 0 },
      cursor: null, items: [], discarded: [],
    });
    assert.equal(meta.get('cursor'), undefined, 'the cursor is stored with the records, by the outbox');
    assert.ok(meta.get('last_sync_at'));
  });
});

// --- one record the server cannot read ---------------------------------------------------

const has = (body, record) => body.items.some((item) => item.client_id === record.client_id);
const SERVER_ERROR = { status: 500 };

describe('splitting a batch to find the record the server fails on', () => {
  const { pijarSync: sync } = loadScripts(['outbox.js', 'sync.js']);

  it('a 500 for ten records: send the first five; once they are through, the rest in halves', () => {
    let plan = sync.suspectBatch(sync.firstPlan(), 10);
    assert.deepEqual(plain(plan), { size: 5, usual: 100, suspects: 10 });
    plan = sync.answeredBatch(plan, 5);
    assert.deepEqual(plain(plan), { size: 3, usual: 100, suspects: 5 });
    plan = sync.answeredBatch(plan, 3);
    assert.deepEqual(plain(plan), { size: 1, usual: 100, suspects: 2 });
  });

  it('every suspect answered after all (the 500 passed): full batches again', () => {
    const plan = sync.answeredBatch(sync.suspectBatch(sync.firstPlan(), 2), 2);
    assert.deepEqual(plain(plan), { size: 100, usual: 100, suspects: 0 });
  });

  it('once the record is found the batches grow back, to the size the server takes', () => {
    const smaller = { size: 25, usual: 25, suspects: 0 };
    assert.deepEqual(plain(sync.isolatedRecord(sync.suspectBatch(smaller, 25), true)), smaller);
  });

  it('found before the server took any other: one record next, to learn whether it takes any', () => {
    const plan = sync.isolatedRecord(sync.suspectBatch(sync.firstPlan(), 2), false);
    assert.deepEqual(plain(plan), { size: 1, usual: 100, suspects: 0 });
    assert.deepEqual(plain(sync.answeredBatch(plan, 1)), plain(sync.firstPlan()), 'it took it: full batches');
  });

  it('answers outside a search keep the usual size', () => {
    const plan = { size: 25, usual: 25, suspects: 0 };
    assert.deepEqual(plain(sync.answeredBatch(plan, 25)), plan);
  });
});

describe('one record the server cannot read', () => {
  /** A server that answers 500 to any request carrying `poisoned`, 200 otherwise. */
  const choking = (poisoned, options = {}) =>
    fakeServer({ failWhen: (body) => (has(body, poisoned) ? SERVER_ERROR : null), ...options });

  it('ten waiting, the fifth unreadable: the nine others go in one run, it is set aside to fix', async () => {
    const records = waitingRecords(10);
    const poisoned = records[4];
    const server = choking(poisoned);
    const result = await phone(records, server).sync.syncNow();
    assert.deepEqual(plain(result), { status: 'sent', sent: 9, needsFix: 1 });
    assert.ok(records.filter((r) => r !== poisoned).every((r) => r.state === 'sent' && r.ref));
    assert.equal(poisoned.state, 'needs_fix');
    assert.equal(poisoned.problem, 'unreadable');
    assert.equal(poisoned.payload.full_name, 'Pekerja 4', 'its data stays on the phone, to fix');
    assert.equal(poisoned.errors, null);
    // 10 (500), heartbeat, 5 (500), 3, 1, 1 alone (500), heartbeat, 1 alone again (500), the last 5.
    assert.deepEqual(server.sizes(), [10, 0, 5, 3, 1, 1, 0, 1, 5]);
  });

  it('wherever it is among a hundred, it is found in a few requests and the rest go', async () => {
    let most = 0;
    for (let position = 0; position < 100; position += 1) {
      const records = waitingRecords(100);
      const server = choking(records[position]);
      const result = await phone(records, server).sync.syncNow();
      assert.deepEqual(plain(result), { status: 'sent', sent: 99, needsFix: 1 }, `at ${position}`);
      assert.deepEqual(records.map((r) => r.state).filter((s) => s !== 'sent'), ['needs_fix']);
      most = Math.max(most, server.requests.length);
    }
    // log2(100) halvings, one heartbeat to begin with, three to try it alone, then the rest.
    assert.ok(most <= 13, `${most} requests`);
  });

  for (const [where, positions] of [['apart', [2, 7]], ['the oldest two', [0, 1]]]) {
    it(`two unreadable records, ${where}: both set aside, the others go`, async () => {
      const records = waitingRecords(10);
      const poisoned = positions.map((n) => records[n]);
      const server = fakeServer({ failWhen: (body) => (poisoned.some((r) => has(body, r)) ? SERVER_ERROR : null) });
      const result = await phone(records, server).sync.syncNow();
      assert.deepEqual(plain(result), { status: 'sent', sent: 8, needsFix: 2 });
      assert.deepEqual(poisoned.map((r) => r.problem), ['unreadable', 'unreadable']);
    });
  }

  it('the only record waiting: not blamed while the server takes no other, tried again later', async () => {
    const records = waitingRecords(1);
    const server = choking(records[0]);
    const { sync } = phone(records, server);
    const result = await sync.syncNow();
    assert.deepEqual([result.status, result.sent, result.needsFix], ['retry', 0, 0]);
    assert.deepEqual([records[0].state, records[0].attempts], ['waiting', 1]);
    assert.deepEqual(server.sizes(), [1, 0, 1]);

    // The volunteer registers the next worker: that one goes, and the first comes back to fix.
    const [next] = waitingRecords(2).slice(1);
    records.push(next);
    const again = phone(records, server);
    assert.deepEqual(plain(await again.sync.syncNow()), { status: 'sent', sent: 1, needsFix: 1 });
    assert.deepEqual(records.map((r) => [r.state, r.problem ?? null]), [['needs_fix', 'unreadable'], ['sent', null]]);
  });

  it('a server that answers empty requests but fails on every record: nothing set aside', async () => {
    const records = waitingRecords(10);
    const server = fakeServer({ failWhen: (body) => (body.items.length ? SERVER_ERROR : null) });
    const { sync, meta } = phone(records, server);
    const result = await sync.syncNow();
    assert.deepEqual([result.status, result.sent, result.needsFix], ['retry', 0, 0]);
    assert.ok(records.every((r) => r.state === 'waiting' && !r.problem));
    assert.deepEqual(records.map((r) => r.attempts), [1, 1, 1, 0, 0, 0, 0, 0, 0, 0]);
    assert.equal(meta.get('last_error').status, 500);
    // The first found by splitting (10, heartbeat, 5, 3, 2, 1, heartbeat, 1 again), then
    // the next two tried alone (1, heartbeat, 1 again): three failing alone, none taken.
    assert.deepEqual(server.sizes(), [10, 0, 5, 3, 2, 1, 0, 1, 1, 0, 1, 1, 0, 1]);
  });

  it('a server failing every request: nothing set aside, try again later', async () => {
    for (const count of [1, 10]) {
      const records = waitingRecords(count);
      const server = fakeServer({ failure: SERVER_ERROR });
      const { sync, meta } = phone(records, server);
      const result = await sync.syncNow();
      assert.deepEqual([result.status, result.sent, result.needsFix], ['retry', 0, 0]);
      assert.ok(records.every((r) => r.state === 'waiting' && !r.problem && r.attempts === 1));
      assert.deepEqual(server.sizes(), [count, 0], 'the batch, then a heartbeat that fails too');
      assert.equal(meta.get('last_error').status, 500);
    }
  });

  it('a server that breaks down while the record is being looked for: nothing set aside', async () => {
    const records = waitingRecords(10);
    // 10 (500), heartbeat, 5 (500), 3 through; from then on every request fails.
    const server = fakeServer({ failWhen: (body, n) => (n > 4 || has(body, records[4]) ? SERVER_ERROR : null) });
    const result = await phone(records, server).sync.syncNow();
    assert.deepEqual([result.status, result.sent, result.needsFix], ['retry', 3, 0]);
    assert.ok(records.every((r) => r.state !== 'needs_fix' && !r.problem));
    assert.equal(server.sizes().at(-1), 0, 'it ended on a heartbeat that failed');
  });

  it('a record that fails alone while the server is down or away is not blamed', async () => {
    for (const down of [{ status: 503 }, { status: 500 }]) {
      const records = waitingRecords(1);
      const server = fakeServer({ failWhen: (body) => (body.items.length ? SERVER_ERROR : down) });
      const result = await phone(records, server).sync.syncNow();
      assert.equal(result.status, 'retry');
      assert.equal(records[0].state, 'waiting');
      assert.deepEqual(server.sizes(), [1, 0], 'no second try of the record while the server fails');
    }
  });

  it('one 500 that passes: nothing set aside, everything goes', async () => {
    for (const count of [1, 10]) {
      const records = waitingRecords(count);
      const server = fakeServer({ failWhen: (body, n) => (n === 1 ? SERVER_ERROR : null) });
      const result = await phone(records, server).sync.syncNow();
      assert.deepEqual(plain(result), { status: 'sent', sent: count, needsFix: 0 });
      assert.ok(records.every((r) => r.state === 'sent' && !r.problem));
    }
  });

  it('a record that fails alone once, then goes through: not blamed', async () => {
    const records = waitingRecords(3);
    let failuresLeft = 2; // the batch, then the record alone; its second try passes
    const server = fakeServer({
      failWhen: (body) => (has(body, records[0]) && failuresLeft-- > 0 ? SERVER_ERROR : null),
    });
    const result = await phone(records, server).sync.syncNow();
    assert.deepEqual(plain(result), { status: 'sent', sent: 3, needsFix: 0 });
  });

  for (const status of [502, 503, 504]) {
    it(`${status} (the server is down or away): stop at once and try again later, as always`, async () => {
      const records = waitingRecords(10);
      const server = choking(records[4], { failWhen: () => ({ status }) });
      const result = await phone(records, server).sync.syncNow();
      assert.deepEqual([result.status, result.sent, result.needsFix], ['retry', 0, 0]);
      assert.equal(server.requests.length, 1);
      assert.ok(records.every((r) => r.state === 'waiting' && r.attempts === 1));
    });
  }

  it('no connection: stop at once and try again later, as always', async () => {
    const records = waitingRecords(3);
    const requests = [];
    const fetch = async (url, init) => { requests.push(init); throw new TypeError('Failed to fetch'); };
    const result = await phone(records, { fetch }).sync.syncNow();
    assert.deepEqual([result.status, result.sent, result.needsFix], ['offline', 0, 0]);
    assert.equal(requests.length, 1);
    assert.ok(records.every((r) => r.state === 'waiting'));
  });
});

// --- discards and a deactivated account ---------------------------------------------------

describe('records discarded on the phone reach the office', () => {
  const tombstone = { client_id: 'aaaaaaaa-0000-4000-8000-000000000001', reason: 'Pekerja membatalkan', at: '2026-11-06T03:00:00.000Z' };

  it('a discard the office may know goes with the next request, even with nothing waiting', async () => {
    const server = fakeServer();
    const { sync, tombstones } = phone([], server, { discards: [tombstone] });
    const result = await sync.syncNow();
    assert.equal(result.status, 'idle');
    assert.equal(server.requests.length, 1, 'a request although no record waits');
    assert.deepEqual(server.requests[0].body.discarded, [{ client_id: tombstone.client_id, reason: 'Pekerja membatalkan' }]);
    assert.equal(tombstones.size, 0, 'forgotten once a 200 answered');
  });

  it('kept while the office cannot be reached, and sent again next time', async () => {
    const { sync, tombstones } = phone([], fakeServer({ failure: { status: 503 } }), { discards: [tombstone] });
    assert.equal((await sync.syncNow()).status, 'retry');
    assert.equal(tombstones.size, 1);
    const server = fakeServer();
    const again = phone([], server, { discards: [...tombstones.values()] });
    await again.sync.syncNow();
    assert.equal(server.requests[0].body.discarded.length, 1);
    assert.equal(again.tombstones.size, 0);
  });

  it('no personal data goes with a discard: its id and the reason only', async () => {
    const server = fakeServer();
    await phone([], server, { discards: [tombstone] }).sync.syncNow();
    assert.deepEqual(Object.keys(server.requests[0].body.discarded[0]).sort(), ['client_id', 'reason']);
  });

  it('those discarded before the office ever had them are counted in the heartbeat', async () => {
    const server = fakeServer();
    await phone(waitingRecords(1), server, { discardedCount: 3 }).sync.syncNow();
    assert.equal(server.requests[0].body.device.discarded, 3);
  });
});

describe('an account an admin deactivated', () => {
  /** A server answering 401 with this JSON error. */
  function refusing(error) {
    const requests = [];
    return {
      requests,
      fetch: async (url, init) => {
        requests.push(init);
        return new Response(JSON.stringify({ error, message: '...' }), {
          status: 401, headers: { 'Content-Type': 'application/json' },
        });
      },
    };
  }

  it('is told so: the records stay and nothing asks for a login that cannot succeed', async () => {
    const records = waitingRecords(2);
    const { sync, meta } = phone(records, refusing('deactivated'));
    const result = await sync.syncNow();
    assert.equal(result.status, 'deactivated');
    assert.equal(meta.get('account_deactivated'), true);
    assert.equal(meta.get('auth_needed'), undefined);
    assert.ok(records.every((r) => r.state === 'waiting' && r.payload));
  });

  it('any other 401 still asks the volunteer to log in again', async () => {
    const { sync, meta } = phone(waitingRecords(1), refusing('unauthorized'));
    assert.equal((await sync.syncNow()).status, 'auth');
    assert.equal(meta.get('auth_needed'), true);
    assert.equal(meta.get('account_deactivated'), undefined);
  });

  it('reactivated: the next 200 clears it', async () => {
    const { sync, meta } = phone(waitingRecords(1), fakeServer());
    meta.set('account_deactivated', true);
    await sync.syncNow();
    assert.equal(meta.get('account_deactivated'), undefined);
  });
});
