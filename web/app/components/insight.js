// The insight panel of a person, account or opportunity (GET /api/v1/{people|accounts|
// opportunities}/{id}/insight, docs/insight.md "Panels"): summary counts, the engagement
// velocity grid (an accessible table heat map: weeks as columns, activity types as rows,
// human counts as text with machine counts beside them), upcoming campaign steps, upcoming
// tasks, and for a person Marketo's recent activities (GET …/marketo-activities).
//
//   <${InsightPanel} kind="person" id=${7} />              the person page's Insight tab
//   <${InsightPanel} kind="account" id="001A" history />   also the activity history
//
// Used by the person, account and opportunity pages and by the embeddable panel
// (pages/panel.js). The pure parts (the grid's shape, heat levels, words) are exported for
// the unit tests (web/test/unit/insight.test.mjs).
import { useState } from 'preact/hooks';
import { html } from '../lib/html.js';
import { Link } from '../lib/router.js';
import { useResource } from '../lib/use-resource.js';
import { formatCount, formatDateTime, relativeTime } from '../lib/format.js';
import { Loading, ErrorState, Empty } from './states.js';
import { ActivityHistory } from './history.js';
import { stepTypeLabel } from '../pages/campaigns-rules.js';
import { typeLabel } from '../pages/tasks-rules.js';

const KINDS = {
  person: { base: '/api/v1/people', noun: 'person' },
  account: { base: '/api/v1/accounts', noun: 'account' },
  opportunity: { base: '/api/v1/opportunities', noun: 'opportunity' },
};

function kindOf(kind) {
  return KINDS[kind] || KINDS.person;
}

export function insightPath(kind, id) {
  return `${kindOf(kind).base}/${encodeURIComponent(id)}/insight`;
}

export function activitiesPath(kind, id) {
  return `${kindOf(kind).base}/${encodeURIComponent(id)}/activities`;
}

// ---- the grid (pure) ----

export const HEAT_LEVELS = 4;

// 0 for no human events, else 1..HEAT_LEVELS by the share of the grid's largest count.
export function heatLevel(count, max) {
  if (!(count > 0) || !(max > 0)) return 0;
  return Math.min(HEAT_LEVELS, Math.max(1, Math.ceil((count * HEAT_LEVELS) / max)));
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MONTHS_LONG = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August',
  'September', 'October', 'November', 'December'];

function ymd(day) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(day || ''));
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return null;
  return { y, mo, d };
}

// "2026-03-02" → "2 Mar" (the date as written: no time zone moves it).
export function weekLabel(start) {
  const p = ymd(start);
  return p ? `${p.d} ${MONTHS[p.mo - 1]}` : String(start || '');
}

// "2026-03-02" → "Week of 2 March 2026".
export function weekLongLabel(start) {
  const p = ymd(start);
  return p ? `Week of ${p.d} ${MONTHS_LONG[p.mo - 1]} ${p.y}` : `Week of ${start}`;
}

// A cell's text: "3", "3 (+2 machine)", "0 (+1 machine)".
export function cellText(human, machine) {
  const h = formatCount(human || 0);
  return machine > 0 ? `${h} (+${formatCount(machine)} machine)` : h;
}

function count(list, i) {
  const v = Array.isArray(list) ? list[i] : 0;
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0;
}

// The insight reply → what the table shows:
//   { weeks: [{start, short, long, current}], rows: [{type, name, human, machine,
//     cells: [{human, machine, level, text}]}], hidden, max, empty }
// rows: every type with an event in the 13 weeks (showAll: every type the reply lists);
// hidden: how many were left out; max: the largest human count (the heat scale);
// empty: no event at all, human or machine.
export function velocityGrid(insight, { showAll = false } = {}) {
  const weeks = (insight && Array.isArray(insight.weeks) ? insight.weeks : []).map((w, i, all) => ({
    start: w.start,
    short: weekLabel(w.start),
    long: weekLongLabel(w.start),
    current: i === all.length - 1,
  }));
  const raw = insight && Array.isArray(insight.rows) ? insight.rows : [];
  let max = 0;
  for (const r of raw) for (let i = 0; i < weeks.length; i++) max = Math.max(max, count(r.human, i));
  const all = raw.map((r) => {
    const cells = weeks.map((_, i) => {
      const h = count(r.human, i);
      const m = count(r.machine, i);
      return { human: h, machine: m, level: heatLevel(h, max), text: cellText(h, m) };
    });
    const human = cells.reduce((s, c) => s + c.human, 0);
    const machine = cells.reduce((s, c) => s + c.machine, 0);
    return { type: r.type, name: r.type_name || r.type, cells, human, machine, text: cellText(human, machine) };
  });
  const busy = all.filter((r) => r.human + r.machine > 0);
  const rows = showAll ? all : busy;
  return { weeks, rows, hidden: all.length - rows.length, max, empty: busy.length === 0 };
}

