// Live Marketo sync status: Server-Sent Events from
// GET /api/v1/sync/marketo/events (`event: status`, data = the SyncStatus
// JSON), falling back to polling when the stream errors or is missing.
// No DOM here: the EventSource and the timers are passed in, so
// web/test/unit/admin-sync-feed.test.mjs drives it with fakes.

export const EVENTS_URL = '/api/v1/sync/marketo/events';
export const POLL_MS = 2000;

// Starts watching; returns stop(). Options:
//   onStatus(status)   every status received (stream or poll)
//   onError(error)     a poll failed (polling goes on); null once one succeeds
//   onMode(mode)       'live' (stream open), 'polling'
//   poll()             async, resolves to a SyncStatus (GET /api/v1/sync/marketo)
//   EventSource        constructor, or null/undefined to poll from the start
//   setTimeout, clearTimeout, every (ms between polls)
export function watchSyncStatus({
  onStatus,
  onError = () => {},
  onMode = () => {},
  poll,
  EventSource: ES = globalThis.EventSource,
  setTimeout: later = globalThis.setTimeout.bind(globalThis),
  clearTimeout: cancel = globalThis.clearTimeout.bind(globalThis),
  every = POLL_MS,
  url = EVENTS_URL,
}) {
  let stopped = false, es = null, timer = null, polling = false, failed = false;

  async function pollOnce() {
    timer = null;
    if (stopped) return;
    try {
      const s = await poll();
      if (stopped) return;
      if (failed) onError(null);
      failed = false;
      onStatus(s);
    } catch (err) {
      if (stopped) return;
      failed = true;
      onError(err);
    }
    if (!stopped) timer = later(pollOnce, every);
  }

  function startPolling() {
    if (polling || stopped) return;
    polling = true;
    onMode('polling');
    pollOnce();
  }

  if (typeof ES === 'function') {
    try {
      es = new ES(url);
    } catch {
      es = null;
    }
  }
  if (es) {
    es.addEventListener('open', () => {
      if (!stopped && !polling) onMode('live');
    });
    es.addEventListener('status', (ev) => {
      if (stopped || polling) return;
      let s;
      try {
        s = JSON.parse(ev.data);
      } catch {
        return;
      }
      onStatus(s);
    });
    es.addEventListener('error', () => {
      // A missing endpoint, a dropped stream, a signed-out session: poll
      // instead (a 401 there sends the browser to sign in).
      if (es) es.close();
      es = null;
      startPolling();
    });
  } else {
    startPolling();
  }

  return function stop() {
    stopped = true;
    if (es) es.close();
    es = null;
    if (timer !== null) cancel(timer);
    timer = null;
  };
}
