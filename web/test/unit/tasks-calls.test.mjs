// The pure parts of the task queue and the calls pages (pages/tasks-rules.js,
// pages/calls-format.js, pages/admin/calls-rules.js), the raw upload body of the API client,
// and the modules as text (nothing the CSP forbids).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  QUEUES, queueOf, queueLabel, filtersOf, tasksQuery, filterChange, navCount, localInputValue, isoFromLocalInput,
  defaultReschedule, rescheduleProblem, bulkLine, nextAfter, keepSelected, toggled, taskTitle, typeLabel,
  emailLeftovers, sendableBody, tasksCount, salesforceTaskId, salesforceNote,
} from '../../app/pages/tasks-rules.js';
import {
  formatDuration, parseDuration, outcomeGroups, statusForOutcome, callInput, telHref, callsQuery, outcomeText,
  notesLine, callStatusLabel, callStatusTone,
} from '../../app/pages/calls-format.js';
import {
  e164, numberProblem, nameProblem, secretProblem, byPosition, nextPosition, audioType, dropProblem, nameFromFile, bytesText, DROP_MAX_BYTES,
} from '../../app/pages/admin/calls-rules.js';
import { createClient } from '../../app/lib/request.js';
import { adminRoute, ADMIN_NAV } from '../../app/pages/admin/rules.js';

const APP = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'app');

test('queues: the four in order, Today by default, a bad one is Today', () => {
  assert.deepEqual(QUEUES.map(([id]) => id), ['overdue', 'today', 'tomorrow', 'next_7_days']);
  assert.deepEqual(QUEUES.map(([, l]) => l), ['Overdue', 'Today', 'Tomorrow', 'Next 7 days']);
  assert.equal(queueOf('tomorrow'), 'tomorrow');
  assert.equal(queueOf(null), 'today');
  assert.equal(queueOf('done'), 'today');
  assert.equal(queueOf('open'), 'open');
  assert.equal(queueLabel('open'), 'All open tasks');
  assert.equal(queueLabel('next_7_days'), 'Next 7 days');
});

test('filters from the URL and the API query they make', () => {
  const q = new URLSearchParams('queue=overdue&type=call&assignee=7&campaign=12');
  assert.deepEqual(filtersOf(q), { queue: 'overdue', type: 'call', assignee: '7', campaign: '12' });
  assert.deepEqual(tasksQuery(filtersOf(q)), { queue: 'overdue', type: 'call', assignee: '7', campaign: '12' });
  const bad = new URLSearchParams('queue=x&type=fax&assignee=-1&campaign=abc');
  assert.deepEqual(filtersOf(bad), { queue: 'today', type: '', assignee: 'me', campaign: '' });
  assert.deepEqual(tasksQuery(filtersOf(bad)), { queue: 'today', type: null, assignee: 'me', campaign: null });
  assert.deepEqual(tasksQuery(filtersOf(new URLSearchParams('assignee=all'))),
    { queue: 'today', type: null, assignee: null, campaign: null });
  assert.deepEqual(filterChange('assignee', 'me'), { assignee: null });
  assert.deepEqual(filterChange('assignee', 'all'), { assignee: 'all' });
  assert.deepEqual(filterChange('queue', 'today'), { queue: null });
  assert.deepEqual(filterChange('queue', 'overdue'), { queue: 'overdue' });
  assert.deepEqual(filterChange('type', ''), { type: null });
});

test('the navigation count is overdue + today, nothing when 0 or unknown', () => {
  assert.equal(navCount({ overdue: 2, today: 3, tomorrow: 9, next_7_days: 20 }), 5);
  assert.equal(navCount({ overdue: 0, today: 0, tomorrow: 4, next_7_days: 4 }), null);
  assert.equal(navCount(null), null);
  assert.equal(navCount({ today: 1 }), 1);
});

test('datetime-local values round-trip through ISO in the local zone', () => {
  const d = new Date(2026, 11, 1, 9, 5);
  assert.equal(localInputValue(d), '2026-12-01T09:05');
  assert.equal(isoFromLocalInput('2026-12-01T09:05'), d.toISOString().replace('.000Z', 'Z'));
  assert.equal(isoFromLocalInput('2026-02-30T09:00'), null);
  assert.equal(isoFromLocalInput('tomorrow'), null);
  assert.equal(isoFromLocalInput(''), null);
  assert.equal(localInputValue(new Date(NaN)), '');
  assert.equal(rescheduleProblem(''), 'Choose the new date and time.');
  assert.equal(rescheduleProblem('2026-13-01T09:00'), 'Enter a date and time like 2026-12-01 09:00.');
  assert.equal(rescheduleProblem('2026-12-01T09:00'), null);
});

