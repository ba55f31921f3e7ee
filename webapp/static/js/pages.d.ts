// For editors and `tsc` only: the namespaces only pages have (the DOM is in them).
// Shared contracts (config, outbox, sync): globals.d.ts.

interface PijarAutosync {
  /** Send at start, on `online`, on return to the page, and on a timer while records wait. */
  start(): void;
  /** Send now, one run at a time in this page. */
  run(options?: SyncOptions): Promise<SyncResult>;
  /** After a save: send soon, and let the service worker send if the page closes. */
  afterSave(): void;
}

/** The phone's counters: waiting + needs_fix + sent = total; atOffice splits sent by status. */
interface OutboxTally {
  waiting: number;
  needs_fix: number;
  sent: number;
  total: number;
  atOffice: Partial<Record<ServerStatus, number>>;
}

interface PijarUi {
  /** A UI text the server rendered (translated) into `<template id="pijar-texts">`. */
  text(key: string): string;
  /** A UI text with its `{name}` placeholders filled in. */
  fillText(key: string, values: Record<string, string>): string;
  /** DD-MM-YYYY HH:MM on the phone's clock; '' for none. */
  formatDateTime(iso: string | null | undefined): string;
  /** The phone's words for where a record stands: waiting, needs fixing, or the office's status (with KPJ, or the kept reference). */
  statusText(item: Pick<OutboxItem, 'state' | 'server_status' | 'kpj' | 'duplicate_of'>): string;
  /** Why the phone itself set a record aside to be fixed (see OutboxProblem), in the UI's language; '' for none. */
  problemText(item: Pick<OutboxItem, 'problem'>): string;
  /** '' unless the office gave another reference than the phone showed: then words saying so. */
  refNote(item: Pick<OutboxItem, 'ref' | 'local_ref'>): string;
  tally(items: Pick<OutboxItem, 'state' | 'server_status'>[]): OutboxTally;
  /** Needs fixing first, then waiting, then sent; newest first within each. */
  sortForList<T extends Pick<OutboxItem, 'state' | 'created_at'>>(items: T[]): T[];
  /** Part of the worker's name, or of a reference typed with or without dashes. */
  matchesSearch(item: Pick<OutboxItem, 'name' | 'ref' | 'local_ref'>, query: string): boolean;
}

interface PijarForm {
  readPayload(form: HTMLFormElement): Record<string, string>;
  /** With `only`, the fields named there and no others (e.g. carried over); else every field. */
  fillForm(form: HTMLFormElement, payload: Payload, only?: string[]): void;
  emptyForm(form: HTMLFormElement): void;
  clearMessages(form: HTMLFormElement): void;
  /** The summary takes the focus unless `focus` is 'none' (the caller moves it). */
  showMessages(form: HTMLFormElement, errors: FieldErrors, title: string, focus?: 'summary' | 'none'): void;
  /** Warnings beside their fields (never blocking), in place of earlier ones. */
  showWarnings(form: HTMLFormElement, warnings: PhoneWarning[]): void;
}

/** Birth date and sex as a NIK encodes them. */
interface NikReading {
  /** YYYY-MM-DD */
  birthDate: string;
  sex: 'L' | 'P';
}

interface PijarRegister {
  /** What a NIK says about its holder, or null when it cannot be read. */
  readNik(value: string, today: Date): NikReading | null;
}

/** Drafts and carry-over on the registration form (draft.js). */
interface PijarDraft {
  /** The fields a registration passes to the next one, when they hold something. */
  carryOver(payload: Record<string, string>): CarryOver;
  /** Whether a form holds anything worth keeping besides what was carried over. */
  worthKeeping(payload: Record<string, string>, carried: CarryOver | null | undefined): boolean;
  /** The worker's first name as the card shows it ('' for none). */
  firstName(fullName: string): string;
  /**
   * A record was saved from the form (before it is emptied): its draft goes, and a new
   * registration's drive, place and work are kept for the next one. Never throws.
   */
  saved(payload: Record<string, string>, editing: string | null): Promise<void>;
  /** After the form was emptied: the kept values back in it, visibly. */
  carryInto(form: HTMLFormElement): void;
}

interface PijarLogin {
  /** 'Chrome Android', 'Firefox Windows'...: how an admin tells a volunteer's phones apart. */
  deviceKind(userAgent?: string): string;
}

