import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ApiError, buildUrl, parseRetryAfter, errorFromReply, createClient, isUnsafe, NETWORK_MESSAGE,
} from '../../app/lib/request.js';

function reply(status, body, headers = {}) {
  const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
  return {
    ok: status >= 200 && status < 300,
    status,
    headers: { get: (name) => headers[name] ?? headers[name.toLowerCase()] ?? null },
    text: async () => text,
  };
}

function fakeFetch(answer) {
  const calls = [];
  const fetch = async (url, init) => {
    calls.push({ url, init });
    return typeof answer === 'function' ? answer(url, init) : answer;
  };
  return { fetch, calls };
}

test('buildUrl leaves out empty values and encodes the rest', () => {
  assert.equal(buildUrl('/api/v1/people', { q: 'Zoë & co', owner: undefined, cursor: null, limit: 50, x: '' }),
    '/api/v1/people?q=Zo%C3%AB+%26+co&limit=50');
  assert.equal(buildUrl('/api/v1/people', {}), '/api/v1/people');
  assert.equal(buildUrl('/api/v1/people'), '/api/v1/people');
  assert.equal(buildUrl('/a?b=1', { c: 2 }), '/a?b=1&c=2');
  assert.equal(buildUrl('/a', { t: [1, 2] }), '/a?t=1&t=2');
});

test('parseRetryAfter reads seconds and HTTP dates', () => {
  assert.equal(parseRetryAfter('60'), 60);
  assert.equal(parseRetryAfter('0'), 1);
  assert.equal(parseRetryAfter(null), null);
  assert.equal(parseRetryAfter(''), null);
  assert.equal(parseRetryAfter('soon'), null);
  const now = Date.parse('2026-11-29T10:00:00Z');
  assert.equal(parseRetryAfter('Sun, 29 Nov 2026 10:00:30 GMT', now), 30);
});

test('isUnsafe: only GET, HEAD and OPTIONS are safe', () => {
  assert.deepEqual(['GET', 'head', 'OPTIONS', 'POST', 'put', 'PATCH', 'DELETE'].map(isUnsafe),
    [false, false, false, true, true, true, true]);
});

test('errorFromReply takes the API error body, else describes the status', () => {
  const e = errorFromReply(401, JSON.stringify({ error: { code: 'unauthorized', message: 'wrong email or password' } }), null);
  assert.ok(e instanceof ApiError);
  assert.deepEqual([e.status, e.code, e.message, e.retryAfter], [401, 'unauthorized', 'wrong email or password', null]);
  const busy = errorFromReply(503, '<html>oops</html>', '3');
  assert.deepEqual([busy.status, busy.code, busy.message, busy.retryAfter], [503, 'http_503', 'hail is busy; try again shortly', 3]);
  const odd = errorFromReply(418, '{"error":{}}', null);
  assert.deepEqual([odd.code, odd.message], ['http_418', 'hail answered 418']);
});

test('GET sends no CSRF header and no body; the JSON comes back', async () => {
  const { fetch, calls } = fakeFetch(reply(200, { data: [], next_cursor: null }));
  const request = createClient({ fetch, csrf: () => 'tok' });
  const out = await request('GET', '/api/v1/people', { query: { q: 'ann', limit: 50 } });
  assert.deepEqual(out, { data: [], next_cursor: null });
  assert.equal(calls[0].url, '/api/v1/people?q=ann&limit=50');
  assert.equal(calls[0].init.method, 'GET');
  assert.equal(calls[0].init.body, undefined);
  assert.equal(calls[0].init.credentials, 'same-origin');
  assert.deepEqual(calls[0].init.headers, { Accept: 'application/json' });
});

test('unsafe methods send X-CSRF-Token and a JSON body; 204 is null', async () => {
  const { fetch, calls } = fakeFetch(reply(204));
  const request = createClient({ fetch, csrf: () => 'tok-1' });
  const out = await request('post', '/api/v1/teams', { body: { name: 'East' } });
  assert.equal(out, null);
  assert.equal(calls[0].init.method, 'POST');
  assert.equal(calls[0].init.body, '{"name":"East"}');
  assert.deepEqual(calls[0].init.headers, {
    Accept: 'application/json', 'Content-Type': 'application/json', 'X-CSRF-Token': 'tok-1',
  });
});

test('the abort signal is passed through and an abort is rethrown as is', async () => {
  const ctl = new AbortController();
  const abort = Object.assign(new Error('aborted'), { name: 'AbortError' });
  const { fetch, calls } = fakeFetch(() => { throw abort; });
  const request = createClient({ fetch });
  await assert.rejects(request('GET', '/api/v1/people', { signal: ctl.signal }), (e) => e === abort);
  assert.equal(calls[0].init.signal, ctl.signal);
});

test('a network failure is ApiError status 0 "cannot reach hail"', async () => {
  const request = createClient({ fetch: async () => { throw new TypeError('Failed to fetch'); } });
  await assert.rejects(request('GET', '/api/v1/me'), (e) =>
    e instanceof ApiError && e.status === 0 && e.code === 'network' && e.message === NETWORK_MESSAGE);
  assert.equal(NETWORK_MESSAGE, 'cannot reach hail');
});

test('a 401 calls onUnauthorized, except when signing in', async () => {
  const seen = [];
  const body = { error: { code: 'unauthorized', message: 'sign in first' } };
  const { fetch } = fakeFetch(reply(401, body));
  const request = createClient({ fetch, onUnauthorized: (e) => seen.push(e.message) });
  await assert.rejects(request('GET', '/api/v1/people'), (e) => e.status === 401 && e.message === 'sign in first');
  assert.deepEqual(seen, ['sign in first']);
  await assert.rejects(request('POST', '/api/v1/session', { body: { email: 'a', password: 'b' } }),
    (e) => e.status === 401 && e.code === 'unauthorized');
  assert.deepEqual(seen, ['sign in first']);
});

test('a 429 carries Retry-After seconds and the API message', async () => {
  const { fetch } = fakeFetch(reply(429,
    { error: { code: 'rate_limited', message: 'too many failed sign-ins; try again later' } },
    { 'Retry-After': '42' }));
  const request = createClient({ fetch });
  await assert.rejects(request('POST', '/api/v1/session', { body: {} }), (e) =>
    e instanceof ApiError && e.status === 429 && e.code === 'rate_limited'
    && e.message === 'too many failed sign-ins; try again later' && e.retryAfter === 42);
});

test('a 200 with a body that is not JSON is an ApiError', async () => {
  const { fetch } = fakeFetch(reply(200, '<!doctype html>'));
  const request = createClient({ fetch });
  await assert.rejects(request('GET', '/api/v1/me'), (e) =>
    e instanceof ApiError && e.status === 200 && e.code === 'bad_reply'
    && e.message === 'hail sent a reply the app cannot read');
});
