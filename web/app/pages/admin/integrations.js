// /admin/integrations: the outboxes to Marketo and Salesforce (docs/outbox.md):
// each one's status (GET /api/v1/integrations), its skipped records (GET
// …/{name}/skips, paged), "Retry now" (POST …/{name}/retry), and the settings
// (GET/PUT /api/v1/integrations/settings). Salesforce's status counts its reminder tasks too
// (made by hand, synced both ways with Salesforce Tasks: reminder_tasks).
import { useState } from 'preact/hooks';
import { html } from '../../lib/html.js';
import { api } from '../../lib/api.js';
import { formatDateTime, relativeTime } from '../../lib/format.js';
import { Page } from '../../components/page.js';
import { Loading, Empty, ErrorState } from '../../components/states.js';
import { useLoad } from './load.js';
import { AdminsOnly, isForbidden } from './admins-only.js';
import { Pager } from './pager.js';
import { pagerStart, pagerNext, pagerPrev, pagerCursor } from './rules.js';
import {
  stateBadge, backlogText, countText, retryText, subjectHint, fieldOfMessage, settingsBody, typeName, reminderRows,
} from './integrations-rules.js';

const SKIPS_PAGE = 20;

function When({ iso, empty = 'never' }) {
  if (!iso) return html`<span class="admin-muted">${empty}</span>`;
  return html`<time datetime=${iso}>${formatDateTime(iso)}</time> <span class="admin-muted">(${relativeTime(iso)})</span>`;
}

function Skips({ dest, types, round }) {
  const [pager, setPager] = useState(pagerStart());
  const list = useLoad((signal) => api('GET', `/api/v1/integrations/${dest.name}/skips`, {
    query: { limit: SKIPS_PAGE, cursor: pagerCursor(pager) }, signal,
  }), [dest.name, pager, round]);
  const label = `Skipped by ${dest.label}`;
  let body;
  if (list.error && !list.data) body = html`<${ErrorState} error=${list.error} onRetry=${list.reload} />`;
  else if (!list.data) body = html`<${Loading} label=${`Loading what ${dest.label} skipped…`} />`;
  else if (list.data.data.length === 0 && pager.index === 0)
    body = html`<${Empty}>Nothing skipped: every record so far was accepted.<//>`;
  else
    body = html`
      <div class="admin-table-wrap">
        <table aria-label=${label} class="admin-table admin-stack" aria-busy=${list.loading ? 'true' : 'false'}>
          <thead>
            <tr><th scope="col">Skipped</th><th scope="col">Activity</th><th scope="col">Person</th><th scope="col">Reason</th></tr>
          </thead>
          <tbody>
            ${list.data.data.map((s) => html`
              <tr key=${s.activity_id}>
                <td data-label="Skipped"><${When} iso=${s.at} /></td>
                <td data-label="Activity">${typeName(types, s.type)} <span class="admin-muted">#${s.activity_id}</span></td>
                <td data-label="Person" class="admin-wrap">${s.person_id
                  ? html`<a href=${`/people/${s.person_id}`}>${s.person_name || s.person_email || `Person ${s.person_id}`}</a>`
                  : html`<span class="admin-muted">unknown</span>`}</td>
                <td data-label="Reason" class="admin-wrap">${s.reason}</td>
              </tr>`)}
          </tbody>
        </table>
      </div>
      ${list.error ? html`<${ErrorState} error=${list.error} onRetry=${list.reload} />` : null}
      <${Pager} pager=${pager} count=${list.data.data.length} size=${SKIPS_PAGE} noun="skipped records"
        nextCursor=${list.data.next_cursor} busy=${list.loading}
        onPrev=${() => setPager(pagerPrev(pager))} onNext=${() => setPager(pagerNext(pager, list.data.next_cursor))} />`;
  return html`<h3>Skipped records</h3>${body}`;
}

