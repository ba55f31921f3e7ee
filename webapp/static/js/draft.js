// @ts-check

/**
 * The registration form's memory on the phone: what the volunteer types is kept as a
 * draft in IndexedDB (a killed tab loses nothing), offered back when the form is
 * reopened, and cleared once saved. A drive's day: the drive, the place and the work of
 * the previous registration start the next form, shown at the top with one tap to clear
 * (the drive decides who pays, so it is always shown). Loaded after form-fields.js and
 * before register-save.js, which calls saved() and carryInto().
 */
(() => {
  'use strict';

  const FORM_SELECTOR = 'form.register-form';
  const FIX_PARAM = 'fix';
  const NEW_FORM = 'new'; // the draft of a new registration; an edit's is its client_id
  const SAVE_DELAY_MS = 300;
  // Kept from one registration to the next; occupation_other goes with occupation.
  const CARRY_FIELDS = ['drive_id', 'kelurahan_code', 'occupation', 'occupation_other', 'workplace'];
  // Not worth a draft on their own: a ticked consent box is not a registration.
  const NOT_CONTENT = ['consent'];

  /** @type {HTMLFormElement | null} */
  let form = null;
  /** Which draft this page writes: NEW_FORM or the record being edited. */
  let draftKey = NEW_FORM;
  /** A draft found at load waits for "continue" or "discard": until then none is written. */
  let offerPending = false;
  /** @type {CarryOver | null} what this form started with */
  let carried = null;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  /** Draft writes and deletes, one after the other, so a late write never revives a draft. */
  /** @type {Promise<unknown>} */
  let queue = Promise.resolve();

  // --- pure rules ---------------------------------------------------------------------

  /** @param {Record<string, string>} payload @returns {CarryOver} */
  function carryOver(payload) {
    /** @type {CarryOver} */
    const kept = {};
    for (const name of CARRY_FIELDS) {
      if (payload[name]) kept[name] = payload[name];
    }
    return kept;
  }

  /**
   * @param {Record<string, string>} payload
   * @param {CarryOver | null | undefined} carriedOver what the form started with
   */
  function worthKeeping(payload, carriedOver) {
    return Object.entries(payload).some(([name, value]) =>
      value !== '' && !NOT_CONTENT.includes(name) && !(carriedOver && carriedOver[name] === value));
  }

  /** @param {string} fullName */
  function firstName(fullName) {
    return (fullName || '').trim().split(/\s+/)[0] || '';
  }

  // --- the page -----------------------------------------------------------------------

  /** @param {string} selector */
  function element(selector) {
    const found = document.querySelector(selector);
    return found instanceof HTMLElement ? found : null;
  }

  /** @param {() => Promise<unknown>} step */
  function enqueue(step) {
    queue = queue.then(step).catch((err) => { console.warn('draft not kept', err); });
    return queue;
  }

  function writeDraft() {
    clearTimeout(timer);
    timer = undefined;
    if (!form || offerPending) return queue;
    const payload = self.pijarForm.readPayload(form);
    const key = draftKey;
    const outbox = self.pijarOutbox;
    if (!worthKeeping(payload, carried)) return enqueue(() => outbox.deleteDraft(key));
    return enqueue(() => outbox.putDraft({ key, payload, saved_at: new Date().toISOString() }));
  }

  /** Typing (a person's, not our own fills) is kept shortly after. @param {Event} event */
  function onTyping(event) {
    if (!event.isTrusted || offerPending) return;
    clearTimeout(timer);
    timer = setTimeout(writeDraft, SAVE_DELAY_MS);
  }

  /** The page goes away (tab switched, closed, killed next): keep what is typed now. */
  function onHidden() {
    if (document.visibilityState === 'hidden' && timer !== undefined) writeDraft();
  }

  /** The option's words for a select's value ('' when none is chosen). @param {string} name */
  function chosenText(name) {
    const select = form && form.querySelector(`select[name=${name}]`);
    if (!(select instanceof HTMLSelectElement) || !select.value) return '';
    const option = select.selectedOptions[0];
    return option ? (option.textContent || '').trim() : '';
  }

  /** The drive at the top of the form, "none" included: it decides who pays. */
  function showDrive() {
    const banner = element('[data-drive-banner]');
    const select = form && form.querySelector('select[name=drive_id]');
    if (!banner) return;
    banner.hidden = !(select instanceof HTMLSelectElement);
    const name = banner.querySelector('[data-drive-name]');
    if (name) name.textContent = chosenText('drive_id') || self.pijarUi.text('drive.none');
  }

  /** What the form was given from the previous registration, with the way to clear it. */
  function showCarried() {
    const bar = element('[data-carry]');
    if (!bar || !form) return;
    const values = carried || {};
    const parts = [
      values.drive_id && chosenText('drive_id'),
      values.kelurahan_code && chosenText('kelurahan_code'),
      values.occupation && (values.occupation_other || chosenText('occupation')),
      values.workplace,
    ].filter(Boolean);
    const list = bar.querySelector('[data-carry-list]');
    if (list) list.textContent = parts.join(' · ');
    bar.hidden = parts.length === 0;
  }

  /** One tap: the carried values leave this form and are not offered to the next. */
  async function clearCarried() {
    if (!form) return;
    /** @type {Payload} */
    const empty = Object.fromEntries(CARRY_FIELDS.map((name) => [name, '']));
    self.pijarForm.fillForm(form, empty, CARRY_FIELDS);
    carried = null;
    showCarried();
    showDrive();
    writeDraft();
    try {
      await self.pijarOutbox.deleteMeta(self.pijarOutbox.META.carryOver);
    } catch (err) {
      console.warn('carry-over not cleared', err);
    }
    const first = form.querySelector('select[name=drive_id], #kecamatan');
    if (first instanceof HTMLElement) first.focus();
  }

  /** @param {HTMLFormElement} target */
  function carryInto(target) {
    if (!carried || Object.keys(carried).length === 0) {
      showCarried();
      showDrive();
      return;
    }
    self.pijarForm.fillForm(target, carried, CARRY_FIELDS);
    showCarried();
    showDrive();
  }

  /**
   * @param {Record<string, string>} payload what was saved
   * @param {string | null} editing the record it changed, or null for a new one
   */
  async function saved(payload, editing) {
    clearTimeout(timer);
    timer = undefined;
    const outbox = self.pijarOutbox;
    // A draft still offered is another form's: it stays on offer.
    if (!offerPending) await enqueue(() => outbox.deleteDraft(editing || NEW_FORM));
    draftKey = NEW_FORM; // the emptied form is a new registration's
    if (editing) return;
    carried = carryOver(payload);
    try {
      await outbox.setMeta(outbox.META.carryOver, carried);
    } catch (err) {
      console.warn('carry-over not kept', err);
    }
  }

  /** @param {boolean} shown */
  function showOffer(shown) {
    const offer = element('[data-draft-offer]');
    if (offer) offer.hidden = !shown;
  }

  /** @param {Draft} draft */
  function offer(draft) {
    const box = element('[data-draft-offer]');
    if (!box) return;
    offerPending = true;
    const name = box.querySelector('[data-slot=draft-name]');
    if (name) name.textContent = draft.payload.full_name || self.pijarUi.text('no-name');
    const when = box.querySelector('[data-slot=draft-when]');
    if (when) when.textContent = self.pijarUi.formatDateTime(draft.saved_at);
    showOffer(true);
    const keep = box.querySelector('button[data-draft-continue]');
    const drop = box.querySelector('button[data-draft-discard]');
    if (keep instanceof HTMLButtonElement) {
      keep.onclick = () => {
        if (!form) return;
        offerPending = false;
        showOffer(false);
        self.pijarForm.fillForm(form, draft.payload);
        form.dataset.dirty = ''; // not empty, and not to be lost to an update
        showDrive();
        writeDraft();
        const first = form.querySelector('input[name=nik]');
        if (first instanceof HTMLElement) first.focus();
      };
      keep.focus();
    }
    if (drop instanceof HTMLButtonElement) {
      drop.onclick = () => {
        offerPending = false;
        showOffer(false);
        enqueue(() => self.pijarOutbox.deleteDraft(draft.key));
        // Whatever was typed meanwhile is this form's own draft now.
        if (form && form.dataset.dirty !== undefined) writeDraft();
      };
    }
  }

  async function startDraft() {
    const found = document.querySelector(FORM_SELECTOR);
    if (!(found instanceof HTMLFormElement)) return;
    form = found;
    const outbox = self.pijarOutbox;
    if (!(await outbox.available())) return;
    const editing = new URLSearchParams(window.location.search).get(FIX_PARAM);
    draftKey = editing || NEW_FORM;
    form.addEventListener('input', onTyping);
    form.addEventListener('change', onTyping);
    document.addEventListener('visibilitychange', onHidden);
    window.addEventListener('pagehide', () => { if (timer !== undefined) writeDraft(); });
    const driveSelect = form.querySelector('select[name=drive_id]');
    if (driveSelect) driveSelect.addEventListener('change', showDrive);
    const clear = element('button[data-carry-clear]');
    if (clear) clear.addEventListener('click', () => { clearCarried(); });
    const [draft, carry] = await Promise.all([outbox.getDraft(draftKey), outbox.getMeta(outbox.META.carryOver)]);
    if (!editing && carry) {
      carried = carry;
      // Not over what the volunteer began typing while the database opened.
      if (form.dataset.dirty === undefined) carryInto(form);
    }
    showDrive();
    if (draft && worthKeeping(draft.payload, null)) offer(draft);
  }

  /** @type {PijarDraft} */
  const drafts = { carryOver, worthKeeping, firstName, saved, carryInto };
  self.pijarDraft = drafts;
  startDraft();
})();
