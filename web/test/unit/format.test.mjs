import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  personName, initials, formatDateTime, relativeTime, formatCount, peopleCount, rangeLabel,
  retryMessage, salesforceUrl, safeHttpUrl,
} from '../../app/lib/format.js';

test('personName: first + last, else email, else the id', () => {
  assert.equal(personName({ id: 1, first_name: 'Noah', last_name: 'Müller', email: 'n@x' }), 'Noah Müller');
  assert.equal(personName({ id: 1, first_name: ' Noah ', last_name: null }), 'Noah');
  assert.equal(personName({ id: 1, first_name: null, last_name: 'Müller' }), 'Müller');
  assert.equal(personName({ id: 1, first_name: '', last_name: ' ', email: 'n@x.example' }), 'n@x.example');
  assert.equal(personName({ id: 9, first_name: null, last_name: null, email: null }), 'Person 9');
  assert.equal(personName(null), '');
});

test('initials', () => {
  assert.equal(initials('Ada Admin'), 'AA');
  assert.equal(initials('riley'), 'R');
  assert.equal(initials('Jean Paul Sartre'), 'JS');
  assert.equal(initials(''), '?');
  assert.equal(initials('émile zola'), 'ÉZ');
});

test('formatDateTime in UTC; bad input is a dash', () => {
  assert.equal(formatDateTime('2026-11-29T14:05:00Z', { utc: true }), '29 Nov 2026, 14:05');
  assert.equal(formatDateTime('2026-01-02T03:04:59Z', { utc: true }), '2 Jan 2026, 03:04');
  assert.equal(formatDateTime(''), '—');
  assert.equal(formatDateTime(null), '—');
  assert.equal(formatDateTime('yesterday'), '—');
});

test('relativeTime', () => {
  const now = Date.parse('2026-11-29T12:00:00Z');
  const at = (s) => new Date(now + s * 1000).toISOString();
  assert.equal(relativeTime(at(-10), now), 'just now');
  assert.equal(relativeTime(at(-60), now), '1 minute ago');
  assert.equal(relativeTime(at(-5 * 60), now), '5 minutes ago');
  assert.equal(relativeTime(at(3 * 3600), now), 'in 3 hours');
  assert.equal(relativeTime(at(-3600), now), '1 hour ago');
  assert.equal(relativeTime(at(-2 * 86400), now), '2 days ago');
  assert.equal(relativeTime(at(-40 * 86400), now), formatDateTime(at(-40 * 86400)));
  assert.equal(relativeTime('nope', now), '—');
});

test('counts and ranges', () => {
  assert.equal(formatCount(0), '0');
  assert.equal(formatCount(1234567), '1,234,567');
  assert.equal(formatCount(-1000), '-1,000');
  assert.equal(formatCount(undefined), '—');
  assert.equal(peopleCount(1), '1 person');
  assert.equal(peopleCount(2500), '2,500 people');
  assert.equal(rangeLabel(1, 50), 'Showing 1–50');
  assert.equal(rangeLabel(51, 7), 'Showing 51–57');
  assert.equal(rangeLabel(1, 0), 'No rows');
});

test('retryMessage says when to try again', () => {
  assert.equal(retryMessage(60), 'Too many attempts. Try again in 60 seconds.');
  assert.equal(retryMessage(1), 'Too many attempts. Try again in 1 second.');
  assert.equal(retryMessage(null), 'Too many attempts. Try again later.');
});

test('salesforceUrl builds Lightning record links', () => {
  assert.equal(salesforceUrl('https://acme.my.salesforce.com/', 'Contact', '0035e00000AbCdE'),
    'https://acme.my.salesforce.com/lightning/r/Contact/0035e00000AbCdE/view');
  assert.equal(salesforceUrl(null, 'Lead', 'x'), null);
  assert.equal(salesforceUrl('https://a.example', 'Lead', null), null);
  assert.equal(salesforceUrl('javascript:alert(1)', 'Lead', 'x'), null);
});

test('safeHttpUrl only passes http(s) links', () => {
  assert.equal(safeHttpUrl(' https://www.linkedin.com/in/ann '), 'https://www.linkedin.com/in/ann');
  assert.equal(safeHttpUrl('javascript:alert(1)'), null);
  assert.equal(safeHttpUrl('www.linkedin.com/in/ann'), null);
  assert.equal(safeHttpUrl(null), null);
});
