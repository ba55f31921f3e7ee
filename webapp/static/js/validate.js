// @ts-check

/**
 * The checks the phone makes before saving a registration, applying the server's rules
 * (/app/rules.json, made by webapp/domain/phone_rules.py from the schema, the NIK rules
 * and the settings): what the server would refuse is refused here, in the server's own
 * words; what the server would flag for a coordinator is a warning that never blocks.
 * Pure functions, no DOM: register-save.js shows the results.
 *
 * Each step follows the server's (webapp/domain/schemas.py) in the same order, so the
 * same messages come out; tests/vectors/registration.json is run through both sides. In
 * doubt (no rules, rules of an unknown version, a kind of field not known here) nothing
 * is refused: the server checks everything again.
 */
(() => {
  'use strict';

  const RULES_FORMAT = 'pijar-rules';
  const RULES_VERSION = 1;
  /**
   * How the server reads a birth date (schemas.BIRTH_DATE_FORMATS), for turning what was
   * typed into the sync payload's YYYY-MM-DD when no rules are at hand. The node tests
   * check these are the rules' own.
   * @type {PhoneDateFormat[]}
   */
  const DATE_FORMATS = [
    { pattern: { source: '([0-9]{4})-([0-9]{2})-([0-9]{2})', flags: 'u' }, order: 'ymd' },
    { pattern: { source: '([0-9]{1,2})[-/. ]([0-9]{1,2})[-/. ]([0-9]{4})', flags: 'u' }, order: 'dmy' },
    { pattern: { source: '([0-9]{2})([0-9]{2})([0-9]{4})', flags: 'u' }, order: 'dmy' },
  ];
  const ISO_DATE = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/;
  const DIGITS = /^[0-9]*$/;
  const INTEGER = /^[+-]?[0-9]+(?:_[0-9]+)*$/; // as Python's int() reads it
  const LETTER = /\p{L}/gu;
  const CENTURIES = [2000, 1900]; // a NIK's year: 20YY unless that is after today

  /**
   * @typedef {object} Compiled the rules' patterns, made once per rules document
   * @property {RegExp} space one run of white space, as Python's str.split() sees it
   * @property {RegExp} edges white space at either end, as Python's str.strip() sees it
   * @property {RegExp} digit a character Python's str.isdigit() says is a digit
   * @property {RegExp} unstorable
   * @property {RegExp} lineBreaks
   * @property {RegExp} phoneSeparators
   * @property {RegExp} mobileNational
   * @property {RegExp} rupiahPrefix
   * @property {RegExp} rupiahAmount
   * @property {RegExp} nikSeparators
   * @property {{pattern: RegExp, order: 'ymd' | 'dmy'}[]} dates
   */

  /** @type {WeakMap<PhoneRules, Compiled>} */
  const compiledRules = new WeakMap();

  /** @param {PhonePattern} pattern @param {string} [extraFlags] a RegExp matching the whole text */
  function whole(pattern, extraFlags = '') {
    return new RegExp(`^(?:${pattern.source})$`, pattern.flags + extraFlags);
  }

  /** @param {PhonePattern} pattern @param {string} [extraFlags] a RegExp finding the pattern anywhere */
  function anywhere(pattern, extraFlags = '') {
    return new RegExp(pattern.source, pattern.flags + extraFlags);
  }

  /** @param {PhoneDateFormat[]} formats */
  function compileDates(formats) {
    return formats.map((format) => ({ pattern: whole(format.pattern), order: format.order }));
  }

  const defaultDates = compileDates(DATE_FORMATS);

  /** @param {PhoneRules} rules @returns {Compiled} */
  function compile(rules) {
    const known = compiledRules.get(rules);
    if (known) return known;
    const space = rules.patterns.whitespace;
    const nikSeparators = rules.nik.separators.replace(/[\\\]^-]/g, '\\$&');
    const made = {
      space: new RegExp(`[${space}]+`, 'gu'),
      edges: new RegExp(`^[${space}]+|[${space}]+$`, 'gu'),
      digit: new RegExp(`[${rules.patterns.digit}]`, 'u'),
      unstorable: anywhere(rules.patterns.unstorable),
      lineBreaks: anywhere(rules.patterns.line_breaks, 'g'),
      phoneSeparators: anywhere(rules.phone.separators, 'g'),
      mobileNational: whole(rules.phone.national),
      rupiahPrefix: anywhere(rules.rupiah.prefix),
      rupiahAmount: whole(rules.rupiah.amount),
      nikSeparators: new RegExp(`[${space}${nikSeparators}]`, 'gu'),
      dates: compileDates(dateField(rules)?.formats || DATE_FORMATS),
    };
    compiledRules.set(rules, made);
    return made;
  }

  /** @param {PhoneRules} rules */
  function dateField(rules) {
    return rules.fields.find((field) => field.kind === 'date');
  }

  /** Rules this script knows how to apply. @param {unknown} rules @returns {rules is PhoneRules} */
  function usable(rules) {
    const r = /** @type {Partial<PhoneRules> | null} */ (rules);
    return Boolean(r && r.format === RULES_FORMAT && r.version === RULES_VERSION && Array.isArray(r.fields));
  }

  // --- dates ---------------------------------------------------------------------------

  /** @param {number} n @param {number} width */
  function pad(n, width = 2) {
    return String(n).padStart(width, '0');
  }

  /** @param {number} year @param {number} month @param {number} day 'YYYY-MM-DD', or null for no such day */
  function isoDay(year, month, day) {
    if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1) return null;
    const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
    const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
    return day <= days ? `${pad(year, 4)}-${pad(month)}-${pad(day)}` : null;
  }

  /**
   * A birth date as the server reads it: 'YYYY-MM-DD'; 'format' when the text is in none
   * of the formats, 'invalid' when it is but names no real day.
   * @param {string} text
   * @param {Compiled['dates']} formats
   */
  function readDate(text, formats) {
    for (const { pattern, order } of formats) {
      const match = pattern.exec(text);
      if (!match) continue;
      const [first, month, last] = match.slice(1, 4).map(Number);
      const day = order === 'ymd' ? isoDay(first, month, last) : isoDay(last, month, first);
      return day || 'invalid';
    }
    return 'format';
  }

  /**
   * What was typed in the birth date, as the sync payload carries it (YYYY-MM-DD); the text
   * unchanged when it cannot be read (the check then says why).
   * @param {string} text
   * @param {PhoneRules | null} [rules]
   */
  function wireDate(text, rules) {
    const formats = usable(rules) ? compile(rules).dates : defaultDates;
    const read = readDate(String(text || '').trim(), formats);
    return read === 'format' || read === 'invalid' ? text : read;
  }

  /** A YYYY-MM-DD date as the KTP shows it (DD-MM-YYYY); anything else unchanged. @param {string} text */
  function shownDate(text) {
    const match = ISO_DATE.exec(String(text || ''));
    return match ? `${match[3]}-${match[2]}-${match[1]}` : text;
  }

  /** Today on the phone's clock, 'YYYY-MM-DD'. @param {Date} [now] */
  function localDay(now = new Date()) {
    return `${pad(now.getFullYear(), 4)}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
  }

  /** Whole years from `born` to `today` (both 'YYYY-MM-DD'), as registrations.age_on. @param {string} born @param {string} today */
  function ageOn(born, today) {
    const years = Number(today.slice(0, 4)) - Number(born.slice(0, 4));
    return today.slice(5) < born.slice(5) ? years - 1 : years;
  }

  // --- the NIK ---------------------------------------------------------------------------

  /**
   * The parts of a NIK, or why it cannot be one (nik.parse_nik, reason for reason).
   * @param {string} text
   * @param {PhoneRules} rules
   * @param {Compiled} c
   * @param {string} today
   * @returns {{error: string} | {nik: string, regency: string, birthDate: string, sex: 'L' | 'P'}}
   */
  function parseNik(text, rules, c, today) {
    const nik = text.replace(c.nikSeparators, '');
    if (!DIGITS.test(nik)) return { error: 'digits' };
    if (nik.length !== rules.nik.length) return { error: 'length' };
    if (!rules.nik.provinces.includes(nik.slice(0, 2))) return { error: 'province' };
    if (nik.slice(2, 4) === '00' || nik.slice(4, 6) === '00') return { error: 'region' };
    let day = Number(nik.slice(6, 8));
    const month = Number(nik.slice(8, 10));
    const yy = Number(nik.slice(10, 12));
    const offset = rules.nik.female_day_offset;
    /** @type {'L' | 'P'} */
    let sex = 'L';
    if (day > offset && day <= offset + 31) {
      sex = 'P';
      day -= offset;
    } else if (day < 1 || day > 31) {
      return { error: 'date' };
    }
    const birthDate = CENTURIES.map((century) => isoDay(century + yy, month, day))
      .find((candidate) => candidate !== null && candidate <= today);
    if (!birthDate) return { error: 'date' };
    if (nik.slice(12) === '0000') return { error: 'serial' };
    return { nik, regency: nik.slice(0, 4), birthDate, sex };
  }

  /** The 16 digits of a NIK as typed, or '' when it is not one. @param {unknown} text @param {PhoneRules} rules */
  function nikDigits(text, rules) {
    const nik = String(text == null ? '' : text).replace(compile(rules).nikSeparators, '');
    return DIGITS.test(nik) && nik.length === rules.nik.length ? nik : '';
  }

  // --- one field -------------------------------------------------------------------------

  /**
   * A value as the server reads it, or the key of the message that says why not.
   * @param {PhoneFieldRule} field
   * @param {string} text trimmed, not empty
   * @param {PhoneRules} rules
   * @param {Compiled} c
   * @param {string} today
   * @returns {{value: unknown} | {error: string} | null} null: a kind not known here
   */
  function readValue(field, text, rules, c, today) {
    if (field.checks_characters) {
      if (c.unstorable.test(text)) return { error: 'unstorable' };
      text = text.replace(c.lineBreaks, ' ');
    }
    switch (field.kind) {
      case 'text':
        return { value: text };
      case 'nik': {
        const nik = parseNik(text, rules, c, today);
        return 'error' in nik ? nik : { value: nik };
      }
      case 'person_name': {
        const name = text.split(c.space).filter(Boolean).join(' ');
        if (c.digit.test(name)) return { error: 'digits' };
        const length = Array.from(name).length;
        const letters = (name.match(LETTER) || []).length;
        const fits = length >= (field.min_length || 0) && length <= (field.max_length || Infinity);
        return fits && letters >= (field.min_letters || 0) ? { value: name } : { error: 'length' };
      }
      case 'mobile': {
        const digits = text.replace(c.phoneSeparators, '');
        const prefix = rules.phone.prefixes.find((p) => digits.startsWith(p));
        const national = prefix === undefined ? '' : digits.slice(prefix.length);
        if (prefix === undefined || !c.mobileNational.test(national)) return { error: 'invalid' };
        return { value: rules.phone.stored_prefix + national };
      }
      case 'date': {
        const day = readDate(text, c.dates);
        return day === 'format' || day === 'invalid' ? { error: day } : { value: day };
      }
      case 'rupiah': {
        const words = text.split(c.space).filter(Boolean).join(' ');
        const match = c.rupiahAmount.exec(words.replace(c.rupiahPrefix, '').trim());
        const groups = match && match.groups;
        if (!groups) return { error: 'invalid' };
        if (groups.sen !== undefined && groups.sen !== '-' && Number(groups.sen) !== 0) return { error: 'sen' };
        const amount = Number(groups.whole.replace(/[. ]/g, ''));
        return field.max !== undefined && amount > field.max ? { error: 'too_large' } : { value: amount };
      }
      case 'yes':
        return text === field.value ? { value: true } : { error: 'invalid' };
      case 'integer':
        return INTEGER.test(text) ? { value: String(Number(text.replace(/_/g, ''))) } : { error: 'invalid' };
      default:
        return null;
    }
  }

  /**
   * The validators the schema puts on a field (Length, OneOf, Equal), all of them.
   * @param {PhoneFieldRule} field @param {unknown} value @returns {string[]} message keys
   */
  function validatorErrors(field, value) {
    const found = [];
    if (field.max !== undefined && typeof value === 'string' && Array.from(value).length > field.max) found.push('max');
    if (field.choices && !field.choices.includes(String(value))) found.push('choice');
    if (field.equal !== undefined && value !== field.equal) found.push('equal');
    return found;
  }

  // --- the whole registration ------------------------------------------------------------

  /**
   * Check a registration as the form gives it (field name -> text) before it is saved.
   * Errors: by field, in the form's order, as the server would word them. Warnings: what
   * the server would flag (NIK from outside Kota Semarang, birth date or sex not agreeing
   * with the NIK, age, income), and a NIK already saved on this phone.
   * @param {Payload} payload
   * @param {PhoneRules | null | undefined} rules
   * @param {PhoneCheckOptions} [options]
   * @returns {PhoneCheck}
   */
  function check(payload, rules, options = {}) {
    if (!usable(rules)) return { checked: false, errors: {}, warnings: [] };
    const c = compile(rules);
    const today = options.today || localDay();
    /** @type {Map<string, string[]>} */
    const problems = new Map();
    /** @type {Record<string, unknown>} what was read, field by field */
    const read = {};
    /** @type {Set<string>} */
    const blank = new Set();
    const say = (/** @type {PhoneFieldRule} */ field, /** @type {string} */ key) => {
      const message = field.messages[key] || key;
      problems.set(field.name, [...(problems.get(field.name) || []), message]);
    };

    for (const field of rules.fields) {
      const raw = payload[field.name];
      const text = raw == null ? '' : String(raw).replace(c.edges, '');
      if (text === '') {
        blank.add(field.name);
        if (field.required) say(field, 'required');
        continue;
      }
      const result = readValue(field, text, rules, c, today);
      if (result === null) continue; // a kind of field this script does not know: the server decides
      if ('error' in result) {
        say(field, result.error);
        continue;
      }
      const invalid = validatorErrors(field, result.value);
      invalid.forEach((key) => say(field, key));
      if (invalid.length === 0) read[field.name] = result.value;
    }

    // What the schema checks across fields (RegistrationSchema.check_against_reference).
    const dateRule = dateField(rules);
    const born = typeof read.birth_date === 'string' ? read.birth_date : null;
    if (dateRule && born && born > today) {
      say(dateRule, 'future');
      delete read.birth_date;
    } else if (dateRule && born && dateRule.oldest && born < dateRule.oldest) {
      say(dateRule, 'invalid');
      delete read.birth_date;
    }
    for (const field of rules.fields) {
      const when = field.required_when;
      if (when && blank.has(field.name) && payloadText(payload, when.field, c) === when.value) say(field, 'required_when');
    }

    /** @type {FieldErrors} in the form's order */
    const errors = {};
    for (const field of rules.fields) {
      const messages = problems.get(field.name);
      if (messages) errors[field.name] = messages;
    }
    return { checked: true, errors, warnings: warningsFor(read, rules, today, options.savedNiks) };
  }

  /** A field's text as the schema would hold it after trimming. @param {Payload} payload @param {string} name @param {Compiled} c */
  function payloadText(payload, name, c) {
    const raw = payload[name];
    return raw == null ? '' : String(raw).replace(c.edges, '');
  }

  /**
   * What the server would flag (registrations.assess_flags), from the fields that could be
   * read, in the form's order.
   * @param {Record<string, unknown>} read
   * @param {PhoneRules} rules
   * @param {string} today
   * @param {Iterable<unknown> | undefined} savedNiks NIKs saved on this phone (as typed)
   * @returns {PhoneWarning[]}
   */
  function warningsFor(read, rules, today, savedNiks) {
    const texts = rules.warnings.messages;
    /** @type {PhoneWarning[]} */
    const warnings = [];
    const warn = (/** @type {string} */ code, /** @type {string} */ field, /** @type {string} */ key = code) => {
      warnings.push({ code, field, message: texts[key] || key });
    };
    const nik = /** @type {{nik: string, regency: string, birthDate: string, sex: string} | undefined} */ (read.nik);
    const born = typeof read.birth_date === 'string' ? read.birth_date : null;
    const income = typeof read.monthly_income === 'number' ? read.monthly_income : null;
    if (nik && nik.regency !== rules.nik.issued_in_semarang) warn('nik_outside_semarang', 'nik');
    if (nik && savedNiks) {
      for (const saved of savedNiks) {
        if (nikDigits(saved, rules) === nik.nik) {
          warn('possible_duplicate', 'nik');
          break;
        }
      }
    }
    // The century in the NIK is a guess: day, month and the year's last two digits only.
    if (nik && born && (born.slice(2) !== nik.birthDate.slice(2))) {
      warn('nik_birth_mismatch', 'birth_date', 'nik_birth_mismatch.birth_date');
    }
    if (born) {
      const age = ageOn(born, today);
      if (age < rules.warnings.age.min || age > rules.warnings.age.max) warn('age_out_of_range', 'birth_date');
    }
    if (nik && typeof read.sex === 'string' && read.sex !== nik.sex) {
      warn('nik_birth_mismatch', 'sex', 'nik_birth_mismatch.sex');
    }
    if (income !== null && (income < rules.warnings.income.min || income > rules.warnings.income.max)) {
      warn('income_unusual', 'monthly_income');
    }
    return warnings;
  }

  /** @type {PijarValidate} */
  const validator = { check, usable, wireDate, shownDate, localDay, nikDigits, DATE_FORMATS };
  self.pijarValidate = validator;
})();
