// Sender identities (address, display name, HTML signature, channel). /senders: anyone's
// own (GET /api/v1/senders); /admin/senders: an admin sees everyone's, can filter by user
// and create one for any user. Create, edit, delete (confirmed).
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../../lib/html.js';
import { api } from '../../lib/api.js';
import { Page } from '../../components/page.js';
import { Loading, Empty, ErrorState } from '../../components/states.js';
import { useLoad, useId, fetchAll, focusHeading } from './load.js';
import { Field } from './field.js';
import { ConfirmDialog } from './confirm-dialog.js';
import { AdminsOnly, isForbidden } from './admins-only.js';
import { senderForm, validateSender, senderBody } from './mail-rules.js';

const ORDER = ['address', 'display_name', 'channel_id'];

function SenderForm({ sender, admin, me, users, channels, onSaved, onCancel }) {
  const [f, setF] = useState(() => senderForm(sender, me.id));
  const [errors, setErrors] = useState({});
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState(null);
  const refs = { address: useRef(null), display_name: useRef(null), channel_id: useRef(null) };
  const chanId = useId('chan');
  const userId = useId('user');
  const sigId = useId('sig');
  useEffect(() => {
    if (refs.address.current) refs.address.current.focus();
  }, []);
  useEffect(() => {
    if (!f.channel_id && channels.data && channels.data.length) {
      const d = channels.data.find((c) => c.is_default) || channels.data[0];
      setF((x) => ({ ...x, channel_id: String(d.id) }));
    }
  }, [channels.data]);
  const set = (k) => (e) => setF({ ...f, [k]: e.currentTarget.value });

  async function submit(e) {
    e.preventDefault();
    setFailure(null);
    const errs = validateSender(f);
    setErrors(errs);
    const k = ORDER.find((x) => errs[x]);
    if (k) {
      if (refs[k].current) refs[k].current.focus();
      return;
    }
    setBusy(true);
    try {
      const body = senderBody(f, { admin });
      const saved = sender
        ? await api('PATCH', `/api/v1/senders/${sender.id}`, { body })
        : await api('POST', '/api/v1/senders', { body });
      onSaved(saved, !sender);
    } catch (err) {
      setFailure(err.message);
      setBusy(false);
    }
  }

  const title = sender ? `Edit ${sender.address}` : 'New sender';
  return html`<form class="admin-card admin-form" onSubmit=${submit} noValidate aria-label=${title}>
    <h2>${title}</h2>
    <${Field} label="Address" type="email" value=${f.address} error=${errors.address} inputRef=${refs.address}
      autocomplete="off" onInput=${set('address')} />
    <${Field} label="Display name" value=${f.display_name} error=${errors.display_name} inputRef=${refs.display_name}
      autocomplete="off" onInput=${set('display_name')} />
    <div class="admin-field">
      <label for=${sigId}>Signature (HTML)</label>
      <textarea id=${sigId} rows="4" value=${f.signature_html} onInput=${set('signature_html')}></textarea>
    </div>
    <div class="admin-field">
      <label for=${chanId}>Channel</label>
      ${channels.error && !channels.data
        ? html`<p class="admin-error" id=${chanId}>Channels could not be loaded: ${channels.error.message}</p>`
        : html`<select id=${chanId} ref=${refs.channel_id} value=${f.channel_id} onChange=${set('channel_id')}
            aria-invalid=${errors.channel_id ? 'true' : undefined}>
            ${!channels.data ? html`<option value="">Loading channels…</option>` : null}
            ${(channels.data || []).map((c) => html`<option key=${c.id} value=${String(c.id)}>${c.name} (${c.kind})</option>`)}
          </select>`}
      ${errors.channel_id ? html`<span class="admin-field-error">${errors.channel_id}</span>` : null}
    </div>
    ${admin && !sender ? html`<div class="admin-field">
      <label for=${userId}>User</label>
      <select id=${userId} value=${f.user_id} onChange=${set('user_id')}>
        ${(users.data || [me]).map((u) => html`<option key=${u.id} value=${String(u.id)}>${u.name} (${u.email})</option>`)}
      </select>
    </div>` : null}
    ${failure ? html`<p role="alert" class="admin-error">${failure}</p>` : null}
    <div class="admin-actions">
      <button type="submit" class="admin-primary" disabled=${busy}>${sender ? 'Save sender' : 'Create sender'}</button>
      <button type="button" onClick=${onCancel} disabled=${busy}>Cancel</button>
    </div>
  </form>`;
}