function SalesforceSetup() {
  return html`
    <div class="admin-refusal">
      <h3>Set up the external-id field</h3>
      <p>Salesforce's Task object has no field <code>Hail_Activity_Id__c</code>. Without it hail creates Tasks
        plainly, and a crash between a call and recording its answer can leave a second copy of a Task.
        To have hail upsert each Task by its activity id (never a second copy):</p>
      <ol>
        <li>In Salesforce Setup, open Object Manager → Activity → Fields & Relationships.</li>
        <li>Click New, choose Text, and click Next.</li>
        <li>Field Label <strong>Hail Activity Id</strong>, Length <strong>32</strong>, Field Name <strong>Hail_Activity_Id</strong> (the API name becomes <code>Hail_Activity_Id__c</code>).</li>
        <li>Tick <strong>Unique</strong> (case sensitive) and <strong>External ID</strong>, then Next.</li>
        <li>Give hail's integration user's profile read and edit access to the field, and Save.</li>
      </ol>
      <p>hail looks again when it next starts its Salesforce outbox.</p>
    </div>`;
}

// Salesforce's reminder tasks: linked, changes and deletes still to send.
function ReminderTasks({ dest }) {
  return html`
    <h3 class="admin-subhead">Reminder tasks</h3>
    <p class="admin-hint">Reminder tasks made by hand sync both ways with Salesforce Tasks; see <code>docs/outbox.md</code>.</p>
    <dl class="admin-dl">
      ${reminderRows(dest.reminder_tasks).map(([term, text]) => html`<dt>${term}</dt><dd>${text}</dd>`)}
    </dl>`;
}

function Destination({ dest, types, onRetried, round }) {
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState('');
  const [failure, setFailure] = useState(null);
  const [badge, cls] = stateBadge(dest);
  const h = `integ-${dest.name}-h`;

  async function retry() {
    if (busy) return;
    setBusy(true);
    setFailure(null);
    setNotice('');
    try {
      const r = await api('POST', `/api/v1/integrations/${dest.name}/retry`);
      setNotice(retryText(dest.label, r.requeued));
      onRetried();
    } catch (err) {
      setFailure(err.message);
    } finally {
      setBusy(false);
    }
  }

  return html`
    <section class="admin-card" aria-labelledby=${h}>
      <h2 id=${h}>${dest.label} <span class=${`admin-badge admin-badge-${cls}`}>${badge}</span></h2>
      ${dest.configured ? null : html`<p class="admin-muted">${dest.name === 'marketo'
        ? 'Marketo is not configured on this server (HAIL_MARKETO_URL, HAIL_MARKETO_CLIENT_ID and HAIL_MARKETO_CLIENT_SECRET).'
        : 'Salesforce is not configured on this server (HAIL_SALESFORCE_LOGIN_URL, HAIL_SALESFORCE_CLIENT_ID and HAIL_SALESFORCE_CLIENT_SECRET).'}</p>`}
      <dl class="admin-dl">
        <dt>Backlog</dt><dd>${backlogText(dest)}</dd>
        <dt>Sent</dt><dd>${countText(dest.sent)}</dd>
        <dt>Skipped</dt><dd>${countText(dest.skipped)}${dest.retry_queued ? ` (${countText(dest.retry_queued)} queued to be sent again)` : ''}</dd>
        <dt>In flight</dt><dd>${dest.in_flight ? `${countText(dest.in_flight)} ${dest.in_flight === 1 ? 'batch' : 'batches'} sent, answer not yet recorded` : 'none'}</dd>
        <dt>Last success</dt><dd><${When} iso=${dest.last_ok_at} /></dd>
        <dt>Last error</dt><dd>${dest.last_error
          ? html`<span class="admin-error-text">${dest.last_error}</span> <${When} iso=${dest.last_error_at} empty="" />`
          : 'none'}</dd>
        ${dest.waiting_until ? html`<dt>Waiting until</dt><dd><${When} iso=${dest.waiting_until} /></dd>` : null}
        ${dest.name === 'salesforce' ? html`<dt>External-id field</dt><dd>${dest.external_id === 'present'
          ? 'Hail_Activity_Id__c present: Tasks are upserted'
          : dest.external_id === 'missing' ? 'missing: Tasks are created plainly' : html`<span class="admin-muted">not checked yet</span>`}</dd>` : null}
      </dl>
      ${dest.name === 'salesforce' && dest.external_id === 'missing' ? html`<${SalesforceSetup} />` : null}
      ${dest.reminder_tasks ? html`<${ReminderTasks} dest=${dest} />` : null}
      <div class="admin-actions">
        <button type="button" class="admin-primary" onClick=${retry} aria-disabled=${busy ? 'true' : 'false'}
          aria-describedby=${`integ-${dest.name}-retry-hint`}>${busy ? `Retrying ${dest.label}…` : `Retry ${dest.label} now`}</button>
        <span id=${`integ-${dest.name}-retry-hint`} class="admin-hint">Sends the skipped records again and ends a wait (a quota, a backoff) at once.</span>
      </div>
      <p role="status" class="admin-live">${notice}</p>
      ${failure ? html`<p role="alert" class="admin-error">${failure}</p>` : null}
      <${Skips} key=${round} dest=${dest} types=${types} round=${round} />
    </section>`;
}

