// @ts-check

/**
 * The registration form: kecamatan then kelurahan without a round trip, the
 * "other occupation" field only when needed, birth date and sex read from the NIK.
 * The server validates everything again; this only saves typing.
 */
(() => {
  'use strict';

  const OTHER_OCCUPATION = 'lainnya';
  const NIK_LENGTH = 16;
  const FEMALE_DAY_OFFSET = 40;

  /**
   * Birth date (YYYY-MM-DD) and sex written inside a NIK, or null when they cannot be read.
   * @param {string} value
   * @param {Date} today
   * @returns {NikReading | null}
   */
  function readNik(value, today) {
    const nik = value.replace(/[\s.-]/g, '');
    if (!/^\d+$/.test(nik) || nik.length !== NIK_LENGTH) return null;
    let day = Number(nik.slice(6, 8));
    const month = Number(nik.slice(8, 10));
    const yy = Number(nik.slice(10, 12));
    const sex = day > FEMALE_DAY_OFFSET ? 'P' : 'L';
    if (sex === 'P') day -= FEMALE_DAY_OFFSET;
    let year = 2000 + yy;
    if (new Date(year, month - 1, day) > today) year -= 100;
    const date = new Date(year, month - 1, day);
    if (date.getFullYear() !== year || date.getMonth() !== month - 1 || date.getDate() !== day) {
      return null;
    }
    const pad = (/** @type {number} */ n) => String(n).padStart(2, '0');
    return { birthDate: `${year}-${pad(month)}-${pad(day)}`, sex };
  }

  /**
   * Show a kecamatan list and narrow the kelurahan list to the chosen kecamatan.
   * The full list, grouped by kecamatan, stays the fallback without JavaScript.
   * @param {HTMLFormElement} form
   */
  function linkKecamatanToKelurahan(form) {
    const kecamatan = form.querySelector('select[data-kecamatan-for]');
    const kelurahan = form.querySelector('select[name=kelurahan_code]');
    if (!(kecamatan instanceof HTMLSelectElement) || !(kelurahan instanceof HTMLSelectElement)) return;
    const groups = Array.from(kelurahan.querySelectorAll('optgroup')).map((g) => g.cloneNode(true));
    const placeholder = kelurahan.options[0].cloneNode(true);

    const show = () => {
      const chosen = kelurahan.value;
      kelurahan.replaceChildren(placeholder.cloneNode(true));
      for (const group of groups) {
        if (!(group instanceof HTMLOptGroupElement) || group.dataset.kecamatan !== kecamatan.value) continue;
        for (const option of Array.from(group.children)) kelurahan.append(option.cloneNode(true));
      }
      kelurahan.value = chosen;
      kelurahan.disabled = kecamatan.value === '';
      const first = kelurahan.options[0];
      if (kelurahan.disabled && kelurahan.dataset.waiting) first.textContent = kelurahan.dataset.waiting;
    };

    const selected = kelurahan.selectedOptions[0];
    const group = selected && selected.parentElement;
    if (group instanceof HTMLOptGroupElement) kecamatan.value = group.dataset.kecamatan || '';
    const wrapper = kecamatan.closest('.js-only');
    if (wrapper instanceof HTMLElement) wrapper.hidden = false;
    kecamatan.addEventListener('change', show);
    show();
  }

  /** @param {HTMLFormElement} form */
  function toggleOtherOccupation(form) {
    const occupation = form.querySelector('select[name=occupation]');
    const other = form.querySelector('[data-field=occupation_other]');
    if (!(occupation instanceof HTMLSelectElement) || !(other instanceof HTMLElement)) return;
    const otherInput = other.querySelector('input');
    const update = () => {
      const needed = occupation.value === OTHER_OCCUPATION || (otherInput && otherInput.value !== '');
      other.hidden = !needed;
    };
    occupation.addEventListener('change', update);
    update();
  }

  /** @param {HTMLFormElement} form */
  function fillFromNik(form) {
    const nik = form.querySelector('input[name=nik]');
    const birthDate = form.querySelector('input[name=birth_date]');
    if (!(nik instanceof HTMLInputElement) || !(birthDate instanceof HTMLInputElement)) return;
    const reading = form.querySelector('[data-nik-birth]');
    nik.addEventListener('change', () => {
      const read = readNik(nik.value, new Date());
      if (reading instanceof HTMLElement) {
        // Shown as DD-MM-YYYY like the KTP, whatever format the phone's date field uses.
        reading.hidden = !read;
        const shown = reading.querySelector('strong');
        if (read && shown) shown.textContent = read.birthDate.split('-').reverse().join('-');
      }
      if (!read) return;
      // Typed as on the KTP (DD-MM-YYYY), so filled in the same way.
      if (birthDate.value === '') birthDate.value = read.birthDate.split('-').reverse().join('-');
      const checked = form.querySelector('input[name=sex]:checked');
      const sex = form.querySelector(`input[name=sex][value=${read.sex}]`);
      if (!checked && sex instanceof HTMLInputElement) sex.checked = true;
    });
  }

  /** @param {ParentNode} root */
  function initRegisterForms(root) {
    const forms = root instanceof HTMLFormElement ? [root] : Array.from(root.querySelectorAll('form.register-form'));
    for (const form of forms) {
      if (!(form instanceof HTMLFormElement) || !form.classList.contains('register-form')) continue;
      linkKecamatanToKelurahan(form);
      toggleOtherOccupation(form);
      fillFromNik(form);
    }
  }

  /** @type {PijarRegister} */
  const register = { readNik };
  self.pijarRegister = register;

  // htmx:load fires for the first page and for every swapped-in form.
  document.addEventListener('htmx:load', (event) => initRegisterForms(/** @type {ParentNode} */ (event.target)));
  if (!('htmx' in window)) document.addEventListener('DOMContentLoaded', () => initRegisterForms(document));
})();
