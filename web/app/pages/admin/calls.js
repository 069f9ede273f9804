// /admin/calls: what the call log offers and how calls are placed.
//  - Outcomes (GET|POST /api/v1/call-outcomes, PATCH|DELETE …/{id}: delete archives): each
//    answered or not answered, in order.
//  - Reasons (/api/v1/call-reasons, the same).
//  - Caller ids (GET|POST /api/v1/caller-ids, PATCH|DELETE …/{id}): the pool local presence
//    picks from, one of them the default.
//  - Voicemail drops (GET /api/v1/voicemail-drops, POST ?name= with the raw WAV/MP3, DELETE).
//  - Settings (GET|PUT /api/v1/calls/settings): require an outcome; the dialer's shared
//    secret (write-only: the page only says whether one is set).
import { useRef, useState } from 'preact/hooks';
import { html } from '../../lib/html.js';
import { api } from '../../lib/api.js';
import { formatDateTime } from '../../lib/format.js';
import { Page } from '../../components/page.js';
import { Loading, Empty, ErrorState } from '../../components/states.js';
import { useLoad } from './load.js';
import { Field } from './field.js';
import { ConfirmDialog } from './confirm-dialog.js';
import { AdminsOnly, isForbidden } from './admins-only.js';
import { byPosition, nextPosition, nameProblem, numberProblem, e164, audioType, dropProblem, nameFromFile, bytesText, secretProblem } from './calls-rules.js';

const list = (r) => (Array.isArray(r) ? r : (r && r.data) || []);

// One section's notice and failure lines, and a runner that fills them.
function useSaid() {
  const [notice, setNotice] = useState('');
  const [failure, setFailure] = useState(null);
  const [busy, setBusy] = useState(null);
  async function run(key, fn, done) {
    setNotice('');
    setFailure(null);
    setBusy(key);
    try {
      const r = await fn();
      setNotice(done(r));
      return true;
    } catch (err) {
      setFailure(err.message);
      return false;
    } finally {
      setBusy(null);
    }
  }
  const lines = html`<p role="status" class="admin-notice">${notice}</p>
    ${failure ? html`<p role="alert" class="admin-error">${failure}</p>` : null}`;
  return { run, busy, lines, setFailure };
}

function Body({ load, empty, children }) {
  if (load.error && !load.data) return html`<${ErrorState} error=${load.error} onRetry=${load.reload} />`;
  if (!load.data) return html`<${Loading} />`;
  if (!list(load.data).length) return html`<${Empty}>${empty}<//>`;
  return children();
}

