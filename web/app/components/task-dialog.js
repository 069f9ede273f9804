// "New task": a small dialog that makes a task by hand (POST /api/v1/tasks) for a person,
// assigned to the caller — the Live Feed's "Task" action. Type, name, due date and time (the
// browser's zone), priority and details; the form names a wrong field before sending and
// shows the API's refusal in its own words. `taskInput` is the pure part (unit-tested).
import { useState } from 'preact/hooks';
import { html } from '../lib/html.js';
import { api } from '../lib/api.js';
import { personName } from '../lib/format.js';
import { Modal } from '../pages/calls-dialog.js';
import { TASK_TYPES, defaultReschedule, isoFromLocalInput } from '../pages/tasks-rules.js';
import { tasksChanged } from '../pages/tasks-nav.js';

export const TASK_NAME_MAX = 200;
export const TASK_DETAILS_MAX = 4000;

/** The form's first values for a person: a call to follow up, due tomorrow at 09:00. */
export function taskDefaults(person, now = new Date()) {
  const who = person ? personName(person) : '';
  return {
    type: 'call', name: who ? `Follow up with ${who}` : 'Follow up', due: defaultReschedule(null, now),
    priority: 'normal', details: '',
  };
}

/**
 * The form → { input } (POST /api/v1/tasks's body) or { errors: {field: message} }.
 * Fields: type, name, due (an <input type="datetime-local"> value), priority, details.
 */
export function taskInput(form, personId) {
  const errors = {};
  const type = TASK_TYPES.some(([t]) => t === form.type) ? form.type : null;
  if (!type) errors.type = 'Choose the kind of task.';
  const name = String(form.name || '').trim();
  if (!name) errors.name = 'Give the task a name.';
  else if ([...name].length > TASK_NAME_MAX) errors.name = `Keep the name to ${TASK_NAME_MAX} characters.`;
  const due = form.due ? isoFromLocalInput(form.due) : null;
  if (!form.due) errors.due = 'Choose when the task is due.';
  else if (!due) errors.due = 'Enter a date and time like 2026-12-01 09:00.';
  const details = String(form.details || '').trim();
  if ([...details].length > TASK_DETAILS_MAX) errors.details = `Keep the details to ${TASK_DETAILS_MAX} characters.`;
  if (Object.keys(errors).length) return { errors };
  const input = { type, name, due_at: due, priority: form.priority === 'high' ? 'high' : 'normal' };
  if (personId !== null && personId !== undefined) input.person_id = Number(personId);
  if (details) input.details = details;
  return { input };
}

const FIELD_ORDER = ['type', 'name', 'due', 'priority', 'details'];

/** The dialog for `person` ({id, first_name, last_name, email}); onDone(task) after it is made. */
export function TaskDialog({ person, onClose, onDone, idPrefix = 'new-task' }) {
  const [form, setForm] = useState(() => taskDefaults(person));
  const [errors, setErrors] = useState({});
  const [failure, setFailure] = useState(null);
  const [busy, setBusy] = useState(false);
  const id = (name) => `${idPrefix}-${name}`;
  const set = (name) => (e) => {
    const value = e.currentTarget.value;
    setForm((f) => ({ ...f, [name]: value }));
  };
  const describe = (name) => (errors[name] ? id(`${name}-err`) : undefined);
  const err = (name) => (errors[name] ? html`<span class="field-error" id=${id(`${name}-err`)}>${errors[name]}</span>` : null);
  const invalid = (name) => (errors[name] ? 'true' : undefined);

  async function onSubmit(e) {
    e.preventDefault();
    setFailure(null);
    const r = taskInput(form, person ? person.id : null);
    if (r.errors) {
      setErrors(r.errors);
      const first = FIELD_ORDER.find((f) => r.errors[f]);
      const el = first && document.getElementById(id(first));
      if (el) el.focus();
      return;
    }
    setErrors({});
    setBusy(true);
    try {
      const task = await api('POST', '/api/v1/tasks', { body: r.input });
      tasksChanged();
      onDone(task || r.input);
    } catch (error) {
      setFailure(error.message || 'Something went wrong.');
      setBusy(false);
    }
  }

  const title = person ? `New task for ${personName(person)}` : 'New task';
  return html`<${Modal} title=${title} onClose=${onClose}>
    <form class="form task-form" onSubmit=${onSubmit} noValidate>
      <div class="field-pair">
        <div class="field">
          <label for=${id('type')}>Type</label>
          <select id=${id('type')} value=${form.type} onChange=${set('type')}
            aria-invalid=${invalid('type')} aria-describedby=${describe('type')}>
            ${TASK_TYPES.map(([v, label]) => html`<option key=${v} value=${v}>${label}</option>`)}
          </select>
          ${err('type')}
        </div>
        <div class="field">
          <label for=${id('priority')}>Priority</label>
          <select id=${id('priority')} value=${form.priority} onChange=${set('priority')}>
            <option value="normal">Normal</option>
            <option value="high">High</option>
          </select>
        </div>
      </div>
      <div class="field">
        <label for=${id('name')}>Task name</label>
        <input type="text" id=${id('name')} value=${form.name} onInput=${set('name')} maxLength=${TASK_NAME_MAX}
          aria-invalid=${invalid('name')} aria-describedby=${describe('name')} />
        ${err('name')}
      </div>
      <div class="field">
        <label for=${id('due')}>Due</label>
        <input type="datetime-local" id=${id('due')} value=${form.due} onInput=${set('due')}
          aria-invalid=${invalid('due')} aria-describedby=${describe('due')} />
        ${err('due')}
      </div>
      <div class="field">
        <label for=${id('details')}>Details</label>
        <textarea id=${id('details')} rows="3" value=${form.details} onInput=${set('details')}
          aria-invalid=${invalid('details')} aria-describedby=${describe('details')}></textarea>
        ${err('details')}
      </div>
      ${failure ? html`<div class="form-error" role="alert"><p>Could not create the task: ${failure}</p></div>` : null}
      <div class="form-actions">
        <button type="submit" class="button button-primary" disabled=${busy}>Create task</button>
        <button type="button" class="button button-quiet" onClick=${onClose} disabled=${busy}>Cancel</button>
      </div>
    </form>
  </${Modal}>`;
}
