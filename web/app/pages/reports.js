// Reports (GET /api/v1/reports/{kind}; docs/insight.md "Reports"): per user, team, template
// or campaign over a date range — sent, human opens and clicks (machine ones beside them),
// replies, bounces, unsubscribes, calls, tasks completed. Kind tabs, a date range and an
// interval kept in the address (/reports?kind=teams&from=…&to=…&interval=week), two uPlot
// charts of the series (each with a data-table toggle: the table is the accessible form of
// the chart), the table of rows, and CSV exports of both.
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../lib/html.js';
import { Link, navigate } from '../lib/router.js';
import { useResource } from '../lib/use-resource.js';
import { Page } from '../components/page.js';
import { Loading, Empty, ErrorState } from '../components/states.js';

export const KINDS = [
  { id: 'users', label: 'Users', one: 'User' },
  { id: 'teams', label: 'Teams', one: 'Team' },
  { id: 'templates', label: 'Templates', one: 'Template' },
  { id: 'campaigns', label: 'Campaigns', one: 'Campaign' },
];

// The charts and the metrics each draws (the series' keys; calls are their total).
export const CHARTS = [
  { id: 'email', title: 'Email', metrics: [['sent', 'Sent'], ['opens', 'Opens'], ['clicks', 'Clicks'],
    ['replies', 'Replies'], ['bounces', 'Bounces']] },
  { id: 'work', title: 'Calls, tasks and unsubscribes', metrics: [['calls', 'Calls'],
    ['tasks_completed', 'Tasks completed'], ['unsubscribes', 'Unsubscribes']] },
];

// The lines' colours; styles.css gives the legend's swatches (.report-swatch-N) the same.
const COLORS = ['#1d4ed8', '#047857', '#b45309', '#7e22ce', '#b42318'];

const DAY = /^\d{4}-\d{2}-\d{2}$/;

// The report the address asks for: { kind, from, to, interval } (from/to '' = the default).
export function readParams(query) {
  const get = (k) => (query && query.get(k)) || '';
  const kind = KINDS.some((k) => k.id === get('kind')) ? get('kind') : 'users';
  const from = DAY.test(get('from')) ? get('from') : '';
  const to = DAY.test(get('to')) ? get('to') : '';
  const interval = get('interval') === 'week' ? 'week' : 'day';
  return { kind, from, to, interval };
}

function search(p, extra = {}) {
  const q = new URLSearchParams();
  if (p.from) q.set('from', p.from);
  if (p.to) q.set('to', p.to);
  if (p.interval !== 'day') q.set('interval', p.interval);
  for (const [k, v] of Object.entries(extra)) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}

// The API path of a report, and of its CSV (table: 'rows' | 'series').
export function reportPath(p) {
  return `/api/v1/reports/${p.kind}${search(p)}`;
}
export function csvPath(p, table = 'rows') {
  return `/api/v1/reports/${p.kind}${search(p, table === 'series' ? { format: 'csv', table } : { format: 'csv' })}`;
}
// The page's own address for p.
export function pagePath(p) {
  const q = new URLSearchParams(search(p).slice(1));
  if (p.kind !== 'users') q.set('kind', p.kind);
  const s = q.toString();
  return `/reports${s ? `?${s}` : ''}`;
}

export function metricValue(item, key) {
  return key === 'calls' ? (item.calls ? item.calls.total : 0) : item[key] || 0;
}

// "2 (+1 machine)": human count, machine ones beside it.
export function withMachine(human, machine) {
  return machine ? `${human} (+${machine} machine)` : String(human);
}

