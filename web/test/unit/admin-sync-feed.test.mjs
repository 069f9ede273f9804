import { test } from 'node:test';
import assert from 'node:assert/strict';
import { watchSyncStatus, EVENTS_URL, POLL_MS } from '../../app/pages/admin/sync-feed.js';

// A fake EventSource: the test fires its events.
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

// Fake timers: run() fires the pending one.
function fakeTimers() {
  const pending = new Map();
  let next = 1;
  return {
    setTimeout: (fn, ms) => { const id = next++; pending.set(id, { fn, ms }); return id; },
    clearTimeout: (id) => pending.delete(id),
    pending,
    async run() {
      const [id, t] = [...pending][0];
      pending.delete(id);
      await t.fn();
    },
  };
}

const tick = () => new Promise((r) => setImmediate(r));

test('status events from the stream reach onStatus', () => {
  const { FakeES, made } = fakeES();
  const got = [], modes = [];
  const stop = watchSyncStatus({
    onStatus: (s) => got.push(s), onMode: (m) => modes.push(m),
    poll: async () => assert.fail('no poll while the stream works'), EventSource: FakeES,
  });
  assert.equal(made.length, 1);
  assert.equal(made[0].url, EVENTS_URL);
  made[0].fire('open');
  made[0].fire('status', { data: '{"running":true}' });
  made[0].fire('status', { data: 'not json' });
  made[0].fire('status', { data: '{"running":false}' });
  assert.deepEqual(got, [{ running: true }, { running: false }]);
  assert.deepEqual(modes, ['live']);
  stop();
  assert.equal(made[0].closed, true);
  made[0].fire('status', { data: '{"running":true}' });
  assert.equal(got.length, 2);
});

test('a stream error closes it and polls every 2 s', async () => {
  const { FakeES, made } = fakeES();
  const timers = fakeTimers();
  const got = [], modes = [];
  let n = 0;
  const stop = watchSyncStatus({
    onStatus: (s) => got.push(s), onMode: (m) => modes.push(m),
    poll: async () => ({ n: ++n }), EventSource: FakeES,
    setTimeout: timers.setTimeout, clearTimeout: timers.clearTimeout,
  });
  made[0].fire('error');
  assert.equal(made[0].closed, true);
  assert.deepEqual(modes, ['polling']);
  await tick();
  assert.deepEqual(got, [{ n: 1 }]);
  assert.equal(timers.pending.size, 1);
  assert.equal([...timers.pending.values()][0].ms, POLL_MS);
  await timers.run();
  assert.deepEqual(got, [{ n: 1 }, { n: 2 }]);
  made[0].fire('error'); // a second error starts no second loop
  await tick();
  assert.equal(timers.pending.size, 1);
  stop();
  assert.equal(timers.pending.size, 0);
});

test('without EventSource it polls; a failed poll is reported and polling goes on', async () => {
  const timers = fakeTimers();
  const got = [], errors = [];
  const replies = [new Error('cannot reach hail'), { running: false }];
  const stop = watchSyncStatus({
    onStatus: (s) => got.push(s), onError: (e) => errors.push(e && e.message),
    poll: async () => { const r = replies.shift(); if (r instanceof Error) throw r; return r; },
    EventSource: null, setTimeout: timers.setTimeout, clearTimeout: timers.clearTimeout,
  });
  await tick();
  assert.deepEqual(errors, ['cannot reach hail']);
  assert.deepEqual(got, []);
  await timers.run();
  assert.deepEqual(errors, ['cannot reach hail', null]);
  assert.deepEqual(got, [{ running: false }]);
  stop();
});

test('stop() during a poll drops its answer', async () => {
  const timers = fakeTimers();
  const got = [];
  let release;
  const stop = watchSyncStatus({
    onStatus: (s) => got.push(s),
    poll: () => new Promise((r) => { release = r; }),
    EventSource: undefined, setTimeout: timers.setTimeout, clearTimeout: timers.clearTimeout,
  });
  stop();
  release({ running: true });
  await tick();
  assert.deepEqual(got, []);
  assert.equal(timers.pending.size, 0);
});