declare var pijarAutosync: PijarAutosync;
declare var pijarUi: PijarUi;
declare var pijarForm: PijarForm;
declare var pijarRegister: PijarRegister;
declare var pijarLogin: PijarLogin;
declare var pijarDraft: PijarDraft;

// --- The phone's registration rules (validate.js; webapp/domain/phone_rules.py) ---------

/** A regular expression made from the server's own (Python's): a JavaScript source and flags. */
interface PhonePattern {
  source: string;
  flags: string;
}

interface PhoneDateFormat {
  pattern: PhonePattern;
  /** Which group is the year: the first ('ymd') or the last ('dmy'). */
  order: 'ymd' | 'dmy';
}

/** One field of the registration, in the form's order: what the server checks of it. */
interface PhoneFieldRule {
  name: string;
  /** How a value is read: 'nik', 'person_name', 'mobile', 'text', 'date', 'rupiah', 'yes', 'integer'. */
  kind: string;
  required: boolean;
  /** Text refused when it holds control characters (patterns.unstorable). */
  checks_characters?: boolean;
  /** Most characters (text), or the largest amount (rupiah). */
  max?: number;
  choices?: string[];
  /** The only value accepted (consent). */
  equal?: string;
  min_length?: number;
  max_length?: number;
  min_letters?: number;
  formats?: PhoneDateFormat[];
  /** The earliest date accepted, YYYY-MM-DD. */
  oldest?: string;
  /** What a ticked box sends ('yes'). */
  value?: string;
  /** Required when another field holds this value. */
  required_when?: {field: string; value: string};
  /** The server's words, in the page's language, by what went wrong. */
  messages: Record<string, string>;
}

/** GET /app/rules.json, also in the form page as `<script type="application/json" id="pijar-rules">`. */
interface PhoneRules {
  format: 'pijar-rules';
  version: number;
  /** Tells two versions of the rules apart. */
  digest: string;
  language: string;
  fields: PhoneFieldRule[];
  patterns: {
    /** Python's white space (str.isspace), as the inside of a character class. */
    whitespace: string;
    /** Python's digits (str.isdigit), as the inside of a character class. */
    digit: string;
    unstorable: PhonePattern;
    line_breaks: PhonePattern;
  };
  phone: {prefixes: string[]; stored_prefix: string; separators: PhonePattern; national: PhonePattern};
  rupiah: {prefix: PhonePattern; amount: PhonePattern};
  nik: {length: number; separators: string; provinces: string[]; female_day_offset: number; issued_in_semarang: string};
  warnings: {
    age: {min: number; max: number};
    income: {min: number; max: number};
    /** By flag, or 'flag.field'. */
    messages: Record<string, string>;
  };
}

/** Something to look at again before the worker leaves; never blocks a save. */
interface PhoneWarning {
  /** The server's flag for it (models.Flag), e.g. 'nik_outside_semarang'. */
  code: string;
  field: string;
  message: string;
}

interface PhoneCheckOptions {
  /** YYYY-MM-DD; the phone's own day by default. */
  today?: string;
  /** NIKs of other records saved on this phone, as typed. */
  savedNiks?: Iterable<unknown>;
}

interface PhoneCheck {
  /** False when there were no rules this script can apply: nothing was checked. */
  checked: boolean;
  /** By field, in the form's order. */
  errors: FieldErrors;
  /** In the form's order. */
  warnings: PhoneWarning[];
}

interface PijarValidate {
  check(payload: Payload, rules: PhoneRules | null | undefined, options?: PhoneCheckOptions): PhoneCheck;
  usable(rules: unknown): rules is PhoneRules;
  /** A typed birth date as the sync payload carries it (YYYY-MM-DD), or the text unchanged. */
  wireDate(text: string, rules?: PhoneRules | null): string;
  /** YYYY-MM-DD as the KTP shows it (DD-MM-YYYY); anything else unchanged. */
  shownDate(text: string): string;
  /** Today on the phone's clock, YYYY-MM-DD. */
  localDay(now?: Date): string;
  /** The 16 digits of a NIK as typed, or ''. */
  nikDigits(text: unknown, rules: PhoneRules): string;
  /** How the server reads a birth date (schemas.BIRTH_DATE_FORMATS). */
  DATE_FORMATS: PhoneDateFormat[];
}

declare var pijarValidate: PijarValidate;
