import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLatest } from '../../app/lib/latest.js';

// Manual timers, so the debounce is tested without waiting.
function clock() {
  let id = 0;
  const timers = new Map();
  return {
    setTimer: (fn, ms) => { timers.set(++id, { fn, ms }); return id; },
    clearTimer: (t) => timers.delete(t),
    fire() { const all = [...timers.values()]; timers.clear(); all.forEach((t) => t.fn()); },
    get size() { return timers.size; },
    timers,
  };
}

function deferred() {
  let resolve, reject;
  const promise = new Promise((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
}

const tick = () => new Promise((r) => setImmediate(r));

test('keystrokes within the delay make one request with the last input', async () => {
  const c = clock();
  const runs = [];
  const results = [];
  const trigger = createLatest(async (q) => { runs.push(q); return `rows for ${q}`; }, {
    delay: 200, setTimer: c.setTimer, clearTimer: c.clearTimer, onResult: (v) => results.push(v),
  });
  trigger('a');
  trigger('an');
  trigger('ann');
  assert.equal(c.size, 1);
  assert.equal([...c.timers.values()][0].ms, 200);
  assert.deepEqual(runs, []);
  c.fire();
  await tick();
  assert.deepEqual(runs, ['ann']);
  assert.deepEqual(results, ['rows for ann']);
});

test('a newer request aborts the older one, and the stale reply is dropped', async () => {
  const c = clock();
  const pending = {};
  const signals = {};
  const results = [];
  const errors = [];
  const trigger = createLatest((q, signal) => {
    signals[q] = signal;
    pending[q] = deferred();
    return pending[q].promise;
  }, {
    delay: 200, setTimer: c.setTimer, clearTimer: c.clearTimer,
    onResult: (v, q) => results.push([q, v]), onError: (e, q) => errors.push([q, e.message]),
  });
  trigger('an', { now: true });
  trigger('ann', { now: true });
  assert.equal(signals.an.aborted, true);
  assert.equal(signals.ann.aborted, false);
  pending.ann.resolve('new');
  await tick();
  pending.an.resolve('old'); // a server that ignored the abort
  await tick();
  assert.deepEqual(results, [['ann', 'new']]);
  assert.deepEqual(errors, []);
});

test('errors of the latest run are reported; aborts and stale errors are not', async () => {
  const pending = {};
  const errors = [];
  const trigger = createLatest((q) => { pending[q] = deferred(); return pending[q].promise; }, {
    delay: 0, onError: (e, q) => errors.push([q, e.message]),
  });
  trigger('a');
  trigger('b');
  pending.a.reject(new Error('stale failure'));
  pending.b.reject(Object.assign(new Error('aborted'), { name: 'AbortError' }));
  await tick();
  trigger('c');
  pending.c.reject(new Error('cannot reach hail'));
  await tick();
  assert.deepEqual(errors, [['c', 'cannot reach hail']]);
});

test('cancel drops the timer and the request in flight', async () => {
  const c = clock();
  const results = [];
  let signal;
  const d = deferred();
  const trigger = createLatest((q, s) => { signal = s; return d.promise; }, {
    delay: 200, setTimer: c.setTimer, clearTimer: c.clearTimer, onResult: (v) => results.push(v),
  });
  trigger('x', { now: true });
  assert.equal(trigger.pending(), true);
  trigger('y');
  trigger.cancel();
  assert.equal(c.size, 0);
  assert.equal(signal.aborted, true);
  assert.equal(trigger.pending(), false);
  d.resolve('late');
  await tick();
  assert.deepEqual(results, []);
});

test('onStart sees each run start', async () => {
  const started = [];
  const trigger = createLatest(async () => 1, { delay: 0, onStart: (q) => started.push(q) });
  await trigger('p');
  await trigger('q');
  assert.deepEqual(started, ['p', 'q']);
});