export function Senders({ nav, user, own }) {
  const admin = !own && user && user.role === 'admin';
  const [userFilter, setUserFilter] = useState('');
  const list = useLoad((signal) => api('GET', '/api/v1/senders', {
    query: { user: own ? user.id : userFilter || undefined }, signal,
  }), [userFilter, own]);
  const channels = useLoad(async (signal) => {
    const r = await api('GET', '/api/v1/channels', { signal });
    return Array.isArray(r) ? r : r.data;
  }, []);
  const users = useLoad((signal) => (admin ? fetchAll('/api/v1/users', signal) : Promise.resolve(null)), [admin]);
  const [editing, setEditing] = useState(null);
  const [notice, setNotice] = useState('');
  const [confirm, setConfirm] = useState(null);
  const newButton = useRef(null);
  const filterId = useId('filter');

  if (!own && isForbidden(list.error)) return html`<${AdminsOnly} error=${list.error} />`;
  const rows = list.data ? (Array.isArray(list.data) ? list.data : list.data.data) : null;
  const userName = (id) => {
    const u = (users.data || []).find((x) => x.id === id);
    return u ? u.name : id === user.id ? user.name : `User ${id}`;
  };

  function saved(s, created) {
    setEditing(null);
    setNotice(created ? `Sender ${s.address} created.` : `Sender ${s.address} saved.`);
    list.reload();
    if (newButton.current) newButton.current.focus();
  }

  async function remove() {
    const s = confirm.sender;
    setConfirm({ ...confirm, busy: true, error: null });
    try {
      await api('DELETE', `/api/v1/senders/${s.id}`);
      setConfirm(null);
      setNotice(`Sender ${s.address} deleted.`);
      list.reload();
      focusHeading();
    } catch (err) {
      setConfirm({ sender: s, busy: false, error: err.message });
    }
  }

  let body;
  if (list.error && !rows) body = html`<${ErrorState} error=${list.error} onRetry=${list.reload} />`;
  else if (!rows) body = html`<${Loading} label="Loading senders…" />`;
  else if (rows.length === 0) body = html`<${Empty}>${own ? 'You have no sender identity yet: create one to send email.' : 'No senders here yet.'}<//>`;
  else
    body = html`<div class="admin-table-wrap">
      <table aria-label="Senders" class="admin-table admin-stack" aria-busy=${list.loading ? 'true' : 'false'}>
        <thead><tr><th scope="col">Address</th><th scope="col">Display name</th>${own ? null : html`<th scope="col">User</th>`}<th scope="col">Channel</th><th scope="col">Actions</th></tr></thead>
        <tbody>
          ${rows.map((s) => html`<tr key=${s.id}>
            <td data-label="Address" class="admin-wrap">${s.address}</td>
            <td data-label="Display name">${s.display_name || html`<span class="admin-muted">none</span>`}</td>
            ${own ? null : html`<td data-label="User">${userName(s.user_id)}</td>`}
            <td data-label="Channel">${s.channel_name || `Channel ${s.channel_id}`}</td>
            <td data-label="Actions">
              <button type="button" class="admin-small" aria-label=${`Edit ${s.address}`} onClick=${() => setEditing(s)}>Edit</button>
              ${' '}<button type="button" class="admin-small" aria-label=${`Delete ${s.address}`}
                onClick=${() => setConfirm({ sender: s, busy: false, error: null })}>Delete</button>
            </td>
          </tr>`)}
        </tbody>
      </table>
    </div>
    ${list.error ? html`<${ErrorState} error=${list.error} onRetry=${list.reload} />` : null}`;

  return html`<${Page} title=${own ? 'Your email senders' : 'Senders'}>
    ${nav}
    <p class="admin-muted">${own
      ? 'The addresses you send email as, each with its signature and the channel it goes out through.'
      : 'Every user’s sender identities. Users send as their own; admins may send as anyone’s.'}</p>
    <div class="admin-toolbar admin-inline-form">
      ${admin ? html`<div class="admin-field">
        <label for=${filterId}>Show senders of</label>
        <select id=${filterId} value=${userFilter} onChange=${(e) => setUserFilter(e.currentTarget.value)}>
          <option value="">Everyone</option>
          ${(users.data || []).map((u) => html`<option key=${u.id} value=${String(u.id)}>${u.name} (${u.email})</option>`)}
        </select>
      </div>` : null}
      <button type="button" ref=${newButton} aria-expanded=${editing === 'new' ? 'true' : 'false'}
        onClick=${() => setEditing(editing === 'new' ? null : 'new')}>New sender</button>
    </div>
    ${editing ? html`<${SenderForm} key=${editing === 'new' ? 'new' : editing.id} sender=${editing === 'new' ? null : editing}
      admin=${admin} me=${user} users=${users} channels=${channels} onSaved=${saved}
      onCancel=${() => { setEditing(null); if (newButton.current) newButton.current.focus(); }} />` : null}
    <p role="status" class="admin-notice">${notice}</p>
    ${body}
    ${confirm ? html`<${ConfirmDialog} title=${`Delete ${confirm.sender.address}?`} confirmLabel="Delete"
      busy=${confirm.busy} error=${confirm.error} onConfirm=${remove} onCancel=${() => setConfirm(null)}>
      <p>Email can no longer be sent as ${confirm.sender.address}. Emails already sent keep it.</p>
    <//>` : null}
  <//>`;
}
