// The task queue's pure rules: queues and their names, the query for GET /api/v1/tasks,
// the navigation count, due dates in words, reschedule values, bulk results, and which
// task comes next in the work queue. No window, no document, no preact (unit-tested).

export const QUEUES = [
  ['overdue', 'Overdue'],
  ['today', 'Today'],
  ['tomorrow', 'Tomorrow'],
  ['next_7_days', 'Next 7 days'],
];
// 'open': every open task whatever its due date (the person page's tasks link to it; not in
// the queue navigation).
const QUEUE_IDS = new Set([...QUEUES.map(([id]) => id), 'open']);

export const TASK_TYPES = [
  ['email', 'Email'],
  ['call', 'Call'],
  ['linkedin', 'LinkedIn'],
  ['custom', 'Other task'],
];

export function typeLabel(type) {
  const found = TASK_TYPES.find(([id]) => id === type);
  return found ? found[1] : type || 'Task';
}

// A task made by hand is linked to a Salesforce Task (reminder tasks sync both ways;
// salesforce_task_id is null when not linked, or once the Task was deleted there): the
// Task's id, or null.
export function salesforceTaskId(task) {
  const id = task && typeof task.salesforce_task_id === 'string' ? task.salesforce_task_id.trim() : '';
  return id || null;
}

// The Salesforce badge's tooltip and spoken text, or null for a task not linked.
export function salesforceNote(task) {
  const id = salesforceTaskId(task);
  return id ? `Synced with Salesforce Task ${id}` : null;
}

// The queue a URL asks for (default Today).
export function queueOf(value) {
  return QUEUE_IDS.has(value) ? value : 'today';
}

export function queueLabel(queue) {
  if (queue === 'open') return 'All open tasks';
  const found = QUEUES.find(([id]) => id === queue);
  return found ? found[1] : queue;
}

// The page's filters from its URL query (a URLSearchParams or a plain object).
export function filtersOf(query) {
  const get = (k) => (query && typeof query.get === 'function' ? query.get(k) : query && query[k]) || '';
  const type = TASK_TYPES.some(([id]) => id === get('type')) ? get('type') : '';
  const assignee = get('assignee') === 'all' || /^[1-9][0-9]{0,17}$/.test(get('assignee')) ? get('assignee') : 'me';
  const campaign = /^[1-9][0-9]{0,17}$/.test(get('campaign')) ? get('campaign') : '';
  return { queue: queueOf(get('queue')), type, assignee, campaign };
}

// GET /api/v1/tasks's query for the filters ('all' assignees: no assignee parameter — hail
// then lists every task the caller may see).
export function tasksQuery(f) {
  return {
    queue: f.queue,
    type: f.type || null,
    assignee: f.assignee && f.assignee !== 'all' ? f.assignee : null,
    campaign: f.campaign || null,
  };
}

// The URL query changes for a filter change: defaults leave the URL.
export function filterChange(name, value) {
  if (name === 'assignee') return { assignee: value === 'me' ? null : value };
  if (name === 'queue') return { queue: value === 'today' ? null : value };
  return { [name]: value || null };
}

// The main navigation's number beside "Tasks": overdue + today, null when unknown or 0.
export function navCount(counts) {
  if (!counts) return null;
  const n = (Number(counts.overdue) || 0) + (Number(counts.today) || 0);
  return n > 0 ? n : null;
}

function pad(n) {
  return String(n).padStart(2, '0');
}

// A Date → the value of an <input type="datetime-local"> in the browser's zone.
export function localInputValue(date) {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) return '';
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

// An <input type="datetime-local"> value (the browser's zone) → ISO 8601 UTC, or null.
export function isoFromLocalInput(value) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(String(value || ''));
  if (!m) return null;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]));
  if (Number.isNaN(d.getTime()) || d.getDate() !== Number(m[3]) || d.getMonth() !== Number(m[2]) - 1) return null;
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

// The reschedule field's first value: the next day at the task's time of day (or 09:00).
export function defaultReschedule(task, now = new Date()) {
  const due = task && task.due_at ? new Date(task.due_at) : null;
  const d = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1,
    due && !Number.isNaN(due.getTime()) ? due.getHours() : 9,
    due && !Number.isNaN(due.getTime()) ? due.getMinutes() : 0);
  return localInputValue(d);
}

