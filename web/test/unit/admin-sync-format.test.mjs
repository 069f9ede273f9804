import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatCount, plural, formatSeconds, runDuration, intervalText, phaseLabel, progressPercent,
  progressText, runCounts, runTitle, runStatusLabel, stateLabel, peopleText, liveMessage,
} from '../../app/pages/admin/sync-format.js';

const run = {
  id: 12, kind: 'incremental', origin: 'server', status: 'ok',
  started_at: '2026-11-28T09:00:00Z', finished_at: '2026-11-28T09:02:05Z',
  people_seen: 12345, people_written: 12000, people_deactivated: 2, api_calls: 1, error: null,
};
const idle = {
  configured: true, running: false, running_pid: null, progress: null, last_run: run,
  last_success_at: '2026-11-28T09:02:05Z', next_run_at: '2026-11-28T09:05:00Z', interval_s: 300,
  people: { total: 300, active: 296 },
};
const running = { ...idle, running: true, running_pid: 77, progress: { phase: 'importing', people: 1234, total: 5000 } };

test('formatCount groups thousands', () => {
  assert.equal(formatCount(0), '0');
  assert.equal(formatCount(999), '999');
  assert.equal(formatCount(12345), '12,345');
  assert.equal(formatCount(1000000), '1,000,000');
  assert.equal(formatCount(-1234), '-1,234');
  assert.equal(plural(1, 'person', 'people'), '1 person');
  assert.equal(plural(12345, 'person', 'people'), '12,345 people');
});

test('durations and intervals', () => {
  assert.equal(formatSeconds(4.2), '4 s');
  assert.equal(formatSeconds(125), '2 min 5 s');
  assert.equal(formatSeconds(120), '2 min');
  assert.equal(formatSeconds(3780), '1 h 3 min');
  assert.equal(formatSeconds(7200), '2 h');
  assert.equal(runDuration(run), '2 min 5 s');
  assert.equal(runDuration({ ...run, finished_at: null }), null);
  assert.equal(runDuration(null), null);
  assert.equal(intervalText(300), 'every 5 minutes');
  assert.equal(intervalText(60), 'every minute');
  assert.equal(intervalText(3600), 'every hour');
  assert.equal(intervalText(7200), 'every 2 hours');
  assert.equal(intervalText(30), 'every 30 seconds');
  assert.equal(intervalText(1.5), 'every 1.5 seconds');
  assert.equal(intervalText(1), 'every second');
});

test('progress while a run goes on', () => {
  assert.equal(phaseLabel('importing'), 'Importing people');
  assert.equal(phaseLabel('exporting'), 'Waiting for Marketo’s export');
  assert.equal(phaseLabel('changes'), 'Reading changed people');
  assert.equal(phaseLabel('something'), 'Something');
  assert.equal(progressPercent({ phase: 'x', people: 1234, total: 5000 }), 24);
  assert.equal(progressPercent({ phase: 'x', people: 10, total: 0 }), null);
  assert.equal(progressPercent({ phase: 'x', people: 12, total: 10 }), 100);
  assert.equal(progressText(running), 'Importing people · 1,234 of 5,000 people (24%)');
  assert.equal(progressText({ ...running, progress: { phase: 'changes', people: 1, total: 0 } }),
    'Reading changed people · 1 person');
  assert.equal(progressText({ ...running, progress: null }), 'A sync is running in another process (pid 77).');
  assert.equal(progressText({ ...running, progress: null, running_pid: null }), 'A sync is running.');
  assert.equal(progressText(idle), null);
});

test('the last run in words', () => {
  assert.equal(runCounts(run), '12,345 people seen · 12,000 written · 2 deactivated · 1 API call');
  assert.equal(runCounts({ ...run, status: 'failed', error: 'Marketo rejected the client id/secret', api_calls: 3 }),
    '12,345 people seen · 12,000 written · 2 deactivated · 3 API calls · 1 error');
  assert.equal(runTitle(run), 'Incremental sync, started by the server');
  assert.equal(runTitle({ ...run, kind: 'full', origin: 'cli' }), 'Full sync, started by the command line');
  assert.equal(runTitle({ ...run, origin: 'api' }), 'Incremental sync, started by the web app or API');
  assert.equal(runTitle({ ...run, origin: 'cron' }), 'Incremental sync, started by cron');
  assert.equal(runStatusLabel(run), 'Succeeded');
  assert.equal(runStatusLabel({ ...run, status: 'failed' }), 'Failed');
  assert.equal(runStatusLabel(null), 'Never run');
  assert.equal(peopleText({ total: 12345, active: 12000 }), '12,345 people · 12,000 active');
});

test('stateLabel', () => {
  assert.equal(stateLabel(idle), 'Idle');
  assert.equal(stateLabel(running), 'Syncing');
  assert.equal(stateLabel({ ...idle, configured: false, last_run: null }), 'Not configured');
  assert.equal(stateLabel({ ...idle, last_run: null }), 'Never synced');
  assert.equal(stateLabel({ ...idle, last_run: { ...run, status: 'failed' } }), 'Last run failed');
  assert.equal(stateLabel(null), 'Unknown');
});

test('liveMessage announces progress, then the outcome once', () => {
  assert.equal(liveMessage(idle, running), 'Importing people · 1,234 of 5,000 people (24%)');
  assert.equal(liveMessage(running, idle),
    'Sync finished: 12,345 people seen · 12,000 written · 2 deactivated · 1 API call.');
  assert.equal(liveMessage(running, { ...idle, last_run: { ...run, status: 'failed', error: 'daily API quota is exhausted' } }),
    'Sync failed: daily API quota is exhausted');
  assert.equal(liveMessage(running, { ...idle, last_run: null }), 'Sync finished.');
  assert.equal(liveMessage(idle, idle), null);
  // a run that started and ended between two polls
  assert.equal(liveMessage({ ...idle, last_run: null }, idle),
    'Sync finished: 12,345 people seen · 12,000 written · 2 deactivated · 1 API call.');
  assert.equal(liveMessage(idle, { ...idle, last_run: { ...run, id: 13, status: 'failed', error: 'boom' } }),
    'Sync failed: boom');
  assert.equal(liveMessage(null, idle), null);
  assert.equal(liveMessage(idle, null), null);
});
