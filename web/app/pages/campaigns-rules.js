// The campaign pages' pure rules: the list's views, the words for step types, send
// options and member statuses, the builder's steps grouped by day and the request bodies
// (POST/PATCH /api/v1/campaigns, POST …/members), the add results. No DOM, no Preact:
// web/test/unit/campaigns-rules.test.mjs loads this file as is.

export const VIEWS = [
  ['mine', 'Mine'],
  ['shared', 'Shared with me'],
  ['all', 'All'],
];

// The list's view from ?view= (default: mine).
export function viewOf(query) {
  const v = (query && query.get('view')) || '';
  return VIEWS.some(([k]) => k === v) ? v : 'mine';
}

export const STEP_TYPES = [
  ['auto_email', 'Automatic email'],
  ['manual_email', 'Manual email'],
  ['call', 'Call'],
  ['linkedin', 'LinkedIn'],
  ['custom', 'Other task'],
];

export const SEND_OPTIONS = [
  ['fixed', 'At a fixed time of day'],
  ['same_as_previous', 'At the same time as the previous email'],
  ['at_launch', 'At the time chosen when people are added'],
  ['task', 'Create an email task instead'],
];

export const LINKEDIN_KINDS = [
  ['connect', 'Connection request'],
  ['inmail', 'InMail'],
];

export const PRIORITIES = [
  ['normal', 'Normal'],
  ['high', 'High'],
];

function labelOf(list, key) {
  const m = list.find(([k]) => k === key);
  return m ? m[1] : key || '';
}

export const stepTypeLabel = (t) => labelOf(STEP_TYPES, t);
export const sendOptionLabel = (o) => labelOf(SEND_OPTIONS, o);

export const isEmailStep = (type) => type === 'auto_email' || type === 'manual_email';

// A member's or a campaign's status in words, and the badge's tone.
export const MEMBER_STATUSES = [
  ['scheduled', 'Scheduled', 'badge-wait'],
  ['active', 'Active', 'badge-ok'],
  ['paused', 'Paused', 'badge-off'],
  ['finished', 'Finished', 'badge-off'],
  ['replied', 'Replied', 'badge-ok'],
  ['bounced', 'Bounced', 'badge-bad'],
  ['removed', 'Removed', 'badge-off'],
  ['unsubscribed', 'Unsubscribed', 'badge-bad'],
  ['stopped', 'Stopped', 'badge-bad'],
];
const CAMPAIGN_STATUSES = [
  ['active', 'Active', 'badge-ok'],
  ['paused', 'Paused', 'badge-off'],
  ['stopped', 'Stopped', 'badge-bad'],
];

export function statusLabel(s) {
  const m = MEMBER_STATUSES.find(([k]) => k === s);
  return m ? m[1] : s || '';
}
export function statusTone(s, campaign = false) {
  const m = (campaign ? CAMPAIGN_STATUSES : MEMBER_STATUSES).find(([k]) => k === s);
  return m ? m[2] : 'badge-off';
}

const PAUSE_REASONS = {
  manual: 'paused by hand',
  campaign: 'the campaign is paused',
  leave: 'the owner is on leave',
  out_of_office: 'out of office',
};
export function pauseReasonText(r) {
  return PAUSE_REASONS[r] || r || '';
}

// A member's person ({id, name, email, company}): the name, else the email, else "Person <id>".
export function memberName(p) {
  if (!p) return '';
  const name = typeof p.name === 'string' ? p.name.trim() : '';
  if (name) return name;
  if (p.email) return p.email;
  return `Person ${p.id}`;
}

// "Day 2 · Call" for a member's next step; null when nothing is next.
export function nextStepText(m) {
  const n = m && m.next_step;
  if (!n) return null;
  return `Day ${n.day} · ${stepTypeLabel(n.type)}`;
}

// The people counts of a summary as one line: "3 active · 1 paused · 2 finished" (zeros left
// out; "No people yet" when all are zero).
export function countsLine(counts) {
  const parts = [];
  for (const [k, label] of MEMBER_STATUSES) {
    const n = counts && counts[k];
    if (n) parts.push(`${n} ${label.toLowerCase()}`);
  }
  return parts.length ? parts.join(' · ') : 'No people yet';
}

// "2 days, 3 steps".
export function stepsLine(c) {
  const days = c.days || 0;
  const steps = c.steps_count || 0;
  return `${days} day${days === 1 ? '' : 's'}, ${steps} step${steps === 1 ? '' : 's'}`;
}

// ---- the builder ----

let nextKey = 1;

// A new step of `type` on `day` (a key for Preact's lists; never sent).
export function blankStep(day, type = 'auto_email') {
  return {
    key: `s${nextKey++}`,
    day,
    type,
    template_id: '',
    send_option: 'fixed',
    send_time: '09:00',
    follow_up: false,
    name: '',
    details: '',
    priority: 'normal',
    linkedin_kind: 'connect',
  };
}

export const DEFAULT_SETTINGS = {
  time_zone: 'UTC',
  use_person_time_zone: true,
  skip_weekends: true,
  end_on_reply: true,
  reply_is_success: false,
  remove_on_bounce: true,
  ignore_out_of_office: true,
};

export function blankForm(timeZone) {
  return {
    name: '',
    category: '',
    sharing: 'private',
    sender_id: '',
    settings: { ...DEFAULT_SETTINGS, time_zone: timeZone || 'UTC' },
    steps: [blankStep(1, 'auto_email')],
  };
}