test('reschedule starts on the next day at the task\'s time of day, else 09:00', () => {
  const now = new Date(2026, 10, 30, 16, 40); // 30 Nov: the next day is 1 Dec
  const due = new Date(2026, 10, 28, 14, 15);
  assert.equal(defaultReschedule({ due_at: due.toISOString() }, now), '2026-12-01T14:15');
  assert.equal(defaultReschedule(null, now), '2026-12-01T09:00');
  assert.equal(defaultReschedule({ due_at: 'nonsense' }, new Date(2028, 1, 28, 8, 0)), '2028-02-29T09:00');
});

test('bulk results in one line, refusals with their messages once each', () => {
  assert.equal(bulkLine('skip', { results: [{ id: 1, status: 'ok' }, { id: 2, status: 'ok' }] }), '2 tasks skipped.');
  assert.equal(bulkLine('reschedule', { results: [
    { id: 1, status: 'ok' },
    { id: 2, status: 'error', message: 'task 2 is not open' },
    { id: 3, status: 'error', message: 'task 3 is not open' },
    { id: 4, status: 'error', message: 'task 3 is not open' },
  ] }), '1 task rescheduled · 3 could not be: task 2 is not open; task 3 is not open.');
  assert.equal(bulkLine('complete', { results: [] }), '0 tasks completed.');
  assert.equal(tasksCount(1), '1 task');
});

test('the work queue moves on to the task that took the place of the one done', () => {
  assert.equal(nextAfter([1, 2, 3], 2), 3);
  assert.equal(nextAfter([1, 2, 3], 3), 2);
  assert.equal(nextAfter([1, 2, 3], 1), 2);
  assert.equal(nextAfter([5], 5), null);
  assert.equal(nextAfter([4, 5], 9), 4);
});

test('selection: toggled, and only ids still on the page kept', () => {
  const s = toggled(toggled(new Set([1]), 2), 1);
  assert.deepEqual([...s], [2]);
  assert.deepEqual([...keepSelected(new Set([1, 2, 3]), [{ id: 3 }, { id: 1 }])].sort(), [1, 3]);
});

test('task names and types', () => {
  assert.equal(taskTitle({ id: 4, type: 'call', name: '  Call Ada ' }), 'Call Ada');
  assert.equal(taskTitle({ id: 4, type: 'linkedin', name: '' }), 'LinkedIn task 4');
  assert.equal(typeLabel('custom'), 'Other task');
  assert.equal(typeLabel('email'), 'Email');
});

test('a task linked to a Salesforce Task: its id and the badge\'s note; none when not linked', () => {
  const linked = { id: 4, salesforce_task_id: '00T5g00000AbCdEFGH' };
  assert.equal(salesforceTaskId(linked), '00T5g00000AbCdEFGH');
  assert.equal(salesforceNote(linked), 'Synced with Salesforce Task 00T5g00000AbCdEFGH');
  for (const t of [{ id: 4, salesforce_task_id: null }, { id: 4 }, { id: 4, salesforce_task_id: '  ' }, null]) {
    assert.equal(salesforceTaskId(t), null);
    assert.equal(salesforceNote(t), null);
  }
});

test('an email task is ready when no prompt or field is left in it', () => {
  assert.deepEqual(emailLeftovers('Hi Ada', '<p>Thanks</p>'), []);
  assert.deepEqual(emailLeftovers('Hi {{first_name}}', '<p>{{! mention the launch }}</p><p>{{first_name}}</p>'), [
    'Fill {{first_name}} or remove it.',
    'Replace the prompt “mention the launch” with your own words.',
  ]);
  assert.deepEqual(emailLeftovers('', '{{{company}}}'), ['Fill {{company}} or remove it.']);
  // The API's preview marks: a prompt still as written is left; once edited it is not.
  const marked = '<p><mark class="hail-prompt">one line about &quot;their&quot; launch</mark></p>';
  assert.deepEqual(emailLeftovers('Hi', marked, ['one line about "their" launch']),
    ['Replace the prompt “one line about "their" launch” with your own words.']);
  assert.deepEqual(emailLeftovers('Hi', '<p><mark class="hail-prompt">Congrats on the launch!</mark></p>',
    ['one line about "their" launch']), []);
  assert.deepEqual(emailLeftovers('Re: [their news]', '<p>x</p>', ['their news']),
    ['Replace the prompt “their news” with your own words.']);
  assert.equal(sendableBody('<p><mark class="hail-prompt">Congrats!</mark> <mark class="hail-unfilled">Ada</mark></p>'),
    '<p>Congrats! Ada</p>');
});

