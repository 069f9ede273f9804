// The API client's pure part: building requests and turning replies into data or an
// ApiError. No window, no document, no preact: api.js binds it to the browser, and the
// unit tests drive it with a fake fetch.

export const NETWORK_MESSAGE = 'cannot reach hail';

export class ApiError extends Error {
  constructor(status, code, message, retryAfter = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function isUnsafe(method) {
  return !SAFE_METHODS.has(String(method).toUpperCase());
}

// path + query object → URL string. null, undefined and '' values are left out; an array
// repeats the parameter.
export function buildUrl(path, query) {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === null || value === undefined || value === '') continue;
    if (Array.isArray(value)) {
      for (const v of value) params.append(key, String(v));
    } else {
      params.append(key, String(value));
    }
  }
  const text = params.toString();
  if (!text) return path;
  return path + (path.includes('?') ? '&' : '?') + text;
}

// Retry-After: delta-seconds or an HTTP date; seconds from now (at least 1), or null.
export function parseRetryAfter(value, now = Date.now()) {
  if (value === null || value === undefined) return null;
  const text = String(value).trim();
  if (text === '') return null;
  if (/^\d+$/.test(text)) return Math.max(1, parseInt(text, 10));
  const when = Date.parse(text);
  if (Number.isNaN(when)) return null;
  return Math.max(1, Math.ceil((when - now) / 1000));
}

const STATUS_TEXT = {
  400: 'the request was not accepted',
  401: 'please sign in',
  403: 'you are not allowed to do this',
  404: 'not found',
  405: 'not allowed',
  409: 'this conflicts with the current state',
  413: 'the request is too large',
  429: 'too many requests',
  500: 'hail hit an internal error',
  502: 'cannot reach hail',
  503: 'hail is busy; try again shortly',
  504: 'cannot reach hail',
};

// An error reply → ApiError with the API's own code and message when the body is hail's
// {"error":{"code","message"}}, a plain description of the status otherwise.
export function errorFromReply(status, bodyText, retryAfterHeader, now = Date.now()) {
  let code = `http_${status}`;
  let message = STATUS_TEXT[status] || `hail answered ${status}`;
  if (bodyText) {
    try {
      const body = JSON.parse(bodyText);
      const err = body && body.error;
      if (err && typeof err.message === 'string' && err.message) {
        message = err.message;
        if (typeof err.code === 'string' && err.code) code = err.code;
      }
    } catch {
      // not JSON: keep the status description
    }
  }
  return new ApiError(status, code, message, parseRetryAfter(retryAfterHeader, now));
}

// A client bound to its surroundings:
//   fetch            the fetch function
//   csrf()           the current CSRF token (or null)
//   onUnauthorized(error)  called for a 401 on anything but POST /api/v1/session
export function createClient({ fetch, csrf = () => null, onUnauthorized = () => {} }) {
  return async function request(method, path, { body, raw, query, signal } = {}) {
    const verb = String(method).toUpperCase();
    const headers = { Accept: 'application/json' };
    const init = { method: verb, headers, credentials: 'same-origin' };
    if (signal) init.signal = signal;
    if (raw) {
      // A body sent as it is (an upload): { data: Blob|ArrayBuffer|string, type: MIME type }.
      headers['Content-Type'] = raw.type;
      init.body = raw.data;
    } else if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    if (isUnsafe(verb)) {
      const token = csrf();
      if (token) headers['X-CSRF-Token'] = token;
    }
    let reply;
    try {
      reply = await fetch(buildUrl(path, query), init);
    } catch (e) {
      if (e && e.name === 'AbortError') throw e;
      throw new ApiError(0, 'network', NETWORK_MESSAGE);
    }
    let text;
    try {
      text = await reply.text();
    } catch (e) {
      if (e && e.name === 'AbortError') throw e;
      throw new ApiError(0, 'network', NETWORK_MESSAGE);
    }
    if (reply.ok) {
      if (reply.status === 204 || text === '') return null;
      try {
        return JSON.parse(text);
      } catch {
        throw new ApiError(reply.status, 'bad_reply', 'hail sent a reply the app cannot read');
      }
    }
    const error = errorFromReply(reply.status, text, reply.headers.get('Retry-After'));
    const signingIn = verb === 'POST' && path.split('?')[0] === '/api/v1/session';
    if (reply.status === 401 && !signingIn) onUnauthorized(error);
    throw error;
  };
}

export function isAbort(error) {
  return !!error && error.name === 'AbortError';
}
