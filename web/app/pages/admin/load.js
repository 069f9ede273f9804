// Loading data for the admin pages: a hook that runs an API call when its
// inputs change, aborting the one before, and a reader for every page of a list.
import { useEffect, useState, useCallback } from 'preact/hooks';
import { api } from '../../lib/api.js';

// { data, error, loading, reload, setData }: `fn(signal)` returns a promise.
// The data of the last load stays while the next one runs.
export function useLoad(fn, deps) {
  const [state, setState] = useState({ data: null, error: null, loading: true });
  const [round, setRound] = useState(0);
  useEffect(() => {
    const ac = new AbortController();
    setState((s) => ({ ...s, error: null, loading: true }));
    fn(ac.signal).then(
      (data) => {
        if (!ac.signal.aborted) setState({ data, error: null, loading: false });
      },
      (error) => {
        if (!ac.signal.aborted) setState((s) => ({ ...s, error, loading: false }));
      },
    );
    return () => ac.abort();
  }, [...deps, round]);
  const reload = useCallback(() => setRound((n) => n + 1), []);
  const setData = useCallback((f) => setState((s) => ({ ...s, data: typeof f === 'function' ? f(s.data) : f })), []);
  return { ...state, reload, setData };
}

// Every item of a paged list (`{data, next_cursor}`), up to `max` items.
export async function fetchAll(path, signal, max = 5000) {
  const out = [];
  let cursor = null;
  do {
    const page = await api('GET', path, { query: { limit: 200, cursor }, signal });
    out.push(...page.data);
    cursor = page.next_cursor;
  } while (cursor && out.length < max);
  return out;
}

// Unique ids for labels and descriptions.
let nextId = 0;
export function useId(prefix) {
  const [id] = useState(() => `${prefix}-${++nextId}`);
  return id;
}

// Moves focus to the page's heading (after the control that had it is gone).
export function focusHeading() {
  const h = document.querySelector('main h1');
  if (!h) return;
  if (!h.hasAttribute('tabindex')) h.setAttribute('tabindex', '-1');
  h.focus();
}
