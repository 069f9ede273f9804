// The Live Feed's pure part (components/feed-panel.js draws it): the filters and their URLs,
// the stream's connection (an EventSource on GET /api/v1/feed/stream, reopened after an error
// from the last event delivered), merging entries, the words of an entry, the announcement
// of new ones, and the dock's remembered settings. No DOM here: the EventSource, the timers
// and the storage are passed in, so web/test/unit/feed.test.mjs drives them with fakes.
import { buildUrl } from './request.js';
import { formatDateTime, personName, relativeTime, safeHttpUrl } from './format.js';
import { sourceText } from '../pages/person.js';

export const FEED_URL = '/api/v1/feed';
export const STREAM_URL = '/api/v1/feed/stream';
/** At most this many entries are kept (and drawn). */
export const MAX_ENTRIES = 200;
/** The first screen's page size (GET /api/v1/feed). */
export const PAGE_SIZE = 50;
/** Waits before reopening the stream after an error: the first, then doubling up to the last. */
export const RETRY_MS = [3000, 6000, 12000, 24000, 30000];
/** localStorage key of the dock's settings. */
export const PREFS_KEY = 'hail.feed';

/** Only managers and admins choose between their own activity and the team's. */
export function canChooseScope(user) {
  return !!user && (user.role === 'manager' || user.role === 'admin');
}

/** The scope choices for a user: [value, label]; an admin's "team" is everyone. */
export function scopeChoices(user) {
  if (!canChooseScope(user)) return [];
  return [['mine', 'Mine'], ['team', user.role === 'admin' ? 'Everyone' : 'Team']];
}

/** The filters' query for both routes: scope (mine | team) and human_only. */
export function feedQuery({ scope = 'team', showMachine = false } = {}) {
  return { scope: scope === 'mine' ? 'mine' : 'team', human_only: showMachine ? 'false' : 'true' };
}

/** GET /api/v1/feed's URL for the filters, older than `before` (an id) when given. */
export function listUrl(filters, { before = null, limit = PAGE_SIZE } = {}) {
  return buildUrl(FEED_URL, { ...feedQuery(filters), before, limit });
}

/** The stream's URL for the filters, resuming after the activity `lastEventId` when given. */
export function streamUrl(filters, lastEventId = null) {
  return buildUrl(STREAM_URL, { ...feedQuery(filters), last_event_id: lastEventId });
}

function idOf(e) {
  const n = Number(e && e.id);
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}

/**
 * current and incoming (arrays of FeedEvents) as one list: each id once (a later copy wins),
 * newest (highest id) first, at most `max`. Entries without a usable id are dropped.
 */
export function mergeEntries(current, incoming, max = MAX_ENTRIES) {
  const byId = new Map();
  for (const e of current || []) if (idOf(e) !== null) byId.set(idOf(e), e);
  for (const e of incoming || []) if (idOf(e) !== null) byId.set(idOf(e), e);
  return [...byId.entries()].sort((a, b) => b[0] - a[0]).slice(0, max).map((x) => x[1]);
}

/** The highest id among entries, or null. */
export function newestId(entries) {
  let best = null;
  for (const e of entries || []) {
    const id = idOf(e);
    if (id !== null && (best === null || id > best)) best = id;
  }
  return best;
}

/** Whether an entry is shown with these filters (a stream may deliver before a filter changes). */
export function visibleWith(entry, { showMachine = false } = {}) {
  return showMachine || !(entry && entry.machine);
}

const CALL_OUTCOME = 'call';

/**
 * What an entry shows: { id, who, personId, company, type, what, subject, emailId, link,
 * campaign: {id, name} | null, by, machine, machineReason, detail, when, whenText, whenTitle }.
 */
