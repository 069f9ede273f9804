// A page loaded on first use (import() of its module); its default export is rendered
// with `props`. Loading and a failed load have their own states.
import { useEffect, useState } from 'preact/hooks';
import { html } from '../lib/html.js';
import { Loading, ErrorState } from './states.js';

const cache = new Map();

export function Lazy({ load, props }) {
  const [state, setState] = useState(() =>
    cache.has(load) ? { component: cache.get(load) } : { component: null });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    if (state.component) return undefined;
    let live = true;
    load().then(
      (mod) => {
        cache.set(load, mod.default);
        if (live) setState({ component: mod.default });
      },
      () => {
        if (live) setState({ component: null, error: { message: 'This page could not be loaded. Check the connection and try again.' } });
      },
    );
    return () => {
      live = false;
    };
  }, [load, attempt]);

  if (state.component) {
    const Component = state.component;
    return html`<${Component} ...${props} />`;
  }
  if (state.error) {
    return html`<main id="main" tabindex="-1" class="page">
      <${ErrorState} error=${state.error} onRetry=${() => {
        setState({ component: null });
        setAttempt(attempt + 1);
      }} />
    </main>`;
  }
  return html`<main id="main" tabindex="-1" class="page"><${Loading} label="Loading the page…" /></main>`;
}
