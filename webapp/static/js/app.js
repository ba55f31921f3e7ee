// @ts-check

/**
 * Behaviour every page shares. Pages work without it; it only makes them smoother.
 */
(() => {
  'use strict';

  /** After htmx swaps in a form with errors, move focus to the summary so it is read out. */
  function focusErrorSummary(/** @type {Event} */ event) {
    const target = /** @type {HTMLElement} */ (event.target);
    const summary = target.querySelector('.error-summary');
    if (summary instanceof HTMLElement) {
      summary.focus();
      summary.scrollIntoView({ block: 'start' });
    }
  }

  document.addEventListener('htmx:afterSwap', focusErrorSummary);
})();
