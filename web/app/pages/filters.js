// Filters & Triggers (/filters; ?id=N selects a saved filter): build a filter over people by
// activity (conditions ANDed: type, template, campaign, link, count, time window, human only,
// "did not"), preview who matches (POST /api/v1/filters/preview: the first page and how many),
// save it, list the saved filters (GET /api/v1/filters) and page a filter's people
// (GET /api/v1/filters/{id}/people). docs/outbox.md "Filters and triggers", docs/web.md.
//
// TRIGGERS SLOT: the trigger rules of the selected filter are drawn by the panels registered
// with registerFilterPanel(Component); each gets { filter, user } (the saved filter as the API
// returns it) and renders inside the "Triggers" section under the filter's people.
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../lib/html.js';
import { api } from '../lib/api.js';
import { useResource } from '../lib/use-resource.js';
import { Link, navigate } from '../lib/router.js';
import { personName, formatCount } from '../lib/format.js';
import { withQuery } from '../lib/paths.js';
import { Page } from '../components/page.js';
import { Pager, usePagedList } from '../components/paged.js';
import { Loading, Empty, ErrorState } from '../components/states.js';
import {
  ACTIVITY_TYPES, blankCondition, buildDefinition, formConditions, describeDefinition,
} from './filters-rules.js';

const panels = [];
// The triggers' panel (and any other) for the selected saved filter.
export function registerFilterPanel(component) {
  if (!panels.includes(component)) panels.push(component);
}

export function filterIdOf(query) {
  const v = (query && query.get && query.get('id')) || '';
  return /^[1-9][0-9]{0,17}$/.test(v) ? v : '';
}

function PeopleTable({ rows, label, busy }) {
  return html`<div class=${busy ? 'table-wrap is-busy' : 'table-wrap'} role="region"
      aria-label=${`${label} (scrollable)`} tabindex="0">
    <table class="table table-filter-people" aria-label=${label} aria-busy=${busy ? 'true' : 'false'}>
      <thead><tr>
        <th scope="col">Person</th><th scope="col">Email</th><th scope="col">Company</th><th scope="col">Owner</th>
      </tr></thead>
      <tbody>
        ${rows.map((p) => html`<tr key=${p.id}>
          <td class="cell-name"><${Link} href=${`/people/${p.id}`}>${personName(p)}</${Link}></td>
          <td class="cell-email">${p.email || ''}</td>
          <td>${p.company || ''}</td>
          <td>${p.owner_email || ''}</td>
        </tr>`)}
      </tbody>
    </table>
  </div>`;
}

function ConditionRow({ c, index, count, onChange, onRemove }) {
  const id = (name) => `fc-${c.key}-${name}`;
  const set = (name, value) => onChange({ ...c, [name]: value });
  const text = (name) => (event) => set(name, event.currentTarget.value);
  const check = (name) => (event) => set(name, event.currentTarget.checked);
  return html`<fieldset class="filter-cond">
    <legend>Condition ${index + 1}</legend>
    <div class="filter-cond-grid">
      <div class="field">
        <label for=${id('negate')} class="filter-check">
          <input type="checkbox" id=${id('negate')} checked=${c.negate} onChange=${check('negate')} />
          Did not
        </label>
      </div>
      <div class="field">
        <label for=${id('type')}>Activity</label>
        <select id=${id('type')} class="input" value=${c.type} onChange=${text('type')}>
          ${ACTIVITY_TYPES.map(([v, l]) => html`<option value=${v}>${l}</option>`)}
        </select>
      </div>
      <div class="field">
        <label for=${id('template')}>Template id</label>
        <input id=${id('template')} class="input" inputmode="numeric" value=${c.template_id}
          onInput=${text('template_id')} placeholder="any" />
      </div>
      <div class="field">
        <label for=${id('campaign')}>Campaign id</label>
        <input id=${id('campaign')} class="input" inputmode="numeric" value=${c.campaign_id}
          onInput=${text('campaign_id')} placeholder="any" />
      </div>
      ${c.type === 'email_click' ? html`<div class="field filter-link">
        <label for=${id('link')}>Link</label>
        <input id=${id('link')} class="input" type="url" value=${c.link} onInput=${text('link')}
          placeholder="any link" />
      </div>` : null}
      <div class="field">
        <label for=${id('min')}>At least (times)</label>
        <input id=${id('min')} class="input" inputmode="numeric" value=${c.min_count} onInput=${text('min_count')} />
      </div>
      <div class="field">
        <label for=${id('days')}>In the last (days)</label>
        <input id=${id('days')} class="input" inputmode="numeric" value=${c.within_days}
          onInput=${text('within_days')} placeholder="ever" />
      </div>
      <div class="field">
        <label for=${id('human')} class="filter-check">
          <input type="checkbox" id=${id('human')} checked=${c.human_only} onChange=${check('human_only')} />
          Human only
        </label>
      </div>
      <div class="field">
        <button type="button" class="button button-quiet" disabled=${count === 1}
          aria-label=${`Remove condition ${index + 1}`} onClick=${onRemove}>Remove</button>
      </div>
    </div>
  </fieldset>`;
}

