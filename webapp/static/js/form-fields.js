// @ts-check

/**
 * Reading the registration form into a payload, filling it back from one, and showing
 * the server's messages beside the fields, as the server-rendered form does.
 */
(() => {
  'use strict';

  const NOT_PAYLOAD = ['csrf_token', 'client_id'];
  const SUMMARY_CLASS = 'error-summary';
  const WARNING_CLASS = 'field-warning';
  // Typed DD-MM-YYYY as on the KTP; the payload carries YYYY-MM-DD (validate.js converts).
  const BIRTH_DATE = 'birth_date';

  /** @param {Element} el @returns {el is HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement} */
  function isField(el) {
    return (el instanceof HTMLInputElement || el instanceof HTMLSelectElement || el instanceof HTMLTextAreaElement) &&
      el.name !== '' && !NOT_PAYLOAD.includes(el.name);
  }

  /**
   * The form's fields by name (the sync payload's keys); empty ones as ''. The birth date
   * as the payload carries it (YYYY-MM-DD) when it can be read, else as typed.
   * @param {HTMLFormElement} form
   * @returns {Record<string, string>}
   */
  function readPayload(form) {
    /** @type {Record<string, string>} */
    const payload = {};
    for (const el of Array.from(form.elements)) {
      if (!isField(el)) continue;
      if (el instanceof HTMLInputElement && (el.type === 'radio' || el.type === 'checkbox')) {
        if (el.checked) payload[el.name] = el.value;
        else if (!(el.name in payload)) payload[el.name] = '';
      } else {
        payload[el.name] = el.name === BIRTH_DATE ? self.pijarValidate.wireDate(el.value) : el.value;
      }
    }
    return payload;
  }

  /** @param {Element | null} el */
  function fireChange(el) {
    if (el) el.dispatchEvent(new Event('change', { bubbles: true }));
  }

  /**
   * Put a saved payload back into the form, kecamatan list and NIK reading included.
   * @param {HTMLFormElement} form
   * @param {Payload} payload
   * @param {string[]} [only] fill these fields and leave the others as they are
   */
  function fillForm(form, payload, only) {
    const fills = (/** @type {string} */ name) => !only || only.includes(name);
    for (const el of Array.from(form.elements)) {
      if (!isField(el) || !fills(el.name)) continue;
      const value = payload[el.name] == null ? '' : String(payload[el.name]);
      if (el instanceof HTMLInputElement && (el.type === 'radio' || el.type === 'checkbox')) {
        el.checked = value !== '' && el.value === value;
      } else if (el.name !== 'kelurahan_code') {
        el.value = el.name === BIRTH_DATE ? self.pijarValidate.shownDate(value) : value;
      }
    }
    const code = String(payload.kelurahan_code || '');
    const kecamatan = form.querySelector('select[data-kecamatan-for]');
    const kelurahan = form.querySelector('select[name=kelurahan_code]');
    if (kecamatan instanceof HTMLSelectElement && fills('kelurahan_code')) {
      kecamatan.value = code.split('.').slice(0, 3).join('.');
      fireChange(kecamatan); // narrows the kelurahan list (register.js)
    }
    if (kelurahan instanceof HTMLSelectElement && fills('kelurahan_code')) kelurahan.value = code;
    if (fills('occupation')) fireChange(form.querySelector('select[name=occupation]'));
    if (fills('nik')) fireChange(form.querySelector('input[name=nik]'));
  }

  /** Empty the form for the next worker. @param {HTMLFormElement} form */
  function emptyForm(form) {
    form.reset();
    fireChange(form.querySelector('select[data-kecamatan-for]'));
    fireChange(form.querySelector('select[name=occupation]'));
    const reading = form.querySelector('[data-nik-birth]');
    if (reading instanceof HTMLElement) reading.hidden = true;
    clearMessages(form);
  }

  /** @param {HTMLFormElement} form */
  function clearMessages(form) {
    showWarnings(form, []);
    form.querySelectorAll(`.${SUMMARY_CLASS}, .field-error`).forEach((el) => el.remove());
    form.querySelectorAll('.has-error').forEach((el) => el.classList.remove('has-error'));
    form.querySelectorAll('[aria-invalid]').forEach((el) => {
      el.removeAttribute('aria-invalid');
      const ids = (el.getAttribute('aria-describedby') || '').split(' ').filter((id) => id && !id.endsWith('-error'));
      if (ids.length) el.setAttribute('aria-describedby', ids.join(' '));
      else el.removeAttribute('aria-describedby');
    });
  }

  /**
   * One field's messages under it, marked for screen readers.
   * @param {HTMLFormElement} form @param {string} name @param {string[]} messages
   * @returns {boolean} false when the form has no such field
   */
  function showFieldMessages(form, name, messages) {
    const container = form.querySelector(`[data-field="${CSS.escape(name)}"]`);
    if (!container) return false;
    container.classList.add('has-error');
    const error = document.createElement('p');
    error.className = 'field-error';
    error.id = `${name}-error`;
    error.textContent = messages.join(' ');
    container.append(error);
    const input = container.matches('fieldset.choices') ? container : form.querySelector(`#${CSS.escape(name)}`);
    if (input) {
      input.setAttribute('aria-invalid', 'true');
      const ids = (input.getAttribute('aria-describedby') || '').split(' ').filter(Boolean);
      input.setAttribute('aria-describedby', [...ids, error.id].join(' '));
    }
    return true;
  }

  /**
   * The server's messages beside their fields, with a summary at the top that takes focus
   * (unless the caller moves the focus itself: `focus` 'none').
   * @param {HTMLFormElement} form
   * @param {Record<string, string[]>} errors
   * @param {string} title the summary's heading
   * @param {'summary' | 'none'} [focus]
   */
  function showMessages(form, errors, title, focus = 'summary') {
    clearMessages(form);
    const names = Object.keys(errors);
    if (names.length === 0) return;
    const summary = document.createElement('div');
    summary.className = `notice notice-error ${SUMMARY_CLASS}`;
    summary.setAttribute('role', 'alert');
    summary.tabIndex = -1;
    const heading = document.createElement('p');
    heading.append(Object.assign(document.createElement('strong'), { textContent: title }));
    const list = document.createElement('ul');
    for (const name of names) {
      const messages = [errors[name]].flat().map(String); // one message or a list
      const label = self.pijarUi.text(`field.${name}`);
      const text = `${label.startsWith('field.') ? name : label}: ${messages.join(' ')}`;
      const item = document.createElement('li');
      if (showFieldMessages(form, name, messages)) {
        item.append(Object.assign(document.createElement('a'), { href: `#${name}`, textContent: text }));
      } else {
        item.textContent = text;
      }
      list.append(item);
    }
    summary.append(heading, list);
    const hiddenInputs = form.querySelector('input[name=client_id]');
    if (hiddenInputs) hiddenInputs.after(summary);
    else form.prepend(summary);
    if (focus === 'none') return;
    summary.focus();
    summary.scrollIntoView({ block: 'start' });
  }

  /**
   * Warnings beside their fields, in place of earlier ones: a second look, never a block.
   * @param {HTMLFormElement} form
   * @param {PhoneWarning[]} warnings
   */
  function showWarnings(form, warnings) {
    form.querySelectorAll(`.${WARNING_CLASS}`).forEach((el) => el.remove());
    form.querySelectorAll('[aria-describedby*="-warning"]').forEach((el) => {
      const ids = (el.getAttribute('aria-describedby') || '').split(' ').filter((id) => id && !id.endsWith('-warning'));
      if (ids.length) el.setAttribute('aria-describedby', ids.join(' '));
      else el.removeAttribute('aria-describedby');
    });
    /** @type {Map<string, string[]>} */
    const byField = new Map();
    for (const warning of warnings) byField.set(warning.field, [...(byField.get(warning.field) || []), warning.message]);
    for (const [name, messages] of byField) {
      const container = form.querySelector(`[data-field="${CSS.escape(name)}"]`);
      if (!container) continue;
      const note = document.createElement('p');
      note.className = WARNING_CLASS;
      note.id = `${name}-warning`;
      note.textContent = messages.join(' ');
      container.append(note);
      const input = container.matches('fieldset.choices') ? container : form.querySelector(`#${CSS.escape(name)}`);
      if (input) {
        const ids = (input.getAttribute('aria-describedby') || '').split(' ').filter(Boolean);
        input.setAttribute('aria-describedby', [...ids, note.id].join(' '));
      }
    }
  }

  /** @type {PijarForm} */
  const formFields = { readPayload, fillForm, emptyForm, clearMessages, showMessages, showWarnings };
  self.pijarForm = formFields;
})();