// The form for an existing campaign (GET /api/v1/campaigns/{id}).
export function formOf(c) {
  return {
    name: c.name || '',
    category: c.category || '',
    sharing: c.sharing || 'private',
    sender_id: c.sender ? String(c.sender.id) : '',
    settings: { ...DEFAULT_SETTINGS, ...(c.settings || {}) },
    steps: (c.steps || []).map((s) => ({
      ...blankStep(s.day, s.type),
      template_id: s.template ? String(s.template.id) : '',
      send_option: s.send_option || 'fixed',
      send_time: s.send_time || '09:00',
      follow_up: !!s.follow_up,
      name: s.name || '',
      details: s.details || '',
      priority: s.priority || 'normal',
      linkedin_kind: s.linkedin_kind || 'connect',
    })),
  };
}

// Steps in the order the API keeps them: by day; within a day they keep their order (a
// stable sort).
export function sortSteps(steps) {
  return steps.map((s, i) => [s, i]).sort((a, b) => (a[0].day - b[0].day) || (a[1] - b[1])).map(([s]) => s);
}

// [{ day, items: [{ step, index }] }] in day order (index: the step's place in `steps`).
export function groupByDay(steps) {
  const groups = [];
  steps.forEach((step, index) => {
    const last = groups[groups.length - 1];
    if (last && last.day === step.day) last.items.push({ step, index });
    else groups.push({ day: step.day, items: [{ step, index }] });
  });
  return groups;
}

// The day a new day starts on: one after the last.
export function nextDay(steps) {
  return steps.reduce((m, s) => Math.max(m, Number(s.day) || 1), 0) + 1;
}

// Is there an email step before index i (a follow-up needs one)?
export function hasEarlierEmail(steps, i) {
  return steps.slice(0, i).some((s) => isEmailStep(s.type));
}

// A step as the API takes it: only the fields its type uses.
export function stepBody(s, i, steps) {
  const out = { day: Number(s.day), type: s.type };
  if (isEmailStep(s.type)) {
    if (s.template_id !== '' && s.template_id !== null && s.template_id !== undefined) {
      out.template_id = Number(s.template_id);
    }
    out.follow_up = !!s.follow_up && hasEarlierEmail(steps, i);
  }
  if (s.type === 'auto_email') {
    out.send_option = s.send_option;
    if (s.send_option === 'fixed') out.send_time = s.send_time;
  }
  if (s.type !== 'auto_email') {
    if (s.name.trim()) out.name = s.name.trim();
    if (s.details.trim()) out.details = s.details.trim();
    out.priority = s.priority;
  }
  if (s.type === 'linkedin') out.linkedin_kind = s.linkedin_kind;
  return out;
}

// POST/PATCH /api/v1/campaigns body from the form.
export function campaignBody(form) {
  const body = {
    name: form.name.trim(),
    category: form.category.trim(),
    sharing: form.sharing,
    settings: { ...form.settings },
    steps: form.steps.map((s, i) => stepBody(s, i, form.steps)),
  };
  if (form.sender_id) body.sender_id = Number(form.sender_id);
  return body;
}

// ---- adding people ----

// "2026-03-02T09:30" (a datetime-local value, the browser's zone) → ISO UTC; '' → null.
export function startAtValue(local) {
  if (!local) return null;
  const t = new Date(local);
  if (Number.isNaN(t.getTime())) return null;
  return t.toISOString().replace(/\.\d+Z$/, 'Z');
}

// POST /api/v1/campaigns/{id}/members body for a target (compose-rules' composeTarget).
export function membersBody(target, { startAt = '', launchTime = '' } = {}) {
  let body;
  if (target.kind === 'person') body = { person_ids: [target.id] };
  else if (target.kind === 'people') body = { person_ids: target.ids.slice() };
  else if (target.kind === 'account') body = { account_id: target.id };
  else body = { opportunity_id: target.id };
  const at = startAtValue(startAt);
  if (at) body.start_at = at;
  if (launchTime) body.launch_time = launchTime;
  return body;
}

export const REFUSALS = {
  unsubscribed: 'Unsubscribed',
  inactive_person: 'Inactive person',
  already_in_campaign: 'Already in the campaign',
  no_email: 'No email address',
  not_found: 'Not found',
};
export function refusalLabel(reason) {
  return REFUSALS[reason] || reason || 'Refused';
}

// "2 added · 1 refused".
export function addSummary(result) {
  const rs = (result && result.results) || [];
  const a = result.added ?? rs.filter((r) => r.status === 'added').length;
  const r = result.refused ?? rs.filter((x) => x.status === 'refused').length;
  return `${a} added · ${r} refused`;
}

// The report's per-step rows beside the campaign's steps (for the step's words).
export function reportRows(report, steps = []) {
  return ((report && report.steps) || []).map((r) => {
    const s = steps.find((x) => x.position === r.position);
    const template = s && s.template ? s.template.name : null;
    return { ...r, label: `${stepTypeLabel(r.type)}${template ? `: ${template}` : ''}` };
  });
}

// Does the campaign have a step whose time is chosen when people are added?
export function needsLaunchTime(c) {
  return !!(c && (c.steps || []).some((s) => s.type === 'auto_email' && s.send_option === 'at_launch'));
}

// Who may change a campaign: its owner or an admin.
export function canChange(c, user) {
  return !!(c && user && (user.role === 'admin' || (c.owner && c.owner.id === user.id)));
}
