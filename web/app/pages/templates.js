// Templates: the email templates a user may use — all, mine, shared with me, favorites,
// archived — searchable and paged, with each template's analytics (sent, unique human
// opens and clicks, replies, bounces, success rate) and a favorite switch per row.
import { useEffect, useState } from 'preact/hooks';
import { html } from '../lib/html.js';
import { api } from '../lib/api.js';
import { Link } from '../lib/router.js';
import { Page } from '../components/page.js';
import { Pager } from '../components/paged.js';
import { useSearchList, SearchToolbar, listBody } from '../components/search-list.js';
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
  const view = viewOf(query);
  const { list, text, onInput, onView } = useSearchList({
    path: '/templates', fetchPage: fetchTemplates, query, view, defaultView: '',
  });

  // Un-favoriting in the Favorites view takes the row away.
  function onFavorite(t, on) {
    if (view === 'favorites' && !on) list.retry();
  }

  const body = listBody(list, {
    noun: 'templates',
    emptyText: EMPTY[view],
    table: (state) => html`<${TemplatesTable} rows=${state.rows} busy=${state.busy} onFavorite=${onFavorite} />`,
  });

  return html`<${Page} title="Templates" wide
      actions=${html`<${Link} href="/templates/new" class="button button-primary">New template</${Link}>`}>
    <${SearchToolbar} id="templates-search" label="Search templates"
      placeholder="Search by name, category or subject" text=${text} onInput=${onInput}
      views=${VIEWS} view=${view} onView=${onView} name="template-view" viewsClass="tpl-views" />
    ${body}
    <${Pager} list=${list} noun="templates" />
  </${Page}>`;
}
