// Best Bets (/best-bets?filter=…): the signed-in user's people ranked by engagement
// (GET /api/v1/best-bets; docs/insight.md). Each row: stars and flames (as text too:
// "2 of 3 stars"), the "why" (the events that count), and inline actions — Email
// (/compose?person=ID), Add to campaign (/campaigns/add?people=ID), Log a call (the call
// form) and New task (components/task-dialog.js, the Live Feed's too). A selection across pages feeds the bulk actions
// (email, add to campaign). Filter tabs: Everyone, Leads, Contacts, Account contacts,
// Opportunity contacts.
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../lib/html.js';
import { api } from '../lib/api.js';
import { useResource } from '../lib/use-resource.js';
import { Link, navigate } from '../lib/router.js';
import { personName, formatCount, formatDateTime, relativeTime } from '../lib/format.js';
import { withQuery } from '../lib/paths.js';
import { Page } from '../components/page.js';
import { Pager, usePagedList } from '../components/paged.js';
import { Loading, Empty, ErrorState } from '../components/states.js';
import { TaskDialog } from '../components/task-dialog.js';
import { Modal } from './calls-dialog.js';
import { CallForm } from './calls-form.js';
import { callsChanged } from './calls.js';
import { BULK_MAX } from './compose-rules.js';

export const FILTERS = [
  ['', 'Everyone'],
  ['leads', 'Leads'],
  ['contacts', 'Contacts'],
  ['account_contacts', 'Account contacts'],
  ['opportunity_contacts', 'Opportunity contacts'],
];

// ?user_id=N: a covered user's list (a manager's team member; an admin: anyone).
export function userIdOf(query) {
  const v = (query && query.get && query.get('user_id')) || '';
  return /^[1-9][0-9]{0,17}$/.test(v) ? v : '';
}

export function filterOf(query) {
  const v = (query && query.get && query.get('filter')) || '';
  return FILTERS.some(([id]) => id === v) ? v : '';
}

const KIND_WORDS = {
  email_reply: ['reply', 'replies'],
  email_click: ['click', 'clicks'],
  email_open: ['open', 'opens'],
};

// "2 replies, 1 click" from a row's why.
export function whyText(why) {
  return (why || []).map((w) => {
    const words = KIND_WORDS[w.type] || [w.type_name, w.type_name];
    return `${formatCount(w.count)} ${w.count === 1 ? words[0] : words[1]}`;
  }).join(', ');
}

export function ratingLabel(n, noun) {
  return `${n} of 3 ${noun}`;
}

function fetchBestBets(filters, { cursor, limit, signal }) {
  return api('GET', '/api/v1/best-bets', {
    query: { filter: filters.filter || undefined, user_id: filters.userId || undefined, limit, cursor },
    signal,
  }).then((r) => ({ data: r.data, next_cursor: r.next }));
}

// A flame (an SVG: no emoji font needed).
const FLAME = html`<svg viewBox="0 0 16 16" width="14" height="14" focusable="false"><path fill="currentColor"
  d="M8 1c.5 2.5 4.5 4.5 4.5 8.5A4.5 4.5 0 0 1 8 14a4.5 4.5 0 0 1-4.5-4.5c0-2 1-3.2 2-4 0 1.5.7 2.5 1.7 2.8C6.5 6.5 7.2 3.5 8 1z"/></svg>`;

// Stars or flames: the marks are decoration, the text says it.
function Rating({ n, noun, mark, cls }) {
  const marks = [];
  for (let i = 0; i < 3; i++) {
    marks.push(html`<span class=${i < n ? `rating-mark ${cls} is-on` : `rating-mark ${cls}`} aria-hidden="true">${mark === 'flame' ? FLAME : mark}</span>`);
  }
  return html`<span class="rating" title=${ratingLabel(n, noun)}>${marks}<span class="visually-hidden">${ratingLabel(n, noun)}</span></span>`;
}

function Why({ row }) {
  return html`<div class="best-why">
    <span>${whyText(row.why)}</span>
    ${row.last_at ? html`<span class="muted"> · last <time datetime=${row.last_at}
      title=${formatDateTime(row.last_at)}>${relativeTime(row.last_at)}</time></span>` : null}
  </div>`;
}