function SettingsForm({ settings, onSaved }) {
  const [form, setForm] = useState(() => settingsBody(settings));
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState('');
  const [failure, setFailure] = useState(null);
  const bad = fieldOfMessage(failure);
  const hint = subjectHint(form.salesforce_subject, settings.subject_variables);
  const set = (k, v) => setForm((f) => ({ ...f, [k]: v }));
  const toggle = (t) => (e) => {
    const on = e.currentTarget.checked;
    setForm((f) => ({
      ...f,
      salesforce_types: settings.activity_types.map((x) => x.type)
        .filter((x) => (x === t ? on : f.salesforce_types.includes(x))),
    }));
  };

  async function save(e) {
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    setFailure(null);
    setNotice('');
    try {
      const s = await api('PUT', '/api/v1/integrations/settings', { body: settingsBody(form) });
      setForm(settingsBody(s));
      onSaved(s);
      setNotice('Settings saved. The outboxes use them from their next batch.');
    } catch (err) {
      setFailure(err.message);
    } finally {
      setBusy(false);
    }
  }

  return html`
    <form class="admin-card admin-form" onSubmit=${save} noValidate aria-labelledby="integ-settings-h">
      <h2 id="integ-settings-h">Settings</h2>
      <fieldset class="admin-fieldset">
        <legend>Machine-flagged opens and clicks (Marketo)</legend>
        <p class="admin-hint" id="integ-machine-hint">Opens by privacy proxies and clicks by link scanners are flagged as machine activity.</p>
        <label class="admin-check"><input type="radio" name="integ-machine" value="flagged" aria-describedby="integ-machine-hint"
          checked=${form.marketo_machine === 'flagged'} onChange=${() => set('marketo_machine', 'flagged')} />
          Send them, with the attribute machine = true</label>
        <label class="admin-check"><input type="radio" name="integ-machine" value="skip" aria-describedby="integ-machine-hint"
          checked=${form.marketo_machine === 'skip'} onChange=${() => set('marketo_machine', 'skip')} />
          Do not send them</label>
      </fieldset>
      <fieldset class="admin-fieldset">
        <legend>Activities logged as Salesforce Tasks</legend>
        <ul class="admin-checks">
          ${settings.activity_types.map((t) => html`
            <li key=${t.type}><label><input type="checkbox" checked=${form.salesforce_types.includes(t.type)}
              onChange=${toggle(t.type)} /> ${t.name}</label></li>`)}
        </ul>
        ${form.salesforce_types.length === 0 ? html`<p class="admin-hint">None: nothing is logged in Salesforce.</p>` : null}
      </fieldset>
      <div class="admin-field">
        <label for="integ-subject">Task subject template</label>
        <span id="integ-subject-hint" class="admin-hint">Variables: ${settings.subject_variables.map((v, i) => html`${i ? ', ' : ''}<code>{{${v}}}</code>`)}. Subjects are cut to 255 characters.</span>
        <input id="integ-subject" type="text" value=${form.salesforce_subject} maxLength="1000"
          aria-describedby="integ-subject-hint integ-subject-live" aria-invalid=${bad === 'salesforce_subject' || hint.unknown.length ? 'true' : undefined}
          onInput=${(e) => set('salesforce_subject', e.currentTarget.value)} />
        <span id="integ-subject-live" class=${hint.unknown.length ? 'admin-field-error' : 'admin-hint'} aria-live="polite">${hint.unknown.length
          ? `Not a variable: ${hint.unknown.map((n) => `{{${n}}}`).join(', ')}.`
          : hint.used.length ? `Uses ${hint.used.join(', ')}.` : 'Uses no variables: every Task gets the same subject.'}</span>
      </div>
      <div class="admin-actions">
        <button type="submit" class="admin-primary" aria-disabled=${busy ? 'true' : 'false'}>${busy ? 'Saving…' : 'Save settings'}</button>
      </div>
      <p role="status" class="admin-live">${notice}</p>
      ${failure ? html`<p role="alert" class="admin-error">${failure}</p>` : null}
    </form>`;
}

