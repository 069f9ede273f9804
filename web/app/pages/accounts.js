// Accounts: the Salesforce accounts hail's people belong to, searchable and paged.
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../lib/html.js';
import { api } from '../lib/api.js';
import { Link, navigate } from '../lib/router.js';
import { withQuery } from '../lib/paths.js';
import { formatCount } from '../lib/format.js';
import { Page } from '../components/page.js';
import { Pager, usePagedList } from '../components/paged.js';
import { Loading, Empty, ErrorState } from '../components/states.js';

function fetchAccounts(filters, { cursor, limit, signal }) {
  return api('GET', '/api/v1/accounts', { query: { q: filters.q || undefined, limit, cursor }, signal });
}

function AccountsTable({ rows, busy }) {
  return html`<div class=${busy ? 'table-wrap is-busy' : 'table-wrap'} role="region"
      aria-label="Accounts (scrollable)" tabindex="0">
    <table class="table" aria-label="Accounts" aria-busy=${busy ? 'true' : 'false'}>
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Account ID</th>
          <th scope="col" class="num">People</th>
        </tr>
      </thead>
      <tbody>
        ${rows.map((a) => html`<tr key=${a.id} class="row-link" onClick=${(e) => {
          if (e.button === 0 && !e.target.closest('a')) navigate(`/accounts/${encodeURIComponent(a.id)}`);
        }}>
          <td class="cell-name"><${Link} href=${`/accounts/${encodeURIComponent(a.id)}`}>${a.name || a.id}</${Link}></td>
          <td><code>${a.id}</code></td>
          <td class="num">${formatCount(a.people_count)}</td>
        </tr>`)}
      </tbody>
    </table>
  </div>`;
}

export function AccountsPage({ query }) {
  const urlQ = query.get('q') || '';
  const [text, setText] = useState(urlQ);
  const list = usePagedList(fetchAccounts);
  const timer = useRef(null);

  useEffect(() => {
    setText((t) => (t.trim() === urlQ.trim() ? t : urlQ));
    list.load({ q: urlQ.trim() });
  }, [urlQ]);
  useEffect(() => () => clearTimeout(timer.current), []);

  function onInput(event) {
    const value = event.currentTarget.value;
    setText(value);
    clearTimeout(timer.current);
    timer.current = setTimeout(() => {
      navigate('/accounts' + withQuery(window.location.search, { q: value.trim() ? value : null }),
        { replace: true });
    }, 200);
  }

  const { state } = list;
  const q = (state.filters && state.filters.q) || '';
  let body;
  if (state.status === 'error') body = html`<${ErrorState} error=${state.error} onRetry=${list.retry} />`;
  else if (state.status !== 'ready') body = html`<${Loading} label="Loading accounts…" />`;
  else if (state.rows.length === 0) {
    body = html`<${Empty}>${q
      ? html`<p>No accounts match “${q}”.</p>`
      : html`<p>No accounts yet. An account appears when one of your people has a Salesforce account id.</p>`}</${Empty}>`;
  } else body = html`<${AccountsTable} rows=${state.rows} busy=${state.busy} />`;

  return html`<${Page} title="Accounts">
    <div class="toolbar">
      <div class="search">
        <label for="accounts-search" class="visually-hidden">Search accounts</label>
        <span class="search-icon" aria-hidden="true"></span>
        <input id="accounts-search" type="search" class="input search-input" value=${text}
          onInput=${onInput} placeholder="Search by account name" autocomplete="off" spellcheck=${false} />
      </div>
    </div>
    ${body}
    <${Pager} list=${list} noun="accounts" />
  </${Page}>`;
}
