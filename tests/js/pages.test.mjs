// The page scripts' rules: the words for where a record stands, the counters and the
// outbox list (status.js), what a NIK says (register.js), drafts and carry-over (draft.js)
// and the name a phone gets in the admin's list (login.js).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

import { emptyDocument, loadScripts, phoneTexts, plain } from './helpers.mjs';

describe("the phone's words for where a record stands", () => {
  class HTMLTemplateElement {
    /** @param {Record<string, string>} texts */
    constructor(texts) {
      this.content = {
        querySelector: (selector) => {
          const key = /^\[data-text="(.+)"\]$/.exec(selector)[1];
          return key in texts ? { textContent: texts[key] } : null;
        },
      };
    }
  }
  const template = new HTMLTemplateElement(phoneTexts());
  const { pijarUi: ui } = loadScripts(['outbox.js', 'status.js'], {
    HTMLTemplateElement,
    document: { ...emptyDocument(), getElementById: (id) => (id === 'pijar-texts' ? template : null) },
    navigator: {},
  });

  const cases = [
    ['saved, not yet sent', { state: 'waiting', server_status: null }, 'Menunggu dikirim'],
    ['sent back by the server', { state: 'needs_fix', server_status: null }, 'Perlu diperbaiki'],
    ['a correction waiting to go', { state: 'waiting', server_status: 'needs_fix' }, 'Menunggu dikirim'],
    ['at the office, not yet reviewed', { state: 'sent', server_status: null }, 'Menunggu tinjauan'],
    ['at the office, in review', { state: 'sent', server_status: 'in_review' }, 'Menunggu tinjauan'],
    ['approved', { state: 'sent', server_status: 'approved' }, 'Disetujui'],
    ['rejected', { state: 'sent', server_status: 'rejected' }, 'Ditolak'],
    ['enrolled with BPJS', { state: 'sent', server_status: 'enrolled' }, 'Terdaftar di BPJS'],
    ['enrolled, with the KPJ number', { state: 'sent', server_status: 'enrolled', kpj: '26012345678' },
      'Terdaftar di BPJS — KPJ 26012345678'],
    ['in a batch not yet sent to BPJS', { state: 'sent', server_status: 'in_batch' }, 'Siap dikirim ke BPJS'],
    ['the batch went to BPJS', { state: 'sent', server_status: 'sent_to_bpjs' }, 'Dikirim ke BPJS'],
    ['a duplicate', { state: 'sent', server_status: 'duplicate', duplicate_of: 'PS-1111-2222' },
      'Sudah terdaftar sebagai PS-1111-2222'],
    ['a duplicate, the kept one not named', { state: 'sent', server_status: 'duplicate' }, 'Sudah terdaftar'],
  ];
  for (const [what, item, words] of cases) {
    it(`${what}: "${words}"`, () => {
      assert.equal(ui.statusText(item), words);
    });
  }

  it('a record the phone set aside because the server could not read it says so', () => {
    assert.equal(
      ui.problemText({ problem: 'unreadable' }),
      'Server tidak dapat membaca pendaftaran ini. Periksa isiannya, lalu simpan lagi.',
    );
  });

  it('no reason of its own (the server or a coordinator gave theirs): nothing added', () => {
    assert.equal(ui.problemText({ problem: null }), '');
    assert.equal(ui.problemText({}), '');
  });

  it('every status the office sends has its words', () => {
    const types = readFileSync(new URL('../../webapp/static/js/globals.d.ts', import.meta.url), 'utf8');
    const statuses = [.../type ServerStatus =([^;]+);/.exec(types)[1].matchAll(/'([^']+)'/g)].map((m) => m[1]);
    assert.ok(statuses.length >= 8);
    for (const status of statuses) {
      assert.doesNotMatch(ui.statusText({ state: 'sent', server_status: status }), /^status\./, status);
    }
  });

  it('a reference the office changed says so, with the number given before', () => {
    assert.equal(ui.refNote({ ref: 'PS-AAAA-AAAB', local_ref: 'PS-AAAA-AAAA' }),
      'Nomor diganti kantor (sebelumnya PS-AAAA-AAAA). Berikan nomor ini kepada pekerja.');
    assert.equal(ui.refNote({ ref: 'PS-AAAA-AAAA', local_ref: 'PS-AAAA-AAAA' }), '');
    assert.equal(ui.refNote({ ref: null, local_ref: 'PS-AAAA-AAAA' }), '');
  });
});