export function describeEntry(e, now = Date.now()) {
  const person = e.person || null;
  const attrs = e.attrs && typeof e.attrs === 'object' ? e.attrs : {};
  const campaignName = (e.campaign && e.campaign.name) || attrs.campaign_name || null;
  const campaignId = (e.campaign && e.campaign.id) || e.campaign_id || null;
  let detail = null;
  if (e.type === CALL_OUTCOME && attrs.subject) detail = `Outcome: ${attrs.subject}`;
  else if ((e.type === 'unsubscribe' || e.type === 'resubscribe') && attrs.source) detail = `Source: ${sourceText(attrs.source)}`;
  else if (e.type === 'email_bounce' && attrs.details) detail = String(attrs.details);
  return {
    id: e.id,
    who: person ? personName(person) : `Person ${e.person_id}`,
    personId: person ? person.id : e.person_id,
    company: person && person.company ? person.company : null,
    type: e.type,
    what: e.type_name || e.type || 'Activity',
    subject: e.email && e.email.subject ? e.email.subject : null,
    emailId: e.email ? e.email.id : e.email_id || null,
    link: safeHttpUrl(attrs.link),
    campaign: campaignName && campaignId ? { id: campaignId, name: campaignName } : null,
    by: e.user && e.user.name ? e.user.name : null,
    machine: !!e.machine,
    machineReason: e.machine && attrs.machine_reason ? machineWords(attrs.machine_reason) : null,
    detail,
    when: e.occurred_at || null,
    whenText: relativeTime(e.occurred_at, now),
    whenTitle: formatDateTime(e.occurred_at),
  };
}

const MACHINE_REASONS = {
  head: 'a HEAD request', apple_privacy_proxy: 'Apple Mail Privacy Protection',
  google_image_proxy: 'Google’s image proxy', yahoo_image_proxy: 'Yahoo’s image proxy',
  scanner_user_agent: 'a link scanner', soon_after_delivery: 'clicked seconds after delivery',
  every_link_in_a_burst: 'every link at once', click_without_open: 'a click without an open',
};

function machineWords(reason) {
  return MACHINE_REASONS[reason] || String(reason).replace(/_/g, ' ');
}

/** The polite announcement of entries that just arrived (newest first), or ''. */
export function announcement(entries) {
  const list = entries || [];
  if (!list.length) return '';
  if (list.length === 1) {
    const d = describeEntry(list[0]);
    return `New activity: ${d.what}, ${d.who}${d.machine ? ' (machine)' : ''}.`;
  }
  return `${list.length} new activities.`;
}

/** The connection line: { text, tone } for 'connecting' | 'live' | 'reconnecting' | 'paused'. */
export function connectionLabel(state, retryInMs = null) {
  if (state === 'live') return { text: 'Live', tone: 'ok' };
  if (state === 'reconnecting') {
    const s = retryInMs === null || retryInMs === undefined ? null : Math.max(1, Math.round(retryInMs / 1000));
    return { text: s === null ? 'Reconnecting…' : `Reconnecting in ${s} s…`, tone: 'wait' };
  }
  if (state === 'paused') return { text: 'Paused', tone: 'off' };
  return { text: 'Connecting…', tone: 'wait' };
}

/** The wait before the nth reopening (0-based). */
export function retryDelay(attempt, delays = RETRY_MS) {
  const i = Math.max(0, Math.min(delays.length - 1, attempt | 0));
  return delays[i];
}

/** The message of an `event: dropped`: its JSON's message (or error.message), else its text. */
export function droppedMessage(data) {
  const fallback = 'The live feed fell behind and was disconnected.';
  if (typeof data !== 'string' || !data.trim()) return fallback;
  try {
    const j = JSON.parse(data);
    if (j && typeof j.message === 'string' && j.message) return j.message;
    if (j && j.error && typeof j.error.message === 'string') return j.error.message;
    if (typeof j === 'string' && j) return j;
  } catch { /* plain text */ }
  return data.trim();
}

