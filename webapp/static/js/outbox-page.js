// @ts-check

/**
 * /app/outbox: this phone's records and where each stands. A record the server or a
 * coordinator sent back links to the form, pre-filled, with the message.
 */
(() => {
  'use strict';

  const FIX_LINK = self.pijarConfig.urls.fix;

  /** @param {Pick<OutboxItem, 'errors' | 'note' | 'problem'>} item */
  function itemMessage(item) {
    const parts = [];
    const problem = self.pijarUi.problemText(item);
    if (problem) parts.push(problem);
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
    fill('ref', item.ref || item.local_ref);
    fill('status', self.pijarUi.statusText(item));
    fill('when', self.pijarUi.formatDateTime(item.captured_at));
    const message = li.querySelector('[data-item-message]');
    if (message instanceof HTMLElement) {
      message.textContent = itemMessage(item);
      message.hidden = message.textContent === '';
    }
    const fix = li.querySelector('a[data-fix]');
    if (fix instanceof HTMLAnchorElement) {
      fix.hidden = item.state !== 'needs_fix';
      fix.href = FIX_LINK + encodeURIComponent(item.client_id);
    }
    return node;
  }

  async function showOutbox() {
    const list = document.querySelector('[data-outbox-list]');
    const template = document.getElementById('outbox-item-template');
    if (!list || !(template instanceof HTMLTemplateElement)) return;
    const items = await self.pijarOutbox.list();
    list.replaceChildren(...items.map((item) => renderItem(template, item)));
    const empty = document.querySelector('[data-outbox-empty]');
    if (empty instanceof HTMLElement) empty.hidden = items.length > 0;
  }

  async function startOutboxPage() {
    if (!(await self.pijarOutbox.available())) return;
    self.pijarOutbox.onChange(showOutbox);
    await showOutbox();
  }

  startOutboxPage();
})();