function Builder({ editing, onSaved }) {
  const [name, setName] = useState('');
  const [shared, setShared] = useState(false);
  const [owner, setOwner] = useState('');
  const [conds, setConds] = useState(() => [blankCondition('email_open'), { ...blankCondition('email_reply'), negate: true }]);
  const [preview, setPreview] = useState({ status: 'idle' });
  const [said, setSaid] = useState('');
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState('');
  const seq = useRef(0);

  useEffect(() => {
    if (!editing) return;
    setName(editing.name);
    setShared(editing.shared);
    setOwner(editing.definition.owner_email || '');
    setConds(formConditions(editing.definition));
    setPreview({ status: 'idle' });
    setError('');
  }, [editing && editing.id]);

  const definition = () => buildDefinition(conds, owner);
  async function onPreview() {
    const n = ++seq.current;
    setPreview({ status: 'loading' });
    try {
      const r = await api('POST', '/api/v1/filters/preview', { body: { definition: definition(), limit: 20 } });
      if (n === seq.current) setPreview({ status: 'ready', data: r });
    } catch (e) {
      if (n === seq.current) setPreview({ status: 'error', error: e });
    }
  }
  async function onSave(event) {
    event.preventDefault();
    setSaving(true);
    setError('');
    try {
      const body = { name: name.trim(), shared, definition: definition() };
      const f = editing
        ? await api('PUT', `/api/v1/filters/${editing.id}`, { body })
        : await api('POST', '/api/v1/filters', { body });
      setSaid(`Filter \u201c${f.name}\u201d saved.`);
      onSaved(f);
    } catch (e) {
      setError(e.message);
    } finally {
      setSaving(false);
    }
  }

  let previewBody = null;
  if (preview.status === 'loading') previewBody = html`<${Loading} label="Finding the people who match…" />`;
  else if (preview.status === 'error') previewBody = html`<${ErrorState} error=${preview.error} onRetry=${onPreview} />`;
  else if (preview.status === 'ready') {
    const d = preview.data;
    const n = `${formatCount(d.count)}${d.count_more ? '+' : ''}`;
    previewBody = html`<p class="filter-count" role="status">${d.count === 1 && !d.count_more ? '1 person matches' : `${n} people match`}${d.count_more ? ' (counted up to the first 1,000)' : ''}.</p>
      ${d.data.length ? html`<${PeopleTable} rows=${d.data} label="Preview of the matching people" />`
        : html`<${Empty}><p>Nobody you can see matches these conditions.</p></${Empty}>`}`;
  }

  return html`<section class="section filter-builder" aria-labelledby="fb-h">
    <h2 id="fb-h">${editing ? `Edit \u201c${editing.name}\u201d` : 'Build a filter'}</h2>
    <form class="form" onSubmit=${onSave} aria-describedby="fb-help">
      <p id="fb-help" class="muted">People who meet every condition. \u201cDid not\u201d turns a condition around, e.g. opened template 3 in the last 7 days and did not reply.</p>
      ${conds.map((c, i) => html`<${ConditionRow} key=${c.key} c=${c} index=${i} count=${conds.length}
        onChange=${(nc) => setConds(conds.map((x) => (x.key === c.key ? nc : x)))}
        onRemove=${() => setConds(conds.filter((x) => x.key !== c.key))} />`)}
      <div class="form-actions">
        <button type="button" class="button" disabled=${conds.length >= 20}
          onClick=${() => setConds([...conds, blankCondition()])}>Add condition</button>
      </div>
      <div class="filter-fields">
        <div class="field">
          <label for="fb-owner">Owner email (optional)</label>
          <input id="fb-owner" class="input" type="email" value=${owner} onInput=${(e) => setOwner(e.currentTarget.value)}
            placeholder="anyone's people you see" />
        </div>
        <div class="field">
          <label for="fb-name">Filter name</label>
          <input id="fb-name" class="input" value=${name} maxlength="200" onInput=${(e) => setName(e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="fb-shared" class="filter-check">
            <input type="checkbox" id="fb-shared" checked=${shared} onChange=${(e) => setShared(e.currentTarget.checked)} />
            Shared with everyone
          </label>
        </div>
      </div>
      ${error ? html`<p class="form-error" role="alert">${error}</p>` : null}
      <div class="form-actions">
        <button type="button" class="button" onClick=${onPreview}>Preview matches</button>
        <button type="submit" class="button button-primary" disabled=${saving || !name.trim()}>
          ${editing ? 'Save changes' : 'Save filter'}</button>
      </div>
      <p class="muted" role="status">${said}</p>
    </form>
    <div class="filter-preview" aria-live="polite">${previewBody}</div>
  </section>`;
}

function fetchPeople(filters, { cursor, limit, signal }) {
  return api('GET', `/api/v1/filters/${filters.id}/people`, { query: { limit, after: cursor || undefined }, signal })
    .then((r) => ({ data: r.data, next_cursor: r.next === null ? null : String(r.next) }));
}

