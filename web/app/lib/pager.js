// Cursor paging for lists (pure: no window, no preact).
//
// The API pages with an opaque next_cursor, and a page may hold fewer rows than asked
// (even none) while next_cursor is still set. The People table shows one page of up to
// PAGE_SIZE rows at a time (never more than ~100 rows in the DOM), so:
//   - fillPage() keeps asking until it has `size` rows or the list ends;
//   - CursorStack remembers the cursor each shown page started at, so "Previous page"
//     goes back without the API paging backwards.

export const PAGE_SIZE = 50;
export const MAX_REQUESTS_PER_PAGE = 20;

// fetchPage({ cursor, limit }) → { data, next_cursor }. Returns { rows, nextCursor }:
// at most `size` rows; nextCursor is where the following page starts (null: no more).
// When a reply holds more rows than still needed, the rest are left for the next page by
// asking for exactly what is missing, so no row is skipped.
export async function fillPage(fetchPage, { cursor = null, size = PAGE_SIZE, maxRequests = MAX_REQUESTS_PER_PAGE } = {}) {
  const rows = [];
  let next = cursor;
  for (let i = 0; i < maxRequests; i++) {
    const page = await fetchPage({ cursor: next, limit: size - rows.length });
    const data = Array.isArray(page && page.data) ? page.data : [];
    rows.push(...data.slice(0, size - rows.length));
    next = page && page.next_cursor ? page.next_cursor : null;
    if (next === null || rows.length >= size) return { rows, nextCursor: next };
  }
  return { rows, nextCursor: next };
}

// The cursors of the pages shown so far: starts[0] is null (the first page).
export class CursorStack {
  constructor() {
    this.starts = [null];
  }
  get index() {
    return this.starts.length - 1;
  }
  get current() {
    return this.starts[this.starts.length - 1];
  }
  get canGoBack() {
    return this.starts.length > 1;
  }
  // The 1-based number of the first row on the current page.
  firstRow(size = PAGE_SIZE) {
    return this.index * size + 1;
  }
  forward(nextCursor) {
    if (!nextCursor) throw new Error('no next page');
    this.starts.push(nextCursor);
    return this.current;
  }
  back() {
    if (this.starts.length > 1) this.starts.pop();
    return this.current;
  }
  reset() {
    this.starts = [null];
    return null;
  }
}
