// Admin → Integrations' pure parts (pages/admin/integrations-rules.js): the status
// badge, the backlog and retry wording, Salesforce's reminder tasks, the subject
// template's live hint, which field a server message is about, and the PUT body.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  stateBadge, backlogText, retryText, templateNames, subjectHint, fieldOfMessage, settingsBody, typeName, reminderRows,
} from '../../app/pages/admin/integrations-rules.js';
import { adminRoute, ADMIN_NAV } from '../../app/pages/admin/rules.js';

test('the route and the navigation entry', () => {
  assert.deepEqual(adminRoute('/admin/integrations'), { page: 'integrations' });
  assert.deepEqual(ADMIN_NAV.find(([href]) => href === '/admin/integrations'),
    ['/admin/integrations', 'Integrations', ['integrations']]);
});

test('state badges', () => {
  assert.deepEqual(stateBadge({ configured: false, state: 'not_started' }), ['Not configured', 'off']);
  assert.deepEqual(stateBadge({ configured: true, state: 'not_started' }), ['Not started', 'neutral']);
  assert.deepEqual(stateBadge({ configured: true, state: 'healthy' }), ['Healthy', 'ok']);
  assert.deepEqual(stateBadge({ configured: true, state: 'waiting' }), ['Waiting', 'busy']);
  assert.deepEqual(stateBadge({ configured: false, state: 'error' }), ['Error', 'bad']);
});

test('backlog and retry wording', () => {
  assert.equal(backlogText({ backlog: 0, backlog_capped: false }), 'nothing waiting');
  assert.equal(backlogText({ backlog: 1, backlog_capped: false }), '1 activity');
  assert.equal(backlogText({ backlog: 12345, backlog_capped: false }), '12,345 activities');
  assert.equal(backlogText({ backlog: 100000, backlog_capped: true }), 'more than 100,000 activities');
  assert.equal(retryText('Marketo', 0), 'Marketo: nothing was skipped; the outbox tries again at once.');
  assert.equal(retryText('Marketo', 1), 'Marketo: 1 skipped record is queued to be sent again; the outbox tries at once.');
  assert.equal(retryText('Salesforce', 1500),
    'Salesforce: 1,500 skipped records are queued to be sent again; the outbox tries at once.');
});

test('Salesforce\'s reminder tasks as rows; none for Marketo', () => {
  assert.deepEqual(reminderRows(null), []);
  assert.deepEqual(reminderRows({ linked: 0, pending: 0, deletes_pending: 0 }), [
    ['Linked', 'none yet'], ['Changes to send', 'nothing waiting'], ['Deletes to send', 'nothing waiting']]);
  assert.deepEqual(reminderRows({ linked: 1, pending: 1, deletes_pending: 1 }), [
    ['Linked', '1 task linked to a Salesforce Task'],
    ['Changes to send', '1 task changed in hail, not yet sent'],
    ['Deletes to send', '1 Task to delete in Salesforce (deleted in hail)']]);
  assert.deepEqual(reminderRows({ linked: 12345, pending: 2, deletes_pending: 3 }), [
    ['Linked', '12,345 tasks linked to a Salesforce Task'],
    ['Changes to send', '2 tasks changed in hail, not yet sent'],
    ['Deletes to send', '3 Tasks to delete in Salesforce (deleted in hail)']]);
});

test('the subject template\'s names and hint', () => {
  const vars = ['activity_type', 'activity_subject', 'sales_campaign_name', 'sales_person', 'person_email'];
  assert.deepEqual(templateNames('{{activity_type}}: {{ activity_subject }} {{activity_type}}'),
    ['activity_type', 'activity_subject']);
  assert.deepEqual(templateNames('{{! a note }}{{#sales_campaign_name}}({{{sales_campaign_name}}}){{/sales_campaign_name}}'),
    ['sales_campaign_name']);
  assert.deepEqual(templateNames('{{sales_person | default: "us"}}'), ['sales_person']);
  assert.deepEqual(subjectHint('Call {{first_name}} re {{activity_subject}}', vars),
    { used: ['activity_subject'], unknown: ['first_name'] });
  assert.deepEqual(subjectHint('Plain', vars), { used: [], unknown: [] });
});

test('messages, bodies and names', () => {
  assert.equal(fieldOfMessage('salesforce_subject uses {{x}}, which is not one of its variables: a'), 'salesforce_subject');
  assert.equal(fieldOfMessage("marketo_machine must be flagged or skip, not 'x'"), 'marketo_machine');
  assert.equal(fieldOfMessage('salesforce_types[1] must be one of call'), 'salesforce_types');
  assert.equal(fieldOfMessage('cannot reach hail'), null);
  const s = { marketo_machine: 'skip', salesforce_types: ['call'], salesforce_subject: 'x', activity_types: [] };
  assert.deepEqual(settingsBody(s), { marketo_machine: 'skip', salesforce_types: ['call'], salesforce_subject: 'x' });
  assert.equal(typeName([{ type: 'call', name: 'Receive Sales Call' }], 'call'), 'Receive Sales Call');
  assert.equal(typeName([], 'fax'), 'fax');
  assert.equal(typeName([], null), 'unknown');
});
