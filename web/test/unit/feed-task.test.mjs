// The Live Feed's "New task" dialog, its pure part (web/app/components/task-dialog.js): the
// first values and the request body or the field errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { taskDefaults, taskInput, TASK_NAME_MAX, TASK_DETAILS_MAX } from '../../app/components/task-dialog.js';
import { isoFromLocalInput } from '../../app/pages/tasks-rules.js';

const diego = { id: 7, first_name: 'Diego', last_name: 'Kowalczyk', email: 'diego@proseware.example' };

test('first values: a call to follow up with the person, due tomorrow at 09:00, normal priority', () => {
  const now = new Date(2026, 10, 29, 15, 30);
  assert.deepEqual(taskDefaults(diego, now), {
    type: 'call', name: 'Follow up with Diego Kowalczyk', due: '2026-11-30T09:00', priority: 'normal', details: '',
  });
  assert.equal(taskDefaults(null, now).name, 'Follow up');
  // The last day of a month rolls over.
  assert.equal(taskDefaults(diego, new Date(2026, 11, 31, 8, 0)).due, '2027-01-01T09:00');
});

test('the body POST /api/v1/tasks takes', () => {
  const r = taskInput({ type: 'email', name: '  Send the deck  ', due: '2026-12-01T09:30', priority: 'high', details: ' Ask about Q1 ' }, 7);
  assert.deepEqual(r, {
    input: {
      type: 'email', name: 'Send the deck', due_at: isoFromLocalInput('2026-12-01T09:30'), priority: 'high',
      person_id: 7, details: 'Ask about Q1',
    },
  });
  assert.match(r.input.due_at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  // Empty details are left out; anything but "high" is normal; no person: no person_id.
  assert.deepEqual(taskInput({ type: 'custom', name: 'Research', due: '2026-12-01T09:30', priority: 'urgent', details: '   ' }, null), {
    input: { type: 'custom', name: 'Research', due_at: isoFromLocalInput('2026-12-01T09:30'), priority: 'normal' },
  });
});

test('each wrong field is named', () => {
  assert.deepEqual(taskInput({ type: 'meeting', name: ' ', due: '', priority: 'normal', details: '' }, 7), {
    errors: { type: 'Choose the kind of task.', name: 'Give the task a name.', due: 'Choose when the task is due.' },
  });
  assert.deepEqual(taskInput({ type: 'call', name: 'x'.repeat(TASK_NAME_MAX + 1), due: '2026-02-30T09:00', details: 'y'.repeat(TASK_DETAILS_MAX + 1) }, 7), {
    errors: {
      name: 'Keep the name to 200 characters.', due: 'Enter a date and time like 2026-12-01 09:00.',
      details: 'Keep the details to 4000 characters.',
    },
  });
  // 200 characters (not UTF-16 units) are fine.
  assert.ok(taskInput({ type: 'call', name: '😀'.repeat(TASK_NAME_MAX), due: '2026-12-01T09:30' }, 7).input);
});
