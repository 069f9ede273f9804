// People: as-you-type search ("Search people", debounced, stale requests aborted, q in the
// URL), My people / All people, the cursor-paged table, row → person.
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../lib/html.js';
import { api } from '../lib/api.js';
import { navigate } from '../lib/router.js';
import { formatCount } from '../lib/format.js';
import { BULK_MAX } from './compose-rules.js';
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

// Everyone starts with all people (a new rep owns none yet); ?scope=mine shows one's own.
function scopeOf(query) {
  return query.get('scope') === 'mine' ? 'mine' : 'all';
}

export function PeoplePage({ query }) {
  const urlQ = query.get('q') || '';
  const scope = scopeOf(query);
  const [text, setText] = useState(urlQ);
  const list = usePagedList(fetchPeople);
  const applied = useRef(null);
  // Selecting people to email them together: off until "Select people"; kept across pages.
  const [selecting, setSelecting] = useState(false);
  const [selected, setSelected] = useState(() => new Map());

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
      navigate('/people' + withQuery(window.location.search, { q: value.trim() || null }),
        { replace: true });
    }, 200);
  }

  function onScope(event) {
    const value = event.currentTarget.value;
    clearTimeout(timer.current);
    navigate('/people' + withQuery(window.location.search, {
      q: text.trim() || null,
      scope: value === 'mine' ? 'mine' : null,
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
    const selection = selecting ? {
      has: (id) => selected.has(id),
      allOnPage: state.rows.every((p) => selected.has(p.id)),
      toggle(p) {
        const next = new Map(selected);
        if (next.has(p.id)) next.delete(p.id);
        else next.set(p.id, p);
        setSelected(next);
      },
      toggleAll() {
        const next = new Map(selected);
        const all = state.rows.every((p) => next.has(p.id));
        for (const p of state.rows) {
          if (all) next.delete(p.id);
          else next.set(p.id, p);
        }
        setSelected(next);
      },
    } : null;
    body = html`<${PeopleTable} label="People" rows=${state.rows} busy=${state.busy} selection=${selection} />`;
  }
  const count = selected.size;
  const selectionBar = selecting
    ? html`<div class="selection-bar">
        <p class="muted" role="status">${count === 0 ? 'No one selected: tick the people to email.' : `${formatCount(count)} selected${count > BULK_MAX ? ` (at most ${formatCount(BULK_MAX)} can be emailed at once)` : ''}`}</p>
        <button type="button" class="button button-primary" disabled=${count === 0 || count > BULK_MAX}
          onClick=${() => navigate(`/compose?people=${[...selected.keys()].join(',')}`)}>Email selected</button>
        <button type="button" class="button" disabled=${count === 0 || count > BULK_MAX}
          onClick=${() => navigate(`/campaigns/add?people=${[...selected.keys()].join(',')}`)}>Add to campaign</button>
        <button type="button" class="button" onClick=${() => { setSelecting(false); setSelected(new Map()); }}>Cancel selection</button>
      </div>`
    : null;

  return html`<${Page} title="People">
    <div class="toolbar">
      <div class="search">
        <label for="people-search" class="visually-hidden">Search people</label>
        <span class="search-icon" aria-hidden="true"></span>
        <input id="people-search" type="search" class="input search-input" value=${text}
          onInput=${onInput} placeholder="Search by name, email or company" maxLength="256" autocomplete="off"
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
    ${selectionBar}
    ${body}
    ${selecting || state.status !== 'ready' || state.rows.length === 0 ? null : html`<p class="list-note">
      <button type="button" class="button" onClick=${() => setSelecting(true)}>Select people</button>
      <span class="muted"> to email several at once or add them to a campaign.</span>
    </p>`}
    <${Pager} list=${list} noun="people" />
  </${Page}>`;
}
