// The pure rules of the Triggers page (pages/admin/triggers-rules.js): the form's
// checks with their whole messages, the body it sends, and the summaries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  emptyTriggerForm, validateTrigger, triggerBody, actionSummary, deliveryText,
} from '../../app/pages/admin/triggers-rules.js';
import { adminRoute, ADMIN_NAV } from '../../app/pages/admin/rules.js';

const form = (over) => ({ ...emptyTriggerForm(), name: 'Hot', filterId: '3', ...over });

test('the route and the navigation', () => {
  assert.deepEqual(adminRoute('/admin/triggers'), { page: 'triggers' });
  assert.deepEqual(ADMIN_NAV.find(([h]) => h === '/admin/triggers'), ['/admin/triggers', 'Triggers', ['triggers']]);
});

test('the form names each wrong field', () => {
  assert.deepEqual(validateTrigger(emptyTriggerForm()), {
    name: 'Enter a name for the trigger.',
    filterId: 'Choose a saved filter.',
    url: "Enter the receiver's URL, starting with https:// or http://.",
    secret: 'Enter a secret of 16 to 1024 characters: the receiver checks the signature with it.',
  });
  assert.deepEqual(validateTrigger(form({ url: 'https://h.example/x', secret: 'short' })),
    { secret: 'A secret has 16 to 1024 characters, not 5.' });
  assert.deepEqual(validateTrigger(form({ url: 'https://h.example/x' }), { editing: true }), {});
  assert.deepEqual(validateTrigger(form({ url: 'ftp://h', secret: 'x'.repeat(16) })),
    { url: "Enter the receiver's URL, starting with https:// or http://." });
  assert.deepEqual(validateTrigger(form({ action: 'add_to_campaign' })), { campaignId: 'Choose a campaign.' });
  assert.deepEqual(validateTrigger(form({ action: 'create_task', dueInHours: '8761' })), {
    taskName: "Enter the task's name.", dueInHours: 'Enter whole hours from 0 to 8760.',
  });
  assert.deepEqual(validateTrigger(form({ name: 'x'.repeat(201), action: 'create_task', taskName: 'Call' })),
    { name: 'A name can have at most 200 characters, not 201.' });
});

test('the body of each action', () => {
  assert.deepEqual(triggerBody(form({ url: ' https://h.example/x ', secret: 's'.repeat(16) })), {
    name: 'Hot', filter_id: 3, action: 'webhook', enabled: true,
    config: { url: 'https://h.example/x', secret: 's'.repeat(16) },
  });
  assert.deepEqual(triggerBody(form({ action: 'add_to_campaign', campaignId: '7', enabled: false })), {
    name: 'Hot', filter_id: 3, action: 'add_to_campaign', enabled: false, config: { campaign_id: 7 },
  });
  assert.deepEqual(triggerBody(form({ action: 'create_task', taskName: ' Call ', taskType: 'call', dueInHours: '24' })), {
    name: 'Hot', filter_id: 3, action: 'create_task', enabled: true,
    config: { task_name: 'Call', task_type: 'call', task_priority: 'normal', due_in_hours: 24 },
  });
});

test('summaries', () => {
  assert.equal(actionSummary({ action: 'webhook', config: { url: 'https://h/x', secret_set: true } }), 'POST to https://h/x (signed)');
  assert.equal(actionSummary({ action: 'add_to_campaign', config: { campaign_id: 4 } }, 'Q4'), 'Add to campaign “Q4”');
  assert.equal(actionSummary({ action: 'add_to_campaign', config: { campaign_id: 4 } }), 'Add to campaign #4');
  assert.equal(actionSummary({ action: 'create_task', config: { task_name: 'Call', due_in_hours: 2 } }), 'Create task “Call”, due in 2 h');
  assert.equal(deliveryText({ status: 'delivered', last_status: 204, attempts: 1 }), 'Delivered (HTTP 204) after 1 attempt');
  assert.equal(deliveryText({ status: 'pending', attempts: 0 }), 'Waiting for its first attempt');
  assert.equal(deliveryText({ status: 'pending', attempts: 2, last_error: 'the receiver answered HTTP 500' }),
    'Retrying (2 attempts so far): the receiver answered HTTP 500');
  assert.equal(deliveryText({ status: 'failed', attempts: 8, last_error: 'x' }), 'Failed after 8 attempts: x');
});
