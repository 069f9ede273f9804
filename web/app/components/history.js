// The full activity history of a person, account or opportunity: newest first, paged by
// cursor and appended as the reader scrolls (an IntersectionObserver on the list's end),
// with a "Load more" button for keyboards and browsers without the observer.
//
//   <${ActivityHistory} path="/api/v1/people/7/activities" label="Activity history of Ann" />
//   showPerson: a Person column (accounts and opportunities); names: a query for
//   GET /api/v1/people ({account} or {opportunity}) naming the people of rows whose reply
//   has no `person` object (without it, or when it fails, such a row says "Person N").
//
// The pure parts (the next page's query, merging pages, a row's details in words) are
// exported for the unit tests.
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../lib/html.js';
import { api } from '../lib/api.js';
import { Link } from '../lib/router.js';
import { formatDateTime, relativeTime, personName } from '../lib/format.js';
import { Loading, ErrorState, Empty } from './states.js';

export const HISTORY_PAGE = 50;

// The query for the page after `reply`, or null at the end. The people route pages with an
// opaque `next_cursor`; an id-keyed `next` (before=<id>) is followed as well.
export function nextQuery(reply) {
  if (!reply) return null;
  if (typeof reply.next_cursor === 'string' && reply.next_cursor) return { cursor: reply.next_cursor };
  if (reply.next !== undefined && reply.next !== null && reply.next !== '') return { before: reply.next };
  return null;
}

// Rows already shown followed by a new page's, without repeating an id.
export function appendRows(rows, more) {
  const seen = new Set(rows.map((r) => r.id));
  const out = rows.slice();
  for (const r of Array.isArray(more) ? more : []) {
    if (r && !seen.has(r.id)) {
      seen.add(r.id);
      out.push(r);
    }
  }
  return out;
}

function text(v) {
  return typeof v === 'string' && v.trim() ? v.trim() : '';
}

// What the activity was about, in words: the email's subject, a click's link, a call's
// outcome and status, the campaign, an unsubscribe's source. '' when nothing is known.
export function activityDetail(a) {
  const at = (a && a.attrs) || {};
  const parts = [];
  if (text(at.email_subject)) parts.push(`“${text(at.email_subject)}”`);
  if (a && a.type === 'email_click' && text(at.link)) parts.push(text(at.link));
  if (a && a.type === 'call') {
    if (text(at.subject)) parts.push(text(at.subject));
    if (text(at.status)) parts.push(text(at.status).replace(/_/g, ' '));
  }
  if (a && a.type === 'email_bounce' && text(at.details)) parts.push(text(at.details));
  if (text(at.campaign_name)) parts.push(`campaign ${text(at.campaign_name)}`);
  if (a && (a.type === 'unsubscribe' || a.type === 'resubscribe') && text(at.source)) {
    parts.push(`source: ${text(at.source).replace(/_/g, ' ')}`);
  }
  return parts.join(' · ');
}

// The name of an activity's person: its own `person` object, else the map, else "Person N".
export function activityPerson(a, people) {
  if (a && a.person && typeof a.person === 'object') {
    if (text(a.person.name)) return text(a.person.name);
    return personName(a.person);
  }
  const id = a && a.person_id;
  if (people && people.has(id)) return people.get(id);
  return `Person ${id}`;
}

// The status line under the list.
export function historyStatus({ status, rows, done }) {
  if (status === 'loading') return 'Loading the history…';
  if (status === 'error') return 'Could not load more of the history.';
  if (rows === 0) return 'No activities yet.';
  const n = `${rows} ${rows === 1 ? 'activity' : 'activities'}`;
  return done ? `All ${n} shown.` : `${n} shown; more to load.`;
}

function HistoryRow({ a, showPerson, people }) {
  const detail = activityDetail(a);
  return html`<tr class=${a.machine ? 'is-machine' : ''}>
    <td class="hist-when"><time datetime=${a.occurred_at} title=${formatDateTime(a.occurred_at)}>${relativeTime(a.occurred_at)}</time></td>
    <td>${a.type_name || a.type}${a.machine ? html` <span class="badge badge-off">Machine</span>` : null}</td>
    ${showPerson
      ? html`<td><${Link} href=${`/people/${encodeURIComponent(a.person_id)}`}>${activityPerson(a, people)}</${Link}></td>`
      : null}
    <td class="hist-detail">${detail || html`<span class="muted">—</span>`}</td>
  </tr>`;
}

