// The campaign pages' pure rules: views, words, the builder's days and request bodies, the
// members' add body and results, the report rows.
import { test } from 'node:test';
import assert from 'node:assert/strict';

const r = await import('../../app/pages/campaigns-rules.js');
const q = (s) => new URLSearchParams(s);

test('views: mine by default, only the known ones', () => {
  assert.equal(r.viewOf(q('')), 'mine');
  assert.equal(r.viewOf(q('view=shared')), 'shared');
  assert.equal(r.viewOf(q('view=all')), 'all');
  assert.equal(r.viewOf(q('view=everything')), 'mine');
  assert.deepEqual(r.VIEWS.map(([k]) => k), ['mine', 'shared', 'all']);
});

test('words for step types, send options, statuses and pause reasons', () => {
  assert.equal(r.stepTypeLabel('auto_email'), 'Automatic email');
  assert.equal(r.stepTypeLabel('custom'), 'Other task');
  assert.equal(r.stepTypeLabel('odd'), 'odd');
  assert.equal(r.sendOptionLabel('same_as_previous'), 'At the same time as the previous email');
  assert.equal(r.statusLabel('unsubscribed'), 'Unsubscribed');
  assert.equal(r.statusTone('bounced'), 'badge-bad');
  assert.equal(r.statusTone('active', true), 'badge-ok');
  assert.equal(r.statusTone('stopped', true), 'badge-bad');
  assert.equal(r.pauseReasonText('leave'), 'the owner is on leave');
  assert.equal(r.pauseReasonText('out_of_office'), 'out of office');
  assert.deepEqual(r.MEMBER_STATUSES.map(([k]) => k),
    ['scheduled', 'active', 'paused', 'finished', 'replied', 'bounced', 'removed', 'unsubscribed', 'stopped']);
});

test('a member’s name: the name, else the email, else the id', () => {
  assert.equal(r.memberName({ id: 3, name: ' Ann Lee ', email: 'ann@x' }), 'Ann Lee');
  assert.equal(r.memberName({ id: 3, name: '', email: 'ann@x' }), 'ann@x');
  assert.equal(r.memberName({ id: 3, name: null, email: null }), 'Person 3');
});

test('next step, counts and steps lines', () => {
  assert.equal(r.nextStepText({ next_step: { position: 1, day: 2, type: 'call' } }), 'Day 2 · Call');
  assert.equal(r.nextStepText({ next_step: null }), null);
  const zero = { scheduled: 0, active: 0, paused: 0, finished: 0, replied: 0, bounced: 0, removed: 0, unsubscribed: 0, stopped: 0 };
  assert.equal(r.countsLine(zero), 'No people yet');
  assert.equal(r.countsLine({ ...zero, active: 3, paused: 1, replied: 2 }), '3 active · 1 paused · 2 replied');
  assert.equal(r.stepsLine({ days: 1, steps_count: 1 }), '1 day, 1 step');
  assert.equal(r.stepsLine({ days: 2, steps_count: 3 }), '2 days, 3 steps');
});

test('the builder: steps sorted by day (stable), grouped, the next day, earlier emails', () => {
  const a = { ...r.blankStep(1, 'auto_email') };
  const b = { ...r.blankStep(3, 'call') };
  const c = { ...r.blankStep(1, 'linkedin') };
  const sorted = r.sortSteps([a, b, c]);
  assert.deepEqual(sorted.map((s) => s.key), [a.key, c.key, b.key]);
  const groups = r.groupByDay(sorted);
  assert.deepEqual(groups.map((g) => [g.day, g.items.map((i) => i.index)]), [[1, [0, 1]], [3, [2]]]);
  assert.equal(r.nextDay(sorted), 4);
  assert.equal(r.nextDay([]), 1);
  assert.equal(r.hasEarlierEmail(sorted, 0), false);
  assert.equal(r.hasEarlierEmail(sorted, 1), true);
  assert.notEqual(a.key, b.key);
});

test('the campaign body: only the fields each step type uses', () => {
  const form = r.blankForm('Europe/Berlin');
  form.name = '  Q3 outreach ';
  form.category = 'outbound';
  form.sharing = 'teams';
  form.sender_id = '4';
  const email = { ...form.steps[0], template_id: '7', send_option: 'fixed', send_time: '08:30', follow_up: true };
  const call = { ...r.blankStep(2, 'call'), name: ' Call them ', details: '', priority: 'high', template_id: '9' };
  const again = { ...r.blankStep(4, 'auto_email'), template_id: '8', send_option: 'same_as_previous', follow_up: true };
  const li = { ...r.blankStep(5, 'linkedin'), linkedin_kind: 'inmail' };
  const manual = { ...r.blankStep(6, 'manual_email'), template_id: '' };
  form.steps = [email, call, again, li, manual];
  assert.deepEqual(r.campaignBody(form), {
    name: 'Q3 outreach',
    category: 'outbound',
    sharing: 'teams',
    sender_id: 4,
    settings: {
      time_zone: 'Europe/Berlin', use_person_time_zone: true, skip_weekends: true, end_on_reply: true,
      reply_is_success: false, remove_on_bounce: true, ignore_out_of_office: true,
    },
    steps: [
      { day: 1, type: 'auto_email', template_id: 7, follow_up: false, send_option: 'fixed', send_time: '08:30' },
      { day: 2, type: 'call', name: 'Call them', priority: 'high' },
      { day: 4, type: 'auto_email', template_id: 8, follow_up: true, send_option: 'same_as_previous' },
      { day: 5, type: 'linkedin', priority: 'normal', linkedin_kind: 'inmail' },
      { day: 6, type: 'manual_email', follow_up: false, priority: 'normal' },
    ],
  });
  form.sender_id = '';
  assert.equal('sender_id' in r.campaignBody(form), false);
});

