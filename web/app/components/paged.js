// A cursor-paged list: one page (≤ PAGE_SIZE rows) in the DOM at a time, the newest request
// wins (a stale reply never replaces a newer one), and a search can be debounced.
//
//   const list = usePagedList((filters, { cursor, limit, signal }) => api(...));
//   list.load(filters)              first page for these filters (debounced: { debounce: true })
//   list.next(), list.previous(), list.retry()
//   list.state: { status: 'idle'|'loading'|'ready'|'error', rows, error, busy,
//                 firstRow, hasNext, hasPrevious, filters }
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { html } from '../lib/html.js';
import { createLatest } from '../lib/latest.js';
import { CursorStack, PAGE_SIZE, fillPage } from '../lib/pager.js';
import { rangeLabel } from '../lib/format.js';

export const SEARCH_DELAY_MS = 200;

export function usePagedList(fetcher, { delay = SEARCH_DELAY_MS, size = PAGE_SIZE } = {}) {
  const [state, setState] = useState({
    status: 'idle', rows: [], error: null, busy: false, firstRow: 1,
    hasNext: false, hasPrevious: false, filters: null,
  });
  const fetcherRef = useRef(fetcher);
  fetcherRef.current = fetcher;
  const stack = useRef(new CursorStack());
  const nextCursor = useRef(null);
  const lastInput = useRef(null);

  const trigger = useMemo(() => createLatest(
    (input, signal) => fillPage(
      ({ cursor, limit }) => fetcherRef.current(input.filters, { cursor, limit, signal }),
      { cursor: input.cursor, size },
    ),
    {
      delay,
      onStart: (input) => {
        lastInput.current = input;
        setState((s) => ({
          ...s,
          busy: true,
          status: s.status === 'ready' ? 'ready' : 'loading',
          error: null,
        }));
      },
      onResult: (result, input) => {
        if (input.move === 'reset') stack.current.reset();
        else if (input.move === 'forward') stack.current.forward(input.cursor);
        else if (input.move === 'back') stack.current.back();
        nextCursor.current = result.nextCursor;
        setState({
          status: 'ready',
          rows: result.rows,
          error: null,
          busy: false,
          firstRow: stack.current.firstRow(size),
          hasNext: result.nextCursor !== null,
          hasPrevious: stack.current.canGoBack,
          filters: input.filters,
        });
      },
      onError: (error) => {
        setState((s) => ({ ...s, status: 'error', error, busy: false }));
      },
    },
  ), [delay, size]);

  useEffect(() => () => trigger.cancel(), [trigger]);

  return {
    state,
    load(filters, { debounce = false } = {}) {
      trigger({ filters, cursor: null, move: 'reset' }, { now: !debounce });
    },
    next() {
      if (!nextCursor.current || !lastInput.current) return;
      trigger({ filters: state.filters, cursor: nextCursor.current, move: 'forward' }, { now: true });
    },
    previous() {
      const starts = stack.current.starts;
      if (starts.length < 2) return;
      trigger({ filters: state.filters, cursor: starts[starts.length - 2], move: 'back' }, { now: true });
    },
    retry() {
      if (lastInput.current) trigger(lastInput.current, { now: true });
    },
  };
}

// "Previous page" / "Next page" and the role="status" line ("Showing 1–50").
export function Pager({ list, noun = 'rows' }) {
  const { state } = list;
  // A new page starts at the top of the list, not where the buttons were.
  const shownFirst = useRef(state.firstRow);
  useEffect(() => {
    if (shownFirst.current !== state.firstRow && window.scrollY > 0) window.scrollTo(0, 0);
    shownFirst.current = state.firstRow;
  }, [state.firstRow]);
  let text;
  if (state.status === 'loading' || (state.busy && state.status !== 'error')) text = 'Loading…';
  else if (state.status === 'error') text = `Could not load the ${noun}.`;
  else if (state.status === 'ready' && state.rows.length === 0) text = `No ${noun}`;
  else if (state.status === 'ready') {
    text = rangeLabel(state.firstRow, state.rows.length) + (state.hasNext ? '' : ` (end of the list)`);
  } else text = '';

  function go(enabled, fn) {
    return (event) => {
      event.preventDefault();
      if (enabled && !state.busy) fn();
    };
  }
  const canBack = state.status === 'ready' && state.hasPrevious;
  const canNext = state.status === 'ready' && state.hasNext;
  return html`<div class="pager">
    <p class="pager-status" role="status">${text}</p>
    <div class="pager-buttons">
      <button type="button" class="button" aria-disabled=${canBack ? 'false' : 'true'}
        onClick=${go(canBack, list.previous)}>
        <span aria-hidden="true">‹ </span>Previous page
      </button>
      <button type="button" class="button" aria-disabled=${canNext ? 'false' : 'true'}
        onClick=${go(canNext, list.next)}>
        Next page<span aria-hidden="true"> ›</span>
      </button>
    </div>
  </div>`;
}
