// The Live Feed's pure part (web/app/lib/feed.js): filters and URLs, merging, the words of an
// entry, announcements, the stream's connection with a fake EventSource and fake timers, and
// the remembered settings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  FEED_URL, STREAM_URL, MAX_ENTRIES, RETRY_MS, PREFS_KEY, announcement, canChooseScope, connectionLabel,
  describeEntry, droppedMessage, feedQuery, listUrl, loadPrefs, mergeEntries, newestId, openFeedStream, retryDelay,
  savePrefs, scopeChoices, streamUrl, visibleWith,
} from '../../app/lib/feed.js';
import { formatDateTime } from '../../app/lib/format.js';

function fakeES() {
  const made = [];
  class FakeES {
    constructor(url) { this.url = url; this.listeners = {}; this.closed = false; made.push(this); }
    addEventListener(type, fn) { (this.listeners[type] ||= []).push(fn); }
    fire(type, ev = {}) { for (const fn of this.listeners[type] || []) fn(ev); }
    close() { this.closed = true; }
  }
  return { FakeES, made };
}

function fakeTimers() {
  const pending = new Map();
  let next = 1;
  return {
    setTimeout: (fn, ms) => { const id = next++; pending.set(id, { fn, ms }); return id; },
    clearTimeout: (id) => pending.delete(id),
    pending,
    waits: () => [...pending.values()].map((t) => t.ms),
    run() {
      const [id, t] = [...pending][0];
      pending.delete(id);
      t.fn();
    },
  };
}

const ev = (id, extra = {}) => ({
  id, type: 'email_open', type_name: 'Open Sales Email', person_id: 7, user_id: 1, email_id: 3, template_id: null,
  campaign_id: null, call_id: null, occurred_at: '2026-11-29T10:00:00Z', machine: false, attrs: {},
  person: { id: 7, first_name: 'Diego', last_name: 'Kowalczyk', company: 'Proseware', email: 'diego@proseware.example', owner_email: 'rep1@example.com' },
  user: { id: 1, name: 'Ada Admin' }, email: { id: 3, subject: 'Hello Diego' }, campaign: null, ...extra,
});

test('scope: managers and admins choose (an admin’s team is everyone); reps do not', () => {
  assert.equal(canChooseScope({ role: 'rep' }), false);
  assert.equal(canChooseScope(null), false);
  assert.deepEqual(scopeChoices({ role: 'rep' }), []);
  assert.deepEqual(scopeChoices({ role: 'manager' }), [['mine', 'Mine'], ['team', 'Team']]);
  assert.deepEqual(scopeChoices({ role: 'admin' }), [['mine', 'Mine'], ['team', 'Everyone']]);
});

test('the filters as the routes take them', () => {
  assert.deepEqual(feedQuery(), { scope: 'team', human_only: 'true' });
  assert.deepEqual(feedQuery({ scope: 'mine', showMachine: true }), { scope: 'mine', human_only: 'false' });
  assert.deepEqual(feedQuery({ scope: 'nonsense' }), { scope: 'team', human_only: 'true' });
  assert.equal(listUrl({}), `${FEED_URL}?scope=team&human_only=true&limit=50`);
  assert.equal(listUrl({ scope: 'mine', showMachine: true }, { before: 120 }), `${FEED_URL}?scope=mine&human_only=false&before=120&limit=50`);
  assert.equal(streamUrl({}), `${STREAM_URL}?scope=team&human_only=true`);
  assert.equal(streamUrl({ showMachine: true }, 42), `${STREAM_URL}?scope=team&human_only=false&last_event_id=42`);
});

test('merging: each id once (the later copy wins), newest first, at most 200', () => {
  const a = [ev(5), ev(3)];
  const merged = mergeEntries(a, [ev(4), ev(5, { type_name: 'again' }), { id: 'x' }, null, ev(9)]);
  assert.deepEqual(merged.map((e) => e.id), [9, 5, 4, 3]);
  assert.equal(merged[1].type_name, 'again');
  const many = Array.from({ length: 250 }, (_, i) => ev(i + 1));
  const capped = mergeEntries([], many);
  assert.equal(capped.length, MAX_ENTRIES);
  assert.equal(capped[0].id, 250);
  assert.equal(capped[MAX_ENTRIES - 1].id, 51);
  assert.equal(newestId(a), 5);
  assert.equal(newestId([]), null);
});

test('machine events show only when asked for', () => {
  assert.equal(visibleWith(ev(1, { machine: true }), { showMachine: false }), false);
  assert.equal(visibleWith(ev(1, { machine: true }), { showMachine: true }), true);
  assert.equal(visibleWith(ev(1), {}), true);
});

test('an entry’s words: who, what, the subject, when (relative, exact in a title)', () => {
  const now = Date.parse('2026-11-29T10:05:00Z');
  const d = describeEntry(ev(1), now);
  assert.deepEqual(d, {
    id: 1, who: 'Diego Kowalczyk', personId: 7, company: 'Proseware', type: 'email_open', what: 'Open Sales Email',
    subject: 'Hello Diego', emailId: 3, link: null, campaign: null, by: 'Ada Admin', machine: false, machineReason: null,
    detail: null, when: '2026-11-29T10:00:00Z', whenText: '5 minutes ago', whenTitle: formatDateTime('2026-11-29T10:00:00Z'),
  });
});

