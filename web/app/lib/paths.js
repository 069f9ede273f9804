// Pure path helpers for the router and the sign-in redirect (no window, no preact).

// '/people/:id' against '/people/12' → { id: '12' }; no match → null. A trailing slash on
// the path is ignored; parameters are decoded and never empty.
export function matchPath(pattern, path) {
  const want = split(pattern);
  const have = split(path);
  if (want.length !== have.length) return null;
  const params = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i];
    if (w.startsWith(':')) {
      let value;
      try {
        value = decodeURIComponent(have[i]);
      } catch {
        return null;
      }
      if (value === '') return null;
      params[w.slice(1)] = value;
    } else if (w !== have[i]) {
      return null;
    }
  }
  return params;
}

function split(path) {
  return String(path).split('/').filter((s) => s !== '');
}

// The first route whose pattern matches: { route, params } or null. A route with
// `prefix: true` matches its pattern and everything under it.
export function findRoute(routes, path) {
  for (const route of routes) {
    if (route.prefix) {
      const base = '/' + split(route.pattern).join('/');
      const p = '/' + split(path).join('/');
      if (p === base || p.startsWith(base + '/')) return { route, params: {} };
    } else {
      const params = matchPath(route.pattern, path);
      if (params) return { route, params };
    }
  }
  return null;
}

// Where to go after signing in: only a path on this origin ('/…', not '//…' or '/\…'),
// never the sign-in page itself; anything else → '/people'.
export function safeNext(next) {
  if (typeof next !== 'string' || next === '') return '/people';
  if (!next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/people';
  if (/[\u0000-\u001f]/.test(next)) return '/people';
  if (next === '/sign-in' || next.startsWith('/sign-in?') || next.startsWith('/sign-in/')) {
    return '/people';
  }
  return next;
}

// The sign-in URL that comes back to `pathAndQuery` afterwards.
export function signInUrl(pathAndQuery) {
  const next = safeNext(pathAndQuery);
  if (next === '/') return '/sign-in';
  return '/sign-in?next=' + encodeURIComponent(next);
}

// A query string ('?a=1' or 'a=1') with `changes` applied: null/undefined/'' removes a key.
export function withQuery(search, changes) {
  const params = new URLSearchParams(search);
  for (const [key, value] of Object.entries(changes)) {
    if (value === null || value === undefined || value === '') params.delete(key);
    else params.set(key, String(value));
  }
  const text = params.toString();
  return text ? '?' + text : '';
}
