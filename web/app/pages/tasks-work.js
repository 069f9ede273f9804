// Acting on one task, shared by the list and the work queue: completing it (a call task
// through the call-log form, POST /api/v1/tasks/{id}/complete {"call": CallInput}; an email
// task through the prefilled composer; any other with {}), rescheduling it (PATCH
// /api/v1/tasks/{id} {due_at}), skipping it (POST …/skip). And the work-queue mode: one task
// at a time beside the person's details, moving on to the next after complete or skip. A task
// linked to a Salesforce Task carries the "Salesforce" badge (SalesforceBadge) wherever it is
// listed, and the work queue names the Task (a link when hail knows the Salesforce URL).
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../lib/html.js';
import { api } from '../lib/api.js';
import { Link } from '../lib/router.js';
import { formatDateTime, relativeTime, personName, salesforceUrl } from '../lib/format.js';
import { useAppInfo } from '../lib/app-info.js';
import { useResource } from '../lib/use-resource.js';
import { Loading, Empty, ErrorState } from '../components/states.js';
import { CallForm } from './calls-form.js';
import { callsChanged } from './calls.js';
import { TaskEmailForm } from './tasks-email.js';
import {
  typeLabel, taskTitle, defaultReschedule, rescheduleProblem, isoFromLocalInput, salesforceTaskId, salesforceNote,
} from './tasks-rules.js';

export function completeCall(task, input) {
  return api('POST', `/api/v1/tasks/${task.id}/complete`, { body: { call: input } }).then((t) => {
    callsChanged();
    return t;
  });
}

export function skipTask(task) {
  return api('POST', `/api/v1/tasks/${task.id}/skip`);
}

export function rescheduleTask(task, iso) {
  return api('PATCH', `/api/v1/tasks/${task.id}`, { body: { due_at: iso } });
}

export function TaskDue({ task }) {
  if (!task.due_at) return html`<span class="muted">—</span>`;
  const late = task.status === 'open' && Date.parse(task.due_at) < Date.now();
  return html`<time datetime=${task.due_at} title=${relativeTime(task.due_at)} class=${late ? 'due-late' : ''}>${formatDateTime(task.due_at)}</time>${late
    ? html` <span class="badge badge-bad">Overdue</span>` : null}`;
}

export function Priority({ value }) {
  return value === 'high' ? html`<span class="badge badge-bad">High</span>` : html`<span class="muted">Normal</span>`;
}

// "Salesforce" for a task linked to a Salesforce Task: the Task's id in the tooltip and, for
// screen readers, in the text read instead of the word. Nothing for a task not linked.
export function SalesforceBadge({ task }) {
  const note = salesforceNote(task);
  if (!note) return null;
  return html`<span class="badge badge-sf" title=${note}><span aria-hidden="true">Salesforce</span><span class="visually-hidden">${note}</span></span>`;
}

// In a dialog acting on a linked task: what is done here reaches its Task too.
export function SalesforceLine({ task }) {
  if (!salesforceTaskId(task)) return null;
  return html`<p class="task-sf-line"><${SalesforceBadge} task=${task} /> The change goes to its Salesforce Task too.</p>`;
}

// The work queue's "Salesforce" field: the Task's id, and a link to it when hail knows the
// Salesforce URL (GET /api/v1/app).
function SalesforceTask({ task }) {
  const info = useAppInfo();
  const id = salesforceTaskId(task);
  const href = salesforceUrl(info && info.salesforce_url, 'Task', id);
  return html`Synced with Task <code>${id}</code>${href
    ? html` · <a href=${href} target="_blank" rel="noopener noreferrer">Open in Salesforce<span class="ext" aria-hidden="true">↗</span></a>` : null}`;
}

