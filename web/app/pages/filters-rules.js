// Filters & Triggers: the pure parts (no DOM) — the activity types a condition can name, a
// blank condition, and the definition the API takes built from the form's values
// (docs/outbox.md "Filters and triggers"; POST /api/v1/filters, /filters/preview).

export const ACTIVITY_TYPES = [
  ['email_send', 'Sent an email'],
  ['email_open', 'Opened an email'],
  ['email_click', 'Clicked a link'],
  ['email_reply', 'Replied'],
  ['email_autoreply', 'Sent an out-of-office'],
  ['email_bounce', 'Bounced'],
  ['call', 'Had a call'],
  ['campaign_add', 'Added to a campaign'],
  ['campaign_remove', 'Removed from a campaign'],
  ['unsubscribe', 'Unsubscribed'],
  ['resubscribe', 'Resubscribed'],
];

export function typeLabel(type) {
  const t = ACTIVITY_TYPES.find(([id]) => id === type);
  return t ? t[1] : type;
}

let nextKey = 1;
export function blankCondition(type = 'email_open') {
  return {
    key: nextKey++, type, template_id: '', campaign_id: '', link: '', min_count: '1',
    within_days: '', human_only: false, negate: false,
  };
}

// The form's conditions (strings from inputs) → the API's definition. Blank optional fields
// are left out; numbers that are not whole numbers are sent as they are, so the server's
// message names them.
export function buildDefinition(conditions, ownerEmail) {
  const num = (v) => (/^\s*-?\d+\s*$/.test(v) ? Number(v) : v);
  const out = {
    conditions: conditions.map((c) => {
      const o = { type: c.type };
      if (String(c.template_id).trim()) o.template_id = num(String(c.template_id));
      if (String(c.campaign_id).trim()) o.campaign_id = num(String(c.campaign_id));
      if (c.type === 'email_click' && String(c.link).trim()) o.link = String(c.link).trim();
      if (String(c.min_count).trim() && String(c.min_count).trim() !== '1') o.min_count = num(String(c.min_count));
      if (String(c.within_days).trim()) o.within_days = num(String(c.within_days));
      if (c.human_only) o.human_only = true;
      if (c.negate) o.negate = true;
      return o;
    }),
  };
  if (ownerEmail && ownerEmail.trim()) out.owner_email = ownerEmail.trim();
  return out;
}

// A saved definition → the form's conditions.
export function formConditions(definition) {
  return ((definition && definition.conditions) || []).map((c) => ({
    ...blankCondition(c.type),
    template_id: c.template_id ? String(c.template_id) : '',
    campaign_id: c.campaign_id ? String(c.campaign_id) : '',
    link: c.link || '',
    min_count: String(c.min_count || 1),
    within_days: c.within_days ? String(c.within_days) : '',
    human_only: !!c.human_only,
    negate: !!c.negate,
  }));
}

// One line in words: "Opened an email (template 3) at least 2 times in the last 7 days,
// human only" / "Did not: Replied".
export function describeCondition(c) {
  let s = typeLabel(c.type);
  const refs = [];
  if (c.template_id) refs.push(`template ${c.template_id}`);
  if (c.campaign_id) refs.push(`campaign ${c.campaign_id}`);
  if (c.link) refs.push(c.link);
  if (refs.length) s += ` (${refs.join(', ')})`;
  if (c.min_count && c.min_count > 1) s += ` at least ${c.min_count} times`;
  s += c.within_days ? ` in the last ${c.within_days} day${c.within_days === 1 ? '' : 's'}` : ' ever';
  if (c.human_only) s += ', human only';
  return c.negate ? `Did not: ${s}` : s;
}

export function describeDefinition(d) {
  const parts = ((d && d.conditions) || []).map(describeCondition);
  if (d && d.owner_email) parts.push(`owner ${d.owner_email}`);
  return parts.join(' · ');
}
