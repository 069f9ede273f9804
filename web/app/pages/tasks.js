// The task queue (/tasks): Overdue / Today / Tomorrow / Next 7 days with their counts (GET
// /api/v1/tasks/counts), filters by type, assignee and campaign (all in the URL: ?queue=
// &type=&assignee=&campaign=), the queue's tasks (GET /api/v1/tasks, cursor-paged) with
// Complete, Skip and Reschedule on each, a selection for bulk reschedule and skip (POST
// /api/v1/tasks/bulk), and the work-queue mode (?mode=work&task=ID): one task at a time
// beside the person's details. A task linked to a Salesforce Task shows the "Salesforce" badge.
import { useEffect, useState } from 'preact/hooks';
import { html } from '../lib/html.js';
import { api } from '../lib/api.js';
import { Link, location, navigate } from '../lib/router.js';
import { withQuery } from '../lib/paths.js';
import { formatCount } from '../lib/format.js';
import { Page } from '../components/page.js';
import { Pager, usePagedList } from '../components/paged.js';
import { Loading, Empty, ErrorState } from '../components/states.js';
import { Modal } from './calls-dialog.js';
import { tasksChanged, TASKS_CHANGED } from './tasks-nav.js';
import {
  TaskCompleter, RescheduleForm, TaskWork, TaskDue, Priority, SalesforceBadge, SalesforceLine, skipTask, rescheduleTask,
} from './tasks-work.js';
import {
  QUEUES, TASK_TYPES, filtersOf, tasksQuery, filterChange, queueLabel, typeLabel, taskTitle, bulkLine,
  nextAfter, keepSelected, toggled, rescheduleProblem, isoFromLocalInput, defaultReschedule, tasksCount,
} from './tasks-rules.js';

function go(changes, replace = false) {
  const { path, query } = location.value;
  navigate(path + withQuery(query.toString(), changes), { replace });
}

function useCounts(assignee) {
  const [counts, setCounts] = useState(null);
  const [round, setRound] = useState(0);
  useEffect(() => {
    const bump = () => setRound((n) => n + 1);
    window.addEventListener(TASKS_CHANGED, bump);
    return () => window.removeEventListener(TASKS_CHANGED, bump);
  }, []);
  useEffect(() => {
    const ac = new AbortController();
    api('GET', '/api/v1/tasks/counts', { query: { assignee: assignee === 'all' ? null : assignee }, signal: ac.signal }).then(
      (c) => setCounts(c),
      (e) => e.name !== 'AbortError' && setCounts({ error: e }),
    );
    return () => ac.abort();
  }, [assignee, round]);
  return counts;
}

// The filters' choices: users for admins (GET /api/v1/users), campaigns the user can see
// (GET /api/v1/campaigns?view=all). Either may fail: the filter then offers less.
function useChoices(user) {
  const [choices, setChoices] = useState({ users: [], campaigns: [] });
  useEffect(() => {
    const ac = new AbortController();
    const soft = (p) => p.then((r) => (r && r.data) || [], () => []);
    Promise.all([
      user && user.role === 'admin' ? soft(api('GET', '/api/v1/users', { query: { limit: 200 }, signal: ac.signal })) : [],
      soft(api('GET', '/api/v1/campaigns', { query: { view: 'all', limit: 200 }, signal: ac.signal })),
    ]).then(([users, campaigns]) => !ac.signal.aborted && setChoices({ users, campaigns }));
    return () => ac.abort();
  }, [user && user.id]);
  return choices;
}

function QueueNav({ filters, counts }) {
  return html`<nav aria-label="Task queues" class="queue-nav">
    <ul>
      ${QUEUES.map(([id, label]) => {
        const n = counts && !counts.error && typeof counts[id] === 'number' ? counts[id] : null;
        const current = filters.queue === id;
        return html`<li key=${id}>
          <${Link} href=${'/tasks' + withQuery(location.value.query.toString(), { ...filterChange('queue', id), mode: null, task: null })}
            class=${`queue-link${id === 'overdue' && n ? ' queue-late' : ''}`} aria-current=${current ? 'page' : undefined}>
            ${label} <span class="queue-count">${n === null ? '…' : formatCount(n)}<span class="visually-hidden"> ${n === 1 ? 'task' : 'tasks'}</span></span>
          </${Link}>
        </li>`;
      })}
    </ul>
  </nav>`;
}