// ---- summary and upcoming (pure) ----

export const SUMMARY = [
  ['emails_sent', 'Emails sent'],
  ['opens', 'Opens'],
  ['clicks', 'Clicks'],
  ['replies', 'Replies'],
  ['bounces', 'Bounces'],
  ['calls', 'Calls'],
  ['campaigns_active', 'Active campaigns'],
];

// [[label, "12"]…] in SUMMARY's order (a missing count reads "0").
export function summaryItems(summary) {
  const s = summary || {};
  return SUMMARY.map(([key, label]) => [label, formatCount(typeof s[key] === 'number' ? s[key] : 0)]);
}

// "Day 2 · Call" (the step's day in its campaign and its type in words).
export function stepText(step) {
  if (!step) return '';
  const type = stepTypeLabel(step.type) || 'Step';
  return step.day ? `Day ${step.day} · ${type}` : type;
}

// "Across 12 people you can see" for an account or opportunity.
export function peopleLine(n) {
  const c = typeof n === 'number' ? n : 0;
  return `Across ${formatCount(c)} ${c === 1 ? 'person' : 'people'} you can see`;
}

// Marketo's reply → the line shown above its list: null when ok, else its message (or a
// plain one by status).
export function marketoNote(reply) {
  if (!reply || reply.status === 'ok') return null;
  const msg = typeof reply.message === 'string' && reply.message.trim() ? reply.message.trim() : '';
  if (msg) return msg;
  return reply.status === 'not_configured'
    ? 'Marketo is not configured.'
    : 'Marketo cannot be reached right now.';
}

// The whole line shown when Marketo's reply is not ok, or null.
export function marketoNoteLine(reply) {
  const note = marketoNote(reply);
  if (!note) return null;
  return `${note}${/[.!?]$/.test(note) ? '' : '.'} hail's own activities are shown above.`;
}

// ---- components ----

// A date and, while it is near, how near ("in 3 hours"); relativeTime gives the date
// itself past 30 days, which is not repeated.
function When({ at }) {
  if (!at) return html`<span class="muted">—</span>`;
  const exact = formatDateTime(at);
  const near = relativeTime(at);
  return html`<time datetime=${at}>${exact}</time>${near !== exact ? html` <span class="muted">(${near})</span>` : null}`;
}

function Summary({ data, kind, idp }) {
  const s = data.summary || {};
  return html`<section class="ins-section" aria-labelledby=${`${idp}-summary`}>
    <h3 id=${`${idp}-summary`} class="ins-title">Summary</h3>
    ${kind !== 'person' ? html`<p class="muted ins-people">${peopleLine(data.people)}</p>` : null}
    <dl class="ins-stats">
      ${summaryItems(s).map(([label, value]) => html`<div class="ins-stat" key=${label}><dt>${label}</dt><dd>${value}</dd></div>`)}
      <div class="ins-stat ins-stat-wide"><dt>Last activity</dt><dd>${s.last_activity_at
        ? html`<time datetime=${s.last_activity_at} title=${formatDateTime(s.last_activity_at)}>${relativeTime(s.last_activity_at)}</time>`
        : 'None yet'}</dd></div>
    </dl>
    <p class="muted ins-note">Human events only: opens and clicks by privacy proxies and link scanners are not counted.</p>
  </section>`;
}