// How a task is completed: its form by type. onDone(task) after it went through.
export function TaskCompleter({ task, idPrefix, onDone, onCancel }) {
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState(null);
  if (task.type === 'call' && task.person) {
    return html`<${CallForm} personId=${task.person.id} dial=${!!task.person.phone} idPrefix=${`${idPrefix}-call`}
      submit=${(input) => completeCall(task, input)} submitLabel="Log call and complete"
      onDone=${onDone} onCancel=${onCancel} />`;
  }
  if (task.type === 'email' && task.person) {
    return html`<${TaskEmailForm} task=${task} idPrefix=${`${idPrefix}-email`} onDone=${onDone} onCancel=${onCancel} />`;
  }
  async function complete() {
    setBusy(true);
    setFailure(null);
    try {
      onDone(await api('POST', `/api/v1/tasks/${task.id}/complete`, { body: {} }));
    } catch (e) {
      setFailure(e.message);
      setBusy(false);
    }
  }
  return html`<div class="task-complete">
    <p>${task.type === 'linkedin' ? 'Done it on LinkedIn?' : 'Done?'} Completing moves the person on to the next step of the campaign.</p>
    ${failure ? html`<div class="form-error" role="alert"><p>Could not complete the task: ${failure}</p></div>` : null}
    <div class="form-actions">
      <button type="button" class="button button-primary" onClick=${complete} disabled=${busy}>Mark complete</button>
      ${onCancel ? html`<button type="button" class="button button-quiet" onClick=${onCancel} disabled=${busy}>Cancel</button>` : null}
    </div>
  </div>`;
}

// "New due date" and a button; onSubmit(iso) returns a promise.
export function RescheduleForm({ task, idPrefix, onSubmit, onCancel, label = 'Reschedule' }) {
  const [value, setValue] = useState(() => defaultReschedule(task));
  const [error, setError] = useState(null);
  const [failure, setFailure] = useState(null);
  const [busy, setBusy] = useState(false);
  const id = `${idPrefix}-due`;
  async function submit(e) {
    e.preventDefault();
    const problem = rescheduleProblem(value);
    setError(problem);
    setFailure(null);
    if (problem) return;
    setBusy(true);
    try {
      await onSubmit(isoFromLocalInput(value));
    } catch (err) {
      setFailure(err.message);
      setBusy(false);
    }
  }
  return html`<form class="form reschedule-form" onSubmit=${submit} noValidate>
    <div class="field">
      <label for=${id}>New due date</label>
      <input type="datetime-local" id=${id} value=${value} onInput=${(e) => setValue(e.currentTarget.value)}
        aria-invalid=${error ? 'true' : undefined} aria-describedby=${error ? `${id}-err` : undefined} />
      ${error ? html`<span class="field-error" id=${`${id}-err`}>${error}</span>` : null}
    </div>
    ${failure ? html`<div class="form-error" role="alert"><p>Could not reschedule: ${failure}</p></div>` : null}
    <div class="form-actions">
      <button type="submit" class="button button-primary" disabled=${busy}>${label}</button>
      ${onCancel ? html`<button type="button" class="button button-quiet" onClick=${onCancel} disabled=${busy}>Cancel</button>` : null}
    </div>
  </form>`;
}

// The person beside the task: who they are and how to reach them.
function PersonPanel({ person }) {
  const [state, retry] = useResource(person ? `/api/v1/people/${encodeURIComponent(person.id)}` : null);
  if (!person) {
    return html`<section class="card" aria-labelledby="work-person"><h2 id="work-person">Person</h2><p class="muted">This task is about no one in particular.</p></section>`;
  }
  let content;
  if (state.status === 'loading') content = html`<${Loading} label="Loading the person…" />`;
  else if (state.status === 'error') content = html`<${ErrorState} error=${state.error} onRetry=${retry} />`;
  else {
    const p = state.data;
    content = html`<dl class="fields">
      <div class="field-row"><dt>Name</dt><dd><${Link} href=${`/people/${p.id}`}>${personName(p)}</${Link}></dd></div>
      <div class="field-row"><dt>Title</dt><dd>${p.title || html`<span class="muted">Not set</span>`}</dd></div>
      <div class="field-row"><dt>Company</dt><dd>${p.company || html`<span class="muted">Not set</span>`}</dd></div>
      <div class="field-row"><dt>Email</dt><dd>${p.email ? html`<a href=${`mailto:${p.email}`}>${p.email}</a>` : html`<span class="muted">Not set</span>`}</dd></div>
      <div class="field-row"><dt>Phone</dt><dd>${p.phone || html`<span class="muted">Not set</span>`}</dd></div>
      <div class="field-row"><dt>Owner</dt><dd>${p.owner_email || html`<span class="muted">Not set</span>`}</dd></div>
    </dl>
    <p><${Link} href=${`/people/${p.id}?tab=calls`}>Calls with ${personName(p)}</${Link}> · <${Link} href=${`/people/${p.id}?tab=emails`}>Emails</${Link}></p>`;
  }
  return html`<section class="card" aria-labelledby="work-person"><h2 id="work-person">${person.name || 'Person'}</h2>${content}</section>`;
}

