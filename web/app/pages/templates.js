// Templates: the email templates a user may use — all, mine, shared with me, favorites,
// archived — searchable and paged, with each template's analytics (sent, unique human
// opens and clicks, replies, bounces, success rate) and a favorite switch per row.
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../lib/html.js';
import { api } from '../lib/api.js';
import { Link, navigate } from '../lib/router.js';
import { withQuery } from '../lib/paths.js';
import { Page } from '../components/page.js';
import { Pager, usePagedList } from '../components/paged.js';
import { Loading, Empty, ErrorState } from '../components/states.js';
import { VIEWS, viewOf, sharingLabel, formatRate, formatShare } from './templates-common.js';

function fetchTemplates(filters, { cursor, limit, signal }) {
  return api('GET', '/api/v1/templates', {
    query: { view: filters.view || undefined, q: filters.q || undefined, limit, cursor },
    signal,
  });
}

export function FavoriteButton({ template, onChange }) {
  const [on, setOn] = useState(template.favorite);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  useEffect(() => setOn(template.favorite), [template.id, template.favorite]);
  async function toggle() {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      await api(on ? 'DELETE' : 'PUT', `/api/v1/templates/${template.id}/favorite`);
      setOn(!on);
      if (onChange) onChange(!on);
    } catch (e) {
      setError(e.message || 'Could not change the favorite.');
    } finally {
      setBusy(false);
    }
  }
  return html`<button type="button" class="button button-quiet fav-button" aria-pressed=${on ? 'true' : 'false'}
      aria-label=${`Favorite: ${template.name}`} title=${error || (on ? 'Remove from favorites' : 'Add to favorites')}
      onClick=${toggle} disabled=${busy}>
    <span aria-hidden="true">${on ? '★' : '☆'}</span>
  </button>${error ? html`<span class="visually-hidden" role="alert">${error}</span>` : null}`;
}

function TemplatesTable({ rows, busy, onFavorite }) {
  return html`<div class=${busy ? 'table-wrap is-busy' : 'table-wrap'} role="region"
      aria-label="Templates (scrollable)" tabindex="0">
    <table class="table table-templates" aria-label="Templates" aria-busy=${busy ? 'true' : 'false'}>
      <thead>
        <tr>
          <th scope="col"><span class="visually-hidden">Favorite</span></th>
          <th scope="col">Name</th>
          <th scope="col">Category</th>
          <th scope="col">Owner</th>
          <th scope="col">Shared with</th>
          <th scope="col" class="num">Sent</th>
          <th scope="col" class="num">Opened</th>
          <th scope="col" class="num">Clicked</th>
          <th scope="col" class="num">Replied</th>
          <th scope="col" class="num">Bounced</th>
          <th scope="col" class="num">Success</th>
        </tr>
      </thead>
      <tbody>
        ${rows.map((t) => {
          const a = t.analytics;
          return html`<tr key=${t.id}>
            <td><${FavoriteButton} template=${t} onChange=${(on) => onFavorite(t, on)} /></td>
            <td class="cell-name"><${Link} href=${`/templates/${t.id}`}>${t.name}</${Link}>
              ${t.archived ? html` <span class="badge badge-off">Archived</span>` : null}
              ${t.prompts.length ? html` <span class="badge tpl-badge-prompt">${t.prompts.length} prompt${t.prompts.length === 1 ? '' : 's'}</span>` : null}</td>
            <td>${t.category || html`<span class="muted">—</span>`}</td>
            <td>${t.owner.name}</td>
            <td>${sharingLabel(t.sharing)}</td>
            <td class="num">${a.sent}</td>
            <td class="num">${formatShare(a.opens, a.sent)}</td>
            <td class="num">${formatShare(a.clicks, a.sent)}</td>
            <td class="num">${a.replies}</td>
            <td class="num">${a.bounces}</td>
            <td class="num">${formatRate(a)}</td>
          </tr>`;
        })}
      </tbody>
    </table>
  </div>`;
}

const EMPTY = {
  '': 'No templates yet. Create one, or ask a colleague to share theirs.',
  mine: 'You have no templates of your own yet.',
  shared: 'Nobody has shared a template with you yet.',
  favorites: 'No favorites yet. Mark a template with its star to find it here.',
  archived: 'No archived templates.',
};

export function TemplatesPage({ query }) {
  const urlQ = query.get('q') || '';
  const view = viewOf(query);
  const [text, setText] = useState(urlQ);
  const list = usePagedList(fetchTemplates);
  const timer = useRef(null);

  useEffect(() => {
    setText((t) => (t.trim() === urlQ.trim() ? t : urlQ));
    list.load({ q: urlQ.trim(), view });
  }, [urlQ, view]);
  useEffect(() => () => clearTimeout(timer.current), []);

  function onInput(event) {
    const value = event.currentTarget.value;
    setText(value);
    clearTimeout(timer.current);
    timer.current = setTimeout(() => {
      navigate('/templates' + withQuery(window.location.search, { q: value.trim() || null }),
        { replace: true });
    }, 200);
  }

  function onView(event) {
    clearTimeout(timer.current);
    navigate('/templates' + withQuery(window.location.search, {
      q: text.trim() || null, view: event.currentTarget.value || null,
    }), { replace: true });
  }

  // Un-favoriting in the Favorites view takes the row away.
  function onFavorite(t, on) {
    if (view === 'favorites' && !on) list.retry();
  }

  const { state } = list;
  const q = (state.filters && state.filters.q) || '';
  let body;
  if (state.status === 'error') body = html`<${ErrorState} error=${state.error} onRetry=${list.retry} />`;
  else if (state.status !== 'ready') body = html`<${Loading} label="Loading templates…" />`;
  else if (state.rows.length === 0) {
    body = html`<${Empty}><p>${q ? `No templates match “${q}”.` : EMPTY[view]}</p></${Empty}>`;
  } else body = html`<${TemplatesTable} rows=${state.rows} busy=${state.busy} onFavorite=${onFavorite} />`;

  return html`<${Page} title="Templates" wide
      actions=${html`<${Link} href="/templates/new" class="button button-primary">New template</${Link}>`}>
    <div class="toolbar">
      <div class="search">
        <label for="templates-search" class="visually-hidden">Search templates</label>
        <span class="search-icon" aria-hidden="true"></span>
        <input id="templates-search" type="search" class="input search-input" value=${text}
          onInput=${onInput} placeholder="Search by name, category or subject" maxLength="256"
          autocomplete="off" spellcheck=${false} />
      </div>
      <fieldset class="segmented tpl-views">
        <legend class="visually-hidden">Show</legend>
        ${VIEWS.map(([k, label]) => html`<label class="seg" key=${k || 'all'}>
          <input type="radio" name="template-view" value=${k} checked=${view === k} onChange=${onView} />
          <span>${label}</span>
        </label>`)}
      </fieldset>
    </div>
    ${body}
    <${Pager} list=${list} noun="templates" />
  </${Page}>`;
}
