// @ts-check

/**
 * /app/outbox: this phone's records and where each stands, those to fix first, with a
 * search by name or reference. A record sent back links to the form, pre-filled, with
 * the message; one not yet sent can be opened and changed. Either can be discarded,
 * after a confirmation with a reason, and the office hears of it (outbox.js, discard).
 */
(() => {
  'use strict';

  const FIX_LINK = self.pijarConfig.urls.fix;
  const SEARCH_DELAY_MS = 150;

  /** @type {string | null} the record whose discard is being confirmed: the list waits */
  let confirming = null;
  let renderLater = false;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let searchTimer;

  /** @param {Pick<OutboxItem, 'errors' | 'note' | 'problem' | 'ref' | 'local_ref'>} item */
  function itemMessage(item) {
    const parts = [];
    const problem = self.pijarUi.problemText(item);
    if (problem) parts.push(problem);
    const changed = self.pijarUi.refNote(item);
    if (changed) parts.push(changed);
    if (item.note) parts.push(item.note);
    for (const [field, messages] of Object.entries(item.errors || {})) {
      const label = self.pijarUi.text(`field.${field}`);
      parts.push(`${label === `field.${field}` ? field : label}: ${messages.join(' ')}`);
    }
    return parts.join(' · ');
  }

  /**
   * @param {HTMLTemplateElement} template
   * @param {OutboxItem} item
   */
  function renderItem(template, item) {
    const node = /** @type {DocumentFragment} */ (template.content.cloneNode(true));
    const li = /** @type {HTMLElement} */ (node.querySelector('[data-outbox-item]'));
    li.dataset.clientId = item.client_id;
    li.dataset.state = item.state;
    li.dataset.serverStatus = item.server_status || '';
    const fill = (/** @type {string} */ slot, /** @type {string} */ value) => {
      const el = li.querySelector(`[data-slot="${slot}"]`);
      if (el) el.textContent = value;
    };
    fill('name', item.name || self.pijarUi.text('no-name'));
    fill('nik', item.masked_nik);
    fill('ref', self.pijarOutbox.shownRef(item));
    fill('status', self.pijarUi.statusText(item));
    fill('when', self.pijarUi.formatDateTime(item.captured_at));
    const message = li.querySelector('[data-item-message]');
    if (message instanceof HTMLElement) {
      message.textContent = itemMessage(item);
      message.hidden = message.textContent === '';
    }
    const editable = self.pijarOutbox.editable(item);
    for (const [selector, shown] of /** @type {const} */ ([
      ['a[data-fix]', item.state === 'needs_fix' && editable],
      ['a[data-edit]', item.state === 'waiting' && editable],
    ])) {
      const link = li.querySelector(selector);
      if (!(link instanceof HTMLAnchorElement)) continue;
      link.hidden = !shown;
      link.href = FIX_LINK + encodeURIComponent(item.client_id);
    }
    const discard = li.querySelector('button[data-discard]');
    if (discard instanceof HTMLButtonElement) discard.hidden = item.state === 'sent';
    const reason = li.querySelector('input[name=reason]');
    const label = li.querySelector('label[data-reason-label]');
    if (reason instanceof HTMLInputElement && label instanceof HTMLLabelElement) {
      reason.id = `reason-${item.client_id}`;
      label.htmlFor = reason.id;
    }
    return node;
  }

  function searchText() {
    const box = document.querySelector('input[data-outbox-search]');
    return box instanceof HTMLInputElement ? box.value : '';
  }

  async function showOutbox() {
    if (confirming) {
      renderLater = true; // not under the volunteer's fingers: after the confirmation
      return;
    }
    const list = document.querySelector('[data-outbox-list]');
    const template = document.getElementById('outbox-item-template');
    if (!list || !(template instanceof HTMLTemplateElement)) return;
    const ui = self.pijarUi;
    const all = await self.pijarOutbox.list();
    const query = searchText();
    const shown = ui.sortForList(all).filter((item) => ui.matchesSearch(item, query));
    list.replaceChildren(...shown.map((item) => renderItem(template, item)));
    const empty = document.querySelector('[data-outbox-empty]');
    if (empty instanceof HTMLElement) empty.hidden = all.length > 0;
    const none = document.querySelector('[data-outbox-no-match]');
    if (none instanceof HTMLElement) none.hidden = all.length === 0 || shown.length > 0;
    const search = document.querySelector('[data-outbox-search-box]');
    if (search instanceof HTMLElement) search.hidden = all.length === 0;
  }

  /** @param {string} text */
  function tell(text) {
    const notice = document.querySelector('[data-outbox-notice]');
    if (!(notice instanceof HTMLElement)) return;
    notice.textContent = text;
    notice.hidden = text === '';
  }

  /** @param {HTMLElement} li @param {boolean} open */
  function toggleConfirm(li, open) {
    const form = li.querySelector('form[data-discard-form]');
    const button = li.querySelector('button[data-discard]');
    if (!(form instanceof HTMLFormElement)) return;
    form.hidden = !open;
    if (button instanceof HTMLButtonElement) button.hidden = open;
    confirming = open ? li.dataset.clientId || null : null;
    if (open) {
      const reason = form.querySelector('input[name=reason]');
      if (reason instanceof HTMLInputElement) reason.focus();
    } else if (renderLater) {
      renderLater = false;
      showOutbox();
    }
  }

  /** @param {HTMLFormElement} form @param {HTMLElement} li */
  async function confirmDiscard(form, li) {
    const reason = form.querySelector('input[name=reason]');
    const clientId = li.dataset.clientId;
    if (!(reason instanceof HTMLInputElement) || !clientId) return;
    if (!reason.value.trim()) {
      reason.setCustomValidity(self.pijarUi.text('discard.reason'));
      reason.reportValidity();
      return;
    }
    const button = form.querySelector('button[type=submit]');
    if (button instanceof HTMLButtonElement) button.disabled = true;
    try {
      const report = await self.pijarOutbox.discard(clientId, reason.value);
      tell(self.pijarUi.text(report ? `discard.${report}` : 'discard.gone'));
    } finally {
      if (button instanceof HTMLButtonElement) button.disabled = false;
      renderLater = true;
      toggleConfirm(li, false);
    }
    // A tombstone goes with the next sync; a count with the next heartbeat.
    self.pijarAutosync.run({ force: true });
  }

  /** @param {Event} event */
  function onClick(event) {
    const target = event.target;
    if (!(target instanceof Element)) return;
    const li = target.closest('[data-outbox-item]');
    if (!(li instanceof HTMLElement)) return;
    if (target.closest('button[data-discard]')) {
      if (confirming && confirming !== li.dataset.clientId) return; // one at a time
      tell('');
      toggleConfirm(li, true);
    } else if (target.closest('button[data-discard-cancel]')) {
      toggleConfirm(li, false);
    }
  }

  /** @param {Event} event */
  function onSubmit(event) {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.matches('form[data-discard-form]')) return;
    event.preventDefault();
    const li = form.closest('[data-outbox-item]');
    if (li instanceof HTMLElement) confirmDiscard(form, li);
  }

  /** @param {Event} event */
  function onInput(event) {
    const target = event.target;
    if (target instanceof HTMLInputElement && target.name === 'reason') target.setCustomValidity('');
    if (!(target instanceof HTMLInputElement) || !target.matches('[data-outbox-search]')) return;
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => { showOutbox(); }, SEARCH_DELAY_MS);
  }

  async function startOutboxPage() {
    if (!(await self.pijarOutbox.available())) return;
    const list = document.querySelector('[data-outbox-list]');
    if (list) {
      list.addEventListener('click', onClick);
      list.addEventListener('submit', onSubmit);
    }
    document.addEventListener('input', onInput);
    self.pijarOutbox.onChange(showOutbox);
    await showOutbox();
  }

  startOutboxPage();
})();