function RowActions({ person, onSaid }) {
  const [open, setOpen] = useState(null);
  const name = personName(person);
  return html`<div class="best-actions">
    <${Link} class="button best-action" href=${`/compose?person=${person.id}`}
      aria-label=${`Email ${name}`}>Email</${Link}>
    <${Link} class="button best-action" href=${`/campaigns/add?people=${person.id}`}
      aria-label=${`Add ${name} to a campaign`}>Campaign</${Link}>
    <button type="button" class="button best-action" aria-label=${`Log a call with ${name}`}
      onClick=${() => setOpen('call')}>Call</button>
    <button type="button" class="button best-action" aria-label=${`New task for ${name}`}
      onClick=${() => setOpen('task')}>Task</button>
    ${open === 'call' ? html`<${Modal} title=${`Log a call with ${name}`} onClose=${() => setOpen(null)}>
      <${CallForm} personId=${person.id} dial=${!!person.phone} idPrefix="bb-call"
        submit=${(input) => api('POST', '/api/v1/calls', { body: input })}
        onCancel=${() => setOpen(null)}
        onDone=${() => { setOpen(null); onSaid(`Call with ${name} logged.`); callsChanged(); }} />
    </${Modal}>` : null}
    ${open === 'task' ? html`<${TaskDialog} person=${person} idPrefix="bb-task" onClose=${() => setOpen(null)}
      onDone=${() => { setOpen(null); onSaid(`Task for ${name} created.`); }} />` : null}
  </div>`;
}

function BestBetsTable({ rows, busy, selected, onToggle, onToggleAll, onSaid }) {
  const allOnPage = rows.length > 0 && rows.every((r) => selected.has(r.person.id));
  return html`<div class=${busy ? 'table-wrap is-busy' : 'table-wrap'} role="region"
      aria-label="Best Bets (scrollable)" tabindex="0">
    <table class="table table-best-bets" aria-label="Best Bets" aria-busy=${busy ? 'true' : 'false'}>
      <thead>
        <tr>
          <th scope="col" class="select-cell"><input type="checkbox" aria-label="Select all on this page"
            checked=${allOnPage} onChange=${onToggleAll} /></th>
          <th scope="col">Person</th>
          <th scope="col">Engagement</th>
          <th scope="col">Urgency</th>
          <th scope="col">Why</th>
          <th scope="col">Actions</th>
        </tr>
      </thead>
      <tbody>
        ${rows.map((r) => {
          const p = r.person;
          const name = personName(p);
          return html`<tr key=${p.id}>
            <td class="select-cell"><input type="checkbox" aria-label=${`Select ${name}`}
              checked=${selected.has(p.id)} onChange=${() => onToggle(p)} /></td>
            <td class="cell-name">
              <${Link} href=${`/people/${p.id}`}>${name}</${Link}>
              ${p.title || p.company ? html`<div class="muted">${[p.title, p.company].filter(Boolean).join(', ')}</div>` : null}
            </td>
            <td><${Rating} n=${r.stars} noun="stars" mark="★" cls="is-star" /></td>
            <td><${Rating} n=${r.flames} noun="flames" mark="flame" cls="is-flame" /></td>
            <td><${Why} row=${r} /></td>
            <td><${RowActions} person=${p} onSaid=${onSaid} /></td>
          </tr>`;
        })}
      </tbody>
    </table>
  </div>`;
}

// Managers and admins choose whose list: the users they cover (GET /api/v1/users/covered:
// a manager their teams' members, an admin everyone); ?user_id= keeps the choice.
function WhoseList({ userId, me }) {
  const [users, retry] = useResource('/api/v1/users/covered');
  if (users.status === 'loading' || users.status === 'idle') {
    return html`<p class="muted best-whose" role="status">Loading whose lists you can read…</p>`;
  }
  if (users.status === 'error') {
    return html`<div class="best-whose" role="alert"><p>Could not load whose lists you can read: ${users.error.message}</p>
      <button type="button" class="button" onClick=${retry}>Try again</button></div>`;
  }
  function onChange(event) {
    const v = event.currentTarget.value;
    navigate('/best-bets' + withQuery(window.location.search, { user_id: v && v !== String(me.id) ? v : null }),
      { replace: true });
  }
  const list = users.data.data;
  const current = userId || String(me.id);
  return html`<div class="field best-whose">
    <label for="bb-whose">Whose Best Bets</label>
    <select id="bb-whose" class="input" value=${current} onChange=${onChange}>
      ${list.some((u) => u.id === me.id) ? null : html`<option value=${String(me.id)}>Mine</option>`}
      ${list.map((u) => html`<option value=${String(u.id)}>${u.id === me.id ? `Mine (${u.name || u.email})` : u.name || u.email}</option>`)}
    </select>
  </div>`;
}

