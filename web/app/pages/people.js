// People: as-you-type search ("Search people", debounced, stale requests aborted, q in the
// URL), My people / All people, the cursor-paged table, row → person.
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../lib/html.js';
import { api } from '../lib/api.js';
import { navigate } from '../lib/router.js';
import { withQuery } from '../lib/paths.js';
import { Page } from '../components/page.js';
import { PeopleTable } from '../components/people-table.js';
import { Pager, usePagedList } from '../components/paged.js';
import { Loading, Empty, ErrorState } from '../components/states.js';

export function fetchPeople(filters, { cursor, limit, signal }) {
  return api('GET', '/api/v1/people', {
    query: {
      q: filters.q || undefined,
      owner: filters.scope === 'mine' ? 'me' : undefined,
      limit,
      cursor,
    },
    signal,
  });
}

// Reps and managers start with their own people, admins (who usually own none) with
// everyone; ?scope=mine|all overrides.
export function defaultScope(user) {
  return user && user.role === 'admin' ? 'all' : 'mine';
}

function scopeOf(query, user) {
  const s = query.get('scope');
  return s === 'mine' || s === 'all' ? s : defaultScope(user);
}

export function PeoplePage({ query, user }) {
  const urlQ = query.get('q') || '';
  const scope = scopeOf(query, user);
  const [text, setText] = useState(urlQ);
  const list = usePagedList(fetchPeople);
  const applied = useRef(null);

  // The URL is the source of truth for q and scope: typing updates it (replacing the history
  // entry), and back/forward or a link changes it; either way the list follows.
  useEffect(() => {
    const key = `${scope}\u0000${urlQ}`;
    if (applied.current === key) return;
    applied.current = key;
    setText((t) => (t.trim() === urlQ.trim() ? t : urlQ));
    list.load({ q: urlQ.trim(), scope }, { debounce: false });
  }, [urlQ, scope]);

  const timer = useRef(null);
  useEffect(() => () => clearTimeout(timer.current), []);

  function onInput(event) {
    const value = event.currentTarget.value;
    setText(value);
    clearTimeout(timer.current);
    timer.current = setTimeout(() => {
      navigate('/people' + withQuery(window.location.search, { q: value.trim() ? value : null }),
        { replace: true });
    }, 200);
  }

  function onScope(event) {
    const value = event.currentTarget.value;
    clearTimeout(timer.current);
    navigate('/people' + withQuery(window.location.search, {
      q: text.trim() ? text : null,
      scope: value === defaultScope(user) ? null : value,
    }), { replace: true });
  }

  const { state } = list;
  const q = (state.filters && state.filters.q) || '';
  let body;
  if (state.status === 'error') {
    body = html`<${ErrorState} error=${state.error} onRetry=${list.retry} />`;
  } else if (state.status === 'loading' || state.status === 'idle') {
    body = html`<${Loading} label="Loading people…" />`;
  } else if (state.rows.length === 0) {
    body = html`<${Empty}>
      ${q
        ? html`<p>No people match “${q}”${scope === 'mine' ? ' among your people' : ''}.</p>`
        : scope === 'mine'
          ? html`<p>You do not own any people yet. Choose “All people” to see everyone.</p>`
          : html`<p>No people yet. People arrive from the Marketo sync or a CSV import.</p>`}
    </${Empty}>`;
  } else {
    body = html`<${PeopleTable} label="People" rows=${state.rows} busy=${state.busy} />`;
  }

  return html`<${Page} title="People">
    <div class="toolbar">
      <div class="search">
        <label for="people-search" class="visually-hidden">Search people</label>
        <span class="search-icon" aria-hidden="true"></span>
        <input id="people-search" type="search" class="input search-input" value=${text}
          onInput=${onInput} placeholder="Search by name, email or company" autocomplete="off"
          spellcheck=${false} />
      </div>
      <fieldset class="segmented">
        <legend class="visually-hidden">Show</legend>
        <label class="seg">
          <input type="radio" name="scope" value="mine" checked=${scope === 'mine'} onChange=${onScope} />
          <span>My people</span>
        </label>
        <label class="seg">
          <input type="radio" name="scope" value="all" checked=${scope === 'all'} onChange=${onScope} />
          <span>All people</span>
        </label>
      </fieldset>
    </div>
    ${body}
    <${Pager} list=${list} noun="people" />
  </${Page}>`;
}