test('a click’s link (http(s) only), a campaign, a machine reason, a call’s outcome, an unsubscribe’s source', () => {
  const click = describeEntry(ev(2, {
    type: 'email_click', type_name: 'Click Sales Email', machine: true,
    attrs: { link: 'https://hail.example/demo', machine_reason: 'scanner_user_agent' },
    campaign: { id: 4, name: 'Q4 push' }, campaign_id: 4,
  }));
  assert.equal(click.link, 'https://hail.example/demo');
  assert.deepEqual(click.campaign, { id: 4, name: 'Q4 push' });
  assert.equal(click.machine, true);
  assert.equal(click.machineReason, 'a link scanner');
  assert.equal(describeEntry(ev(3, { attrs: { link: 'javascript:alert(1)' } })).link, null);
  const call = describeEntry(ev(4, { type: 'call', type_name: 'Receive Sales Call', email: null, email_id: null, attrs: { subject: 'Meeting booked' } }));
  assert.equal(call.detail, 'Outcome: Meeting booked');
  assert.equal(call.subject, null);
  const unsub = describeEntry(ev(5, { type: 'unsubscribe', type_name: 'Unsubscribe', user: null, attrs: { source: 'one_click' } }));
  assert.equal(unsub.detail, 'Source: one-click unsubscribe');
  assert.equal(unsub.by, null);
  const nameless = describeEntry({ id: 6, type: 'call', person_id: 12, person: null, occurred_at: null });
  assert.equal(nameless.who, 'Person 12');
  assert.equal(nameless.what, 'call');
  assert.equal(nameless.whenText, '—');
  assert.equal(describeEntry(ev(7, { person: { id: 7, first_name: '', last_name: '', email: 'x@y.example' } })).who, 'x@y.example');
});

test('announcements: one entry by name, several by count, none: nothing', () => {
  assert.equal(announcement([]), '');
  assert.equal(announcement([ev(1)]), 'New activity: Open Sales Email, Diego Kowalczyk.');
  assert.equal(announcement([ev(1, { machine: true })]), 'New activity: Open Sales Email, Diego Kowalczyk (machine).');
  assert.equal(announcement([ev(1), ev(2), ev(3)]), '3 new activities.');
});

test('connection words, waits and the dropped message', () => {
  assert.deepEqual(connectionLabel('connecting'), { text: 'Connecting…', tone: 'wait' });
  assert.deepEqual(connectionLabel('live'), { text: 'Live', tone: 'ok' });
  assert.deepEqual(connectionLabel('reconnecting', 6000), { text: 'Reconnecting in 6 s…', tone: 'wait' });
  assert.deepEqual(connectionLabel('reconnecting', null), { text: 'Reconnecting…', tone: 'wait' });
  assert.deepEqual(connectionLabel('paused'), { text: 'Paused', tone: 'off' });
  assert.deepEqual([0, 1, 2, 3, 4, 5, 40].map((n) => retryDelay(n)), [3000, 6000, 12000, 24000, 30000, 30000, 30000]);
  assert.equal(droppedMessage('{"message":"client fell behind: 256 events queued"}'), 'client fell behind: 256 events queued');
  assert.equal(droppedMessage('{"error":{"code":"slow","message":"too slow"}}'), 'too slow');
  assert.equal(droppedMessage('too slow, bye'), 'too slow, bye');
  assert.equal(droppedMessage(''), 'The live feed fell behind and was disconnected.');
});

test('the stream: events reach onEvent, states go connecting → live, stop closes it', () => {
  const { FakeES, made } = fakeES();
  const timers = fakeTimers();
  const got = [], states = [];
  const s = openFeedStream({
    filters: { scope: 'mine' }, onEvent: (e) => got.push(e.id), onState: (st) => states.push(st),
    EventSource: FakeES, setTimeout: timers.setTimeout, clearTimeout: timers.clearTimeout,
  });
  assert.equal(made.length, 1);
  assert.equal(made[0].url, `${STREAM_URL}?scope=mine&human_only=true`);
  made[0].fire('open');
  made[0].fire('activity', { data: JSON.stringify(ev(11)), lastEventId: '11' });
  made[0].fire('activity', { data: 'not json', lastEventId: '12' });
  made[0].fire('activity', { data: JSON.stringify(ev(13)), lastEventId: '13' });
  assert.deepEqual(got, [11, 13]);
  assert.deepEqual(states, ['connecting', 'live']);
  assert.equal(s.lastEventId(), 13);
  s.stop();
  assert.equal(made[0].closed, true);
  made[0].fire('activity', { data: JSON.stringify(ev(14)), lastEventId: '14' });
  assert.deepEqual(got, [11, 13]);
  assert.equal(timers.pending.size, 0);
});

