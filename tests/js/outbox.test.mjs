// The outbox's rules (webapp/static/js/outbox.js): what the phone keeps of a record as
// the server and the coordinators answer, and the formats the volunteer sees.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { loadScripts, plain } from './helpers.mjs';

const { pijarOutbox: outbox } = loadScripts(['outbox.js']);

const CLIENT_ID = '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d';
const SENT_AT = '2026-11-06T02:12:00.000Z';

/** A registration saved on the phone and waiting to be sent. */
function waitingRecord(overrides = {}) {
  return {
    client_id: CLIENT_ID, form_version: 1, captured_at: '2026-11-06T09:12:00+07:00',
    payload: { full_name: 'Sri Wahyuni', nik: '3374015501900012', phone: '081234567890' },
    state: 'waiting', server_status: null, ref: null, local_ref: 'HP-1A2B-3C4D',
    errors: null, note: null, name: 'Sri Wahyuni', masked_nik: '3374 01•• •••• 0012',
    created_at: SENT_AT, updated_at: SENT_AT, attempts: 0,
    ...overrides,
  };
}

/** The same record after the server took it. */
function sentRecord(overrides = {}) {
  return waitingRecord({ state: 'sent', server_status: 'in_review', payload: null, ref: 'PS-0001', ...overrides });
}

const serverCopy = { full_name: 'Sri Wahyuni', nik: '3374015501900012', monthly_income: 1500000, drive_id: null };

describe('a record the server answers', () => {
  it('accepted: loses its personal data but keeps its receipt', () => {
    const record = waitingRecord();
    outbox.applyResult(record, { client_id: CLIENT_ID, status: 'accepted', ref: 'PS-0001' });
    assert.equal(record.state, 'sent');
    assert.equal(record.payload, null);
    assert.equal(record.server_status, 'in_review');
    assert.equal(record.ref, 'PS-0001');
    assert.equal(record.local_ref, 'HP-1A2B-3C4D');
    assert.equal(record.name, 'Sri Wahyuni');
    assert.equal(record.masked_nik, '3374 01•• •••• 0012');
  });

  it('already received (its first answer was lost): sent, like accepted', () => {
    const record = waitingRecord();
    outbox.applyResult(record, { client_id: CLIENT_ID, status: 'already_received', ref: 'PS-0001' });
    assert.equal(record.state, 'sent');
    assert.equal(record.payload, null);
    assert.equal(record.ref, 'PS-0001');
  });

  it('already received after a coordinator sent it back unchanged: still to be fixed, data kept', () => {
    const record = waitingRecord({ server_status: 'needs_fix', ref: 'PS-0001', note: 'Foto KTP buram' });
    outbox.applyResult(record, { client_id: CLIENT_ID, status: 'already_received', ref: 'PS-0001' });
    assert.equal(record.state, 'needs_fix');
    assert.equal(record.payload.full_name, 'Sri Wahyuni');
  });

  for (const status of ['invalid', 'conflict']) {
    it(`${status}: comes back to the volunteer with the server's messages, nothing typed lost`, () => {
      const record = waitingRecord();
      const errors = { nik: ['NIK harus 16 angka.'] };
      outbox.applyResult(record, { client_id: CLIENT_ID, status, errors });
      assert.equal(record.state, 'needs_fix');
      assert.deepEqual(plain(record.errors), errors);
      assert.equal(record.payload.phone, '081234567890');
      assert.notEqual(record.updated_at, SENT_AT);
    });
  }

  it('an answer the phone does not know: the record stays waiting, untouched', () => {
    const record = waitingRecord();
    outbox.applyResult(record, { client_id: CLIENT_ID, status: 'later' });
    assert.deepEqual(record, waitingRecord());
  });
});

describe("a coordinator's decision", () => {
  it('approved: the receipt says so', () => {
    const record = sentRecord();
    outbox.applyUpdate(record, { client_id: CLIENT_ID, status: 'approved', ref: 'PS-0001', note: '' });
    assert.equal(record.state, 'sent');
    assert.equal(record.server_status, 'approved');
    assert.equal(record.note, null);
    assert.equal(record.payload, null);
  });

  it("sent back: the record returns to the phone with the server's copy and the note", () => {
    const record = sentRecord();
    outbox.applyUpdate(record, {
      client_id: CLIENT_ID, status: 'needs_fix', ref: 'PS-0001', note: 'Foto KTP buram',
      payload: { ...serverCopy, full_name: 'Sri Wahyuningsih' },
    });
    assert.equal(record.state, 'needs_fix');
    assert.equal(record.note, 'Foto KTP buram');
    assert.equal(record.payload.monthly_income, 1500000);
    assert.equal(record.name, 'Sri Wahyuningsih');
  });

  it('sent back while a correction already waits to go: the correction is kept and still goes', () => {
    const record = waitingRecord({ server_status: 'needs_fix', ref: 'PS-0001', payload: { full_name: 'Sri W.' } });
    outbox.applyUpdate(record, {
      client_id: CLIENT_ID, status: 'needs_fix', ref: 'PS-0001', note: 'Lagi', payload: serverCopy,
    });
    assert.equal(record.state, 'waiting');
    assert.equal(record.payload.full_name, 'Sri W.');
    assert.equal(record.note, 'Lagi');
  });
});

