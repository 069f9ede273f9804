// Pure rules of the Triggers page (/admin/triggers): the form's checks, the
// request body it sends, and how a trigger, a firing and a delivery read.
// No DOM, no Preact (web/test/unit/triggers-rules.test.mjs).

export const ACTIONS = [
  ['webhook', 'Call a webhook'],
  ['add_to_campaign', 'Add to a campaign'],
  ['create_task', 'Create a task'],
];

export const TASK_TYPES = [['custom', 'Custom'], ['call', 'Call'], ['linkedin', 'LinkedIn']];

export const SECRET_MIN = 16;
export const SECRET_MAX = 1024;

export function emptyTriggerForm() {
  return {
    name: '', filterId: '', action: 'webhook', url: '', secret: '', campaignId: '',
    taskName: '', taskType: 'custom', taskPriority: 'normal', dueInHours: '0', taskDetails: '',
    enabled: true,
  };
}

const chars = (s) => [...(s || '')].length;
const positiveId = (v) => /^[1-9][0-9]{0,17}$/.test(String(v || '').trim());

// { field: message } for each field in error; {} when the form can be sent.
// `editing`: the trigger has a secret already (it may be left empty).
export function validateTrigger(f, { editing = false } = {}) {
  const e = {};
  const name = (f.name || '').trim();
  if (!name) e.name = 'Enter a name for the trigger.';
  else if (chars(name) > 200) e.name = `A name can have at most 200 characters, not ${chars(name)}.`;
  if (!positiveId(f.filterId)) e.filterId = 'Choose a saved filter.';
  if (f.action === 'webhook') {
    const url = (f.url || '').trim();
    if (!/^https?:\/\/[^\s/?#:]/.test(url)) e.url = 'Enter the receiver\'s URL, starting with https:// or http://.';
    else if (/\s/.test(url)) e.url = 'A URL cannot contain spaces.';
    else if (chars(url) > 2000) e.url = 'A URL can have at most 2000 characters.';
    const n = chars(f.secret);
    if (n === 0 && !editing) e.secret = `Enter a secret of ${SECRET_MIN} to ${SECRET_MAX} characters: the receiver checks the signature with it.`;
    else if (n > 0 && (n < SECRET_MIN || n > SECRET_MAX)) e.secret = `A secret has ${SECRET_MIN} to ${SECRET_MAX} characters, not ${n}.`;
  } else if (f.action === 'add_to_campaign') {
    if (!positiveId(f.campaignId)) e.campaignId = 'Choose a campaign.';
  } else if (f.action === 'create_task') {
    const t = (f.taskName || '').trim();
    if (!t) e.taskName = 'Enter the task\'s name.';
    else if (chars(t) > 200) e.taskName = `A task name can have at most 200 characters, not ${chars(t)}.`;
    const h = Number(f.dueInHours);
    if (!/^\d+$/.test(String(f.dueInHours).trim()) || h > 8760) e.dueInHours = 'Enter whole hours from 0 to 8760.';
    if (chars(f.taskDetails) > 1000) e.taskDetails = 'Details can have at most 1000 characters.';
  } else {
    e.action = 'Choose what the trigger does.';
  }
  return e;
}

// The TriggerCreate body (docs/openapi.json) of a valid form.
export function triggerBody(f) {
  const config = {};
  if (f.action === 'webhook') {
    config.url = f.url.trim();
    if (f.secret) config.secret = f.secret;
  } else if (f.action === 'add_to_campaign') {
    config.campaign_id = Number(f.campaignId);
  } else {
    config.task_name = f.taskName.trim();
    config.task_type = f.taskType;
    config.task_priority = f.taskPriority;
    config.due_in_hours = Number(f.dueInHours);
    if (f.taskDetails.trim()) config.task_details = f.taskDetails.trim();
  }
  return { name: f.name.trim(), filter_id: Number(f.filterId), action: f.action, config, enabled: !!f.enabled };
}

// One line saying what a trigger does.
export function actionSummary(t, campaignName = null) {
  const c = t.config || {};
  if (t.action === 'webhook') return `POST to ${c.url}${c.secret_set ? ' (signed)' : ' (no secret)'}`;
  if (t.action === 'add_to_campaign') return `Add to campaign ${campaignName ? `“${campaignName}”` : `#${c.campaign_id}`}`;
  if (t.action === 'create_task') {
    const due = c.due_in_hours ? `, due in ${c.due_in_hours} h` : ', due at once';
    return `Create task “${c.task_name}”${due}`;
  }
  return t.action;
}

// A delivery's state in words.
export function deliveryText(d) {
  if (d.status === 'delivered') return `Delivered (HTTP ${d.last_status}) after ${d.attempts} ${d.attempts === 1 ? 'attempt' : 'attempts'}`;
  if (d.status === 'failed') return `Failed after ${d.attempts} attempts: ${d.last_error || 'no answer'}`;
  if (!d.attempts) return 'Waiting for its first attempt';
  return `Retrying (${d.attempts} ${d.attempts === 1 ? 'attempt' : 'attempts'} so far): ${d.last_error || 'no answer'}`;
}