test('after an error it reopens from the last event delivered, waiting longer each time', () => {
  const { FakeES, made } = fakeES();
  const timers = fakeTimers();
  const states = [];
  const s = openFeedStream({
    filters: {}, resumeFrom: () => 99, onState: (st, info) => states.push([st, info.retryInMs]),
    EventSource: FakeES, setTimeout: timers.setTimeout, clearTimeout: timers.clearTimeout,
  });
  made[0].fire('open');
  made[0].fire('activity', { data: JSON.stringify(ev(120)), lastEventId: '120' });
  made[0].fire('error');
  assert.equal(made[0].closed, true);
  assert.deepEqual(timers.waits(), [RETRY_MS[0]]);
  timers.run();
  assert.equal(made.length, 2);
  assert.equal(made[1].url, `${STREAM_URL}?scope=team&human_only=true&last_event_id=120`);
  made[1].fire('error'); // refused before opening (a 429, hail restarting)
  assert.deepEqual(timers.waits(), [RETRY_MS[1]]);
  timers.run();
  made[2].fire('error');
  assert.deepEqual(timers.waits(), [RETRY_MS[2]]);
  timers.run();
  made[3].fire('open'); // a success resets the waits
  made[3].fire('error');
  assert.deepEqual(timers.waits(), [RETRY_MS[0]]);
  // A late event of a closed stream is ignored.
  made[0].fire('activity', { data: JSON.stringify(ev(121)), lastEventId: '121' });
  assert.equal(s.lastEventId(), 120);
  assert.deepEqual(states, [
    ['connecting', null], ['live', null], ['reconnecting', 3000], ['reconnecting', null], ['reconnecting', 6000],
    ['reconnecting', null], ['reconnecting', 12000], ['reconnecting', null], ['live', null], ['reconnecting', 3000],
  ]);
  s.stop();
  assert.equal(timers.pending.size, 0);
});

test('before any event, a reopened stream resumes after the first screen’s newest entry', () => {
  const { FakeES, made } = fakeES();
  const timers = fakeTimers();
  let newest = null;
  const s = openFeedStream({
    filters: { showMachine: true }, resumeFrom: () => newest,
    EventSource: FakeES, setTimeout: timers.setTimeout, clearTimeout: timers.clearTimeout,
  });
  assert.equal(made[0].url, `${STREAM_URL}?scope=team&human_only=false`);
  newest = 77;
  made[0].fire('error');
  s.reconnectNow(); // without waiting
  assert.equal(timers.pending.size, 0);
  assert.equal(made[1].url, `${STREAM_URL}?scope=team&human_only=false&last_event_id=77`);
  s.stop();
});

test('a dropped client hears why, then reconnects when the stream ends', () => {
  const { FakeES, made } = fakeES();
  const timers = fakeTimers();
  const dropped = [];
  const s = openFeedStream({
    filters: {}, onDropped: (m) => dropped.push(m),
    EventSource: FakeES, setTimeout: timers.setTimeout, clearTimeout: timers.clearTimeout,
  });
  made[0].fire('open');
  made[0].fire('activity', { data: JSON.stringify(ev(5)), lastEventId: '5' });
  made[0].fire('dropped', { data: '{"message":"too far behind"}' });
  made[0].fire('error');
  assert.deepEqual(dropped, ['too far behind']);
  timers.run();
  assert.equal(made[1].url, `${STREAM_URL}?scope=team&human_only=true&last_event_id=5`);
  s.stop();
});

test('no EventSource at all: reconnecting, and nothing scheduled', () => {
  const states = [];
  const s = openFeedStream({ filters: {}, EventSource: null, onState: (st) => states.push(st) });
  assert.deepEqual(states, ['reconnecting']);
  s.reconnectNow();
  s.stop();
});

test('the dock’s settings: defaults, what was saved, junk ignored, no storage', () => {
  const store = new Map();
  const storage = { getItem: (k) => (store.has(k) ? store.get(k) : null), setItem: (k, v) => store.set(k, v) };
  assert.deepEqual(loadPrefs(storage), { open: false, scope: 'team', showMachine: false });
  savePrefs(storage, { open: true, scope: 'mine', showMachine: true });
  assert.equal(store.get(PREFS_KEY), '{"open":true,"scope":"mine","showMachine":true}');
  assert.deepEqual(loadPrefs(storage), { open: true, scope: 'mine', showMachine: true });
  store.set(PREFS_KEY, '{"open":"yes","scope":"everyone"}');
  assert.deepEqual(loadPrefs(storage), { open: false, scope: 'team', showMachine: false });
  store.set(PREFS_KEY, 'not json');
  assert.deepEqual(loadPrefs(storage), { open: false, scope: 'team', showMachine: false });
  assert.deepEqual(loadPrefs(null), { open: false, scope: 'team', showMachine: false });
  const throwing = { getItem: () => { throw new Error('denied'); }, setItem: () => { throw new Error('quota'); } };
  assert.deepEqual(loadPrefs(throwing), { open: false, scope: 'team', showMachine: false });
  savePrefs(throwing, { open: true });
  savePrefs(null, { open: true });
});