describe('a whole sync response', () => {
  const sent = [{ client_id: CLIENT_ID, updated_at: SENT_AT }];

  it('a decision older than the correction accepted in the same answer does not undo the correction', () => {
    const record = waitingRecord({ server_status: 'needs_fix', ref: 'PS-0001' });
    const applied = outbox.applyResponse(new Map([[CLIENT_ID, record]]), sent, {
      results: [{ client_id: CLIENT_ID, status: 'accepted', ref: 'PS-0001' }],
      updates: [{ client_id: CLIENT_ID, status: 'needs_fix', ref: 'PS-0001', note: 'lama', payload: serverCopy }],
    });
    assert.equal(record.state, 'sent');
    assert.equal(record.server_status, 'in_review');
    assert.equal(record.payload, null);
    assert.deepEqual([applied.acknowledged, applied.needsFix], [1, 0]);
  });

  it('a record edited again while it was on its way stays waiting: the newer content still has to go', () => {
    const record = waitingRecord({ updated_at: '2026-11-06T02:13:00.000Z', payload: { full_name: 'Sri W.' } });
    const applied = outbox.applyResponse(new Map([[CLIENT_ID, record]]), sent, {
      results: [{ client_id: CLIENT_ID, status: 'accepted', ref: 'PS-0001' }],
    });
    assert.equal(record.state, 'waiting');
    assert.equal(record.payload.full_name, 'Sri W.');
    assert.deepEqual([applied.changed.length, applied.acknowledged], [0, 0]);
  });

  it('counts what went and what came back to be fixed', () => {
    const other = '9f8e7d6c-0000-4000-8000-000000000000';
    const records = new Map([[CLIENT_ID, waitingRecord()], [other, waitingRecord({ client_id: other })]]);
    const applied = outbox.applyResponse(records, [...sent, { client_id: other, updated_at: SENT_AT }], {
      results: [
        { client_id: CLIENT_ID, status: 'accepted', ref: 'PS-0001' },
        { client_id: other, status: 'invalid', errors: { nik: ['NIK sudah terdaftar.'] } },
      ],
    });
    assert.deepEqual([applied.acknowledged, applied.needsFix], [2, 1]);
    assert.deepEqual(plain(applied.changed.map((r) => r.state)), ['sent', 'needs_fix']);
  });

  it('a record sent back that this phone no longer holds comes back to be fixed', () => {
    const records = new Map();
    const applied = outbox.applyResponse(records, [], {
      updates: [{ client_id: CLIENT_ID, status: 'needs_fix', ref: 'PS-0001', note: 'Cek NIK', payload: serverCopy }],
    });
    const [record] = applied.changed;
    assert.equal(record.state, 'needs_fix');
    assert.equal(record.local_ref, 'HP-1A2B-3C4D');
    assert.equal(record.masked_nik, '3374 01•• •••• 0012');
    assert.equal(record.payload.full_name, 'Sri Wahyuni');
    assert.equal(record.note, 'Cek NIK');
  });

  it('a decision without data on a record this phone no longer holds is ignored', () => {
    const applied = outbox.applyResponse(new Map(), [], {
      updates: [{ client_id: CLIENT_ID, status: 'approved', ref: 'PS-0001', note: '' }],
    });
    assert.equal(applied.changed.length, 0);
  });
});

describe('a record the server fails on, alone and again', () => {
  const sent = { client_id: CLIENT_ID, updated_at: SENT_AT };

  it('comes back to the volunteer to check, with everything typed and the reason as a code', () => {
    const record = waitingRecord();
    assert.equal(outbox.applyProblem(record, sent, 'unreadable'), true);
    assert.equal(record.state, 'needs_fix');
    assert.equal(record.problem, 'unreadable');
    assert.deepEqual(plain(record.payload), waitingRecord().payload);
    assert.equal(record.errors, null);
    assert.notEqual(record.updated_at, SENT_AT);
  });

  it('a record changed since it was sent is not the one that failed: left as it is', () => {
    const record = waitingRecord({ updated_at: '2026-11-06T02:13:00.000Z' });
    assert.equal(outbox.applyProblem(record, sent, 'unreadable'), false);
    assert.equal(record.state, 'waiting');
    assert.equal(record.problem, undefined);
  });

  it('a record stored before the reason existed (no `problem` field) still goes through', () => {
    const record = waitingRecord();
    assert.equal('problem' in record, false);
    outbox.applyResult(record, { client_id: CLIENT_ID, status: 'accepted', ref: 'PS-0001' });
    assert.equal(record.state, 'sent');
  });
});

describe('what the volunteer reads', () => {
  it('a NIK is shown masked as the server masks it, however it was typed', () => {
    assert.equal(outbox.maskNik('3374015501900012'), '3374 01•• •••• 0012');
    assert.equal(outbox.maskNik('3374.01 5501-900012'), '3374 01•• •••• 0012');
  });

  it('a NIK of the wrong length is hidden whole', () => {
    assert.equal(outbox.maskNik('33740155'), '••••••••');
    assert.equal(outbox.maskNik(''), '');
    assert.equal(outbox.maskNik(undefined), '');
  });

  it("the phone's own reference comes from the record's id", () => {
    assert.equal(outbox.localRef(CLIENT_ID), 'HP-1A2B-3C4D');
  });

  it("the capture time carries the phone's offset", (t) => {
    const tz = process.env.TZ;
    t.after(() => { process.env.TZ = tz; });
    process.env.TZ = 'Asia/Jakarta';
    assert.equal(outbox.isoWithOffset(new Date('2026-11-06T02:12:05Z')), '2026-11-06T09:12:05+07:00');
    process.env.TZ = 'UTC';
    assert.equal(outbox.isoWithOffset(new Date('2026-11-06T02:12:05Z')), '2026-11-06T02:12:05+00:00');
    process.env.TZ = 'America/St_Johns'; // behind UTC, by a half hour
    assert.equal(outbox.isoWithOffset(new Date('2026-01-15T12:00:05Z')), '2026-01-15T08:30:05-03:30');
  });
});
