// The Email tab of a person, an account or an opportunity: the emails (GET /api/v1/emails
// ?person=|account=|opportunity=, newest first, cursor-paged) with Subject, Opened,
// Clicked, Replied, Sender, Date and Status — human counts, machine ones shown apart — and
// a detail card for the one chosen (GET /api/v1/emails/{id}): sender, template, campaign,
// recipients, attachments, the message as sent, and its events; "Retry" for a failed email
// (POST /api/v1/emails/{id}/retry), "Cancel" for a draft or scheduled one (DELETE, confirmed).
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../lib/html.js';
import { api } from '../lib/api.js';
import { Link } from '../lib/router.js';
import { formatDateTime, relativeTime, personName } from '../lib/format.js';
import { useResource } from '../lib/use-resource.js';
import { Pager, usePagedList } from '../components/paged.js';
import { Loading, Empty, ErrorState } from '../components/states.js';
import { MailBody } from './compose-preview.js';
import { statusLabel, statusTone, engagement, emailDate, senderText, emailsQuery, eventText } from './emails-format.js';

function When({ iso }) {
  if (!iso) return html`<span class="muted">—</span>`;
  return html`<time datetime=${iso} title=${formatDateTime(iso)}>${relativeTime(iso)}</time>`;
}

function Count({ kind, human, machine }) {
  const e = engagement(kind, human, machine);
  return html`<span class="count-cell" title=${e.label}>
    <span aria-hidden="true">${e.human}</span>
    ${e.machine ? html`<span class="machine" aria-hidden="true">${e.machine}</span>` : null}
    <span class="visually-hidden">${e.label}</span>
  </span>`;
}

export function StatusBadge({ status }) {
  return html`<span class=${`badge badge-${statusTone(status)}`}>${statusLabel(status)}</span>`;
}

// showPerson: the account and opportunity tabs name each email's person.
export function EmailList({ filter, label, showPerson = false, emptyText = 'No emails yet.' }) {
  const list = usePagedList((f, { cursor, limit, signal }) =>
    api('GET', '/api/v1/emails', { query: { ...emailsQuery(f), limit, cursor }, signal }));
  const [open, setOpen] = useState(null);
  const [said, setSaid] = useState('');
  const saidRef = useRef(null);
  const key = JSON.stringify(filter);
  useEffect(() => {
    list.load(filter);
  }, [key]);

  const { state } = list;
  let body;
  if (state.status === 'error') body = html`<${ErrorState} error=${state.error} onRetry=${list.retry} />`;
  else if (state.status !== 'ready') body = html`<${Loading} label="Loading emails…" />`;
  else if (state.rows.length === 0) body = html`<${Empty}><p>${emptyText}</p></${Empty}>`;
  else {
    body = html`<div class=${state.busy ? 'table-wrap is-busy' : 'table-wrap'} role="region" aria-label=${`${label} (scrollable)`} tabindex="0">
      <table class="table table-emails" aria-label=${label} aria-busy=${state.busy ? 'true' : 'false'}>
        <thead><tr>
          <th scope="col">Subject</th>
          ${showPerson ? html`<th scope="col">Person</th>` : null}
          <th scope="col" class="num">Opened</th>
          <th scope="col" class="num">Clicked</th>
          <th scope="col">Replied</th>
          <th scope="col">Sender</th>
          <th scope="col">Date</th>
          <th scope="col">Status</th>
        </tr></thead>
        <tbody>
          ${state.rows.map((e) => html`<tr key=${e.id} class=${open === e.id ? 'is-open' : ''}>
            <td class="cell-subject"><button type="button" class="link-button" aria-expanded=${open === e.id ? 'true' : 'false'}
              aria-controls="email-detail" onClick=${() => setOpen(open === e.id ? null : e.id)}>${e.subject || '(no subject)'}</button></td>
            ${showPerson ? html`<td>${e.person ? html`<${Link} href=${`/people/${e.person.id}`}>${e.person.name || e.person.email || `Person ${e.person.id}`}</${Link}>` : '—'}</td>` : null}
            <td class="num"><${Count} kind="open" human=${e.opened} machine=${e.machine_opens} /></td>
            <td class="num"><${Count} kind="click" human=${e.clicked} machine=${e.machine_clicks} /></td>
            <td>${e.replied_at ? html`<${When} iso=${e.replied_at} />` : html`<span class="muted">No</span>`}</td>
            <td class="cell-sender">${senderText(e.sender)}</td>
            <td><${When} iso=${emailDate(e)} /></td>
            <td><${StatusBadge} status=${e.status} /></td>
          </tr>`)}
        </tbody>
      </table>
    </div>`;
  }
  return html`<div class="email-list">
    ${body}
    <${Pager} list=${list} noun="emails" />
    <p class="email-said" role="status" tabindex="-1" ref=${saidRef}>${said}</p>
    ${open ? html`<${EmailDetail} key=${open} id=${open} onClose=${() => setOpen(null)}
      onChanged=${() => list.retry()}
      onCancelled=${() => {
        setOpen(null);
        setSaid('Email cancelled.');
        list.retry();
        if (saidRef.current) saidRef.current.focus();
      }} />` : null}
  </div>`;
}

