// The embeddable panel's pure parts (pages/panel.js, pages/admin/panel-settings.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fullPageHref, kindLabel, marketoNote } from '../../app/pages/panel.js';
import { originsFromText } from '../../app/pages/admin/panel-settings.js';

test('the full page of a resolved record', () => {
  assert.equal(fullPageHref('person', 12), '/people/12');
  assert.equal(fullPageHref('account', '001 A/B'), '/accounts/001%20A%2FB');
  assert.equal(fullPageHref('opportunity', '006000000000007AAA'), '/opportunities/006000000000007AAA');
  assert.equal(fullPageHref('lead', 1), null);
  assert.equal(kindLabel('opportunity'), 'Opportunity');
  assert.equal(kindLabel('x'), 'Record');
});

test('what the Marketo section says', () => {
  assert.equal(marketoNote(null), '');
  assert.equal(marketoNote({ status: 'ok', message: null, data: [{}] }), '');
  assert.equal(marketoNote({ status: 'ok', message: null, data: [] }), 'No Marketo activities in the last 90 days.');
  assert.equal(marketoNote({ status: 'ok', message: 'showing the last 7 days.', data: [{}] }), 'showing the last 7 days.');
  assert.equal(marketoNote({ status: 'not_configured', message: 'Marketo is not configured.', data: [] }),
    'Marketo is not configured.');
  assert.equal(marketoNote({ status: 'unavailable', message: '', data: [] }), 'Marketo’s activities cannot be shown.');
});

test('the allowlist textarea, one origin per line', () => {
  assert.deepEqual(originsFromText(' https://a.example.com \n\n https://*.force.com\r\n'),
    ['https://a.example.com', 'https://*.force.com']);
  assert.deepEqual(originsFromText(''), []);
  assert.deepEqual(originsFromText(undefined), []);
});