// Why a reschedule value cannot be sent, or null.
export function rescheduleProblem(value) {
  if (!value) return 'Choose the new date and time.';
  if (!isoFromLocalInput(value)) return 'Enter a date and time like 2026-12-01 09:00.';
  return null;
}

// A task's due date in words, relative to the queue: "Overdue since 28 Nov 2026, 09:00".
export function dueWords(task, now = Date.now()) {
  if (!task || !task.due_at) return '';
  const t = Date.parse(task.due_at);
  if (Number.isNaN(t)) return '';
  return task.status === 'open' && t < now ? 'Overdue' : '';
}

// "1 task" / "3 tasks".
export function tasksCount(n) {
  return `${n} task${n === 1 ? '' : 's'}`;
}

const BULK_DONE = { reschedule: 'rescheduled', skip: 'skipped', complete: 'completed' };

// POST /api/v1/tasks/bulk's results in one line: "2 tasks skipped." or "1 task rescheduled ·
// 1 could not be: task 7 is not open".
export function bulkLine(action, reply) {
  const results = (reply && reply.results) || [];
  const ok = results.filter((r) => r.status === 'ok').length;
  const bad = results.filter((r) => r.status !== 'ok');
  let line = `${tasksCount(ok)} ${BULK_DONE[action] || action}`;
  if (bad.length) {
    const messages = [...new Set(bad.map((r) => r.message || 'refused'))];
    line += ` · ${bad.length} could not be: ${messages.join('; ')}`;
  }
  return line + '.';
}

// The work queue after the task with id `doneId` left it: the task now at its place (the
// next one), else the one before, else null (the queue is empty).
export function nextAfter(ids, doneId) {
  const i = ids.indexOf(doneId);
  const rest = ids.filter((id) => id !== doneId);
  if (rest.length === 0) return null;
  if (i < 0) return rest[0];
  return rest[Math.min(i, rest.length - 1)];
}

// A selection of task ids kept across reloads: only ids still on the page stay selected.
export function keepSelected(selected, rows) {
  const on = new Set(rows.map((r) => r.id));
  return new Set([...selected].filter((id) => on.has(id)));
}

export function toggled(selected, id) {
  const next = new Set(selected);
  if (next.has(id)) next.delete(id);
  else next.add(id);
  return next;
}

// The task's one-line name for buttons' accessible names: "Call Ada Lovelace".
export function taskTitle(task) {
  return (task && (task.name || '').trim()) || (task ? `${typeLabel(task.type)} task ${task.id}` : 'Task');
}

// The prefilled email is ready to send when nothing of the template is left to fill: no
// prompt ({{! …}}) and no field ({{…}}) in the subject or body.
// GET /tasks/{id}/email renders a prompt as <mark class="hail-prompt">its text</mark> in
// the body and [its text] in the subject: one still as written (prompts: the API's list)
// is left to replace too.
export function emailLeftovers(subject, body, prompts = []) {
  const text = `${subject || ''}\n${body || ''}`;
  const out = [];
  const add = (item) => { if (!out.includes(item)) out.push(item); };
  for (const m of text.matchAll(/\{\{\{?\s*([!&]?)\s*([^}]*?)\s*\}?\}\}/g)) {
    add(m[1] === '!' ? `Replace the prompt “${m[2]}” with your own words.` : `Fill {{${m[2]}}} or remove it.`);
  }
  const marked = [...(body || '').matchAll(PROMPT_MARK)].map((m) => unescapeHtml(m[1]));
  for (const p of prompts || []) {
    if (marked.includes(p) || (subject || '').includes(`[${p}]`)) add(`Replace the prompt “${p}” with your own words.`);
  }
  return out;
}

const PROMPT_MARK = /<mark class="hail-prompt">([\s\S]*?)<\/mark>/g;
const PREVIEW_MARK = /<mark class="hail-(?:unfilled|prompt)">([\s\S]*?)<\/mark>/g;

function unescapeHtml(s) {
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"')
    .replace(/&#0*39;|&#x0*27;/gi, "'").replace(/&amp;/g, '&');
}

// The body as sent: the preview's marks unwrapped (their words, as the user left them, stay).
export function sendableBody(body) {
  return (body || '').replace(PREVIEW_MARK, '$1');
}