export function Integrations({ nav }) {
  const [round, setRound] = useState(0);
  const list = useLoad((signal) => api('GET', '/api/v1/integrations', { signal }), [round]);
  const settings = useLoad((signal) => api('GET', '/api/v1/integrations/settings', { signal }), []);

  if (isForbidden(list.error) || isForbidden(settings.error))
    return html`<${AdminsOnly} error=${list.error || settings.error} />`;

  const types = settings.data ? settings.data.activity_types : [];
  let dests;
  if (list.error && !list.data) dests = html`<${ErrorState} error=${list.error} onRetry=${list.reload} />`;
  else if (!list.data) dests = html`<${Loading} label="Loading the integrations…" />`;
  else
    dests = html`
      <div class="admin-actions">
        <button type="button" onClick=${() => setRound((n) => n + 1)} aria-disabled=${list.loading ? 'true' : 'false'}>Refresh</button>
        <span class="admin-hint">${list.loading ? 'Refreshing…' : ''}</span>
      </div>
      ${list.error ? html`<${ErrorState} error=${list.error} onRetry=${list.reload} />` : null}
      ${list.data.data.map((d) => html`<${Destination} key=${d.name} dest=${d} types=${types} round=${round}
        onRetried=${() => setRound((n) => n + 1)} />`)}`;

  let form;
  if (settings.error && !settings.data) form = html`<${ErrorState} error=${settings.error} onRetry=${settings.reload} />`;
  else if (!settings.data) form = html`<${Loading} label="Loading the settings…" />`;
  else form = html`<${SettingsForm} settings=${settings.data} onSaved=${(s) => settings.setData(s)} />`;

  return html`
    <${Page} title="Integrations">
      ${nav}
      <section class="admin-card" aria-labelledby="integ-once-h">
        <h2 id="integ-once-h">Delivered once</h2>
        <p>Every sales activity hail records goes to Marketo (as a custom activity) and to Salesforce (as a Task, for
          the types chosen below), in the order it happened, and once: hail records each batch as in flight before
          it sends it, and after a crash it checks what arrived instead of sending blindly.</p>
        <p>The remaining window: Marketo lists an accepted activity only after a short delay, so a record sent
          just before a crash and not yet listed when hail checks (it waits a minute first) can arrive twice.
          Salesforce Tasks are upserted by <code>Hail_Activity_Id__c</code> and never doubled; without that field
          the same window as Marketo's applies. Records a destination refuses are listed as skipped and are sent
          again only when you choose "Retry now".</p>
      </section>
      ${dests}
      ${form}
    <//>`;
}
