// /admin/channels: the delivery channels (GET /api/v1/channels) with their SMTP and IMAP
// status, last poll and errors; "New channel" and "Edit" (passwords are write-only: the
// form never shows one, an empty field keeps it); delete (confirmed; the default channel
// and a channel with senders are refused by hail, in its words).
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../../lib/html.js';
import { api } from '../../lib/api.js';
import { formatDateTime } from '../../lib/format.js';
import { Page } from '../../components/page.js';
import { Loading, Empty, ErrorState } from '../../components/states.js';
import { useLoad, useId, focusHeading } from './load.js';
import { Field } from './field.js';
import { ConfirmDialog } from './confirm-dialog.js';
import { AdminsOnly, isForbidden } from './admins-only.js';
import {
  TLS_MODES, THROTTLES, channelForm, validateChannel, channelBody, stateWord, stateTone, channelErrors, serverText,
} from './mail-rules.js';

function State({ state, label }) {
  return html`<span class=${`admin-badge admin-badge-${stateTone(state)}`}
    aria-label=${`${label}: ${stateWord(state)}`}>${stateWord(state)}</span>`;
}

function Select({ label, value, options, onChange, disabled }) {
  const id = useId('sel');
  return html`<div class="admin-field">
    <label for=${id}>${label}</label>
    <select id=${id} value=${value} disabled=${disabled} onChange=${(e) => onChange(e.currentTarget.value)}>
      ${options.map(([v, t]) => html`<option key=${v} value=${v}>${t}</option>`)}
    </select>
  </div>`;
}

const ORDER = ['name', 'smtp_host', 'smtp_port', 'imap_host', 'imap_port', 'imap_folder', 'per_minute', 'per_hour', 'per_day', 'per_domain_per_hour'];

export function ChannelForm({ channel, onSaved, onCancel }) {
  const [f, setF] = useState(() => channelForm(channel));
  const [errors, setErrors] = useState({});
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState(null);
  const refs = useRef({});
  const first = useRef(null);
  useEffect(() => {
    if (first.current) first.current.focus();
  }, []);
  const set = (k) => (e) => setF({ ...f, [k]: e.currentTarget.type === 'checkbox' ? e.currentTarget.checked : e.currentTarget.value });
  const ref = (k) => (el) => {
    refs.current[k] = el;
    if (k === 'name') first.current = el;
  };
  const input = (k, label, extra = {}) => html`<${Field} label=${label} value=${f[k]} error=${errors[k]} inputRef=${ref(k)}
    autocomplete="off" onInput=${set(k)} ...${extra} />`;
  const password = (k, isSet, label) => html`<${Field} label=${label} type="password" value=${f[k]} autocomplete="new-password"
    hint=${isSet ? 'A password is set: leave empty to keep it.' : 'No password set.'} onInput=${set(k)} />`;

  async function submit(e) {
    e.preventDefault();
    setFailure(null);
    const errs = validateChannel(f);
    setErrors(errs);
    const k = ORDER.find((x) => errs[x]);
    if (k) {
      if (refs.current[k]) refs.current[k].focus();
      return;
    }
    setBusy(true);
    try {
      const saved = channel
        ? await api('PATCH', `/api/v1/channels/${channel.id}`, { body: channelBody(f) })
        : await api('POST', '/api/v1/channels', { body: channelBody(f) });
      onSaved(saved, !channel);
    } catch (err) {
      setFailure(err.message);
      setBusy(false);
    }
  }

  const title = channel ? `Edit ${channel.name}` : 'New channel';
  return html`<form class="admin-card admin-form" onSubmit=${submit} noValidate aria-label=${title}>
    <h2>${title}</h2>
    ${input('name', 'Channel name')}
    <${Select} label="Kind" value=${f.kind} disabled=${!!channel}
      options=${[['smtp', 'SMTP server'], ['maildir', 'Maildir (files under the data directory)']]}
      onChange=${(v) => setF({ ...f, kind: v })} />
    ${f.kind === 'smtp' ? html`<fieldset class="admin-fieldset">
      <legend>SMTP</legend>
      ${input('smtp_host', 'SMTP host')}
      ${input('smtp_port', 'SMTP port', { inputmode: 'numeric' })}
      <${Select} label="SMTP security" value=${f.smtp_tls} options=${TLS_MODES.map((m) => [m, m === 'none' ? 'none (plain text)' : m.toUpperCase()])}
        onChange=${(v) => setF({ ...f, smtp_tls: v })} />
      ${input('smtp_username', 'SMTP username')}
      ${password('smtp_password', f.smtp_password_set, 'SMTP password')}
    </fieldset>
    <label class="admin-check"><input type="checkbox" checked=${f.has_imap} onChange=${set('has_imap')} /> Read replies and bounces from an IMAP inbox</label>
    ${f.has_imap ? html`<fieldset class="admin-fieldset">
      <legend>IMAP inbox</legend>
      ${input('imap_host', 'IMAP host')}
      ${input('imap_port', 'IMAP port', { inputmode: 'numeric' })}
      <${Select} label="IMAP security" value=${f.imap_tls} options=${TLS_MODES.map((m) => [m, m === 'none' ? 'none (plain text)' : m.toUpperCase()])}
        onChange=${(v) => setF({ ...f, imap_tls: v })} />
      ${input('imap_username', 'IMAP username')}
      ${password('imap_password', f.imap_password_set, 'IMAP password')}
      ${input('imap_folder', 'Inbox folder')}
      ${input('imap_sent_folder', 'Sent folder (optional)')}
    </fieldset>` : null}` : null}
    <fieldset class="admin-fieldset">
      <legend>Throttles (empty: no limit)</legend>
      ${THROTTLES.map(([k, label]) => html`<span key=${k}>${input(k, label, { inputmode: 'numeric' })}</span>`)}
    </fieldset>
    ${failure ? html`<p role="alert" class="admin-error">${failure}</p>` : null}
    <div class="admin-actions">
      <button type="submit" class="admin-primary" disabled=${busy}>${channel ? 'Save channel' : 'Create channel'}</button>
      <button type="button" onClick=${onCancel} disabled=${busy}>Cancel</button>
    </div>
  </form>`;
}

