// /admin/triggers: triggers (docs/outbox.md "Filters and triggers"). A trigger
// runs its action once for each activity after which the person matches a
// saved filter: call a webhook (signed), add to a campaign, or create a task.
// The list (GET /api/v1/triggers), a form to add one (POST), enable/disable
// (PATCH), delete (DELETE, confirmed), and for the trigger chosen its
// webhook delivery log (GET …/deliveries) and its firings (GET …/fires).
import { useRef, useState } from 'preact/hooks';
import { html } from '../../lib/html.js';
import { api } from '../../lib/api.js';
import { Page } from '../../components/page.js';
import { Loading, Empty, ErrorState } from '../../components/states.js';
import { useLoad, useId } from './load.js';
import { Field } from './field.js';
import { ConfirmDialog } from './confirm-dialog.js';
import { AdminsOnly, isForbidden } from './admins-only.js';
import {
  ACTIONS, TASK_TYPES, emptyTriggerForm, validateTrigger, triggerBody, actionSummary, deliveryText,
} from './triggers-rules.js';

function Select({ label, value, onChange, options, error, selectRef, hint }) {
  const id = useId('sel');
  const errId = error ? `${id}-err` : undefined;
  const hintId = hint ? `${id}-hint` : undefined;
  return html`<div class="admin-field">
    <label for=${id}>${label}</label>
    ${hint ? html`<span id=${hintId} class="admin-hint">${hint}</span>` : null}
    <select id=${id} ref=${selectRef} value=${value} aria-invalid=${error ? 'true' : undefined}
      aria-describedby=${[hintId, errId].filter(Boolean).join(' ') || undefined}
      onChange=${(e) => onChange(e.currentTarget.value)}>
      ${options.map(([v, l]) => html`<option key=${v} value=${v}>${l}</option>`)}
    </select>
    ${error ? html`<span id=${errId} class="admin-field-error">${error}</span>` : null}
  </div>`;
}