export function VelocityGrid({ data, idp }) {
  const [showAll, setShowAll] = useState(false);
  const grid = velocityGrid(data, { showAll });
  const weeks = grid.weeks.length;
  const zone = data.time_zone ? `, weeks from Monday in ${data.time_zone}` : '';
  let body;
  if (grid.empty && !showAll) {
    body = html`<${Empty}><p>No activity in the last ${weeks} weeks.</p></${Empty}>`;
  } else {
    body = html`<div class="table-wrap" role="region" aria-label="Engagement velocity (scrollable)" tabindex="0">
      <table class="table table-velocity">
        <caption class="visually-hidden">Engagement velocity: activities per week over the last ${weeks} weeks${zone}. Each cell counts human events; machine events are in brackets.</caption>
        <thead><tr>
          <th scope="col" class="vel-type">Activity</th>
          ${grid.weeks.map((w) => html`<th scope="col" key=${w.start} class=${w.current ? 'num vel-week is-current' : 'num vel-week'} title=${w.long}>
            <span class="visually-hidden">Week of </span>${w.short}${w.current ? html`<span class="visually-hidden"> (this week)</span>` : null}
          </th>`)}
          <th scope="col" class="num vel-total">Total</th>
        </tr></thead>
        <tbody>${grid.rows.map((r) => html`<tr key=${r.type}>
          <th scope="row" class="vel-type">${r.name}</th>
          ${r.cells.map((c, i) => html`<td key=${i} class=${`num heat heat-${c.level}`}>
            <span class="heat-n">${formatCount(c.human)}</span>${c.machine
              ? html` <span class="heat-m">(+${formatCount(c.machine)} machine)</span>` : null}
          </td>`)}
          <td class="num vel-total"><span class="heat-n">${formatCount(r.human)}</span>${r.machine
            ? html` <span class="heat-m">(+${formatCount(r.machine)} machine)</span>` : null}</td>
        </tr>`)}</tbody>
      </table>
    </div>`;
  }
  return html`<section class="ins-section" aria-labelledby=${`${idp}-velocity`}>
    <h3 id=${`${idp}-velocity`} class="ins-title">Engagement velocity</h3>
    <p class="muted ins-note">Activities per week over the last ${weeks} weeks${zone}, oldest first. Each cell is the count of human events; machine events (privacy proxies, link scanners) are shown apart, in brackets, and never counted. Darker cells: more human events.</p>
    ${body}
    ${grid.hidden > 0 || showAll
      ? html`<p class="ins-more"><button type="button" class="button button-quiet" aria-pressed=${showAll ? 'true' : 'false'}
          onClick=${() => setShowAll(!showAll)}>${showAll
            ? 'Hide activity types with no events'
            : `Show all activity types (${grid.hidden} with no events)`}</button></p>`
      : null}
  </section>`;
}

function UpcomingSteps({ steps, idp, kind }) {
  const list = Array.isArray(steps) ? steps : [];
  return html`<section class="ins-section" aria-labelledby=${`${idp}-steps`}>
    <h3 id=${`${idp}-steps`} class="ins-title">Upcoming campaign steps</h3>
    ${list.length === 0
      ? html`<${Empty}><p>No campaign steps are due${kind === 'person' ? ' for this person' : ''}.</p></${Empty}>`
      : html`<div class="table-wrap" role="region" aria-label="Upcoming campaign steps (scrollable)" tabindex="0">
        <table class="table table-upcoming" aria-labelledby=${`${idp}-steps`}>
          <thead><tr><th scope="col">Due</th><th scope="col">Step</th><th scope="col">Campaign</th>${kind !== 'person' ? html`<th scope="col">Person</th>` : null}</tr></thead>
          <tbody>${list.map((s, i) => html`<tr key=${s.member_id || i}>
            <td><${When} at=${s.due_at} /></td>
            <td>${stepText(s.step)}</td>
            <td>${s.campaign ? html`<${Link} href=${`/campaigns/${encodeURIComponent(s.campaign.id)}`}>${s.campaign.name}</${Link}>` : '—'}</td>
            ${kind !== 'person'
              ? html`<td>${s.person ? html`<${Link} href=${`/people/${encodeURIComponent(s.person.id)}`}>${s.person.name}</${Link}>` : '—'}</td>`
              : null}
          </tr>`)}</tbody>
        </table>
      </div>`}
  </section>`;
}

