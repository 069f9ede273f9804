// Load one thing from the API for a page: { status: 'loading'|'ready'|'error', data, error }
// and a retry function. The request is aborted when the page goes away or `path` changes.
import { useEffect, useState } from 'preact/hooks';
import { api } from './api.js';

export function useResource(path) {
  const [state, setState] = useState({ status: 'loading', data: null, error: null });
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    if (!path) return undefined;
    const ctl = new AbortController();
    setState({ status: 'loading', data: null, error: null });
    api('GET', path, { signal: ctl.signal }).then(
      (data) => setState({ status: 'ready', data, error: null }),
      (error) => {
        if (error.name !== 'AbortError') setState({ status: 'error', data: null, error });
      },
    );
    return () => ctl.abort();
  }, [path, attempt]);
  return [state, () => setAttempt((a) => a + 1)];
}