// Outcomes or reasons: the same list with or without "answered".
function Choices({ kind, path, answered }) {
  const load = useLoad((signal) => api('GET', path, { signal }), []);
  const said = useSaid();
  const [name, setName] = useState('');
  const [isAnswered, setIsAnswered] = useState(true);
  const [error, setError] = useState(null);
  const [archiving, setArchiving] = useState(null);
  const input = useRef(null);
  const Kind = kind[0].toUpperCase() + kind.slice(1);
  const rows = byPosition(list(load.data));

  async function add(e) {
    e.preventDefault();
    const problem = nameProblem(name, `${kind} name`);
    setError(problem);
    if (problem) {
      if (input.current) input.current.focus();
      return;
    }
    const body = { name: name.trim(), position: nextPosition(list(load.data)) };
    if (answered) body.answered = isAnswered;
    const ok = await said.run('add', () => api('POST', path, { body }), (r) => `${Kind} “${r.name}” added.`);
    if (ok) {
      setName('');
      load.reload();
    }
  }
  const patch = (row, body, done) => said.run(row.id, () => api('PATCH', `${path}/${row.id}`, { body }), done).then((ok) => ok && load.reload());
  const move = (i, by) => {
    const other = rows[i + by];
    const row = rows[i];
    said.run(row.id, async () => {
      await api('PATCH', `${path}/${row.id}`, { body: { position: other.position ?? i + by } });
      await api('PATCH', `${path}/${other.id}`, { body: { position: row.position ?? i } });
    }, () => `${row.name} moved ${by < 0 ? 'up' : 'down'}.`).then(() => load.reload());
  };
  async function archive() {
    const row = archiving;
    const ok = await said.run('archive', () => api('DELETE', `${path}/${row.id}`), () => `${Kind} “${row.name}” archived: it is no longer offered; calls logged with it keep it.`);
    setArchiving(null);
    if (ok) load.reload();
  }

  const title = `Call ${kind}s`;
  return html`<section class="admin-card" aria-labelledby=${`calls-${kind}`}>
    <h2 id=${`calls-${kind}`}>${Kind}s</h2>
    <form class="admin-form admin-inline-form" onSubmit=${add} noValidate>
      <${Field} label=${`${Kind} name`} value=${name} inputRef=${input} error=${error} autocomplete="off"
        onInput=${(e) => setName(e.currentTarget.value)} />
      ${answered ? html`<label class="admin-check"><input type="checkbox" checked=${isAnswered}
        onChange=${(e) => setIsAnswered(e.currentTarget.checked)} /> Counts as answered</label>` : null}
      <button type="submit" class="admin-primary" disabled=${said.busy === 'add'}>Add ${kind}</button>
    </form>
    ${said.lines}
    <${Body} load=${load} empty=${`No ${kind}s yet: add the first above.`}>${() => html`<div class="admin-table-wrap">
      <table aria-label=${title} class="admin-table admin-stack">
        <thead><tr><th scope="col">Name</th>${answered ? html`<th scope="col">Answered</th>` : null}<th scope="col">Actions</th></tr></thead>
        <tbody>
          ${rows.map((r, i) => html`<tr key=${r.id}>
            <td data-label="Name">${r.name}</td>
            ${answered ? html`<td data-label="Answered"><label class="admin-check"><input type="checkbox" checked=${!!r.answered}
              disabled=${said.busy === r.id}
              onChange=${(e) => patch(r, { answered: e.currentTarget.checked }, (x) => `${x.name} now counts as ${x.answered ? 'answered' : 'not answered'}.`)} />
              <span class="admin-sr-only">${r.name} counts as answered</span></label></td>` : null}
            <td data-label="Actions">
              <button type="button" class="admin-small" disabled=${i === 0 || said.busy === r.id} aria-label=${`Move ${r.name} up`} onClick=${() => move(i, -1)}>Up</button>
              <button type="button" class="admin-small" disabled=${i === rows.length - 1 || said.busy === r.id} aria-label=${`Move ${r.name} down`} onClick=${() => move(i, 1)}>Down</button>
              <button type="button" class="admin-small" aria-label=${`Archive ${r.name}`} onClick=${() => setArchiving(r)}>Archive</button>
            </td>
          </tr>`)}
        </tbody>
      </table>
    </div>`}<//>
    ${archiving ? html`<${ConfirmDialog} title=${`Archive ${archiving.name}?`} confirmLabel="Archive"
      busy=${said.busy === 'archive'} onConfirm=${archive} onCancel=${() => setArchiving(null)}>
      <p>The call form no longer offers it. Calls already logged with it keep it.</p>
    <//>` : null}
  </section>`;
}

function CallerIds() {
  const load = useLoad((signal) => api('GET', '/api/v1/caller-ids', { signal }), []);
  const said = useSaid();
  const [number, setNumber] = useState('');
  const [label, setLabel] = useState('');
  const [isDefault, setIsDefault] = useState(false);
  const [error, setError] = useState(null);
  const [deleting, setDeleting] = useState(null);
  const input = useRef(null);
  const rows = list(load.data);

  async function add(e) {
    e.preventDefault();
    const problem = numberProblem(number);
    setError(problem);
    if (problem) {
      if (input.current) input.current.focus();
      return;
    }
    const ok = await said.run('add', () => api('POST', '/api/v1/caller-ids', {
      body: { number: e164(number), label: label.trim(), is_default: isDefault || rows.length === 0 },
    }), (r) => `${r.number} added${r.is_default ? ' as the default number' : ''}.`);
    if (ok) {
      setNumber('');
      setLabel('');
      setIsDefault(false);
      load.reload();
    }
  }
  async function remove() {
    const row = deleting;
    const ok = await said.run('delete', () => api('DELETE', `/api/v1/caller-ids/${row.id}`), () => `${row.number} removed from the pool.`);
    setDeleting(null);
    if (ok) load.reload();
  }
  const makeDefault = (r) => said.run(r.id, () => api('PATCH', `/api/v1/caller-ids/${r.id}`, { body: { is_default: true } }),
    () => `${r.number} is the default number.`).then((ok) => ok && load.reload());

  return html`<section class="admin-card" aria-labelledby="calls-numbers">
    <h2 id="calls-numbers">Caller IDs</h2>
    <p class="admin-muted">Local presence: a call shows the number from this pool that shares the person's country and area code, else the default number.</p>
    <form class="admin-form admin-inline-form" onSubmit=${add} noValidate>
      <${Field} label="Number" hint="International form, like +14155550100" value=${number} inputRef=${input} error=${error}
        autocomplete="off" inputmode="tel" onInput=${(e) => setNumber(e.currentTarget.value)} />
      <${Field} label="Label" value=${label} autocomplete="off" onInput=${(e) => setLabel(e.currentTarget.value)} />
      <label class="admin-check"><input type="checkbox" checked=${isDefault} onChange=${(e) => setIsDefault(e.currentTarget.checked)} /> Default number</label>
      <button type="submit" class="admin-primary" disabled=${said.busy === 'add'}>Add number</button>
    </form>
    ${said.lines}
    <${Body} load=${load} empty="No caller IDs yet: calls show whatever number the phone has.">${() => html`<div class="admin-table-wrap">
      <table aria-label="Caller IDs" class="admin-table admin-stack">
        <thead><tr><th scope="col">Number</th><th scope="col">Label</th><th scope="col">Default</th><th scope="col">Actions</th></tr></thead>
        <tbody>
          ${rows.map((r) => html`<tr key=${r.id}>
            <td data-label="Number">${r.number}</td>
            <td data-label="Label">${r.label || html`<span class="admin-muted">—</span>`}</td>
            <td data-label="Default">${r.is_default ? html`<span class="admin-badge admin-badge-ok">Default</span>` : html`<button type="button" class="admin-small"
              disabled=${said.busy === r.id} aria-label=${`Make ${r.number} the default`} onClick=${() => makeDefault(r)}>Make default</button>`}</td>
            <td data-label="Actions"><button type="button" class="admin-small" aria-label=${`Delete ${r.number}`} onClick=${() => setDeleting(r)}>Delete</button></td>
          </tr>`)}
        </tbody>
      </table>
    </div>`}<//>
    ${deleting ? html`<${ConfirmDialog} title=${`Delete ${deleting.number}?`} confirmLabel="Delete"
      busy=${said.busy === 'delete'} onConfirm=${remove} onCancel=${() => setDeleting(null)}>
      <p>Calls no longer show this number. Calls already logged keep it.</p>
    <//>` : null}
  </section>`;
}

function VoicemailDrops() {
  const load = useLoad((signal) => api('GET', '/api/v1/voicemail-drops', { query: { limit: 200 }, signal }), []);
  const said = useSaid();
  const [file, setFile] = useState(null);
  const [name, setName] = useState('');
  const [error, setError] = useState(null);
  const [deleting, setDeleting] = useState(null);
  const fileInput = useRef(null);
  const rows = list(load.data);

  async function upload(e) {
    e.preventDefault();
    const problem = dropProblem(file, name);
    setError(problem);
    if (problem) {
      if (fileInput.current) fileInput.current.focus();
      return;
    }
    const ok = await said.run('add', () => api('POST', '/api/v1/voicemail-drops', {
      query: { name: name.trim() }, raw: { data: file, type: audioType(file) },
    }), (r) => `Recording “${r.name}” uploaded (${bytesText(r.size)}).`);
    if (ok) {
      setFile(null);
      setName('');
      if (fileInput.current) fileInput.current.value = '';
      load.reload();
    }
  }
  async function remove() {
    const row = deleting;
    const ok = await said.run('delete', () => api('DELETE', `/api/v1/voicemail-drops/${row.id}`), () => `Recording “${row.name}” deleted.`);
    setDeleting(null);
    if (ok) load.reload();
  }

  return html`<section class="admin-card" aria-labelledby="calls-drops">
    <h2 id="calls-drops">Voicemail drops</h2>
    <p class="admin-muted">Recorded messages a rep leaves on a voicemail with one click: WAV or MP3, at most 10 MB.</p>
    <form class="admin-form admin-inline-form" onSubmit=${upload} noValidate>
      <div class="admin-field">
        <label for="drop-file">Recording (WAV or MP3)</label>
        <input id="drop-file" type="file" accept="audio/wav,audio/x-wav,audio/mpeg,.wav,.mp3" ref=${fileInput}
          aria-invalid=${error ? 'true' : undefined} aria-describedby=${error ? 'drop-file-err' : undefined}
          onChange=${(e) => {
            const f = e.currentTarget.files && e.currentTarget.files[0];
            setFile(f || null);
            if (f && !name) setName(nameFromFile(f));
          }} />
        ${error ? html`<span id="drop-file-err" class="admin-field-error">${error}</span>` : null}
      </div>
      <${Field} label="Recording name" value=${name} autocomplete="off" onInput=${(e) => setName(e.currentTarget.value)} />
      <button type="submit" class="admin-primary" disabled=${said.busy === 'add'}>Upload recording</button>
    </form>
    ${said.lines}
    <${Body} load=${load} empty="No recordings yet.">${() => html`<div class="admin-table-wrap">
      <table aria-label="Voicemail drops" class="admin-table admin-stack">
        <thead><tr><th scope="col">Name</th><th scope="col">Type</th><th scope="col">Size</th><th scope="col">Owner</th><th scope="col">Added</th><th scope="col">Actions</th></tr></thead>
        <tbody>
          ${rows.map((r) => html`<tr key=${r.id}>
            <td data-label="Name"><a href=${`/api/v1/voicemail-drops/${r.id}/audio`} download>${r.name}<span class="admin-sr-only"> (download)</span></a></td>
            <td data-label="Type">${r.content_type === 'audio/mpeg' ? 'MP3' : r.content_type === 'audio/wav' ? 'WAV' : r.content_type}</td>
            <td data-label="Size">${bytesText(r.size)}</td>
            <td data-label="Owner">${r.owner ? r.owner.name : '—'}</td>
            <td data-label="Added">${r.created_at ? html`<time datetime=${r.created_at}>${formatDateTime(r.created_at)}</time>` : '—'}</td>
            <td data-label="Actions"><button type="button" class="admin-small" aria-label=${`Delete ${r.name}`} onClick=${() => setDeleting(r)}>Delete</button></td>
          </tr>`)}
        </tbody>
      </table>
    </div>`}<//>
    ${deleting ? html`<${ConfirmDialog} title=${`Delete ${deleting.name}?`} confirmLabel="Delete"
      busy=${said.busy === 'delete'} onConfirm=${remove} onCancel=${() => setDeleting(null)}>
      <p>The recording can no longer be dropped on a call. Calls it was dropped on still name it.</p>
    <//>` : null}
  </section>`;
}

function Settings({ load }) {
  const said = useSaid();
  const [secret, setSecret] = useState('');
  const s = load.data;

  async function toggle(e) {
    const on = e.currentTarget.checked;
    const before = load.data;
    load.setData({ ...before, require_outcome: on }); // shown at once; put back on failure
    const ok = await said.run('require', () => api('PUT', '/api/v1/calls/settings', { body: { require_outcome: on } }),
      (r) => (r.require_outcome ? 'Every call now needs an outcome.' : 'Calls can be logged without an outcome.'));
    if (ok) load.reload();
    else load.setData(before);
  }
  async function saveSecret(e) {
    e.preventDefault();
    const problem = secretProblem(secret);
    if (problem) {
      said.setFailure(problem);
      return;
    }
    const ok = await said.run('secret', () => api('PUT', '/api/v1/calls/settings', { body: { dialer_secret: secret } }),
      () => 'Dialer secret saved. hail now accepts events signed with it.');
    if (ok) {
      setSecret('');
      load.reload();
    }
  }
  let body;
  if (load.error && !s) body = html`<${ErrorState} error=${load.error} onRetry=${load.reload} />`;
  else if (!s) body = html`<${Loading} />`;
  else {
    body = html`
      <label class="admin-check">
        <input type="checkbox" checked=${!!s.require_outcome} disabled=${said.busy === 'require'} onChange=${toggle} />
        Require an outcome before a call can be logged
      </label>
      <form class="admin-form admin-inline-form" onSubmit=${saveSecret} noValidate>
        <${Field} label="Dialer secret" type="password" autocomplete="new-password" value=${secret}
          hint=${s.dialer_secret_set ? 'A secret is set. Enter a new one to replace it.' : 'No secret is set: the dialer webhook refuses every event.'}
          onInput=${(e) => setSecret(e.currentTarget.value)} />
        <button type="submit" class="admin-primary" disabled=${said.busy === 'secret'}>Save secret</button>
      </form>
      <p class="admin-muted">The dialer signs each event to <code>POST /api/v1/dialer/events</code> with an HMAC-SHA256 of “timestamp.body” under this secret.</p>`;
  }
  return html`<section class="admin-card" aria-labelledby="calls-settings">
    <h2 id="calls-settings">Settings</h2>
    ${said.lines}
    ${body}
  </section>`;
}

export function CallsAdmin({ nav }) {
  const settings = useLoad((signal) => api('GET', '/api/v1/calls/settings', { signal }), []);
  if (isForbidden(settings.error)) return html`<${AdminsOnly} error=${settings.error} />`;
  return html`<${Page} title="Calls">
    ${nav}
    <p class="admin-muted">What reps pick when they log a call, the numbers calls show, recorded voicemails, and the dialer.</p>
    <${Choices} kind="outcome" path="/api/v1/call-outcomes" answered=${true} />
    <${Choices} kind="reason" path="/api/v1/call-reasons" answered=${false} />
    <${CallerIds} />
    <${VoicemailDrops} />
    <${Settings} load=${settings} />
  <//>`;
}
