// /admin/holidays: the holiday calendar (GET /api/v1/holidays?from=&to=), one year at a
// time (?year=); add a day or rename it (PUT /api/v1/holidays/{day} {name}), remove one
// (DELETE). On a holiday no campaign sends and no task is due (docs/campaigns.md "Time").
import { useRef, useState } from 'preact/hooks';
import { html } from '../../lib/html.js';
import { api } from '../../lib/api.js';
import { navigate } from '../../lib/router.js';
import { Page } from '../../components/page.js';
import { Loading, Empty, ErrorState } from '../../components/states.js';
import { useLoad } from './load.js';
import { Field } from './field.js';
import { AdminsOnly, isForbidden } from './admins-only.js';
import { dayLabel, isWeekend, savedMessage, validateHoliday, yearOf, yearQuery } from './time-rules.js';

function yearFrom(query) {
  const y = Number(query && query.get ? query.get('year') : NaN);
  return Number.isInteger(y) && y >= 1900 && y <= 9999 ? y : new Date().getFullYear();
}

export function Holidays({ nav, query }) {
  const year = yearFrom(query);
  const list = useLoad((signal) => api('GET', '/api/v1/holidays', { query: yearQuery(year), signal }), [year]);
  const [day, setDay] = useState('');
  const [name, setName] = useState('');
  const [errors, setErrors] = useState({});
  const [failure, setFailure] = useState(null);
  const [notice, setNotice] = useState('');
  const [busy, setBusy] = useState(null);
  const dayInput = useRef(null);
  const nameInput = useRef(null);

  if (isForbidden(list.error)) return html`<${AdminsOnly} error=${list.error} />`;

  function goYear(y, { keepNotice = false } = {}) {
    if (!keepNotice) setNotice('');
    setFailure(null);
    navigate(`/admin/holidays?year=${y}`, { replace: true });
  }

  async function add(e) {
    e.preventDefault();
    setFailure(null);
    setNotice('');
    const problems = validateHoliday({ day, name });
    setErrors(problems);
    if (problems.day) return dayInput.current && dayInput.current.focus();
    if (problems.name) return nameInput.current && nameInput.current.focus();
    const n = name.trim();
    const known = list.data && yearOf(day) === year ? list.data.data.find((h) => h.day === day) : null;
    setBusy('add');
    try {
      await api('PUT', `/api/v1/holidays/${day}`, { body: { name: n } });
      setNotice(savedMessage(day, n, known ? known.name : null));
      setDay('');
      setName('');
      if (yearOf(day) !== year) goYear(yearOf(day), { keepNotice: true });
      else list.reload();
      if (dayInput.current) dayInput.current.focus();
    } catch (err) {
      setFailure(`Could not add ${dayLabel(day)}: ${err.message}`);
    } finally {
      setBusy(null);
    }
  }

  async function remove(h) {
    setFailure(null);
    setNotice('');
    setBusy(h.day);
    try {
      await api('DELETE', `/api/v1/holidays/${h.day}`);
      setNotice(`${dayLabel(h.day)} (${h.name}) is no longer a holiday.`);
      list.reload();
      if (dayInput.current) dayInput.current.focus();
    } catch (err) {
      setFailure(`Could not remove ${dayLabel(h.day)}: ${err.message}`);
      list.reload(); // someone else may have changed the calendar
    } finally {
      setBusy(null);
    }
  }

  const rows = list.data ? list.data.data : null;
  let body;
  if (list.error && !rows) body = html`<${ErrorState} error=${list.error} onRetry=${list.reload} />`;
  else if (!rows) body = html`<${Loading} label=${`Loading the holidays of ${year}…`} />`;
  else if (rows.length === 0) body = html`<${Empty}>No holidays in ${year}. Add one above.<//>`;
  else
    body = html`<div class="admin-table-wrap">
      <table aria-label=${`Holidays in ${year}`} class="admin-table admin-stack" aria-busy=${list.loading ? 'true' : 'false'}>
        <thead><tr><th scope="col">Date</th><th scope="col">Name</th><th scope="col">Actions</th></tr></thead>
        <tbody>
          ${rows.map((h) => html`<tr key=${h.day}>
            <td data-label="Date"><time datetime=${h.day}>${dayLabel(h.day)}</time>${isWeekend(h.day)
              ? html` <span class="admin-muted admin-small-text">(a weekend day)</span>` : null}</td>
            <td data-label="Name" class="admin-wrap">${h.name}</td>
            <td data-label="Actions"><button type="button" class="admin-small" disabled=${busy === h.day}
              aria-label=${`Remove ${h.day} ${h.name}`} onClick=${() => remove(h)}>Remove</button></td>
          </tr>`)}
        </tbody>
      </table>
    </div>`;

  return html`<${Page} title="Holidays">
    ${nav}
    <p class="admin-muted">On these days no campaign sends an email and no task falls due; campaign steps move to the next business day, spaced as designed.</p>
    <form class="admin-form admin-inline-form" onSubmit=${add} noValidate>
      <${Field} label="Date" type="date" value=${day} inputRef=${dayInput} error=${errors.day}
        onInput=${(e) => setDay(e.currentTarget.value)} />
      <${Field} label="Holiday name" value=${name} inputRef=${nameInput} error=${errors.name} autocomplete="off"
        placeholder="Christmas Day" maxLength=${400} onInput=${(e) => setName(e.currentTarget.value)} />
      <button type="submit" class="admin-primary" disabled=${busy === 'add'}>Add holiday</button>
    </form>
    <p role="status" class="admin-notice">${notice}</p>
    ${failure ? html`<p role="alert" class="admin-error">${failure}</p>` : null}
    <div class="admin-pager admin-year-nav">
      <h2 class="admin-range">${year}</h2>
      <button type="button" onClick=${() => goYear(year - 1)} disabled=${year <= 1900}>Previous year (${year - 1})</button>
      <button type="button" onClick=${() => goYear(year + 1)} disabled=${year >= 9999}>Next year (${year + 1})</button>
    </div>
    ${body}
  <//>`;
}