function Filters({ filters, choices }) {
  const change = (name) => (e) => go({ ...filterChange(name, e.currentTarget.value), mode: null, task: null });
  return html`<div class="toolbar task-filters">
    <div class="field">
      <label for="task-type">Type</label>
      <select id="task-type" value=${filters.type} onChange=${change('type')}>
        <option value="">All types</option>
        ${TASK_TYPES.map(([id, label]) => html`<option key=${id} value=${id}>${label}</option>`)}
      </select>
    </div>
    <div class="field">
      <label for="task-assignee">Assignee</label>
      <select id="task-assignee" value=${filters.assignee} onChange=${change('assignee')}>
        <option value="me">Me</option>
        <option value="all">Everyone I can see</option>
        ${choices.users.map((u) => html`<option key=${u.id} value=${String(u.id)}>${u.name || u.email}</option>`)}
      </select>
    </div>
    <div class="field">
      <label for="task-campaign">Campaign</label>
      <select id="task-campaign" value=${filters.campaign} onChange=${change('campaign')}>
        <option value="">All campaigns</option>
        ${filters.campaign && !choices.campaigns.some((c) => String(c.id) === filters.campaign)
          ? html`<option value=${filters.campaign}>Campaign ${filters.campaign}</option>` : null}
        ${choices.campaigns.map((c) => html`<option key=${c.id} value=${String(c.id)}>${c.name}</option>`)}
      </select>
    </div>
  </div>`;
}

function BulkBar({ selected, onDone, onClear }) {
  const [value, setValue] = useState(() => defaultReschedule(null));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const n = selected.size;
  async function run(action) {
    setError(null);
    const body = { ids: [...selected], action };
    if (action === 'reschedule') {
      const problem = rescheduleProblem(value);
      if (problem) {
        setError(problem);
        return;
      }
      body.due_at = isoFromLocalInput(value);
    }
    setBusy(true);
    try {
      const reply = await api('POST', '/api/v1/tasks/bulk', { body });
      onDone(bulkLine(action, reply));
    } catch (e) {
      setError(`Could not ${action} the tasks: ${e.message}`);
    } finally {
      setBusy(false);
    }
  }
  return html`<div class="selection-bar bulk-bar" role="group" aria-label="Selected tasks">
    <span><strong>${tasksCount(n)}</strong> selected</span>
    <label for="bulk-due">Reschedule to</label>
    <input type="datetime-local" id="bulk-due" value=${value} onInput=${(e) => setValue(e.currentTarget.value)}
      aria-invalid=${error ? 'true' : undefined} />
    <button type="button" class="button" disabled=${busy} onClick=${() => run('reschedule')}>Reschedule selected</button>
    <button type="button" class="button" disabled=${busy} onClick=${() => run('skip')}>Skip selected</button>
    <button type="button" class="button button-quiet" disabled=${busy} onClick=${onClear}>Clear selection</button>
    ${error ? html`<p class="form-error-inline" role="alert">${error}</p>` : null}
  </div>`;
}

