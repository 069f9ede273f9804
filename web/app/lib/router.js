// Client-side routing on the History API. `location` is a signal of { path, query }; pages
// read it, navigate() changes it, <Link> is an <a> that navigates without a reload (a
// modified or middle click still opens a new tab as usual).
import { signal } from '@preact/signals';
import { html } from './html.js';

function read() {
  if (typeof window === 'undefined') return { path: '/', query: new URLSearchParams() };
  return {
    path: window.location.pathname,
    query: new URLSearchParams(window.location.search),
  };
}

export const location = signal(read());

let listening = false;
function listen() {
  if (listening || typeof window === 'undefined') return;
  listening = true;
  window.addEventListener('popstate', () => {
    location.value = read();
  });
}
listen();

// Go to `path` ('/people?q=x'). { replace: true } replaces the history entry (for redirects
// and for search-as-you-type, which should not fill the back button with keystrokes).
export function navigate(path, { replace = false } = {}) {
  const here = window.location.pathname + window.location.search;
  if (path !== here) {
    if (replace) window.history.replaceState(null, '', path);
    else window.history.pushState(null, '', path);
  }
  const before = location.value.path;
  location.value = read();
  if (!replace && location.value.path !== before) window.scrollTo(0, 0);
}

// The current path + query, e.g. for the sign-in page's `next`.
export function currentPathAndQuery() {
  return window.location.pathname + window.location.search;
}

function isPlainClick(event) {
  return event.button === 0 && !event.metaKey && !event.ctrlKey && !event.shiftKey && !event.altKey;
}

export function Link({ href, onClick, replace, ...props }) {
  function click(event) {
    if (onClick) onClick(event);
    if (event.defaultPrevented || !isPlainClick(event)) return;
    if (props.target && props.target !== '_self') return;
    if (!href || !href.startsWith('/') || href.startsWith('//')) return;
    event.preventDefault();
    navigate(href, { replace: !!replace });
  }
  return html`<a href=${href} onClick=${click} ...${props} />`;
}
