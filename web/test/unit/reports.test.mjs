// The Reports page's pure parts (web/app/pages/reports.js): the address it reads and
// writes, the API and CSV paths, and the texts of its cells.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  readParams, reportPath, csvPath, pagePath, withMachine, callsText, shortDay, metricValue,
} from '../../app/pages/reports.js';

test('the address: kind, range and interval, bad values dropped', () => {
  assert.deepEqual(readParams(new URLSearchParams('')), { kind: 'users', from: '', to: '', interval: 'day' });
  assert.deepEqual(readParams(new URLSearchParams('kind=teams&from=2026-03-01&to=2026-03-08&interval=week')),
    { kind: 'teams', from: '2026-03-01', to: '2026-03-08', interval: 'week' });
  assert.deepEqual(readParams(new URLSearchParams('kind=people&from=3/1/2026&interval=month')),
    { kind: 'users', from: '', to: '', interval: 'day' });
});

test('API, CSV and page paths', () => {
  const p = { kind: 'templates', from: '2026-03-01', to: '2026-03-08', interval: 'week' };
  assert.equal(reportPath(p), '/api/v1/reports/templates?from=2026-03-01&to=2026-03-08&interval=week');
  assert.equal(csvPath(p), '/api/v1/reports/templates?from=2026-03-01&to=2026-03-08&interval=week&format=csv');
  assert.equal(csvPath(p, 'series'),
    '/api/v1/reports/templates?from=2026-03-01&to=2026-03-08&interval=week&format=csv&table=series');
  assert.equal(pagePath(p), '/reports?from=2026-03-01&to=2026-03-08&interval=week&kind=templates');
  const d = { kind: 'users', from: '', to: '', interval: 'day' };
  assert.equal(reportPath(d), '/api/v1/reports/users');
  assert.equal(csvPath(d), '/api/v1/reports/users?format=csv');
  assert.equal(pagePath(d), '/reports');
});

test('cell texts', () => {
  assert.equal(withMachine(2, 1), '2 (+1 machine)');
  assert.equal(withMachine(2, 0), '2');
  assert.equal(callsText({ total: 0 }), '0');
  assert.equal(callsText({ 'No answer': 2, 'Meeting booked': 1, total: 3 }), '3: Meeting booked 1, No answer 2');
  assert.equal(shortDay('2026-03-02'), 'Mar 2');
  assert.equal(metricValue({ calls: { total: 4 }, sent: 3 }, 'calls'), 4);
  assert.equal(metricValue({ calls: { total: 4 }, sent: 3 }, 'sent'), 3);
});