// The saved filters or campaigns to choose from; when the list cannot be read,
// a number field for the id (with the reason as its hint).
function Choice({ label, what, list, value, onChange, error, inputRef }) {
  if (list.data && list.data.data.length) {
    return html`<${Select} label=${label} value=${value} onChange=${onChange} error=${error} selectRef=${inputRef}
      options=${[['', `Choose a ${what}…`], ...list.data.data.map((x) => [String(x.id), `${x.name} (#${x.id})`])]} />`;
  }
  const hint = list.loading ? `Loading the ${what}s…`
    : list.error ? `The ${what}s could not be listed (${list.error.message}): enter the id.`
      : `There is no ${what} yet: enter the id of one made later.`;
  return html`<${Field} label=${`${label} (id)`} inputMode="numeric" value=${value} hint=${hint} error=${error}
    inputRef=${inputRef} onInput=${(e) => onChange(e.currentTarget.value)} />`;
}

function TriggerForm({ filters, campaigns, onSaved, filterId = null, H = 'h2' }) {
  const blank = () => ({ ...emptyTriggerForm(), filterId: filterId ? String(filterId) : '' });
  const [f, setF] = useState(blank);
  const [errors, setErrors] = useState({});
  const [failure, setFailure] = useState(null);
  const [busy, setBusy] = useState(false);
  const refs = {
    name: useRef(null), filterId: useRef(null), url: useRef(null), secret: useRef(null),
    campaignId: useRef(null), taskName: useRef(null), dueInHours: useRef(null), taskDetails: useRef(null),
  };
  const set = (k) => (v) => setF((o) => ({ ...o, [k]: v }));
  const onInput = (k) => (e) => set(k)(e.currentTarget.value);

  async function submit(e) {
    e.preventDefault();
    setFailure(null);
    const problems = validateTrigger(f);
    setErrors(problems);
    const first = Object.keys(refs).find((k) => problems[k]);
    if (first) return refs[first].current && refs[first].current.focus();
    setBusy(true);
    try {
      const t = await api('POST', '/api/v1/triggers', { body: triggerBody(f) });
      setF(blank());
      onSaved(t);
      if (refs.name.current) refs.name.current.focus();
    } catch (err) {
      setFailure(`Could not save the trigger: ${err.message}`);
    } finally {
      setBusy(false);
    }
  }

  let fields;
  if (f.action === 'webhook') {
    fields = html`
      <${Field} label="Webhook URL" type="url" value=${f.url} error=${errors.url} inputRef=${refs.url}
        placeholder="https://example.com/hooks/hail" autocomplete="off" onInput=${onInput('url')} />
      <${Field} label="Signing secret" type="password" value=${f.secret} error=${errors.secret} inputRef=${refs.secret}
        autocomplete="new-password" hint="16 to 1024 characters. Each POST carries X-Hail-Signature: sha256=HMAC of the body with it. It is never shown again."
        onInput=${onInput('secret')} />`;
  } else if (f.action === 'add_to_campaign') {
    fields = html`<${Choice} label="Campaign" what="campaign" list=${campaigns} value=${f.campaignId}
      onChange=${set('campaignId')} error=${errors.campaignId} inputRef=${refs.campaignId} />`;
  } else {
    fields = html`
      <${Field} label="Task name" value=${f.taskName} error=${errors.taskName} inputRef=${refs.taskName}
        maxLength=${400} onInput=${onInput('taskName')} />
      <${Select} label="Task type" value=${f.taskType} onChange=${set('taskType')} options=${TASK_TYPES} />
      <${Select} label="Priority" value=${f.taskPriority} onChange=${set('taskPriority')}
        options=${[['normal', 'Normal'], ['high', 'High']]} />
      <${Field} label="Due after (hours)" inputMode="numeric" value=${f.dueInHours} error=${errors.dueInHours}
        inputRef=${refs.dueInHours} onInput=${onInput('dueInHours')} />
      <${Field} label="Task details" value=${f.taskDetails} error=${errors.taskDetails} inputRef=${refs.taskDetails}
        onInput=${onInput('taskDetails')} />`;
  }

  return html`<form class="admin-form" onSubmit=${submit} noValidate aria-labelledby="new-trigger">
    <${H} id="new-trigger">New trigger</${H}>
    <${Field} label="Trigger name" value=${f.name} error=${errors.name} inputRef=${refs.name}
      maxLength=${400} autocomplete="off" onInput=${onInput('name')} />
    ${filterId ? null : html`<${Choice} label="Saved filter" what="saved filter" list=${filters} value=${f.filterId}
      onChange=${set('filterId')} error=${errors.filterId} inputRef=${refs.filterId} />`}
    <${Select} label="Action" value=${f.action} onChange=${set('action')} options=${ACTIONS} />
    ${fields}
    <div class="admin-field">
      <label><input type="checkbox" checked=${f.enabled} onChange=${(e) => set('enabled')(e.currentTarget.checked)} /> Enabled</label>
    </div>
    <button type="submit" class="admin-primary" disabled=${busy}>Add trigger</button>
    ${failure ? html`<p role="alert" class="admin-error">${failure}</p>` : null}
  </form>`;
}

// A newest-first log of one trigger, a page at a time.
function useLog(path) {
  const [cursor, setCursor] = useState(null);
  const page = useLoad((signal) => api('GET', path, { query: { limit: 50, cursor }, signal }), [path, cursor]);
  return { ...page, cursor, setCursor };
}

function TriggerLog({ trigger, onRefresh, H = 'h2', H2 = 'h3' }) {
  const deliveries = useLog(`/api/v1/triggers/${trigger.id}/deliveries`);
  const fires = useLog(`/api/v1/triggers/${trigger.id}/fires`);
  const when = (iso) => (iso ? html`<time datetime=${iso}>${new Date(iso).toLocaleString()}</time>` : '—');

  function table(log, label, empty, head, row) {
    const rows = log.data ? log.data.data : null;
    if (log.error && !rows) return html`<${ErrorState} error=${log.error} onRetry=${log.reload} />`;
    if (!rows) return html`<${Loading} label=${`Loading the ${label.toLowerCase()}…`} />`;
    if (!rows.length && !log.cursor) return html`<${Empty}>${empty}<//>`;
    return html`<div class="admin-table-wrap">
      <table aria-label=${label} class="admin-table admin-stack" aria-busy=${log.loading ? 'true' : 'false'}>
        <thead><tr>${head.map((h) => html`<th scope="col" key=${h}>${h}</th>`)}</tr></thead>
        <tbody>${rows.map(row)}</tbody>
      </table>
      <div class="admin-pager">
        <button type="button" disabled=${!log.cursor} onClick=${() => log.setCursor(null)}>Newest</button>
        <button type="button" disabled=${!log.data.next_cursor}
          onClick=${() => log.setCursor(log.data.next_cursor)}>Older</button>
        <button type="button" onClick=${() => { log.reload(); onRefresh(); }}>Refresh</button>
      </div>
    </div>`;
  }

  return html`<section aria-labelledby="trigger-log">
    <${H} id="trigger-log">${trigger.name}: activity</${H}>
    ${trigger.action === 'webhook' ? html`
      <${H2}>Webhook deliveries</${H2}>
      <p class="admin-muted">Failed attempts are retried with growing waits, 8 attempts at most. A receiver may get a delivery twice after a crash: the X-Hail-Delivery header tells them apart.</p>
      ${table(deliveries, `Webhook deliveries of ${trigger.name}`, 'No deliveries yet.',
        ['Delivery', 'Activity', 'State', 'Next attempt', 'Created'],
        (d) => html`<tr key=${d.id}>
          <td data-label="Delivery">#${d.id}</td>
          <td data-label="Activity">#${d.activity_id}</td>
          <td data-label="State" class="admin-wrap">${deliveryText(d)}</td>
          <td data-label="Next attempt">${when(d.next_at)}</td>
          <td data-label="Created">${when(d.created_at)}</td>
        </tr>`)}` : null}
    <${H2}>Firings</${H2}>
    ${table(fires, `Firings of ${trigger.name}`, 'It has not fired yet.',
      ['Activity', 'Person', 'Type', 'Outcome', 'Fired'],
      (x) => html`<tr key=${x.activity_id}>
        <td data-label="Activity">#${x.activity_id}</td>
        <td data-label="Person">${x.person_id ? html`<a href=${`/people/${x.person_id}`}>#${x.person_id}</a>` : '—'}</td>
        <td data-label="Type">${x.activity_type || '—'}</td>
        <td data-label="Outcome" class="admin-wrap">${x.outcome}</td>
        <td data-label="Fired">${when(x.fired_at)}</td>
      </tr>`)}
  </section>`;
}

// The list, the chosen trigger's log and the form; with filterId, only that
// saved filter's triggers (the Filters & Triggers page), headings one level down.
export function TriggersBody({ filterId = null, nested = false }) {
  const H = nested ? 'h3' : 'h2';
  const H2 = nested ? 'h4' : 'h3';
  const list = useLoad((signal) => api('GET', '/api/v1/triggers', { query: { limit: 200 }, signal }), []);
  const filters = useLoad((signal) => (filterId ? Promise.resolve(null)
    : api('GET', '/api/v1/filters', { query: { limit: 200 }, signal })), [filterId]);
  const campaigns = useLoad((signal) => api('GET', '/api/v1/campaigns', { query: { limit: 200 }, signal }), []);
  const [chosen, setChosen] = useState(null);
  const [notice, setNotice] = useState('');
  const [failure, setFailure] = useState(null);
  const [busy, setBusy] = useState(null);
  const [deleting, setDeleting] = useState(null);
  const [deleteError, setDeleteError] = useState(null);

  if (isForbidden(list.error)) return html`<${AdminsOnly} error=${list.error} />`;
  const campaignName = (id) => {
    const c = campaigns.data && campaigns.data.data.find((x) => x.id === id);
    return c ? c.name : null;
  };

  async function toggle(t) {
    setFailure(null);
    setNotice('');
    setBusy(t.id);
    try {
      await api('PATCH', `/api/v1/triggers/${t.id}`, { body: { enabled: !t.enabled } });
      setNotice(`${t.name} is ${t.enabled ? 'disabled: it does not fire' : 'enabled'}.`);
    } catch (err) {
      setFailure(`Could not change ${t.name}: ${err.message}`);
    } finally {
      setBusy(null);
      list.reload();
    }
  }

  async function remove() {
    const t = deleting;
    setBusy(t.id);
    setDeleteError(null);
    try {
      await api('DELETE', `/api/v1/triggers/${t.id}`);
      setDeleting(null);
      if (chosen && chosen.id === t.id) setChosen(null);
      setNotice(`${t.name} is deleted, with its firings and delivery log.`);
      list.reload();
    } catch (err) {
      setDeleteError(err);
    } finally {
      setBusy(null);
    }
  }

  const rows = list.data ? list.data.data.filter((t) => !filterId || t.filter_id === Number(filterId)) : null;
  let body;
  if (list.error && !rows) body = html`<${ErrorState} error=${list.error} onRetry=${list.reload} />`;
  else if (!rows) body = html`<${Loading} label="Loading the triggers…" />`;
  else if (!rows.length) body = html`<${Empty}>${filterId ? 'No triggers on this filter yet. Add one below.' : 'No triggers yet. Add one below.'}<//>`;
  else
    body = html`<div class="admin-table-wrap">
      <table aria-label="Triggers" class="admin-table admin-stack" aria-busy=${list.loading ? 'true' : 'false'}>
        <thead><tr><th scope="col">Name</th><th scope="col">Filter</th><th scope="col">Action</th>
          <th scope="col">State</th><th scope="col">Fired</th><th scope="col">Actions</th></tr></thead>
        <tbody>
          ${rows.map((t) => html`<tr key=${t.id}>
            <td data-label="Name" class="admin-wrap">${t.name}</td>
            <td data-label="Filter">#${t.filter_id}</td>
            <td data-label="Action" class="admin-wrap">${actionSummary(t, campaignName(t.config.campaign_id))}</td>
            <td data-label="State">${t.enabled ? 'Enabled' : 'Disabled'}${t.deliveries_failed
              ? html` <span class="admin-error-text">(${t.deliveries_failed} failed ${t.deliveries_failed === 1 ? 'delivery' : 'deliveries'})</span>` : null}${t.deliveries_pending
              ? html` <span class="admin-muted">(${t.deliveries_pending} waiting)</span>` : null}</td>
            <td data-label="Fired">${t.fires} ${t.fires === 1 ? 'time' : 'times'}</td>
            <td data-label="Actions">
              <button type="button" class="admin-small" aria-pressed=${chosen && chosen.id === t.id ? 'true' : 'false'}
                aria-label=${`Show the activity of ${t.name}`} onClick=${() => { setChosen(t); list.reload(); }}>${t.action === 'webhook' ? 'Delivery log' : 'Firings'}</button>
              <button type="button" class="admin-small" disabled=${busy === t.id}
                aria-label=${`${t.enabled ? 'Disable' : 'Enable'} ${t.name}`} onClick=${() => toggle(t)}>${t.enabled ? 'Disable' : 'Enable'}</button>
              <button type="button" class="admin-small" disabled=${busy === t.id}
                aria-label=${`Delete ${t.name}`} onClick=${() => { setDeleteError(null); setDeleting(t); }}>Delete</button>
            </td>
          </tr>`)}
        </tbody>
      </table>
    </div>`;

  return html`
    <p class="admin-muted">A trigger acts once for each new activity after which the person matches ${filterId ? 'this' : 'a'} saved filter: it calls a webhook, adds the person to a campaign, or creates a task. What a trigger's own action records (an add to a campaign) fires no trigger.</p>
    <p role="status" class="admin-notice">${notice}</p>
    ${failure ? html`<p role="alert" class="admin-error">${failure}</p>` : null}
    ${body}
    ${chosen ? html`<${TriggerLog} key=${chosen.id} trigger=${chosen} onRefresh=${list.reload} H=${H} H2=${H2} />` : null}
    <${TriggerForm} filters=${filters} campaigns=${campaigns} filterId=${filterId} H=${H}
      onSaved=${(t) => { setNotice(`${t.name} is saved: it fires on the next matching activity.`); list.reload(); }} />
    ${deleting ? html`<${ConfirmDialog} title=${`Delete ${deleting.name}?`} confirmLabel="Delete trigger"
      busy=${busy === deleting.id} error=${deleteError ? `Could not delete ${deleting.name}: ${deleteError.message}` : null}
      onConfirm=${remove} onCancel=${() => setDeleting(null)}>
      Its firings and its webhook delivery log go with it; deliveries still waiting are not sent.
    <//>` : null}`;
}

export function Triggers({ nav }) {
  return html`<${Page} title="Triggers">
    ${nav}
    <${TriggersBody} />
  <//>`;
}
