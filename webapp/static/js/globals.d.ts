// For editors and `tsc --checkJs` only (never served): the globals the classic scripts
// share. Each file sets one of them at its end, e.g. `self.pijarOutbox = {...}`.
declare const idb: any; // vendor/idb-*.umd.js
interface Window {
  pijarOutbox: any; // outbox.js
  pijarSync: any; // sync.js
  pijarAutosync: any; // autosync.js
  pijarUi: any; // status.js
  pijarForm: any; // form-fields.js
  PIJAR_SW?: any; // the line /sw.js puts before sw.js
}
