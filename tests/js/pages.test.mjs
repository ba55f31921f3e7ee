// The page scripts' rules: the words for where a record stands (status.js), what a NIK
// says (register.js) and the name a phone gets in the admin's list (login.js).
import assert from 'node:assert/strict';
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
  const { pijarUi: ui } = loadScripts(['status.js'], {
    HTMLTemplateElement,
    document: { ...emptyDocument(), getElementById: (id) => (id === 'pijar-texts' ? template : null) },
    navigator: {},
    pijarOutbox: { available: async () => false },
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