export function Channels({ nav }) {
  const list = useLoad((signal) => api('GET', '/api/v1/channels', { signal }), []);
  const [editing, setEditing] = useState(null); // 'new' | channel
  const [notice, setNotice] = useState('');
  const [confirm, setConfirm] = useState(null);
  const newButton = useRef(null);

  if (isForbidden(list.error)) return html`<${AdminsOnly} error=${list.error} />`;
  const rows = list.data ? (Array.isArray(list.data) ? list.data : list.data.data) : null;

  function saved(c, created) {
    setEditing(null);
    setNotice(created ? `Channel ${c.name} created.` : `Channel ${c.name} saved.`);
    list.reload();
    if (newButton.current) newButton.current.focus();
  }

  async function remove() {
    const c = confirm.channel;
    setConfirm({ ...confirm, busy: true, error: null });
    try {
      await api('DELETE', `/api/v1/channels/${c.id}`);
      setConfirm(null);
      setNotice(`Channel ${c.name} deleted.`);
      list.reload();
      focusHeading();
    } catch (err) {
      setConfirm({ channel: c, busy: false, error: err.message });
    }
  }

  let body;
  if (list.error && !rows) body = html`<${ErrorState} error=${list.error} onRetry=${list.reload} />`;
  else if (!rows) body = html`<${Loading} label="Loading channels…" />`;
  else if (rows.length === 0) body = html`<${Empty}>No channels yet.<//>`;
  else
    body = html`<div class="admin-table-wrap">
      <table aria-label="Channels" class="admin-table admin-stack" aria-busy=${list.loading ? 'true' : 'false'}>
        <thead><tr><th scope="col">Name</th><th scope="col">Kind</th><th scope="col">Sending</th><th scope="col">Inbox</th><th scope="col">Errors</th><th scope="col">Actions</th></tr></thead>
        <tbody>
          ${rows.map((c) => {
            const s = c.status || {};
            const errs = channelErrors(c);
            return html`<tr key=${c.id}>
              <td data-label="Name">${c.name}${c.is_default ? html` <span class="admin-badge admin-badge-off">Default</span>` : null}</td>
              <td data-label="Kind">${c.kind}${c.smtp ? html`<br /><span class="admin-muted">${serverText(c.smtp)}</span>` : null}</td>
              <td data-label="Sending">
                ${s.smtp ? html`<${State} state=${s.smtp.state} label="Sending" />${s.smtp.checked_at ? html`<br /><span class="admin-muted">checked ${formatDateTime(s.smtp.checked_at)}</span>` : null}` : html`<span class="admin-muted">—</span>`}
              </td>
              <td data-label="Inbox">
                ${c.imap && s.imap
                  ? html`<${State} state=${s.imap.state} label="Inbox" /><br /><span class="admin-muted">last poll ${s.imap.polled_at ? formatDateTime(s.imap.polled_at) : 'never'}</span>`
                  : html`<span class="admin-muted">No inbox</span>`}
              </td>
              <td data-label="Errors" class="admin-wrap">${errs.length ? errs.map((x) => html`<div key=${x}>${x}</div>`) : html`<span class="admin-muted">None</span>`}</td>
              <td data-label="Actions">
                <button type="button" class="admin-small" aria-label=${`Edit ${c.name}`} onClick=${() => setEditing(c)}>Edit</button>
                ${' '}
                ${c.is_default ? null : html`<button type="button" class="admin-small" aria-label=${`Delete ${c.name}`}
                  onClick=${() => setConfirm({ channel: c, busy: false, error: null })}>Delete</button>`}
              </td>
            </tr>`;
          })}
        </tbody>
      </table>
    </div>
    ${list.error ? html`<${ErrorState} error=${list.error} onRetry=${list.reload} />` : null}`;

  return html`<${Page} title="Channels">
    ${nav}
    <p class="admin-muted">How email leaves hail. The default channel writes each message under the data directory (maildir); an SMTP channel sends through a mail server and may read replies and bounces from an IMAP inbox.</p>
    <div class="admin-toolbar">
      <button type="button" ref=${newButton} aria-expanded=${editing === 'new' ? 'true' : 'false'}
        onClick=${() => setEditing(editing === 'new' ? null : 'new')}>New channel</button>
      ${' '}<button type="button" onClick=${list.reload} disabled=${list.loading}>Refresh status</button>
    </div>
    ${editing ? html`<${ChannelForm} key=${editing === 'new' ? 'new' : editing.id} channel=${editing === 'new' ? null : editing}
      onSaved=${saved} onCancel=${() => { setEditing(null); if (newButton.current) newButton.current.focus(); }} />` : null}
    <p role="status" class="admin-notice">${notice}</p>
    ${body}
    ${confirm ? html`<${ConfirmDialog} title=${`Delete ${confirm.channel.name}?`} confirmLabel="Delete"
      busy=${confirm.busy} error=${confirm.error} onConfirm=${remove} onCancel=${() => setConfirm(null)}>
      <p>Mail can no longer be sent through ${confirm.channel.name}. A channel that senders still use cannot be deleted.</p>
    <//>` : null}
  <//>`;
}
