// The outbox's rules (webapp/static/js/outbox.js): what the phone keeps of a record as
// the server and the coordinators answer, and the formats the volunteer sees.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

import { loadScripts, plain } from './helpers.mjs';

const { pijarOutbox: outbox } = loadScripts(['outbox.js']);

const CLIENT_ID = '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d';
// The reference made from CLIENT_ID, on the phone and on the server alike.
const REF = 'PS-38NK-RKAY';
const SENT_AT = '2026-11-06T02:12:00.000Z';

/** A registration saved on the phone and waiting to be sent. */
function waitingRecord(overrides = {}) {
  return {
    client_id: CLIENT_ID, form_version: 1, captured_at: '2026-11-06T09:12:00+07:00',
    payload: { full_name: 'Sri Wahyuni', nik: '3374015501900012', phone: '081234567890' },
    state: 'waiting', server_status: null, ref: null, local_ref: REF,
    errors: null, note: null, name: 'Sri Wahyuni', masked_nik: '3374 01•• •••• 0012',
    created_at: SENT_AT, updated_at: SENT_AT, attempts: 0,
    ...overrides,
  };
}

/** The same record after the server took it. */
function sentRecord(overrides = {}) {
  return waitingRecord({ state: 'sent', server_status: 'in_review', payload: null, ref: REF, ...overrides });
}

const serverCopy = { full_name: 'Sri Wahyuni', nik: '3374015501900012', monthly_income: 1500000, drive_id: null };

describe('a record the server answers', () => {
  it('accepted: loses its personal data but keeps its receipt', () => {
    const record = waitingRecord();
    outbox.applyResult(record, { client_id: CLIENT_ID, status: 'accepted', ref: REF });
    assert.equal(record.state, 'sent');
    assert.equal(record.payload, null);
    assert.equal(record.server_status, 'in_review');
    assert.equal(record.ref, REF);
    assert.equal(record.local_ref, REF);
    assert.equal(record.name, 'Sri Wahyuni');
    assert.equal(record.masked_nik, '3374 01•• •••• 0012');
  });

  it('already received (its first answer was lost): sent, like accepted', () => {
    const record = waitingRecord();
    outbox.applyResult(record, { client_id: CLIENT_ID, status: 'already_received', ref: REF });
    assert.equal(record.state, 'sent');
    assert.equal(record.payload, null);
    assert.equal(record.ref, REF);
  });

  it('already received after a coordinator sent it back unchanged: still to be fixed, data kept', () => {
    const record = waitingRecord({ server_status: 'needs_fix', ref: REF, note: 'Foto KTP buram' });
    outbox.applyResult(record, { client_id: CLIENT_ID, status: 'already_received', ref: REF });
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
    outbox.applyUpdate(record, { client_id: CLIENT_ID, status: 'approved', ref: REF, note: '' });
    assert.equal(record.state, 'sent');
    assert.equal(record.server_status, 'approved');
    assert.equal(record.note, null);
    assert.equal(record.payload, null);
  });

  it("sent back: the record returns to the phone with the server's copy and the note", () => {
    const record = sentRecord();
    outbox.applyUpdate(record, {
      client_id: CLIENT_ID, status: 'needs_fix', ref: REF, note: 'Foto KTP buram',
      payload: { ...serverCopy, full_name: 'Sri Wahyuningsih' },
    });
    assert.equal(record.state, 'needs_fix');
    assert.equal(record.note, 'Foto KTP buram');
    assert.equal(record.payload.monthly_income, 1500000);
    assert.equal(record.name, 'Sri Wahyuningsih');
  });

  it('sent back while a correction already waits to go: the correction is kept and still goes', () => {
    const record = waitingRecord({ server_status: 'needs_fix', ref: REF, payload: { full_name: 'Sri W.' } });
    outbox.applyUpdate(record, {
      client_id: CLIENT_ID, status: 'needs_fix', ref: REF, note: 'Lagi', payload: serverCopy,
    });
    assert.equal(record.state, 'waiting');
    assert.equal(record.payload.full_name, 'Sri W.');
    assert.equal(record.note, 'Lagi');
  });
});

