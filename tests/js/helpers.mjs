// Loads the phone's classic scripts (webapp/static/js) as a browser would, one after the
// other in one global scope, but in a fresh node:vm context holding only the fakes a test
// gives. The scripts are not changed for tests: each sets its namespace on `self`.
import { readFileSync } from 'node:fs';
import vm from 'node:vm';

const SCRIPTS = new URL('../../webapp/static/js/', import.meta.url);
const TEMPLATES = new URL('../../webapp/templates/', import.meta.url);

/** The config as webapp/pwa.py phone_config() renders it. */
export const PHONE_CONFIG = {
  version: '0.1.0+test',
  urls: {
    sync: '/api/v1/sync', devices: '/api/v1/devices', currentDevice: '/api/v1/devices/current',
    home: '/app', register: '/app/register', fix: '/app/register?fix=', outbox: '/app/outbox',
    worker: '/sw.js', static: '/static/', rules: '/app/rules.json',
  },
  db: { name: 'pijar-semar', outboxStore: 'outbox', metaStore: 'meta', byState: 'state_created' },
  meta: {
    device: 'device', cursor: 'cursor', lastSyncAt: 'last_sync_at', authNeeded: 'auth_needed',
    lastError: 'last_error', persistAsked: 'persist_asked',
  },
  events: { outboxChanged: 'pijar:outbox-changed', sync: 'pijar:sync', pristine: 'pijar:pristine' },
  session: { reloadedForUpdate: 'pijar:reloaded-for-update', lastReceipt: 'pijar:last-receipt' },
  cachePrefix: 'pijar-shell-',
  lockName: 'pijar-sync',
  channelName: 'pijar-outbox',
  backgroundSyncTag: 'pijar-outbox',
};

/**
 * Run `names` in order in a new global scope and return it (the scripts' `self`).
 * @param {string[]} names files in webapp/static/js
 * @param {Record<string, unknown>} [fakes] globals the scripts may touch (document, fetch...)
 */
export function loadScripts(names, fakes = {}) {
  const scope = vm.createContext({
    console, setTimeout, clearTimeout, EventTarget, Event, URL, URLSearchParams, AbortController,
    pijarConfig: structuredClone(PHONE_CONFIG),
    ...fakes,
  });
  scope.self = scope;
  if (!('window' in fakes)) scope.window = scope;
  for (const name of names) {
    const url = new URL(name, SCRIPTS);
    vm.runInContext(readFileSync(url, 'utf8'), scope, { filename: url.pathname });
  }
  return scope;
}

/** A document with nothing on it: enough for a page script to load. */
export function emptyDocument() {
  return {
    getElementById: () => null,
    querySelector: () => null,
    querySelectorAll: () => [],
    addEventListener() {},
    documentElement: { dataset: {} },
  };
}

/**
 * The words the phone shows, by key, as webapp/templates/field/_texts.html gives them
 * (in Indonesian, the UI's own language); `%(name)s` rendered as `{name}`, as the
 * template passes it on to the scripts.
 * @returns {Record<string, string>}
 */
export function phoneTexts() {
  const template = readFileSync(new URL('field/_texts.html', TEMPLATES), 'utf8');
  const texts = {};
  const entry = /data-text="([^"{]+)">\{\{ _\('([^']*)'(?:, \w+='\{\w+\}')*\) \}\}/g;
  for (const [, key, words] of template.matchAll(entry)) {
    texts[key] = words.replace(/%\((\w+)\)s/g, '{$1}');
  }
  return texts;
}

/** A value made in a script's scope, as a plain value of this one (for deepStrictEqual). */
export function plain(value) {
  return structuredClone(value);
}
