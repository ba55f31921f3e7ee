// The phone's checks before saving (validate.js) against the vectors the server answers
// too (tests/unit/test_registration_vectors.py): the same registrations, the rules the
// server made for them (tests/vectors/registration-rules.json, checked there against
// phone_rules()), and the same answers expected, in Indonesian and in English.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadScripts, plain } from './helpers.mjs';

const VECTORS_DIR = new URL('../vectors/', import.meta.url);
const VECTORS = JSON.parse(readFileSync(new URL('registration.json', VECTORS_DIR), 'utf8'));
const RULES = JSON.parse(readFileSync(new URL('registration-rules.json', VECTORS_DIR), 'utf8'));
const LANGUAGES = ['id', 'en'];

const { pijarValidate: validate } = loadScripts(['validate.js']);

/** The form as the case gives it: the base, its changes, without its removed fields. */
function payloadOf(vector) {
  const payload = { ...VECTORS.base, ...vector.changes };
  for (const name of vector.remove || []) delete payload[name];
  return payload;
}

/** Each Indonesian message of the rules with its English, the two documents side by side. */
function englishFor() {
  const pairs = new Map();
  RULES.id.fields.forEach((field, i) => {
    for (const [key, text] of Object.entries(field.messages)) pairs.set(text, RULES.en.fields[i].messages[key]);
  });
  return pairs;
}

/** @param {object} vector @param {string} lang the errors the vector expects, in `lang` */
function expectedErrors(vector, lang) {
  const english = englishFor();
  return Object.fromEntries(Object.entries(vector.errors).map(([name, messages]) => [
    name, messages.map((m) => (lang === 'en' ? english.get(m) ?? m : m)),
  ]));
}

function checkVector(vector, lang) {
  return validate.check(payloadOf(vector), RULES[lang], { today: VECTORS.today, savedNiks: vector.saved_niks });
}

for (const lang of LANGUAGES) {
  describe(`every vector, as the server answers it (${lang})`, () => {
    for (const vector of VECTORS.cases) {
      it(vector.name, () => {
        const result = checkVector(vector, lang);
        const expected = expectedErrors(vector, lang);
        assert.equal(result.checked, true);
        assert.deepEqual(plain(result.errors), expected);
        assert.deepEqual(Object.keys(result.errors), Object.keys(expected), "in the form's order");
        if (Object.keys(expected).length > 0) return;
        const codes = [...new Set(result.warnings.map((w) => w.code))].sort();
        assert.deepEqual(codes, [...new Set(vector.warnings)].sort());
        const words = Object.values(RULES[lang].warnings.messages);
        for (const warning of result.warnings) assert.ok(words.includes(warning.message), warning.message);
        assert.equal(validate.wireDate(payloadOf(vector).birth_date, RULES[lang]), vector.birth_date);
      });
    }
  });
}

describe('the vectors are worth running', () => {
  it('some refuse and some pass, in both languages', () => {
    const refused = VECTORS.cases.filter((v) => Object.keys(v.errors).length > 0);
    assert.ok(refused.length > 50 && VECTORS.cases.length - refused.length > 30);
    assert.notEqual(RULES.id.fields[0].messages.required, RULES.en.fields[0].messages.required);
    assert.equal(englishFor().get('Wajib diisi.'), 'Required.');
  });
});

describe('dates typed as the KTP shows them', () => {
  it('the formats the phone knows without rules are the server\'s', () => {
    const formats = RULES.id.fields.find((f) => f.name === 'birth_date').formats;
    assert.deepEqual(plain(validate.DATE_FORMATS), formats);
  });

  it('DD-MM-YYYY goes out as YYYY-MM-DD, with or without rules', () => {
    for (const rules of [RULES.id, null]) {
      assert.equal(validate.wireDate('12-05-1990', rules), '1990-05-12');
      assert.equal(validate.wireDate('1/2/2000', rules), '2000-02-01');
      assert.equal(validate.wireDate('12051990', rules), '1990-05-12');
      assert.equal(validate.wireDate('1990-05-12', rules), '1990-05-12');
      assert.equal(validate.wireDate('31-02-1990', rules), '31-02-1990'); // left for the check to refuse
      assert.equal(validate.wireDate('kemarin', rules), 'kemarin');
    }
  });

  it('YYYY-MM-DD is shown DD-MM-YYYY; anything else as it is', () => {
    assert.equal(validate.shownDate('1990-05-12'), '12-05-1990');
    assert.equal(validate.shownDate('12-05-1990'), '12-05-1990');
    assert.equal(validate.shownDate(''), '');
  });

  it('today on the phone\'s clock', () => {
    assert.equal(validate.localDay(new Date(2026, 10, 6, 23, 59)), '2026-11-06');
  });
});

describe('in doubt the phone refuses nothing: the server checks again', () => {
  const empty = { full_name: 'Budi' };

  it('without rules', () => {
    assert.deepEqual(plain(validate.check(empty, null)), { checked: false, errors: {}, warnings: [] });
  });

  it('with rules of a version it does not know', () => {
    const newer = { ...RULES.id, version: RULES.id.version + 1 };
    assert.equal(validate.usable(newer), false);
    assert.deepEqual(plain(validate.check(empty, newer).errors), {});
  });

  it('with a kind of field it does not know', () => {
    const rules = structuredClone(RULES.id);
    rules.fields.find((f) => f.name === 'nik').kind = 'nik-v2';
    const result = validate.check({ ...VECTORS.base, nik: '12' }, rules, { today: VECTORS.today });
    assert.deepEqual(plain(result.errors), {});
  });
});

describe('warnings as the form is filled in', () => {
  it('a NIK from outside Kota Semarang, before anything else is typed', () => {
    const result = validate.check({ nik: '3322011205900012' }, RULES.id, { today: VECTORS.today });
    assert.ok('full_name' in result.errors);
    assert.deepEqual(plain(result.warnings.map((w) => [w.code, w.field])), [['nik_outside_semarang', 'nik']]);
  });

  it('beside the field each concerns, in the form\'s order', () => {
    const payload = { ...VECTORS.base, nik: '3322015205900012', birth_date: '13-05-1990', monthly_income: '10' };
    const result = validate.check(payload, RULES.en, { today: VECTORS.today, savedNiks: ['3322.0152.0590.0012'] });
    assert.deepEqual(plain(result.warnings.map((w) => [w.code, w.field])), [
      ['nik_outside_semarang', 'nik'],
      ['possible_duplicate', 'nik'],
      ['nik_birth_mismatch', 'birth_date'],
      ['nik_birth_mismatch', 'sex'],
      ['income_unusual', 'monthly_income'],
    ]);
    assert.equal(result.warnings[2].message, RULES.en.warnings.messages['nik_birth_mismatch.birth_date']);
  });

  it('the NIKs of other records are compared whatever their spacing', () => {
    assert.equal(validate.nikDigits('3374 0112-0590.0012', RULES.id), '3374011205900012');
    assert.equal(validate.nikDigits('3374', RULES.id), '');
    assert.equal(validate.nikDigits(null, RULES.id), '');
  });
});