describe('a whole sync response', () => {
  const sent = [{ client_id: CLIENT_ID, updated_at: SENT_AT }];

  it('a decision older than the correction accepted in the same answer does not undo the correction', () => {
    const record = waitingRecord({ server_status: 'needs_fix', ref: REF });
    const applied = outbox.applyResponse(new Map([[CLIENT_ID, record]]), sent, {
      results: [{ client_id: CLIENT_ID, status: 'accepted', ref: REF }],
      updates: [{ client_id: CLIENT_ID, status: 'needs_fix', ref: REF, note: 'lama', payload: serverCopy }],
    });
    assert.equal(record.state, 'sent');
    assert.equal(record.server_status, 'in_review');
    assert.equal(record.payload, null);
    assert.deepEqual([applied.acknowledged, applied.needsFix], [1, 0]);
  });

  it('a record edited again while it was on its way stays waiting: the newer content still has to go', () => {
    const record = waitingRecord({ updated_at: '2026-11-06T02:13:00.000Z', payload: { full_name: 'Sri W.' } });
    const applied = outbox.applyResponse(new Map([[CLIENT_ID, record]]), sent, {
      results: [{ client_id: CLIENT_ID, status: 'accepted', ref: REF }],
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
        { client_id: CLIENT_ID, status: 'accepted', ref: REF },
        { client_id: other, status: 'invalid', errors: { nik: ['NIK sudah terdaftar.'] } },
      ],
    });
    assert.deepEqual([applied.acknowledged, applied.needsFix], [2, 1]);
    assert.deepEqual(plain(applied.changed.map((r) => r.state)), ['sent', 'needs_fix']);
  });

  it('a record sent back that this phone no longer holds comes back to be fixed', () => {
    const records = new Map();
    const applied = outbox.applyResponse(records, [], {
      updates: [{ client_id: CLIENT_ID, status: 'needs_fix', ref: REF, note: 'Cek NIK', payload: serverCopy }],
    });
    const [record] = applied.changed;
    assert.equal(record.state, 'needs_fix');
    assert.equal(record.local_ref, REF);
    assert.equal(record.masked_nik, '3374 01•• •••• 0012');
    assert.equal(record.payload.full_name, 'Sri Wahyuni');
    assert.equal(record.note, 'Cek NIK');
  });

  it('a decision without data on a record this phone no longer holds is ignored', () => {
    const applied = outbox.applyResponse(new Map(), [], {
      updates: [{ client_id: CLIENT_ID, status: 'approved', ref: REF, note: '' }],
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
    outbox.applyResult(record, { client_id: CLIENT_ID, status: 'accepted', ref: REF });
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

describe("the worker's reference, made on the phone", () => {
  const vectors = JSON.parse(readFileSync(new URL('../vectors/references.json', import.meta.url), 'utf8'));

  it(`gives every reference the server gives (${vectors.cases.length} vectors)`, () => {
    assert.ok(vectors.cases.length >= 30);
    for (const { client_id: clientId, reference } of vectors.cases) {
      assert.equal(outbox.reference(clientId), reference, clientId);
    }
  });

  it('the same in any case, and PS-XXXX-XXXX in Crockford base32', () => {
    assert.equal(outbox.reference(CLIENT_ID.toUpperCase()), REF);
    assert.match(outbox.reference(CLIENT_ID), /^PS-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);
  });

  it('nothing from an id that is not a UUID', () => {
    assert.equal(outbox.reference('not-an-id'), '');
    assert.equal(outbox.reference(''), '');
  });

  it('is what a new record shows at once, before the server has it', () => {
    const record = waitingRecord();
    assert.equal(outbox.shownRef(record), REF);
    assert.equal(outbox.refChanged(record), false);
  });

  it('the server took it under the same reference: nothing changes for the worker', () => {
    const record = waitingRecord();
    outbox.applyResult(record, { client_id: CLIENT_ID, status: 'accepted', ref: REF });
    assert.equal(outbox.shownRef(record), REF);
    assert.equal(outbox.refChanged(record), false);
  });

  it('the rare collision: the server gave another reference, which is shown, and the change is known', () => {
    const record = waitingRecord();
    outbox.applyResult(record, { client_id: CLIENT_ID, status: 'accepted', ref: 'PS-38NK-RKB0' });
    assert.equal(outbox.shownRef(record), 'PS-38NK-RKB0');
    assert.equal(outbox.refChanged(record), true);
    assert.equal(record.local_ref, REF, 'the number the worker was first given is kept, to say so');
  });

  it("a record saved before this version ('HP-' number) shows the server's reference once known", () => {
    const old = waitingRecord({ local_ref: 'HP-1A2B-3C4D' });
    assert.equal(outbox.shownRef(old), 'HP-1A2B-3C4D');
    outbox.applyResult(old, { client_id: CLIENT_ID, status: 'accepted', ref: 'PS-0QK5-Z1AB' });
    assert.equal(outbox.shownRef(old), 'PS-0QK5-Z1AB');
    assert.equal(outbox.refChanged(old), false, 'an HP- number was never the reference');
  });
});

describe('the office words a record stands in', () => {
  it('enrolled: with the KPJ number', () => {
    const record = sentRecord({ server_status: 'sent_to_bpjs' });
    outbox.applyUpdate(record, { client_id: CLIENT_ID, status: 'enrolled', ref: REF, note: '', kpj: '26012345678' });
    assert.deepEqual([record.server_status, record.kpj], ['enrolled', '26012345678']);
  });

  it('a duplicate: with the reference of the registration kept', () => {
    const record = sentRecord();
    outbox.applyUpdate(record, { client_id: CLIENT_ID, status: 'duplicate', ref: REF, note: '', duplicate_of: 'PS-1111-2222' });
    assert.deepEqual([record.server_status, record.duplicate_of, record.kpj], ['duplicate', 'PS-1111-2222', null]);
  });

  it('a fix note goes once the fix is sent', () => {
    const record = waitingRecord({ server_status: 'needs_fix', ref: REF, note: 'Nomor HP ahli waris salah.' });
    outbox.applyResult(record, { client_id: CLIENT_ID, status: 'accepted', ref: REF });
    assert.equal(record.note, null);
    assert.equal(record.server_status, 'in_review');
  });
});

describe('what the volunteer may still do with a record', () => {
  it('a record never answered is not known to the office: its discard is counted', () => {
    assert.equal(outbox.knownToServer(waitingRecord()), false);
    const invalid = waitingRecord();
    outbox.applyResult(invalid, { client_id: CLIENT_ID, status: 'invalid', errors: { nik: ['x'] } });
    assert.equal(outbox.knownToServer(invalid), false, 'refused before it was stored');
    const unreadable = waitingRecord();
    outbox.applyProblem(unreadable, { client_id: CLIENT_ID, updated_at: SENT_AT }, 'unreadable');
    assert.equal(outbox.knownToServer(unreadable), false);
  });

  it('a record the office holds (a reference, or a decision): its discard is an event there', () => {
    const conflict = waitingRecord();
    outbox.applyResult(conflict, { client_id: CLIENT_ID, status: 'conflict', ref: REF, errors: { client_id: ['x'] } });
    assert.equal(outbox.knownToServer(conflict), true);
    const sentBack = sentRecord();
    outbox.applyUpdate(sentBack, { client_id: CLIENT_ID, status: 'needs_fix', ref: REF, note: 'Cek', payload: serverCopy });
    assert.equal(outbox.knownToServer(sentBack), true);
    assert.equal(outbox.knownToServer(waitingRecord({ server_status: 'needs_fix' })), true, 'a correction waiting');
  });

  it('waiting and sent back can be opened and changed; sent cannot', () => {
    assert.equal(outbox.editable(waitingRecord()), true);
    assert.equal(outbox.editable(waitingRecord({ state: 'needs_fix' })), true);
    assert.equal(outbox.editable(sentRecord()), false);
    assert.equal(outbox.editable(waitingRecord({ state: 'needs_fix', payload: null })), false);
  });

  it('logging out after "Simpan ke file": only when every unsent record is in the file as it is now', () => {
    const a = { client_id: 'a', updated_at: '1' };
    const b = { client_id: 'b', updated_at: '1' };
    assert.equal(outbox.coveredByExport([a, b], [a, b]), true);
    assert.equal(outbox.coveredByExport([], undefined), true);
    assert.equal(outbox.coveredByExport([a], undefined), false, 'never saved');
    assert.equal(outbox.coveredByExport([a, b], [a]), false, 'saved after the file');
    assert.equal(outbox.coveredByExport([{ ...a, updated_at: '2' }], [a]), false, 'changed after the file');
  });

  it('a record in a file carries what the sync API carries, nothing more', () => {
    assert.deepEqual(Object.keys(outbox.syncItem(waitingRecord())).sort(), ['captured_at', 'client_id', 'form_version', 'payload']);
  });
});