function TaskTable({ rows, busy, selected, setSelected, onAct, showAssignee }) {
  const all = rows.length > 0 && rows.every((t) => selected.has(t.id));
  return html`<div class=${busy ? 'table-wrap is-busy' : 'table-wrap'} role="region" aria-label="Tasks (scrollable)" tabindex="0">
    <table class="table table-tasks" aria-label="Tasks" aria-busy=${busy ? 'true' : 'false'}>
      <thead><tr>
        <th scope="col" class="select-cell"><input type="checkbox" aria-label="Select all tasks on this page" checked=${all}
          onChange=${() => setSelected(all ? new Set() : new Set(rows.map((t) => t.id)))} /></th>
        <th scope="col">Task</th>
        <th scope="col">Person</th>
        <th scope="col">Due</th>
        <th scope="col">Priority</th>
        <th scope="col">Campaign</th>
        ${showAssignee ? html`<th scope="col">Assignee</th>` : null}
        <th scope="col">Actions</th>
      </tr></thead>
      <tbody>
        ${rows.map((t) => {
          const title = taskTitle(t);
          return html`<tr key=${t.id}>
            <td class="select-cell"><input type="checkbox" aria-label=${`Select ${title}`} checked=${selected.has(t.id)}
              onChange=${() => setSelected(toggled(selected, t.id))} /></td>
            <td class="cell-task"><span class=${`type-badge type-${t.type}`}>${typeLabel(t.type)}</span>
              <button type="button" class="link-button" onClick=${() => onAct('work', t)}>${title}<span class="visually-hidden"> (work on it)</span></button><${SalesforceBadge} task=${t} /></td>
            <td>${t.person ? html`<${Link} href=${`/people/${t.person.id}`}>${t.person.name || `Person ${t.person.id}`}</${Link}>${t.person.company ? html`<span class="muted cell-sub">${t.person.company}</span>` : null}` : html`<span class="muted">—</span>`}</td>
            <td><${TaskDue} task=${t} /></td>
            <td><${Priority} value=${t.priority} /></td>
            <td>${t.campaign ? t.campaign.name : html`<span class="muted">—</span>`}</td>
            ${showAssignee ? html`<td>${t.assignee ? t.assignee.name : '—'}</td>` : null}
            <td class="cell-actions">
              <button type="button" class="button" aria-label=${`Complete ${title}`} onClick=${() => onAct('complete', t)}>Complete</button>
              <button type="button" class="button" aria-label=${`Skip ${title}`} onClick=${() => onAct('skip', t)}>Skip</button>
              <button type="button" class="button" aria-label=${`Reschedule ${title}`} onClick=${() => onAct('reschedule', t)}>Reschedule</button>
            </td>
          </tr>`;
        })}
      </tbody>
    </table>
  </div>`;
}

export function TasksPage({ query, user }) {
  const filters = filtersOf(query);
  const work = query.get('mode') === 'work';
  const workTask = Number(query.get('task')) || null;
  const counts = useCounts(filters.assignee);
  const choices = useChoices(user);
  const list = usePagedList((f, { cursor, limit, signal }) =>
    api('GET', '/api/v1/tasks', { query: { ...tasksQuery(f), limit, cursor }, signal }));
  const [selected, setSelected] = useState(new Set());
  const [dialog, setDialog] = useState(null); // { kind: 'complete'|'reschedule', task }
  const [said, setSaid] = useState('');
  const [failure, setFailure] = useState(null);
  const key = JSON.stringify(filters);
  useEffect(() => {
    list.load(filters);
    setSelected(new Set());
    setSaid('');
  }, [key]);
  const { state } = list;
  useEffect(() => {
    if (state.status === 'ready') setSelected((s) => keepSelected(s, state.rows));
  }, [state.rows]);

  function changed(line) {
    setSaid(line);
    setFailure(null);
    list.retry();
    tasksChanged();
  }

  async function act(kind, task) {
    setFailure(null);
    setSaid('');
    if (kind === 'work') {
      go({ mode: 'work', task: task.id });
      return;
    }
    if (kind === 'skip') {
      try {
        await skipTask(task);
        changed(`Skipped: ${taskTitle(task)}.`);
      } catch (e) {
        setFailure(`Could not skip the task: ${e.message}`);
      }
      return;
    }
    setDialog({ kind, task });
  }

  const ids = state.status === 'ready' ? state.rows.map((t) => t.id) : [];
  const title = work ? `Work queue · ${queueLabel(filters.queue)}` : 'Tasks';
  const actions = work
    ? null
    : html`<button type="button" class="button button-primary" disabled=${!ids.length}
        onClick=${() => go({ mode: 'work', task: ids[0] })}>Start work queue</button>`;

  let body;
  if (state.status === 'error') body = html`<${ErrorState} error=${state.error} onRetry=${list.retry} />`;
  else if (state.status !== 'ready') body = html`<${Loading} label="Loading tasks…" />`;
  else if (work) {
    body = html`<${TaskWork} rows=${state.rows} startId=${workTask || ids[0]} busy=${state.busy}
      onMove=${(id) => go({ task: id }, true)}
      onExit=${() => go({ mode: null, task: null })}
      onChanged=${(t) => {
        const next = nextAfter(ids, t.id);
        go({ task: next }, true);
        list.retry();
        tasksChanged();
      }} />`;
  } else if (state.rows.length === 0) {
    const which = filters.queue === 'overdue' ? 'No tasks overdue' : filters.queue === 'open' ? 'No open tasks'
      : `No tasks due ${queueLabel(filters.queue).toLowerCase()}`;
    body = html`<${Empty}><p>${which}${filters.type || filters.campaign ? ' with these filters' : ''}.</p></${Empty}>`;
  } else {
    body = html`
      ${selected.size ? html`<${BulkBar} selected=${selected} onClear=${() => setSelected(new Set())}
        onDone=${(line) => { setSelected(new Set()); changed(line); }} />` : null}
      <${TaskTable} rows=${state.rows} busy=${state.busy} selected=${selected} setSelected=${setSelected}
        onAct=${act} showAssignee=${filters.assignee !== 'me'} />`;
  }

  const d = dialog;
  return html`<${Page} title=${title} actions=${actions} wide=${true}>
    <${QueueNav} filters=${filters} counts=${counts} />
    ${counts && counts.error ? html`<p class="muted">The counts could not be loaded: ${counts.error.message}</p>` : null}
    <${Filters} filters=${filters} choices=${choices} />
    <p class="task-said" role="status">${said}</p>
    ${failure ? html`<div class="form-error" role="alert"><p>${failure}</p></div>` : null}
    ${body}
    ${work ? null : html`<${Pager} list=${list} noun="tasks" />`}
    ${d && d.kind === 'complete' ? html`<${Modal} title=${`Complete: ${taskTitle(d.task)}`} onClose=${() => setDialog(null)}>
      <${SalesforceLine} task=${d.task} />
      <${TaskCompleter} task=${d.task} idPrefix="dlg" onCancel=${() => setDialog(null)}
        onDone=${() => { setDialog(null); changed(`Completed: ${taskTitle(d.task)}.`); }} />
    </${Modal}>` : null}
    ${d && d.kind === 'reschedule' ? html`<${Modal} title=${`Reschedule: ${taskTitle(d.task)}`} onClose=${() => setDialog(null)}>
      <${SalesforceLine} task=${d.task} />
      <${RescheduleForm} task=${d.task} idPrefix="dlg-resched" onCancel=${() => setDialog(null)}
        onSubmit=${async (iso) => { await rescheduleTask(d.task, iso); setDialog(null); changed(`Rescheduled: ${taskTitle(d.task)}.`); }} />
    </${Modal}>` : null}
  </${Page}>`;
}

