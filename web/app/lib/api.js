// The browser's API client. api(method, path, { body, query, signal }) → parsed JSON, or
// null for a 204. Unsafe methods carry the session's X-CSRF-Token; a 401 (except on
// signing in) sends the browser to /sign-in?next=<where it was>. Errors are ApiError
// { status, code, message, retryAfter } — status 0 when hail cannot be reached.
import { signal } from '@preact/signals';
import { createClient, ApiError } from './request.js';
import { signInUrl } from './paths.js';
import { navigate, currentPathAndQuery } from './router.js';

export { ApiError };

// The signed-in user (the API's User object) or null.
export const currentUser = signal(null);

let csrfToken = null;

function forget() {
  csrfToken = null;
  currentUser.value = null;
}

function sendToSignIn() {
  forget();
  if (window.location.pathname === '/sign-in') return;
  navigate(signInUrl(currentPathAndQuery()), { replace: true });
}

const browserFetch = (url, init) => window.fetch(url, init);

const request = createClient({
  fetch: browserFetch,
  csrf: () => csrfToken,
  onUnauthorized: sendToSignIn,
});

// For the session calls themselves: a 401 there is an answer, not a redirect.
const quiet = createClient({ fetch: browserFetch, csrf: () => csrfToken });

export async function api(method, path, options = {}) {
  return request(method, path, options);
}

function remember(session) {
  csrfToken = session.csrf_token;
  currentUser.value = session.user;
  return session;
}

// GET /api/v1/session → { user, csrf_token, expires_at }, or null when not signed in.
export async function loadSession() {
  try {
    return remember(await quiet('GET', '/api/v1/session'));
  } catch (e) {
    if (e instanceof ApiError && (e.status === 401 || e.status === 404)) {
      forget();
      return null;
    }
    throw e;
  }
}

// POST /api/v1/session. Throws the API's ApiError (401 wrong password, 429 with retryAfter).
export async function signIn(email, password) {
  return remember(await quiet('POST', '/api/v1/session', { body: { email, password } }));
}

// DELETE /api/v1/session. A session that had already ended counts as signed out; any other
// failure (hail unreachable) throws and keeps the user signed in.
export async function signOut() {
  try {
    await quiet('DELETE', '/api/v1/session');
  } catch (e) {
    if (!(e instanceof ApiError) || (e.status !== 401 && e.status !== 404)) throw e;
  }
  forget();
}