export function EmailDetail({ id, onClose, onChanged = () => {}, onCancelled = onClose }) {
  const [state, retry] = useResource(`/api/v1/emails/${id}`);
  const heading = useRef(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [said, setSaid] = useState('');
  const [confirming, setConfirming] = useState(false);
  const confirmRef = useRef(null);
  const cancelRef = useRef(null);
  const wasConfirming = useRef(false);
  // Focus to "Cancel the email" when asked, back to "Cancel" when not confirmed.
  useEffect(() => {
    if (confirming && confirmRef.current) confirmRef.current.focus();
    else if (wasConfirming.current && cancelRef.current) cancelRef.current.focus();
    wasConfirming.current = confirming;
  }, [confirming]);

  async function act(what, method, path, done) {
    setBusy(true);
    setError(null);
    setSaid('');
    try {
      await api(method, path);
      done();
    } catch (e) {
      setError(`Could not ${what}: ${e.message}`);
    } finally {
      setBusy(false);
      setConfirming(false);
    }
  }
  const onRetry = () => act('retry the email', 'POST', `/api/v1/emails/${id}/retry`, () => {
    setSaid('Email queued to send again.');
    retry();
    onChanged();
  });
  const onCancel = () => act('cancel the email', 'DELETE', `/api/v1/emails/${id}`, () => onCancelled());
  const keep = () => setConfirming(false);
  useEffect(() => {
    if (state.status === 'ready' && heading.current) heading.current.focus();
  }, [state.status]);
  let content;
  if (state.status === 'loading') content = html`<${Loading} label="Loading the email…" />`;
  else if (state.status === 'error') content = html`<${ErrorState} error=${state.error} onRetry=${retry} />`;
  else {
    const e = state.data;
    content = html`
      <div class="detail-head">
        <h3 ref=${heading} tabindex="-1">${e.subject || '(no subject)'}</h3>
        <${StatusBadge} status=${e.status} />
      </div>
      ${e.status === 'failed' || e.status === 'draft' || e.status === 'scheduled' ? html`<div class="detail-actions">
        ${e.status === 'failed'
          ? html`<button type="button" class="button" onClick=${onRetry} disabled=${busy}>Retry</button>`
          : confirming
            ? html`<span>Cancel this email? It will not be sent.</span>
              <button type="button" ref=${confirmRef} class="button button-danger" onClick=${onCancel} disabled=${busy}>Cancel the email</button>
              <button type="button" class="button button-quiet" onClick=${keep} disabled=${busy}>Keep it</button>`
            : html`<button type="button" ref=${cancelRef} class="button" onClick=${() => setConfirming(true)} disabled=${busy}>Cancel</button>`}
      </div>` : null}
      ${error ? html`<div class="form-error" role="alert"><p>${error}</p></div>` : null}
      <dl class="fields">
        <div class="field-row"><dt>To</dt><dd>${e.person ? html`<${Link} href=${`/people/${e.person.id}`}>${e.person.name || personName(e.person)}</${Link}> ${e.person.email ? `<${e.person.email}>` : ''}` : '—'}</dd></div>
        ${e.cc && e.cc.length ? html`<div class="field-row"><dt>CC</dt><dd>${e.cc.join(', ')}</dd></div>` : null}
        ${e.bcc && e.bcc.length ? html`<div class="field-row"><dt>BCC</dt><dd>${e.bcc.join(', ')}</dd></div>` : null}
        <div class="field-row"><dt>Sender</dt><dd>${senderText(e.sender)}</dd></div>
        <div class="field-row"><dt>Template</dt><dd>${e.template ? e.template.name : html`<span class="muted">None</span>`}</dd></div>
        <div class="field-row"><dt>Campaign</dt><dd>${e.campaign ? e.campaign.name || `Campaign ${e.campaign.id}` : html`<span class="muted">None</span>`}</dd></div>
        <div class="field-row"><dt>Created</dt><dd><${When} iso=${e.created_at} /></dd></div>
        ${e.send_at ? html`<div class="field-row"><dt>Send at</dt><dd><${When} iso=${e.send_at} /></dd></div>` : null}
        <div class="field-row"><dt>Sent</dt><dd><${When} iso=${e.sent_at} /></dd></div>
        <div class="field-row"><dt>Opened</dt><dd>${engagement('open', e.opened, e.machine_opens).label}${e.opened && e.opened.first ? html` · first <${When} iso=${e.opened.first} />, last <${When} iso=${e.opened.last} />` : null}</dd></div>
        <div class="field-row"><dt>Clicked</dt><dd>${engagement('click', e.clicked, e.machine_clicks).label}</dd></div>
        <div class="field-row"><dt>Replied</dt><dd>${e.replied_at ? html`<${When} iso=${e.replied_at} />` : 'No'}</dd></div>
        ${e.bounced_at ? html`<div class="field-row"><dt>Bounced</dt><dd><${When} iso=${e.bounced_at} /></dd></div>` : null}
        ${e.failed_reason ? html`<div class="field-row"><dt>Failed</dt><dd>${e.failed_reason}</dd></div>` : null}
        ${e.smtp_reply ? html`<div class="field-row"><dt>Server reply</dt><dd><code>${e.smtp_reply}</code></dd></div>` : null}
        ${e.attachments && e.attachments.length ? html`<div class="field-row"><dt>Attachments</dt><dd>${e.attachments.map((a) => a.filename).join(', ')}</dd></div>` : null}
      </dl>
      <h4 class="detail-sub">Message</h4>
      ${e.html ? html`<${MailBody} source=${e.html} label="The email as sent" />` : html`<p class="muted">No body.</p>`}
      <h4 class="detail-sub">Events</h4>
      ${e.events && e.events.length
        ? html`<ol class="event-list" aria-label="Events">
            ${e.events.map((a) => html`<li key=${a.id}>
              <${When} iso=${a.occurred_at} /> — ${eventText(a)}
              ${a.machine ? html` <span class="badge badge-off">Machine</span>` : null}
            </li>`)}
          </ol>`
        : html`<p class="muted">No events yet.</p>`}`;
  }
  return html`<section class="card email-detail" id="email-detail" aria-label="Email details">
    <div class="detail-bar"><button type="button" class="button button-quiet" onClick=${onClose}>Close details</button></div>
    <p class="email-said" role="status">${said}</p>
    ${content}
  </section>`;
}
