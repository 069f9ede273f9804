// Filters & Triggers' pure parts (pages/filters-rules.js): the definition built from the
// form's strings, and the saved one read back into the form and described in words.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  blankCondition, buildDefinition, formConditions, describeDefinition,
} from '../../app/pages/filters-rules.js';

test('the definition leaves blank fields out and keeps bad numbers for the server to name', () => {
  const open = { ...blankCondition('email_open'), template_id: '3', within_days: '7', human_only: true };
  const reply = { ...blankCondition('email_reply'), negate: true };
  assert.deepEqual(buildDefinition([open, reply], ' rep@example.com '), {
    conditions: [
      { type: 'email_open', template_id: 3, within_days: 7, human_only: true },
      { type: 'email_reply', negate: true },
    ],
    owner_email: 'rep@example.com',
  });
  const click = { ...blankCondition('email_click'), link: 'https://a.example/x', min_count: 'two' };
  assert.deepEqual(buildDefinition([click], ''), {
    conditions: [{ type: 'email_click', link: 'https://a.example/x', min_count: 'two' }],
  });
  const notClick = { ...blankCondition('email_open'), link: 'https://a.example/x' };
  assert.deepEqual(buildDefinition([notClick]).conditions[0], { type: 'email_open' });
});

test('a saved definition reads back into the form and into words', () => {
  const d = {
    conditions: [
      { type: 'email_open', template_id: 3, min_count: 2, within_days: 7, human_only: true, negate: false },
      { type: 'email_reply', min_count: 1, human_only: false, negate: true },
    ],
    owner_email: 'rep@example.com',
  };
  const f = formConditions(d);
  assert.equal(f.length, 2);
  assert.deepEqual(buildDefinition(f, d.owner_email), {
    conditions: [
      { type: 'email_open', template_id: 3, min_count: 2, within_days: 7, human_only: true },
      { type: 'email_reply', negate: true },
    ],
    owner_email: 'rep@example.com',
  });
  assert.equal(describeDefinition(d), 'Opened an email (template 3) at least 2 times in the last 7 days,'
    + ' human only · Did not: Replied ever · owner rep@example.com');
});
