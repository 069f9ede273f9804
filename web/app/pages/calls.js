// Calls: the person page's "Call" action (a tel: link with the local-presence number from
// GET /api/v1/people/{id}/dial) and "Log a call" (the call-log form in a dialog, POST
// /api/v1/calls); the Calls tab of a person, an account or an opportunity (GET
// /api/v1/calls?person=|account=|opportunity=, cursor-paged: Name, Outcome, Notes, Called
// at, Duration, Recording) with a detail card (GET /api/v1/calls/{id}: made by, answered
// by, phone number, status, …). A logged call tells every Calls tab on the page to reload
// (the window event "hail:calls-changed").
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../lib/html.js';
import { api } from '../lib/api.js';
import { Link } from '../lib/router.js';
import { formatDateTime, relativeTime, safeHttpUrl, personName } from '../lib/format.js';
import { useResource } from '../lib/use-resource.js';
import { Pager, usePagedList } from '../components/paged.js';
import { Loading, Empty, ErrorState } from '../components/states.js';
import { Modal } from './calls-dialog.js';
import { CallForm } from './calls-form.js';
import { callStatusLabel, callStatusTone, callsQuery, formatDuration, notesLine, outcomeText, telHref } from './calls-format.js';

export const CALLS_CHANGED = 'hail:calls-changed';

export function callsChanged() {
  if (typeof window !== 'undefined') window.dispatchEvent(new CustomEvent(CALLS_CHANGED));
}

function When({ iso }) {
  if (!iso) return html`<span class="muted">—</span>`;
  return html`<time datetime=${iso} title=${formatDateTime(iso)}>${formatDateTime(iso)}</time>`;
}

export function CallStatus({ status }) {
  return html`<span class=${`badge badge-${callStatusTone(status)}`}>${callStatusLabel(status)}</span>`;
}

// The person page's actions: "Call <number>" (tel:, the local-presence caller id named
// beside it) and "Log a call". Calling also opens the form, to log the call afterwards.
export function CallAction({ person }) {
  const [dial] = useResource(person.phone ? `/api/v1/people/${encodeURIComponent(person.id)}/dial` : null);
  const [open, setOpen] = useState(false);
  const [said, setSaid] = useState('');
  const d = dial.status === 'ready' ? dial.data : null;
  const href = d ? (d.tel_uri && /^tel:/i.test(d.tel_uri) ? d.tel_uri : telHref(d.number)) : null;
  const name = personName(person);
  return html`
    ${href ? html`<a class="button" href=${href} onClick=${() => setOpen(true)}
      title=${d.caller_id ? `Shows ${d.caller_id} to ${name}` : undefined}>Call ${d.number}${d.caller_id
        ? html`<span class="visually-hidden"> from ${d.caller_id}</span>` : null}</a>` : null}
    <button type="button" class="button" onClick=${() => setOpen(true)}>Log a call</button>
    <span class="call-said" role="status">${said}</span>
    ${open ? html`<${Modal} title=${`Log a call with ${name}`} onClose=${() => setOpen(false)}>
      ${d && d.caller_id ? html`<p class="muted">Local presence: ${name} sees ${d.caller_id}.</p>` : null}
      <${CallForm} personId=${person.id} dial=${!!person.phone} idPrefix="log-call"
        submit=${(input) => api('POST', '/api/v1/calls', { body: input })}
        onCancel=${() => setOpen(false)}
        onDone=${() => {
          setOpen(false);
          setSaid('Call logged.');
          callsChanged();
        }} />
    </${Modal}>` : null}`;
}