// A person's open tasks (the person page's Tasks tab): GET /api/v1/tasks?queue=open&person=ID,
// every assignee the user may see; each links to the work queue on it.
export function PersonTasks({ personId, name }) {
  const list = usePagedList((f, { cursor, limit, signal }) =>
    api('GET', '/api/v1/tasks', { query: { queue: 'open', person: f.person, limit, cursor }, signal }));
  useEffect(() => {
    list.load({ person: personId });
  }, [personId]);
  useEffect(() => {
    const reload = () => list.retry();
    window.addEventListener(TASKS_CHANGED, reload);
    return () => window.removeEventListener(TASKS_CHANGED, reload);
  });
  const { state } = list;
  let body;
  if (state.status === 'error') body = html`<${ErrorState} error=${state.error} onRetry=${list.retry} />`;
  else if (state.status !== 'ready') body = html`<${Loading} label="Loading tasks…" />`;
  else if (state.rows.length === 0) body = html`<${Empty}><p>No open tasks about ${name}.</p></${Empty}>`;
  else {
    body = html`<div class="table-wrap" role="region" aria-label="Open tasks (scrollable)" tabindex="0">
      <table class="table table-tasks" aria-label="Open tasks">
        <thead><tr><th scope="col">Task</th><th scope="col">Due</th><th scope="col">Priority</th><th scope="col">Campaign</th><th scope="col">Assignee</th></tr></thead>
        <tbody>
          ${state.rows.map((t) => html`<tr key=${t.id}>
            <td class="cell-task"><span class=${`type-badge type-${t.type}`}>${typeLabel(t.type)}</span>
              <${Link} href=${`/tasks?queue=open&assignee=all&mode=work&task=${t.id}`}>${taskTitle(t)}</${Link}><${SalesforceBadge} task=${t} /></td>
            <td><${TaskDue} task=${t} /></td>
            <td><${Priority} value=${t.priority} /></td>
            <td>${t.campaign ? t.campaign.name : html`<span class="muted">—</span>`}</td>
            <td>${t.assignee ? t.assignee.name : '—'}</td>
          </tr>`)}
        </tbody>
      </table>
    </div>`;
  }
  return html`<div class="task-list">${body}<${Pager} list=${list} noun="tasks" /></div>`;
}