// "3: Meeting booked 1, No answer 2".
export function callsText(calls) {
  const parts = Object.entries(calls || {}).filter(([k]) => k !== 'total')
    .sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k} ${v}`);
  const total = calls ? calls.total : 0;
  return parts.length ? `${total}: ${parts.join(', ')}` : String(total);
}

// '2026-03-02' → 'Mar 2' (the chart's axis; UTC so the day never shifts).
export function shortDay(iso) {
  const d = new Date(`${iso}T00:00:00Z`);
  return d.toLocaleDateString('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' });
}

function KindTabs({ params }) {
  return html`<nav aria-label="Report" class="tablist report-kinds">
    ${KINDS.map((k) => html`<${Link} key=${k.id} href=${pagePath({ ...params, kind: k.id })}
        class="tab report-kind" aria-current=${k.id === params.kind ? 'page' : undefined}>${k.label}</${Link}>`)}
  </nav>`;
}

function RangeForm({ params, shown }) {
  const [from, setFrom] = useState(params.from || shown.from || '');
  const [to, setTo] = useState(params.to || shown.to || '');
  const [interval, setInterval] = useState(params.interval);
  useEffect(() => {
    setFrom(params.from || shown.from || '');
    setTo(params.to || shown.to || '');
    setInterval(params.interval);
  }, [params.from, params.to, params.interval, shown.from, shown.to]);
  function submit(e) {
    e.preventDefault();
    navigate(pagePath({ kind: params.kind, from, to, interval }));
  }
  return html`<form class="toolbar report-range" onSubmit=${submit} aria-label="Date range">
    <div class="field">
      <label for="report-from">From</label>
      <input id="report-from" type="date" value=${from} required onInput=${(e) => setFrom(e.currentTarget.value)} />
    </div>
    <div class="field">
      <label for="report-to">To</label>
      <input id="report-to" type="date" value=${to} required onInput=${(e) => setTo(e.currentTarget.value)} />
    </div>
    <div class="field">
      <label for="report-interval">Interval</label>
      <select id="report-interval" value=${interval} onChange=${(e) => setInterval(e.currentTarget.value)}>
        <option value="day">Day</option>
        <option value="week">Week</option>
      </select>
    </div>
    <button type="submit" class="button button-primary report-apply">Show report</button>
  </form>`;
}

// One chart: uPlot draws it (loaded on first use); the legend is text, and the button shows
// the same numbers as a table.
function Chart({ chart, series, interval, range }) {
  const box = useRef(null);
  const [open, setOpen] = useState(false);
  const [failed, setFailed] = useState(null);
  const unit = interval === 'week' ? 'week' : 'day';
  const caption = `${chart.title} per ${unit}, ${range}`;
  useEffect(() => {
    let plot = null;
    let observer = null;
    let gone = false;
    const el = box.current;
    import('uplot').then(({ default: UPlot }) => {
      if (gone || !el) return;
      const width = () => Math.max(240, el.clientWidth || 600);
      const data = [series.map((_, i) => i), ...chart.metrics.map(([k]) => series.map((p) => metricValue(p, k)))];
      plot = new UPlot({
        width: width(),
        height: 220,
        legend: { show: false },
        cursor: { y: false },
        scales: { x: { time: false } },
        axes: [
          {
            incrs: [1, 2, 3, 4, 7, 14, 28, 56, 91],
            values: (u, splits) => splits.map((v) => (Number.isInteger(v) && series[v] ? shortDay(series[v].start) : '')),
          },
          { incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000] },
        ],
        series: [{ label: unit }, ...chart.metrics.map(([, label], i) => ({
          label, stroke: COLORS[i % COLORS.length], width: 2, points: { show: series.length <= 62 },
        }))],
      }, data, el);
      if (typeof ResizeObserver !== 'undefined') {
        observer = new ResizeObserver(() => plot && plot.setSize({ width: width(), height: 220 }));
        observer.observe(el);
      }
    }, (e) => { if (!gone) setFailed(e); });
    return () => {
      gone = true;
      if (observer) observer.disconnect();
      if (plot) plot.destroy();
    };
  }, [series, chart, unit]);
  const tableId = `report-table-${chart.id}`;
  const label = `Chart: ${caption}. ${open ? 'The table below has its numbers.' : 'Show the data table for its numbers.'}`;
  return html`<figure class="report-chart" aria-labelledby=${`report-caption-${chart.id}`}>
    <figcaption id=${`report-caption-${chart.id}`} class="report-chart-title">${caption}</figcaption>
    <ul class="report-legend">
      ${chart.metrics.map(([, l], i) => html`<li key=${l}><span class=${`report-swatch report-swatch-${i}`} aria-hidden="true"></span>${l}</li>`)}
    </ul>
    ${failed
      ? html`<p class="state state-error report-chart-failed" role="alert">The chart could not be drawn: ${failed.message || 'loading it failed'}. The table has the numbers.</p>`
      : html`<div class="report-plot" ref=${box} role="img" aria-label=${label}></div>`}
    <button type="button" class="button button-quiet report-table-toggle" aria-expanded=${open ? 'true' : 'false'}
      aria-controls=${tableId} onClick=${() => setOpen(!open)}>${open ? 'Hide data table' : 'Show data table'}</button>
    <div id=${tableId} class="table-wrap report-series" hidden=${!open && !failed}
      role="region" aria-label=${`${caption}: data`} tabindex="0">
      <table class="table">
        <caption class="visually-hidden">${caption}</caption>
        <thead><tr>
          <th scope="col">${unit === 'week' ? 'Week of' : 'Day'}</th>
          ${chart.metrics.map(([, l]) => html`<th scope="col" class="num" key=${l}>${l}</th>`)}
        </tr></thead>
        <tbody>
          ${series.map((p) => html`<tr key=${p.start}>
            <th scope="row">${p.start}</th>
            ${chart.metrics.map(([k]) => html`<td class="num" key=${k}>${metricValue(p, k)}</td>`)}
          </tr>`)}
        </tbody>
      </table>
    </div>
  </figure>`;
}

function rowName(kind, row) {
  const name = row.name === null ? `(deleted, id ${row.id})` : row.name;
  if (kind === 'templates' && row.name !== null) return html`<${Link} href=${`/templates/${row.id}`}>${name}</${Link}>`;
  if (kind === 'campaigns' && row.name !== null) return html`<${Link} href=${`/campaigns/${row.id}`}>${name}</${Link}>`;
  return name;
}

function RowsTable({ kind, rows, range }) {
  const one = KINDS.find((k) => k.id === kind).one;
  return html`<div class="table-wrap report-rows" role="region" aria-label=${`${KINDS.find((k) => k.id === kind).label}: table`} tabindex="0">
    <table class="table">
      <caption class="visually-hidden">${`${KINDS.find((k) => k.id === kind).label}, ${range}`}</caption>
      <thead><tr>
        <th scope="col">${one}</th><th scope="col" class="num">Sent</th><th scope="col" class="num">Opens</th>
        <th scope="col" class="num">Clicks</th><th scope="col" class="num">Replies</th>
        <th scope="col" class="num">Bounces</th><th scope="col" class="num">Unsubscribes</th>
        <th scope="col" class="num">Calls</th><th scope="col" class="num">Tasks completed</th>
      </tr></thead>
      <tbody>
        ${rows.map((r) => html`<tr key=${r.id}>
          <th scope="row" class="cell-name">${rowName(kind, r)}</th>
          <td class="num">${r.sent}</td>
          <td class="num">${withMachine(r.opens, r.machine_opens)}</td>
          <td class="num">${withMachine(r.clicks, r.machine_clicks)}</td>
          <td class="num">${r.replies}</td>
          <td class="num">${r.bounces}</td>
          <td class="num">${r.unsubscribes}</td>
          <td class="num">${callsText(r.calls)}</td>
          <td class="num">${r.tasks_completed}</td>
        </tr>`)}
      </tbody>
    </table>
  </div>`;
}

function emptyText(kind) {
  if (kind === 'teams') return 'You are in no team: there is no team report to show.';
  if (kind === 'users') return 'No users to report on.';
  return `No ${kind === 'templates' ? 'template' : 'campaign'} had any activity in this range.`;
}

export function ReportsPage({ query }) {
  const params = readParams(query);
  const [state, retry] = useResource(reportPath(params));
  const data = state.status === 'ready' ? state.data : null;
  const range = data ? `${data.from} to ${data.to}` : '';
  return html`<${Page} title="Reports" wide subtitle="Activity of the people you cover, counted in your time zone. Opens and clicks are human ones; machine ones (privacy proxies, scanners) are shown beside them.">
    <${KindTabs} params=${params} />
    <${RangeForm} params=${params} shown=${data || {}} />
    ${state.status === 'loading' ? html`<${Loading} label="Loading the report…" />` : null}
    ${state.status === 'error' ? html`<${ErrorState} error=${state.error} onRetry=${retry} />` : null}
    ${data ? html`<div class="report-body">
      <p class="report-summary" role="status">${KINDS.find((k) => k.id === data.kind).label}, ${range} (${data.time_zone}), per ${data.interval}.</p>
      <div class="report-exports">
        <a class="button" href=${csvPath(params)} download>Export table (CSV)</a>
        <a class="button" href=${csvPath(params, 'series')} download>Export series (CSV)</a>
      </div>
      <div class="report-charts">
        ${CHARTS.map((c) => html`<${Chart} key=${`${c.id}-${data.from}-${data.to}-${data.interval}-${data.kind}`} chart=${c}
          series=${data.series} interval=${data.interval} range=${range} />`)}
      </div>
      <h2 class="report-rows-title">${KINDS.find((k) => k.id === data.kind).label}</h2>
      ${data.rows.length
        ? html`<${RowsTable} kind=${data.kind} rows=${data.rows} range=${range} />`
        : html`<${Empty}>${emptyText(data.kind)}</${Empty}>`}
    </div>` : null}
  </${Page}>`;
}