// showPerson is implied: the Name column names each call's person.
export function CallList({ filter, label = 'Calls', emptyText = 'No calls yet.' }) {
  const list = usePagedList((f, { cursor, limit, signal }) =>
    api('GET', '/api/v1/calls', { query: { ...callsQuery(f), limit, cursor }, signal }));
  const [open, setOpen] = useState(null);
  const key = JSON.stringify(filter);
  useEffect(() => {
    list.load(filter);
  }, [key]);
  useEffect(() => {
    const reload = () => list.retry();
    window.addEventListener(CALLS_CHANGED, reload);
    return () => window.removeEventListener(CALLS_CHANGED, reload);
  });

  const { state } = list;
  let body;
  if (state.status === 'error') body = html`<${ErrorState} error=${state.error} onRetry=${list.retry} />`;
  else if (state.status !== 'ready') body = html`<${Loading} label="Loading calls…" />`;
  else if (state.rows.length === 0) body = html`<${Empty}><p>${emptyText}</p></${Empty}>`;
  else {
    body = html`<div class=${state.busy ? 'table-wrap is-busy' : 'table-wrap'} role="region" aria-label=${`${label} (scrollable)`} tabindex="0">
      <table class="table table-calls" aria-label=${label} aria-busy=${state.busy ? 'true' : 'false'}>
        <thead><tr>
          <th scope="col">Name</th>
          <th scope="col">Outcome</th>
          <th scope="col">Notes</th>
          <th scope="col">Called at</th>
          <th scope="col" class="num">Duration</th>
          <th scope="col">Recording</th>
        </tr></thead>
        <tbody>
          ${state.rows.map((c) => {
            const rec = safeHttpUrl(c.recording_url);
            const at = c.started_at || c.created_at;
            return html`<tr key=${c.id} class=${open === c.id ? 'is-open' : ''}>
              <td><button type="button" class="link-button" aria-expanded=${open === c.id ? 'true' : 'false'}
                aria-controls="call-detail" onClick=${() => setOpen(open === c.id ? null : c.id)}>${(c.person && c.person.name) || `Person ${c.person && c.person.id}`}<span class="visually-hidden"> (call of ${formatDateTime(at)})</span></button></td>
              <td>${outcomeText(c)}</td>
              <td class="cell-notes">${c.notes ? notesLine(c.notes) : html`<span class="muted">—</span>`}</td>
              <td><${When} iso=${at} /></td>
              <td class="num">${formatDuration(c.duration_s)}</td>
              <td>${rec ? html`<a href=${rec} target="_blank" rel="noopener noreferrer">Recording<span class="visually-hidden"> of the call of ${formatDateTime(at)}</span><span class="ext" aria-hidden="true">↗</span></a>` : html`<span class="muted">—</span>`}</td>
            </tr>`;
          })}
        </tbody>
      </table>
    </div>`;
  }
  return html`<div class="call-list">
    ${body}
    <${Pager} list=${list} noun="calls" />
    ${open ? html`<${CallDetail} key=${open} id=${open} onClose=${() => setOpen(null)} />` : null}
  </div>`;
}

function Row({ term, children }) {
  return html`<div class="field-row"><dt>${term}</dt><dd>${children === null || children === undefined || children === '' ? html`<span class="muted">—</span>` : children}</dd></div>`;
}

export function CallDetail({ id, onClose }) {
  const [state, retry] = useResource(`/api/v1/calls/${encodeURIComponent(id)}`);
  const heading = useRef(null);
  useEffect(() => {
    if (state.status === 'ready' && heading.current) heading.current.focus();
  }, [state.status]);
  let content;
  if (state.status === 'loading') content = html`<${Loading} label="Loading the call…" />`;
  else if (state.status === 'error') content = html`<${ErrorState} error=${state.error} onRetry=${retry} />`;
  else {
    const c = state.data;
    const rec = safeHttpUrl(c.recording_url);
    const at = c.started_at || c.created_at;
    content = html`
      <div class="detail-head">
        <h3 ref=${heading} tabindex="-1">Call with ${(c.person && c.person.name) || 'a person'}</h3>
        <${CallStatus} status=${c.status} />
      </div>
      <dl class="fields">
        <${Row} term="Person">${c.person ? html`<${Link} href=${`/people/${c.person.id}`}>${c.person.name || `Person ${c.person.id}`}</${Link}>` : null}</${Row}>
        <${Row} term="Made by">${c.user ? c.user.name : null}</${Row}>
        <${Row} term="Answered by">${c.answered_by}</${Row}>
        <${Row} term="Phone number">${c.number_dialed}</${Row}>
        <${Row} term="Caller ID">${c.caller_id}</${Row}>
        <${Row} term="Status">${callStatusLabel(c.status)}</${Row}>
        <${Row} term="Outcome">${c.outcome ? `${c.outcome.name} (${c.outcome.answered ? 'answered' : 'not answered'})` : null}</${Row}>
        <${Row} term="Reason">${c.reason ? c.reason.name : null}</${Row}>
        <${Row} term="Called at"><${When} iso=${at} /> <span class="muted">(${relativeTime(at)})</span></${Row}>
        <${Row} term="Duration">${c.duration_s === null || c.duration_s === undefined ? null : formatDuration(c.duration_s)}</${Row}>
        <${Row} term="Recording">${rec ? html`<a href=${rec} target="_blank" rel="noopener noreferrer" class="break">${rec}</a>` : c.recording_url}</${Row}>
        <${Row} term="Voicemail drop">${c.voicemail_drop ? c.voicemail_drop.name : null}</${Row}>
        <${Row} term="Task">${c.task_id ? `Task ${c.task_id}` : null}</${Row}>
        <${Row} term="Campaign">${c.campaign_id ? `Campaign ${c.campaign_id}` : null}</${Row}>
      </dl>
      <h4 class="detail-sub">Notes</h4>
      ${c.notes ? html`<p class="call-notes">${c.notes}</p>` : html`<p class="muted">No notes.</p>`}`;
  }
  return html`<section class="card call-detail" id="call-detail" aria-label="Call details">
    <div class="detail-bar"><button type="button" class="button button-quiet" onClick=${onClose}>Close details</button></div>
    ${content}
  </section>`;
}
