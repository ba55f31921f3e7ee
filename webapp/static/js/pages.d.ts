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

interface PijarUi {
  /** A UI text the server rendered (translated) into `<template id="pijar-texts">`. */
  text(key: string): string;
  /** DD-MM-YYYY HH:MM on the phone's clock; '' for none. */
  formatDateTime(iso: string | null | undefined): string;
  /** The phone's words for where a record stands: waiting, needs fixing, or the office's status. */
  statusText(item: Pick<OutboxItem, 'state' | 'server_status'>): string;
  /** Why the phone itself set a record aside to be fixed (see OutboxProblem), in the UI's language; '' for none. */
  problemText(item: Pick<OutboxItem, 'problem'>): string;
}

interface PijarForm {
  readPayload(form: HTMLFormElement): Record<string, string>;
  fillForm(form: HTMLFormElement, payload: Payload): void;
  emptyForm(form: HTMLFormElement): void;
  clearMessages(form: HTMLFormElement): void;
  showMessages(form: HTMLFormElement, errors: FieldErrors, title: string): void;
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

interface PijarLogin {
  /** 'Chrome Android', 'Firefox Windows'...: how an admin tells a volunteer's phones apart. */
  deviceKind(userAgent?: string): string;
}

declare var pijarAutosync: PijarAutosync;
declare var pijarUi: PijarUi;
declare var pijarForm: PijarForm;
declare var pijarRegister: PijarRegister;
declare var pijarLogin: PijarLogin;