test('durations: shown as m:ss or h:mm:ss, typed as seconds or m:ss', () => {
  assert.equal(formatDuration(45), '0:45');
  assert.equal(formatDuration(723), '12:03');
  assert.equal(formatDuration(3723), '1:02:03');
  assert.equal(formatDuration(null), '—');
  assert.equal(formatDuration(undefined), '—');
  assert.equal(parseDuration(''), null);
  assert.equal(parseDuration(' 270 '), 270);
  assert.equal(parseDuration('4:30'), 270);
  assert.equal(parseDuration('1:02:03'), 3723);
  assert.ok(Number.isNaN(parseDuration('4:75')));
  assert.ok(Number.isNaN(parseDuration('four minutes')));
  assert.ok(Number.isNaN(parseDuration('1:60:00')));
});

test('outcomes: answered and not answered apart, archived left out, by position', () => {
  const g = outcomeGroups([
    { id: 3, name: 'Left voicemail', answered: false, position: 2 },
    { id: 1, name: 'Interested', answered: true, position: 2 },
    { id: 2, name: 'Meeting booked', answered: true, position: 1 },
    { id: 4, name: 'Old', answered: true, position: 0, archived: true },
  ]);
  assert.deepEqual(g.map((x) => [x.label, x.items.map((o) => o.name)]), [
    ['Answered', ['Meeting booked', 'Interested']],
    ['Not answered', ['Left voicemail']],
  ]);
  assert.deepEqual(outcomeGroups([]), []);
  assert.equal(statusForOutcome({ answered: true }), 'completed');
  assert.equal(statusForOutcome({ answered: false }), 'no_answer');
  assert.equal(statusForOutcome(undefined), null);
});

test('the call form: whole messages for what is wrong, the CallInput otherwise', () => {
  const form = { outcome: '', reason: '', notes: '', number: '', callerId: '', duration: '', status: 'completed', drop: '' };
  assert.deepEqual(callInput(form, { personId: '9', requireOutcome: true }),
    { errors: { outcome: 'Choose an outcome: your admin requires one for every call.' } });
  assert.deepEqual(callInput({ ...form, duration: 'soon', status: 'ringing' }, { personId: 9 }), { errors: {
    duration: 'Enter the duration as minutes:seconds (4:30) or seconds (270).',
    status: 'Choose how the call went.',
  } });
  assert.deepEqual(callInput(form, { personId: '9' }), { input: { person_id: 9, status: 'completed' } });
  assert.deepEqual(callInput({
    outcome: '4', reason: '2', notes: '  Wants a demo  ', number: '+14155550100', callerId: '+14155550199',
    duration: '2:05', status: 'completed', drop: '3', startedAt: '2026-11-29T10:00:00Z',
  }, { personId: 9, requireOutcome: true }), { input: {
    person_id: 9, status: 'completed', outcome_id: 4, reason_id: 2, notes: 'Wants a demo',
    number_dialed: '+14155550100', caller_id: '+14155550199', duration_s: 125, voicemail_drop_id: 3,
    started_at: '2026-11-29T10:00:00Z',
  } });
});

test('tel: links, call queries, outcome text, notes on one line, statuses', () => {
  assert.equal(telHref('+1 (415) 555-0100'), 'tel:+14155550100');
  assert.equal(telHref('0301234+5'), 'tel:03012345');
  assert.equal(telHref('n/a'), null);
  assert.deepEqual(callsQuery({ person: 5 }), { person: 5 });
  assert.deepEqual(callsQuery({ account: '001A', bogus: 1 }), { account: '001A' });
  assert.equal(outcomeText({ outcome: { name: 'Interested' }, status: 'completed' }), 'Interested');
  assert.equal(outcomeText({ outcome: null, status: 'no_answer' }), 'No answer');
  assert.equal(notesLine('a\n  b'), 'a b');
  assert.equal(notesLine('x'.repeat(100), 10), 'xxxxxxxxx…');
  assert.equal(callStatusLabel('in_progress'), 'In progress');
  assert.equal(callStatusTone('completed'), 'ok');
  assert.equal(callStatusTone('ringing'), 'wait');
});

