// @ts-check

/**
 * On the login page: before the form is sent, ask the sync API for a device token
 * with the same credentials and keep it in the outbox database. The normal login
 * goes on either way, so a failure here never keeps anyone out.
 */
(() => {
  'use strict';

  const CONFIG = self.pijarConfig;
  const DEVICES_URL = CONFIG.urls.devices;
  const CURRENT_DEVICE_URL = CONFIG.urls.currentDevice;
  const META = CONFIG.meta;
  const DEVICE_TIMEOUT_MS = 8000;

  /** 'Chrome Android', 'Firefox Windows'...: enough for an admin to tell phones apart. */
  function deviceKind(ua = navigator.userAgent) {
    const browser = /SamsungBrowser/.test(ua) ? 'Samsung Internet'
      : /Edg\//.test(ua) ? 'Edge' : /Firefox\//.test(ua) ? 'Firefox'
        : /Chrom(e|ium)\//.test(ua) ? 'Chrome' : /Safari\//.test(ua) ? 'Safari' : 'Browser';
    const system = /Android/.test(ua) ? 'Android' : /iPhone|iPad/.test(ua) ? 'iOS'
      : /Windows/.test(ua) ? 'Windows' : /Mac OS/.test(ua) ? 'macOS' : /Linux/.test(ua) ? 'Linux' : '';
    return [browser, system].filter(Boolean).join(' ');
  }

  /**
   * @param {string} username @param {string} password
   * @param {number | undefined} deviceId the device this phone already is, if any: the
   *   server renews it (same device, new token) when it is this volunteer's and not revoked
   * @returns {Promise<{device_id: number, token: string, renewed?: boolean} | null>}
   */
  async function requestDeviceToken(username, password, deviceId) {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), DEVICE_TIMEOUT_MS);
    try {
      const response = await fetch(DEVICES_URL, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          username, password, label: `${deviceKind()} ${username}`.slice(0, 100), device_id: deviceId,
        }),
        signal: abort.signal,
      });
      if (response.status !== 201) return null;
      const body = await response.json();
      return body && body.token ? body : null;
    } catch (err) {
      return null;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The token this phone held before: revoke it (best effort; it outlives the page). @param {string} token */
  function revokeOldToken(token) {
    fetch(CURRENT_DEVICE_URL, {
      method: 'DELETE', keepalive: true, headers: { Authorization: `Bearer ${token}` },
    }).catch(() => undefined);
  }

  /** @param {string} username @param {string} password */
  async function rememberDevice(username, password) {
    const outbox = self.pijarOutbox;
    if (!username || !password || !(await outbox.available())) return;
    const old = await outbox.getMeta(META.device);
    const device = await requestDeviceToken(username, password, old?.device_id);
    if (!device) return;
    // Renewed, the phone stays the device it was: its cursor holds, its old token is void.
    const renewed = Boolean(old && old.device_id === device.device_id);
    // Another device reads the decisions from the start, not from the old one's cursor.
    if (!renewed) await outbox.deleteMeta(META.cursor);
    await outbox.setMeta(META.device, {
      token: device.token, device_id: device.device_id, username, created_at: new Date().toISOString(),
    });
    await outbox.deleteMeta(META.authNeeded);
    if (!renewed && old && old.token && old.token !== device.token) revokeOldToken(old.token);
  }

  /** @param {SubmitEvent} event */
  async function onLoginSubmit(event) {
    const form = /** @type {HTMLFormElement} */ (event.currentTarget);
    if (form.dataset.deviceAsked) return; // a second submit goes straight through
    event.preventDefault();
    form.dataset.deviceAsked = '1';
    const button = form.querySelector('button[type=submit]');
    if (button instanceof HTMLButtonElement) button.disabled = true;
    const field = (/** @type {string} */ name) => {
      const el = form.elements.namedItem(name);
      return el instanceof HTMLInputElement ? el.value : '';
    };
    try {
      await rememberDevice(field('username'), field('password'));
    } catch (err) {
      console.warn('no device token', err);
    }
    form.submit();
  }

  /** @type {PijarLogin} */
  const login = { deviceKind };
  self.pijarLogin = login;

  const passwordInput = document.getElementById('password');
  const loginForm = passwordInput instanceof HTMLInputElement ? passwordInput.form : null;
  if (loginForm) loginForm.addEventListener('submit', onLoginSubmit);
})();