test('a campaign from the API back into the form', () => {
  const form = r.formOf({
    name: 'C', category: '', sharing: 'everyone', sender: { id: 3, address: 'a@x', display_name: 'A' },
    settings: { time_zone: 'Asia/Kolkata', use_person_time_zone: false, skip_weekends: false, end_on_reply: true,
      reply_is_success: true, remove_on_bounce: false, ignore_out_of_office: false },
    steps: [
      { position: 0, day: 1, type: 'auto_email', template: { id: 5, name: 'T' }, send_option: 'at_launch', send_time: null, follow_up: false, name: '', details: '', priority: 'normal', linkedin_kind: null },
      { position: 1, day: 2, type: 'call', template: null, send_option: null, send_time: null, follow_up: false, name: 'Ring', details: 'Ask for Ann', priority: 'high', linkedin_kind: null },
    ],
  });
  assert.equal(form.sender_id, '3');
  assert.equal(form.settings.time_zone, 'Asia/Kolkata');
  assert.equal(form.settings.reply_is_success, true);
  assert.deepEqual(form.steps.map((s) => [s.day, s.type, s.template_id, s.send_option, s.name, s.details, s.priority]),
    [[1, 'auto_email', '5', 'at_launch', '', '', 'normal'], [2, 'call', '', 'fixed', 'Ring', 'Ask for Ann', 'high']]);
  assert.deepEqual(r.campaignBody(form).steps, [
    { day: 1, type: 'auto_email', template_id: 5, follow_up: false, send_option: 'at_launch' },
    { day: 2, type: 'call', name: 'Ring', details: 'Ask for Ann', priority: 'high' },
  ]);
});

test('the members body for each target, with a start time and a launch time', () => {
  assert.deepEqual(r.membersBody({ kind: 'person', id: 12 }), { person_ids: [12] });
  assert.deepEqual(r.membersBody({ kind: 'people', ids: [1, 2, 3] }, { launchTime: '10:15' }),
    { person_ids: [1, 2, 3], launch_time: '10:15' });
  assert.deepEqual(r.membersBody({ kind: 'account', id: '001A' }), { account_id: '001A' });
  assert.deepEqual(r.membersBody({ kind: 'opportunity', id: '006B' }), { opportunity_id: '006B' });
  const local = '2026-03-02T09:30';
  const want = new Date(local).toISOString().replace(/\.\d+Z$/, 'Z');
  assert.deepEqual(r.membersBody({ kind: 'person', id: 1 }, { startAt: local }), { person_ids: [1], start_at: want });
  assert.equal(r.startAtValue(''), null);
  assert.equal(r.startAtValue('not a time'), null);
});

test('add results: the summary and refusal words', () => {
  assert.equal(r.addSummary({ results: [], added: 2, refused: 1 }), '2 added · 1 refused');
  assert.equal(r.addSummary({ results: [{ status: 'added' }, { status: 'refused' }, { status: 'refused' }] }), '1 added · 2 refused');
  assert.equal(r.refusalLabel('already_in_campaign'), 'Already in the campaign');
  assert.equal(r.refusalLabel('no_email'), 'No email address');
  assert.equal(r.refusalLabel('weird'), 'weird');
});

test('report rows name their step and template; launch time; who may change', () => {
  const steps = [{ position: 0, type: 'auto_email', template: { id: 1, name: 'Intro' } }, { position: 1, type: 'call', template: null }];
  const rows = r.reportRows({ steps: [{ position: 0, day: 1, type: 'auto_email', sent: 2 }, { position: 1, day: 2, type: 'call', sent: 0 }] }, steps);
  assert.deepEqual(rows.map((x) => x.label), ['Automatic email: Intro', 'Call']);
  assert.equal(r.needsLaunchTime({ steps: [{ type: 'auto_email', send_option: 'at_launch' }] }), true);
  assert.equal(r.needsLaunchTime({ steps: [{ type: 'auto_email', send_option: 'fixed' }] }), false);
  const c = { owner: { id: 3 } };
  assert.equal(r.canChange(c, { id: 3, role: 'rep' }), true);
  assert.equal(r.canChange(c, { id: 4, role: 'manager' }), false);
  assert.equal(r.canChange(c, { id: 4, role: 'admin' }), true);
});

test('routes: the campaign pages', async () => {
  const { routes } = await import('../../app/routes.js');
  const { findRoute } = await import('../../app/lib/paths.js');
  const { CampaignsPage } = await import('../../app/pages/campaigns.js');
  const { CampaignBuilderPage } = await import('../../app/pages/campaigns-builder.js');
  const { CampaignPage } = await import('../../app/pages/campaigns-detail.js');
  const { CampaignAddPage } = await import('../../app/pages/campaigns-add.js');
  assert.equal(findRoute(routes, '/campaigns').route.component, CampaignsPage);
  assert.deepEqual([findRoute(routes, '/campaigns/new').route.component, findRoute(routes, '/campaigns/new').params], [CampaignBuilderPage, {}]);
  assert.equal(findRoute(routes, '/campaigns/add').route.component, CampaignAddPage);
  assert.deepEqual([findRoute(routes, '/campaigns/7').route.component, findRoute(routes, '/campaigns/7').params], [CampaignPage, { id: '7' }]);
  assert.deepEqual([findRoute(routes, '/campaigns/7/edit').route.component, findRoute(routes, '/campaigns/7/edit').params], [CampaignBuilderPage, { id: '7' }]);
});