function FilterPeople({ filter, user }) {
  const list = usePagedList(fetchPeople);
  useEffect(() => { list.load({ id: filter.id }); }, [filter.id, filter.updated_at]);
  const { state } = list;
  let body;
  if (state.status === 'error') body = html`<${ErrorState} error=${state.error} onRetry=${list.retry} />`;
  else if (state.status === 'loading' || state.status === 'idle') body = html`<${Loading} label="Loading the filter's people…" />`;
  else if (state.rows.length === 0) body = html`<${Empty}><p>Nobody you can see matches this filter now.</p></${Empty}>`;
  else body = html`<${PeopleTable} rows=${state.rows} busy=${state.busy} label=${`People matching ${filter.name}`} />`;
  return html`<section class="section" aria-labelledby="fp-h">
    <h2 id="fp-h">People matching \u201c${filter.name}\u201d</h2>
    <p class="muted">${describeDefinition(filter.definition)}</p>
    ${body}
    <${Pager} list=${list} noun="people" />
    <section class="section filter-triggers" aria-labelledby="ft-h">
      <h2 id="ft-h">Triggers</h2>
      ${panels.length ? panels.map((P) => html`<${P} filter=${filter} user=${user} />`)
        : html`<p class="muted">No trigger rules can be set up here yet.</p>`}
    </section>
  </section>`;
}

function SavedList({ list, selected, user, onDeleted }) {
  const [said, setSaid] = useState('');
  if (list.status === 'loading') return html`<${Loading} label="Loading the saved filters…" />`;
  if (list.status === 'error') return html`<${ErrorState} error=${list.error} onRetry=${list.retry} />`;
  const rows = list.data.data;
  if (!rows.length) return html`<${Empty}><p>No saved filters yet. Build one and save it.</p></${Empty}>`;
  async function remove(f) {
    if (!window.confirm(`Delete the filter \u201c${f.name}\u201d?`)) return;
    try {
      await api('DELETE', `/api/v1/filters/${f.id}`);
      setSaid(`Filter \u201c${f.name}\u201d deleted.`);
      onDeleted(f);
    } catch (e) {
      setSaid(`Could not delete \u201c${f.name}\u201d: ${e.message}`);
    }
  }
  return html`<div>
    <ul class="filter-list" aria-label="Saved filters">
      ${rows.map((f) => html`<li key=${f.id} class=${String(f.id) === selected ? 'filter-item is-current' : 'filter-item'}>
        <${Link} href=${`/filters?id=${f.id}`} aria-current=${String(f.id) === selected ? 'true' : undefined}>${f.name}</${Link}>
        <span class="muted"> ${f.shared ? 'shared · ' : ''}${f.owner_name || ''}</span>
        ${f.owner_id === user.id || user.role === 'admin' ? html`<button type="button" class="button button-quiet"
          aria-label=${`Delete ${f.name}`} onClick=${() => remove(f)}>Delete</button>` : null}
      </li>`)}
    </ul>
    <p class="muted" role="status">${said}</p>
  </div>`;
}

export function FiltersPage({ query, user }) {
  const selected = filterIdOf(query);
  const [listRes, retryList] = useResource('/api/v1/filters?limit=200');
  const [version, setVersion] = useState(0);
  const [filterRes, retryFilter] = useResource(selected ? `/api/v1/filters/${selected}?v=${version}` : null);
  const list = { ...listRes, retry: retryList };

  function onSaved(f) {
    retryList();
    setVersion((v) => v + 1);
    if (String(f.id) !== selected) navigate('/filters' + withQuery(window.location.search, { id: String(f.id) }));
  }
  function onDeleted(f) {
    retryList();
    if (String(f.id) === selected) navigate('/filters', { replace: true });
  }

  let detail = null;
  if (selected) {
    if (filterRes.status === 'loading') detail = html`<${Loading} label="Loading the filter…" />`;
    else if (filterRes.status === 'error') detail = html`<${ErrorState} error=${filterRes.error} onRetry=${retryFilter} />`;
    else detail = html`<${FilterPeople} filter=${filterRes.data} user=${user} />`;
  }
  const editing = selected && filterRes.status === 'ready'
    && (filterRes.data.owner_id === user.id || user.role === 'admin') ? filterRes.data : null;

  return html`<${Page} title="Filters & Triggers" subtitle="Find people by what they did: saved filters, who matches them now, and the triggers that act on them."
      actions=${selected ? html`<${Link} class="button" href="/filters">New filter</${Link}>` : null}>
    <div class="filters-layout">
      <section class="section filter-saved" aria-labelledby="fs-h">
        <h2 id="fs-h">Saved filters</h2>
        <${SavedList} list=${list} selected=${selected} user=${user} onDeleted=${onDeleted} />
      </section>
      <div class="filter-main">
        <${Builder} key=${editing ? `e${editing.id}` : 'new'} editing=${editing} onSaved=${onSaved} />
        ${detail}
      </div>
    </div>
  </${Page}>`;
}