function UpcomingTasks({ tasks, idp, kind }) {
  const list = Array.isArray(tasks) ? tasks : [];
  return html`<section class="ins-section" aria-labelledby=${`${idp}-tasks`}>
    <h3 id=${`${idp}-tasks`} class="ins-title">Upcoming tasks</h3>
    ${list.length === 0
      ? html`<${Empty}><p>No open tasks${kind === 'person' ? ' about this person' : ''}.</p></${Empty}>`
      : html`<div class="table-wrap" role="region" aria-label="Upcoming tasks (scrollable)" tabindex="0">
        <table class="table table-upcoming" aria-labelledby=${`${idp}-tasks`}>
          <thead><tr><th scope="col">Due</th><th scope="col">Task</th><th scope="col">Type</th><th scope="col">Priority</th>${kind !== 'person' ? html`<th scope="col">Person</th>` : null}</tr></thead>
          <tbody>${list.map((t) => html`<tr key=${t.id}>
            <td><${When} at=${t.due_at} /></td>
            <td>${t.name || typeLabel(t.type)}</td>
            <td>${typeLabel(t.type)}</td>
            <td>${t.priority === 'high' ? html`<span class="badge badge-bad">High</span>` : html`<span class="muted">Normal</span>`}</td>
            ${kind !== 'person'
              ? html`<td>${t.person ? html`<${Link} href=${`/people/${encodeURIComponent(t.person.id)}`}>${t.person.name}</${Link}>` : '—'}</td>`
              : null}
          </tr>`)}</tbody>
        </table>
      </div>`}
  </section>`;
}

// The person's recent Marketo activities (P's route). Not ok: Marketo's own message says
// why, and hail's own activities stay above.
export function MarketoActivities({ personId, idp }) {
  const [state, retry] = useResource(`/api/v1/people/${encodeURIComponent(personId)}/marketo-activities`);
  let body;
  if (state.status === 'loading') body = html`<${Loading} label="Loading Marketo activities…" />`;
  else if (state.status === 'error') body = html`<${ErrorState} error=${state.error} onRetry=${retry} />`;
  else {
    const reply = state.data || {};
    const note = marketoNoteLine(reply);
    const list = Array.isArray(reply.data) ? reply.data : [];
    body = html`${note
        ? html`<p class="notice ins-mkto-note" role="status">${note}</p>`
        : null}
      ${reply.status === 'ok' && list.length === 0
        ? html`<${Empty}><p>No recent Marketo activities.</p></${Empty}>`
        : null}
      ${list.length
        ? html`<ol class="ins-mkto" aria-label="Marketo activities">
          ${list.map((m, i) => html`<li key=${m.id || i}>
            <span class="ins-mkto-type">${m.type_name || m.type}</span>
            ${m.primary ? html` <span class="break">${m.primary}</span>` : null}
            <span class="muted"> · <time datetime=${m.occurred_at} title=${formatDateTime(m.occurred_at)}>${relativeTime(m.occurred_at)}</time></span>
          </li>`)}
        </ol>`
        : null}`;
  }
  return html`<section class="ins-section" aria-labelledby=${`${idp}-mkto`}>
    <h3 id=${`${idp}-mkto`} class="ins-title">Marketo activities</h3>
    ${body}
  </section>`;
}

export function InsightPanel({ kind = 'person', id, history = false, historyLabel }) {
  const k = KINDS[kind] ? kind : 'person';
  const [state, retry] = useResource(insightPath(k, id));
  const idp = `ins-${k}-${String(id).replace(/[^A-Za-z0-9_-]/g, '_')}`;
  let content;
  if (state.status === 'loading') content = html`<${Loading} label="Loading insight…" />`;
  else if (state.status === 'error') {
    const e = state.error;
    content = e && e.status === 404
      ? html`<${Empty}><p>${e.message}</p><p class="muted">Insight covers the people you can see: your own, and your teams' for managers.</p></${Empty}>`
      : html`<${ErrorState} error=${e} onRetry=${retry} />`;
  } else {
    const data = state.data || {};
    content = html`
      <${Summary} data=${data} kind=${k} idp=${idp} />
      <${VelocityGrid} data=${data} idp=${idp} />
      <div class="ins-upcoming">
        <${UpcomingSteps} steps=${data.upcoming_steps} idp=${idp} kind=${k} />
        <${UpcomingTasks} tasks=${data.upcoming_tasks} idp=${idp} kind=${k} />
      </div>
      ${k === 'person'
        ? html`<${MarketoActivities} personId=${id} idp=${idp} />`
        : html`<p class="muted ins-note">Marketo's activities (web visits, form fills, marketing email) are on each person's page.</p>`}
      ${history
        ? html`<section class="ins-section" aria-labelledby=${`${idp}-history`}>
            <h3 id=${`${idp}-history`} class="ins-title">Activity history</h3>
            <${ActivityHistory} path=${activitiesPath(k, id)} label=${historyLabel || 'Activity history'}
              showPerson=${k !== 'person'} names=${k === 'person' ? null : { [k]: id }} />
          </section>`
        : null}`;
  }
  return html`<div class="insight">${content}</div>`;
}