test('admin: E.164 numbers, names, order, voicemail files', () => {
  assert.equal(e164('+1 (415) 555-0100'), '+14155550100');
  assert.equal(e164('4155550100'), null);
  assert.equal(e164('+0123456789'), null);
  assert.equal(numberProblem(''), 'Enter the number.');
  assert.equal(numberProblem('555-0100'), 'Enter the number in international form: + then the country code and number, like +14155550100.');
  assert.equal(numberProblem('+49 30 1234567'), null);
  assert.equal(nameProblem(' ', 'reason name'), 'Enter a reason name.');
  assert.equal(nameProblem('', 'outcome name'), 'Enter an outcome name.');
  assert.equal(nameProblem('x'.repeat(201), 'reason name'), 'A reason name can have at most 200 characters, not 201.');
  assert.equal(nameProblem('x'.repeat(200), 'reason name'), null);
  assert.equal(secretProblem(''), 'Enter the secret your dialer provider gave you.');
  assert.equal(secretProblem('short'), 'A dialer secret needs at least 16 characters, not 5.');
  assert.equal(secretProblem('s'.repeat(257)), 'A dialer secret can have at most 256 characters, not 257.');
  assert.equal(secretProblem('s'.repeat(16)), null);
  assert.deepEqual(byPosition([{ id: 2, position: 1 }, { id: 1, position: 1 }, { id: 3, position: 0, archived: true }]).map((x) => x.id), [1, 2]);
  assert.equal(nextPosition([{ position: 4 }, { position: 2 }]), 5);
  assert.equal(nextPosition([]), 1);
  assert.equal(audioType({ name: 'hello.WAV', type: '' }), 'audio/wav');
  assert.equal(audioType({ name: 'x', type: 'audio/mpeg' }), 'audio/mpeg');
  assert.equal(audioType({ name: 'x.ogg', type: 'audio/ogg' }), null);
  assert.equal(dropProblem(null, 'x'), 'Choose a WAV or MP3 file.');
  assert.equal(dropProblem({ name: 'a.ogg', type: 'audio/ogg', size: 1 }, 'x'), 'Choose a WAV or MP3 file: other audio cannot be dropped on a call.');
  assert.equal(dropProblem({ name: 'a.mp3', type: 'audio/mpeg', size: DROP_MAX_BYTES + 1 }, 'x'), 'The file is 10.0 MB: a voicemail drop can be at most 10 MB.');
  assert.equal(dropProblem({ name: 'a.mp3', type: 'audio/mpeg', size: 10 }, ' '), 'Enter a name for the recording.');
  assert.equal(dropProblem({ name: 'a.mp3', type: 'audio/mpeg', size: 10 }, 'Intro'), null);
  assert.equal(nameFromFile({ name: 'intro-message.wav' }), 'intro-message');
  assert.equal(bytesText(2048), '2.0 KB');
  assert.equal(bytesText(512), '512 B');
});

test('admin: /admin/calls is the Calls page in the admin navigation', () => {
  assert.deepEqual(adminRoute('/admin/calls'), { page: 'calls' });
  assert.deepEqual(ADMIN_NAV.find(([href]) => href === '/admin/calls'), ['/admin/calls', 'Calls', ['calls']]);
});

test('the API client sends a raw body (an upload) as it is, with its type and the CSRF token', async () => {
  const seen = [];
  const request = createClient({
    fetch: async (url, init) => {
      seen.push({ url, init });
      return { ok: true, status: 201, text: async () => '{"id":1}', headers: { get: () => null } };
    },
    csrf: () => 'tok',
  });
  const data = new Uint8Array([82, 73, 70, 70]);
  assert.deepEqual(await request('POST', '/api/v1/voicemail-drops', { query: { name: 'Intro' }, raw: { data, type: 'audio/wav' } }), { id: 1 });
  assert.equal(seen[0].url, '/api/v1/voicemail-drops?name=Intro');
  assert.equal(seen[0].init.body, data);
  assert.deepEqual(seen[0].init.headers, { Accept: 'application/json', 'Content-Type': 'audio/wav', 'X-CSRF-Token': 'tok' });
});

test('the tasks and calls modules: nothing the CSP forbids', () => {
  const bad = [];
  for (const f of ['pages/tasks.js', 'pages/tasks-work.js', 'pages/tasks-email.js', 'pages/tasks-nav.js', 'pages/tasks-rules.js',
    'pages/calls.js', 'pages/calls-form.js', 'pages/calls-format.js', 'pages/calls-dialog.js', 'pages/admin/calls.js', 'pages/admin/calls-rules.js']) {
    const text = readFileSync(join(APP, f), 'utf8');
    for (const [re, what] of [[/\sstyle\s*=/, 'a style attribute'], [/<style/i, '<style>'], [/innerHTML/, 'innerHTML'], [/\beval\s*\(/, 'eval']]) {
      if (re.test(text)) bad.push(`${f}: ${what}`);
    }
  }
  assert.deepEqual(bad, []);
});