export function BestBetsPage({ query, user }) {
  const filter = filterOf(query);
  const userId = userIdOf(query);
  const list = usePagedList(fetchBestBets);
  const [selected, setSelected] = useState(() => new Map());
  const [said, setSaid] = useState('');
  const applied = useRef(null);

  useEffect(() => {
    const key = `${filter}\u0000${userId}`;
    if (applied.current === key) return;
    applied.current = key;
    setSelected(new Map());
    list.load({ filter, userId });
  }, [filter, userId]);

  function onFilter(event) {
    navigate('/best-bets' + withQuery(window.location.search, { filter: event.currentTarget.value || null }),
      { replace: true });
  }

  const { state } = list;
  function toggle(p) {
    const next = new Map(selected);
    if (next.has(p.id)) next.delete(p.id);
    else next.set(p.id, p);
    setSelected(next);
  }
  function toggleAll() {
    const next = new Map(selected);
    const all = state.rows.every((r) => next.has(r.person.id));
    for (const r of state.rows) {
      if (all) next.delete(r.person.id);
      else next.set(r.person.id, r.person);
    }
    setSelected(next);
  }

  let body;
  if (state.status === 'error') {
    body = html`<${ErrorState} error=${state.error} onRetry=${list.retry} />`;
  } else if (state.status === 'loading' || state.status === 'idle') {
    body = html`<${Loading} label="Loading Best Bets…" />`;
  } else if (state.rows.length === 0) {
    body = html`<${Empty}>
      <p>${filter
        ? `None of ${userId ? 'these' : 'your'} people of this kind has opened, clicked or replied yet.`
        : userId
          ? 'None of this user\u2019s people has opened, clicked or replied yet.'
          : 'None of your people has opened, clicked or replied yet. Best Bets ranks the people you own as they engage with your email.'}</p>
    </${Empty}>`;
  } else {
    body = html`<${BestBetsTable} rows=${state.rows} busy=${state.busy} selected=${selected}
      onToggle=${toggle} onToggleAll=${toggleAll} onSaid=${setSaid} />`;
  }

  const count = selected.size;
  const ids = [...selected.keys()].join(',');
  const tooMany = count > BULK_MAX;
  return html`<${Page} title="Best Bets" subtitle=${`${userId ? 'This user\u2019s' : 'Your'} people ranked by how they engage: stars for engagement, flames for urgency.`}>
    <div class="toolbar">
      ${user && (user.role === 'admin' || user.role === 'manager') ? html`<${WhoseList} userId=${userId} me=${user} />` : null}
      <fieldset class="segmented best-filters">
        <legend class="visually-hidden">Show</legend>
        ${FILTERS.map(([id, label]) => html`<label class="seg">
          <input type="radio" name="bb-filter" value=${id} checked=${filter === id} onChange=${onFilter} />
          <span>${label}</span>
        </label>`)}
      </fieldset>
    </div>
    <div class="selection-bar">
      <p class="muted" role="status">${count === 0
        ? 'Tick people to email them together or add them to a campaign.'
        : `${formatCount(count)} selected${tooMany ? ` (at most ${formatCount(BULK_MAX)} at once)` : ''}`}</p>
      <button type="button" class="button button-primary" disabled=${count === 0 || tooMany}
        onClick=${() => navigate(`/compose?people=${ids}`)}>Email selected</button>
      <button type="button" class="button" disabled=${count === 0 || tooMany}
        onClick=${() => navigate(`/campaigns/add?people=${ids}`)}>Add selected to campaign</button>
      ${count ? html`<button type="button" class="button" onClick=${() => setSelected(new Map())}>Clear selection</button>` : null}
    </div>
    <p class="best-said" role="status">${said}</p>
    ${body}
    <${Pager} list=${list} noun="people" />
  </${Page}>`;
}
