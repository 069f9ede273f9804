// Best Bets page helpers: the filter a URL asks for, the "why" in words, rating labels.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { filterOf, whyText, ratingLabel, FILTERS } from '../../app/pages/best-bets.js';

test('the filter comes from the URL; anything unknown is everyone', () => {
  assert.equal(filterOf(new URLSearchParams('filter=leads')), 'leads');
  assert.equal(filterOf(new URLSearchParams('filter=opportunity_contacts')), 'opportunity_contacts');
  assert.equal(filterOf(new URLSearchParams('filter=hot')), '');
  assert.equal(filterOf(new URLSearchParams('')), '');
  assert.deepEqual(FILTERS.map(([id]) => id), ['', 'leads', 'contacts', 'account_contacts', 'opportunity_contacts']);
});

test('why in words, strongest first as the API gives it', () => {
  assert.equal(whyText([
    { type: 'email_reply', type_name: 'Reply to Sales Email', count: 2, last_at: '2026-11-29T10:00:00Z' },
    { type: 'email_click', type_name: 'Click Sales Email', count: 1, last_at: '2026-11-29T10:00:00Z' },
    { type: 'email_open', type_name: 'Open Sales Email', count: 1200, last_at: '2026-11-29T10:00:00Z' },
  ]), '2 replies, 1 click, 1,200 opens');
  assert.equal(whyText([{ type: 'email_open', count: 1 }]), '1 open');
  assert.equal(whyText([]), '');
  assert.equal(whyText(undefined), '');
});

test('ratings as text', () => {
  assert.equal(ratingLabel(2, 'stars'), '2 of 3 stars');
  assert.equal(ratingLabel(0, 'flames'), '0 of 3 flames');
});