// One task at a time from `rows` (the queue's current page), starting at `startId`.
// onChanged(task, what) after complete/skip/reschedule: the page reloads the queue and this
// moves to the task that took the place of the one done.
export function TaskWork({ rows, startId, onChanged, onExit, onMove, busy }) {
  const [mode, setMode] = useState(null); // null | 'reschedule'
  const [said, setSaid] = useState('');
  const [failure, setFailure] = useState(null);
  const heading = useRef(null);
  const index = Math.max(0, rows.findIndex((t) => t.id === startId));
  const task = rows[index];
  useEffect(() => {
    setMode(null);
    setFailure(null);
    if (heading.current) heading.current.focus();
  }, [task && task.id]);

  if (!task) {
    return html`<${Empty}>
      <p>${said ? `${said} ` : ''}Nothing left in this queue.</p>
      <p><button type="button" class="button" onClick=${onExit}>Back to the list</button></p>
    </${Empty}>`;
  }
  const title = taskTitle(task);
  const done = (what) => (t) => {
    setSaid(`${what}: ${title}.`);
    onChanged(t || task, what);
  };
  async function skip() {
    setFailure(null);
    try {
      done('Skipped')(await skipTask(task));
    } catch (e) {
      setFailure(`Could not skip the task: ${e.message}`);
    }
  }
  const prev = index > 0 ? rows[index - 1] : null;
  const next = index < rows.length - 1 ? rows[index + 1] : null;
  return html`<div class="work">
    <div class="work-bar">
      <p class="work-pos" role="status">${said ? `${said} ` : ''}Task ${index + 1} of ${rows.length}</p>
      <div class="work-nav">
        <button type="button" class="button" disabled=${!prev || busy} onClick=${() => prev && onMove(prev.id)}>Previous task</button>
        <button type="button" class="button" disabled=${!next || busy} onClick=${() => next && onMove(next.id)}>Next task</button>
        <button type="button" class="button button-quiet" onClick=${onExit}>Back to the list</button>
      </div>
    </div>
    <div class="work-layout">
      <section class="card work-task" aria-labelledby="work-task-h">
        <h2 id="work-task-h" ref=${heading} tabindex="-1">${title}</h2>
        <dl class="fields">
          <div class="field-row"><dt>Type</dt><dd>${typeLabel(task.type)}</dd></div>
          <div class="field-row"><dt>Due</dt><dd><${TaskDue} task=${task} /></dd></div>
          <div class="field-row"><dt>Priority</dt><dd><${Priority} value=${task.priority} /></dd></div>
          <div class="field-row"><dt>Campaign</dt><dd>${task.campaign ? html`<${Link} href=${`/campaigns/${task.campaign.id}`}>${task.campaign.name}</${Link}>` : html`<span class="muted">None</span>`}</dd></div>
          <div class="field-row"><dt>Assignee</dt><dd>${task.assignee ? task.assignee.name : '—'}</dd></div>
          ${salesforceTaskId(task) ? html`<div class="field-row"><dt>Salesforce</dt><dd><${SalesforceTask} task=${task} /></dd></div>` : null}
        </dl>
        ${task.details ? html`<h3 class="detail-sub">Details</h3><p class="task-details">${task.details}</p>` : null}
        ${failure ? html`<div class="form-error" role="alert"><p>${failure}</p></div>` : null}
        <div class="form-actions">
          <button type="button" class="button" onClick=${skip} disabled=${busy}>Skip</button>
          <button type="button" class="button" aria-expanded=${mode === 'reschedule' ? 'true' : 'false'}
            onClick=${() => setMode(mode === 'reschedule' ? null : 'reschedule')}>Reschedule</button>
        </div>
        ${mode === 'reschedule' ? html`<${RescheduleForm} key=${`r-${task.id}`} task=${task} idPrefix="work-resched"
          onCancel=${() => setMode(null)}
          onSubmit=${async (iso) => done('Rescheduled')(await rescheduleTask(task, iso))} />` : null}
        <h3 class="detail-sub">${task.type === 'call' ? 'Log the call' : task.type === 'email' ? 'Send the email' : 'Complete'}</h3>
        <${TaskCompleter} key=${`c-${task.id}`} task=${task} idPrefix="work" onDone=${done('Completed')} />
      </section>
      <${PersonPanel} key=${`p-${task.id}`} person=${task.person} />
    </div>
  </div>`;
}