describe("the home page's counters", () => {
  const { pijarUi: ui } = loadScripts(['outbox.js', 'status.js'], {
    document: emptyDocument(), navigator: {},
  });
  const record = (state, serverStatus = null) => ({ state, server_status: serverStatus });

  it('add up: waiting, to fix and at the office make the total; the office ones by status', () => {
    const tally = plain(ui.tally([
      record('waiting'), record('waiting', 'needs_fix'), record('needs_fix'), record('sent'),
      record('sent', 'in_review'), record('sent', 'approved'), record('sent', 'enrolled'),
    ]));
    assert.deepEqual(tally, {
      waiting: 2, needs_fix: 1, sent: 4, total: 7, atOffice: { in_review: 2, approved: 1, enrolled: 1 },
    });
    assert.equal(tally.waiting + tally.needs_fix + tally.sent, tally.total);
    assert.equal(Object.values(tally.atOffice).reduce((a, b) => a + b, 0), tally.sent);
  });

  it('nothing on the phone: all zero', () => {
    assert.deepEqual(plain(ui.tally([])), { waiting: 0, needs_fix: 0, sent: 0, total: 0, atOffice: {} });
  });
});

describe('the outbox list', () => {
  const { pijarUi: ui } = loadScripts(['outbox.js', 'status.js'], {
    document: emptyDocument(), navigator: {},
  });
  const item = (name, state, createdAt, ref = null, localRef = 'PS-AAAA-AAAA') =>
    ({ name, state, created_at: createdAt, ref, local_ref: localRef });

  it('those to fix first, then those waiting, then those sent; newest first in each', () => {
    const items = [
      item('a', 'sent', '2026-11-06T01:00:00Z'), item('b', 'waiting', '2026-11-06T02:00:00Z'),
      item('c', 'needs_fix', '2026-11-06T01:00:00Z'), item('d', 'sent', '2026-11-06T03:00:00Z'),
      item('e', 'needs_fix', '2026-11-06T04:00:00Z'), item('f', 'waiting', '2026-11-06T05:00:00Z'),
    ];
    assert.deepEqual(plain(ui.sortForList(items).map((i) => i.name)), ['e', 'c', 'f', 'b', 'd', 'a']);
    assert.equal(items[0].name, 'a', 'the list given is left as it was');
  });

  const sri = item('Sri Wahyuni', 'sent', '2026-11-06T01:00:00Z', 'PS-0QK5-Z1AB', 'PS-0QK5-Z1AB');
  const old = item('Budi Santoso', 'waiting', '2026-11-06T01:00:00Z', null, 'HP-1A2B-3C4D');

  for (const [query, expected] of [
    ['', true], ['  ', true], ['sri', true], ['WAHYU', true], ['budi', false],
    ['PS-0QK5-Z1AB', true], ['ps0qk5z1ab', true], ['0qk5 z1ab', true], ['Z1AB', true],
    ['PS-OQK5-ZIAB', true], ['ps-0qk5-zlab', true], ['PS-0QK5-Z1AC', false], ['x', false],
  ]) {
    it(`searching "${query}": ${expected ? 'found' : 'not found'}`, () => {
      assert.equal(ui.matchesSearch(sri, query), expected);
    });
  }

  it("an older record is found by its 'HP-' number", () => {
    assert.equal(ui.matchesSearch(old, 'hp-1a2b'), true);
    assert.equal(ui.matchesSearch(old, 'budi'), true);
  });
});