/**
 * Opens the stream and keeps it open; returns { stop(), reconnectNow(), lastEventId() }.
 *   filters               { scope, showMachine }
 *   resumeFrom()          the id to resume after when no event has come over the stream yet
 *                         (the newest id of the first screen), or null: live from now
 *   onEvent(feedEvent)    every `event: activity`
 *   onState(state, info)  'connecting' | 'live' | 'reconnecting' ({ retryInMs, attempt })
 *   onDropped(message)    the server dropped this client (it fell behind); it reconnects
 *   EventSource, setTimeout, clearTimeout, delays
 * After an error the stream is closed and opened again after retryDelay() with
 * `last_event_id` = the last event delivered (else resumeFrom()): nothing missed, nothing
 * twice (mergeEntries drops a repeat anyway).
 */
export function openFeedStream({
  filters,
  resumeFrom = () => null,
  onEvent = () => {},
  onState = () => {},
  onDropped = () => {},
  EventSource: ES = globalThis.EventSource,
  setTimeout: later = globalThis.setTimeout.bind(globalThis),
  clearTimeout: cancel = globalThis.clearTimeout.bind(globalThis),
  delays = RETRY_MS,
}) {
  let es = null, timer = null, stopped = false, attempt = 0, last = null;

  function connect(first) {
    timer = null;
    if (stopped) return;
    onState(first ? 'connecting' : 'reconnecting', { retryInMs: null, attempt });
    const from = last !== null ? last : resumeFrom();
    try {
      es = new ES(streamUrl(filters, from));
    } catch {
      es = null;
      retry();
      return;
    }
    const mine = es;
    mine.addEventListener('open', () => {
      if (stopped || es !== mine) return;
      attempt = 0;
      onState('live', { retryInMs: null, attempt });
    });
    mine.addEventListener('activity', (ev) => {
      if (stopped || es !== mine) return;
      let data;
      try {
        data = JSON.parse(ev.data);
      } catch {
        return;
      }
      const id = Number(ev.lastEventId || (data && data.id));
      if (Number.isSafeInteger(id) && id > 0) last = id;
      onEvent(data);
    });
    mine.addEventListener('dropped', (ev) => {
      if (stopped || es !== mine) return;
      onDropped(droppedMessage(ev.data));
    });
    mine.addEventListener('error', () => {
      if (stopped || es !== mine) return;
      // The browser would reconnect by itself, but without an id when none came yet, and not
      // at all after an HTTP error: reopen ourselves, from the last event delivered.
      mine.close();
      es = null;
      retry();
    });
  }

  function retry() {
    if (stopped) return;
    const wait = retryDelay(attempt, delays);
    attempt += 1;
    onState('reconnecting', { retryInMs: wait, attempt });
    timer = later(() => connect(false), wait);
  }

  if (typeof ES !== 'function') {
    onState('reconnecting', { retryInMs: null, attempt });
  } else {
    connect(true);
  }

  return {
    stop() {
      stopped = true;
      if (es) es.close();
      es = null;
      if (timer !== null) cancel(timer);
      timer = null;
    },
    reconnectNow() {
      if (stopped || typeof ES !== 'function') return;
      if (timer !== null) cancel(timer);
      timer = null;
      if (es) es.close();
      es = null;
      connect(false);
    },
    lastEventId() {
      return last;
    },
  };
}

/** The dock's remembered settings from storage (a Storage-like object, or null). */
export function loadPrefs(storage) {
  const prefs = { open: false, scope: 'team', showMachine: false };
  try {
    const raw = storage && storage.getItem(PREFS_KEY);
    if (!raw) return prefs;
    const j = JSON.parse(raw);
    if (j && typeof j === 'object') {
      prefs.open = j.open === true;
      prefs.scope = j.scope === 'mine' ? 'mine' : 'team';
      prefs.showMachine = j.showMachine === true;
    }
  } catch { /* no storage, or not ours: the defaults */ }
  return prefs;
}

/** Remembers the dock's settings (silently does nothing without storage). */
export function savePrefs(storage, prefs) {
  try {
    if (storage) {
      storage.setItem(PREFS_KEY, JSON.stringify({
        open: !!prefs.open, scope: prefs.scope === 'mine' ? 'mine' : 'team', showMachine: !!prefs.showMachine,
      }));
    }
  } catch { /* private mode, quota: not remembered */ }
}
