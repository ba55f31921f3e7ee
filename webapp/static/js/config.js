// @ts-check

/**
 * The server's config for the phone's scripts (URLs, storage and event names), read
 * from the <meta name="pijar-config"> base.html renders. Loaded first; the others read
 * self.pijarConfig. The service worker gets the same config from the first line of /sw.js.
 */
(() => {
  'use strict';

  const CONFIG_META = 'meta[name=pijar-config]';

  const meta = document.querySelector(CONFIG_META);
  if (!(meta instanceof HTMLMetaElement)) throw new Error(`${CONFIG_META} is missing: the phone's scripts cannot start`);

  /** @type {PijarConfig} */
  const config = JSON.parse(meta.content);
  self.pijarConfig = config;
})();
