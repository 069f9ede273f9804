import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fillPage, CursorStack, PAGE_SIZE } from '../../app/lib/pager.js';

// A fake list API over ids 1..n that returns at most `per` rows a call (like a search page
// that holds fewer rows than asked), with a cursor "c<next index>".
function fakeList(n, per = Infinity) {
  const calls = [];
  const fetchPage = async ({ cursor, limit }) => {
    calls.push({ cursor, limit });
    const start = cursor ? parseInt(cursor.slice(1), 10) : 0;
    const take = Math.min(limit, per);
    const data = [];
    for (let i = start; i < Math.min(n, start + take); i++) data.push({ id: i + 1 });
    const end = start + data.length;
    return { data, next_cursor: end < n ? `c${end}` : null };
  };
  return { fetchPage, calls };
}

test('PAGE_SIZE is 50 (the DOM never holds more than ~100 rows)', () => {
  assert.equal(PAGE_SIZE, 50);
});

test('fillPage: one request when the API fills the page', async () => {
  const { fetchPage, calls } = fakeList(120);
  const page = await fillPage(fetchPage, { size: 50 });
  assert.deepEqual(page.rows.map((r) => r.id), Array.from({ length: 50 }, (_, i) => i + 1));
  assert.equal(page.nextCursor, 'c50');
  assert.deepEqual(calls, [{ cursor: null, limit: 50 }]);
});

test('fillPage follows next_cursor through short pages, asking only for what is missing', async () => {
  const { fetchPage, calls } = fakeList(100, 20);
  const page = await fillPage(fetchPage, { cursor: 'c10', size: 50 });
  assert.deepEqual(page.rows.map((r) => r.id), Array.from({ length: 50 }, (_, i) => i + 11));
  assert.equal(page.nextCursor, 'c60');
  assert.deepEqual(calls, [
    { cursor: 'c10', limit: 50 }, { cursor: 'c30', limit: 30 }, { cursor: 'c50', limit: 10 },
  ]);
});

test('fillPage stops at the end of the list, and after maxRequests empty pages', async () => {
  const { fetchPage } = fakeList(7);
  assert.deepEqual(await fillPage(fetchPage, { size: 50 }),
    { rows: [1, 2, 3, 4, 5, 6, 7].map((id) => ({ id })), nextCursor: null });
  let n = 0;
  const empty = async () => ({ data: [], next_cursor: `e${++n}` });
  assert.deepEqual(await fillPage(empty, { size: 50, maxRequests: 3 }), { rows: [], nextCursor: 'e3' });
  assert.equal(n, 3);
});

test('CursorStack goes forward and back through the cursors', () => {
  const s = new CursorStack();
  assert.deepEqual([s.current, s.index, s.canGoBack, s.firstRow()], [null, 0, false, 1]);
  s.forward('c50');
  s.forward('c100');
  assert.deepEqual([s.current, s.index, s.canGoBack, s.firstRow(50)], ['c100', 2, true, 101]);
  assert.equal(s.back(), 'c50');
  assert.equal(s.back(), null);
  assert.equal(s.back(), null);
  assert.equal(s.canGoBack, false);
  s.forward('x');
  assert.equal(s.reset(), null);
  assert.deepEqual(s.starts, [null]);
  assert.throws(() => s.forward(null), { message: 'no next page' });
});