describe('drafts and carry-over on the form', () => {
  const { pijarDraft: draft } = loadScripts(['draft.js'], { document: emptyDocument(), HTMLFormElement: class {} });
  const typed = {
    nik: '', full_name: 'Sri Wahyuni', drive_id: '3', kelurahan_code: '33.74.02.1008', occupation: 'nelayan',
    occupation_other: '', workplace: 'TPI Tambak Lorok', consent: '', phone: '',
  };

  it("the next registration starts with the drive, the place and the work, what was filled of them", () => {
    assert.deepEqual(plain(draft.carryOver(typed)), {
      drive_id: '3', kelurahan_code: '33.74.02.1008', occupation: 'nelayan', workplace: 'TPI Tambak Lorok',
    });
    assert.deepEqual(plain(draft.carryOver({ ...typed, occupation: 'lainnya', occupation_other: 'Tukang becak' })).occupation_other,
      'Tukang becak');
    assert.deepEqual(plain(draft.carryOver({ full_name: 'Sri' })), {});
  });

  it('a form holding only what was carried over (and a ticked box) is not worth a draft', () => {
    const carried = draft.carryOver(typed);
    const untouched = { ...typed, full_name: '', consent: 'yes' };
    assert.equal(draft.worthKeeping(untouched, carried), false);
    assert.equal(draft.worthKeeping({ ...untouched, nik: '3374' }, carried), true);
    assert.equal(draft.worthKeeping({ ...untouched, workplace: 'Pasar Johar' }, carried), true, 'a carried field changed');
    assert.equal(draft.worthKeeping(untouched, null), true, 'nothing carried: the place was typed');
    assert.equal(draft.worthKeeping({ nik: '', consent: 'yes' }, null), false);
  });

  it("the card shows the worker's first name", () => {
    assert.equal(draft.firstName('  Sri   Wahyuni '), 'Sri');
    assert.equal(draft.firstName(''), '');
  });
});

describe('what a NIK says', () => {
  const { pijarRegister: register } = loadScripts(['register.js'], { document: emptyDocument() });
  const today = new Date(2026, 5, 1);
  const read = (nik) => plain(register.readNik(nik, today));

  it('a man: the birth date as written', () => {
    assert.deepEqual(read('3374011501900001'), { birthDate: '1990-01-15', sex: 'L' });
  });

  it('a woman: the day of birth plus 40', () => {
    assert.deepEqual(read('3374015501900001'), { birthDate: '1990-01-15', sex: 'P' });
  });

  it('a two-digit year is in this century unless that is still to come', () => {
    assert.deepEqual(read('3374010101050001'), { birthDate: '2005-01-01', sex: 'L' });
    assert.deepEqual(read('3374010101300001'), { birthDate: '1930-01-01', sex: 'L' });
  });

  it('spaces, dots and dashes as typed are ignored', () => {
    assert.deepEqual(read('3374.01 1501-90 0001'), { birthDate: '1990-01-15', sex: 'L' });
  });

  it('nothing is read from a NIK that cannot be right', () => {
    assert.equal(read('3374013102900001'), null, '31 February');
    assert.equal(read('337401150190001'), null, '15 digits');
    assert.equal(read('33740115019000O1'), null, 'a letter O');
    assert.equal(read(''), null);
  });
});

describe("the name a phone gets in the admin's list of devices", () => {
  const kinds = {
    'Mozilla/5.0 (Linux; Android 14; SM-A155F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36':
      'Chrome Android',
    'Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-A145F) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36':
      'Samsung Internet Android',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1':
      'Safari iOS',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0': 'Firefox Windows',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0':
      'Edge Windows',
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15':
      'Safari macOS',
    'curl/8.5.0': 'Browser',
  };
  const userAgent = Object.keys(kinds)[0];
  const { pijarLogin: login } = loadScripts(['login.js'], {
    document: emptyDocument(), HTMLInputElement: class {}, navigator: { userAgent },
  });

  for (const [ua, kind] of Object.entries(kinds)) {
    it(kind, () => {
      assert.equal(login.deviceKind(ua), kind);
    });
  }

  it("this browser's, by default", () => {
    assert.equal(login.deviceKind(), 'Chrome Android');
  });
});