// id → name from one page of GET /api/v1/people (names: its query), or null.
function usePeopleNames(names) {
  const key = names ? JSON.stringify(names) : '';
  const [people, setPeople] = useState(null);
  useEffect(() => {
    setPeople(null);
    if (!key) return undefined;
    const c = new AbortController();
    api('GET', '/api/v1/people', { query: { ...JSON.parse(key), limit: 200 }, signal: c.signal }).then(
      (r) => setPeople(new Map(((r && r.data) || []).map((p) => [p.id, personName(p)]))),
      () => {}, // the rows say "Person N" instead
    );
    return () => c.abort();
  }, [key]);
  return people;
}

export function ActivityHistory({ path, label, showPerson = false, names = null, emptyText = 'No activities yet.' }) {
  const people = usePeopleNames(showPerson ? names : null);
  const [rows, setRows] = useState([]);
  const [status, setStatus] = useState('loading'); // loading | ready | error
  const [error, setError] = useState(null);
  const [next, setNext] = useState(null); // the query of the page after, null: the end
  const [attempt, setAttempt] = useState(0);
  const busy = useRef(false);
  const ctl = useRef(null);
  const end = useRef(null);

  async function load(query, reset) {
    if (busy.current) return;
    busy.current = true;
    const c = new AbortController();
    ctl.current = c;
    setStatus('loading');
    setError(null);
    try {
      const reply = await api('GET', path, { query: { limit: HISTORY_PAGE, ...(query || {}) }, signal: c.signal });
      setRows((old) => appendRows(reset ? [] : old, reply && reply.data));
      setNext(nextQuery(reply));
      setStatus('ready');
    } catch (e) {
      if (e && e.name === 'AbortError') return;
      setError(e);
      setStatus('error');
    } finally {
      if (ctl.current === c) {
        busy.current = false;
        ctl.current = null;
      }
    }
  }

  // First page, again when the path changes.
  useEffect(() => {
    busy.current = false;
    setRows([]);
    setNext(null);
    load(null, true);
    return () => {
      if (ctl.current) ctl.current.abort();
      ctl.current = null;
      busy.current = false;
    };
  }, [path, attempt]);

  // The end of the list coming into view loads the next page.
  useEffect(() => {
    const el = end.current;
    if (!el || !next || status !== 'ready' || typeof IntersectionObserver !== 'function') return undefined;
    const io = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) load(next, false);
    }, { rootMargin: '200px 0px' });
    io.observe(el);
    return () => io.disconnect();
  }, [next, status, path]);

  if (status === 'error' && rows.length === 0) {
    return html`<${ErrorState} error=${error} onRetry=${() => setAttempt((n) => n + 1)} />`;
  }
  if (status === 'loading' && rows.length === 0) return html`<${Loading} label="Loading the history…" />`;
  if (status === 'ready' && rows.length === 0) return html`<${Empty}><p>${emptyText}</p></${Empty}>`;

  return html`<div class="history">
    <div class="table-wrap" role="region" aria-label=${`${label} (scrollable)`} tabindex="0">
      <table class="table table-history" aria-label=${label}>
        <thead><tr>
          <th scope="col">When</th><th scope="col">Activity</th>
          ${showPerson ? html`<th scope="col">Person</th>` : null}
          <th scope="col">Details</th>
        </tr></thead>
        <tbody>${rows.map((a) => html`<${HistoryRow} key=${a.id} a=${a} showPerson=${showPerson} people=${people} />`)}</tbody>
      </table>
    </div>
    <div class="history-end" ref=${end}>
      <p class="pager-status" role="status">${historyStatus({ status, rows: rows.length, done: !next })}</p>
      ${status === 'error'
        ? html`<p class="form-error" role="alert">${(error && error.message) || 'Something went wrong.'}</p>
          <button type="button" class="button" onClick=${() => load(next, false)}>Try again</button>`
        : next
          ? html`<button type="button" class="button" aria-disabled=${status === 'loading' ? 'true' : 'false'}
              onClick=${() => { if (status !== 'loading') load(next, false); }}>Load more</button>`
          : null}
    </div>
  </div>`;
}
