// The composer's pure rules: who the email goes to (from the URL), address lists, the
// schedule, attachments, the preview's highlighting and the request bodies. No DOM, no
// Preact: web/test/unit/compose-rules.test.mjs loads this file as is.

// The most a bulk send may address (POST /api/v1/emails/bulk) and the attachments' limit.
export const BULK_MAX = 1000;
export const ATTACHMENTS_MAX_BYTES = 23 * 1024 * 1024;

const ID_RE = /^[1-9][0-9]{0,17}$/;

// What /compose?… addresses: one person (?person=ID), a selection (?people=1,2,3), or all
// the people of an account (?account=ID) or opportunity (?opportunity=ID). null: nobody.
export function composeTarget(query) {
  const get = (k) => (query && query.get(k)) || '';
  const person = get('person').trim();
  if (ID_RE.test(person)) return { kind: 'person', id: Number(person) };
  const people = get('people').split(',').map((s) => s.trim()).filter(Boolean);
  if (people.length && people.every((s) => ID_RE.test(s))) {
    return { kind: 'people', ids: [...new Set(people.map(Number))] };
  }
  const account = get('account').trim();
  if (account) return { kind: 'account', id: account };
  const opportunity = get('opportunity').trim();
  if (opportunity) return { kind: 'opportunity', id: opportunity };
  return null;
}

// The composer's URL for a target (the inverse of composeTarget).
export function composeHref(target) {
  if (target.kind === 'person') return `/compose?person=${target.id}`;
  if (target.kind === 'people') return `/compose?people=${target.ids.join(',')}`;
  return `/compose?${target.kind}=${encodeURIComponent(target.id)}`;
}

// "a@x.com, b@y.org; c@z.net" → ['a@x.com', 'b@y.org', 'c@z.net'] (blanks dropped, duplicates
// kept once, order kept).
export function splitAddresses(text) {
  const out = [];
  for (const part of String(text || '').split(/[,;\s]+/)) {
    const a = part.trim();
    if (a && !out.some((x) => x.toLowerCase() === a.toLowerCase())) out.push(a);
  }
  return out;
}

const ADDRESS_RE = /^[^\s@<>,;"]+@[^\s@<>,;"]+\.[^\s@<>,;".]+$/;

// The first address of the list that is not an email address, as a message; null when all are.
export function addressProblem(list, label) {
  const bad = list.find((a) => !ADDRESS_RE.test(a) || a.length > 254);
  return bad ? `${label}: “${bad}” is not an email address.` : null;
}

// 1536 → "1.5 KB"; 2621440 → "2.5 MB".
export function formatBytes(n) {
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) return '—';
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  const text = v >= 10 ? String(Math.round(v)) : String(Math.round(v * 10) / 10);
  return `${text} ${units[i]}`;
}

// The bytes a base64 string decodes to.
export function base64Size(b64) {
  const s = String(b64 || '');
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  return Math.max(0, Math.floor((s.length * 3) / 4) - pad);
}

// The problem with a set of attachments ({size}), or null.
export function attachmentsProblem(files) {
  const total = files.reduce((n, f) => n + (f.size || 0), 0);
  if (total > ATTACHMENTS_MAX_BYTES) {
    return `Attachments can total at most 23 MB; these are ${formatBytes(total)}.`;
  }
  return null;
}

// A datetime-local value "2026-12-01T09:30" → "2026-12-01T09:30:00" (send_at without an
// offset: local to time_zone); null when empty or malformed.
export function sendAtValue(local) {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(String(local || '').trim());
  if (!m) return null;
  return `${m[1]}T${m[2]}:${m[3]}:${m[4] || '00'}`;
}

// The schedule's problem, or null: a later send needs a date and time and a time zone.
export function scheduleProblem({ when, sendAt, timeZone }) {
  if (when !== 'later') return null;
  if (!sendAtValue(sendAt)) return 'Choose the date and time to send it.';
  if (!timeZone) return 'Choose the time zone of that date and time.';
  return null;
}

// Prompts and unfilled fields are marked in the preview: the composer asks for a preview
// of a copy of the text in which each is replaced by ⟦…⟧, which the renderer keeps as
// text (no HTML escaping touches these characters) and the page shows highlighted.
export const MARK_OPEN = '\u27E6';
export const MARK_CLOSE = '\u27E7';
const PROMPT_RE = /\{\{!\s*([\s\S]*?)\s*\}\}/g;

function escapeRe(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// The prompts ({{! write one line about their launch}}) a text holds, in order, once each.
export function promptsIn(text) {
  const out = [];
  for (const m of String(text || '').matchAll(PROMPT_RE)) {
    const p = m[1].replace(MARK_CLOSE, '').trim();
    if (p && !out.includes(p)) out.push(p);
  }
  return out;
}

// The text with every prompt and every {{field}} / {{{field}}} / {{&field}} of `unfilled`
// replaced by its mark: ⟦field⟧ and ⟦✎ prompt⟧.
export function markText(text, unfilled = []) {
  let out = String(text || '').replace(PROMPT_RE, (_, p) => `${MARK_OPEN}✎ ${p.replace(MARK_CLOSE, '').trim()}${MARK_CLOSE}`);
  for (const field of unfilled) {
    const f = escapeRe(String(field));
    const re = new RegExp(`\\{\\{\\{\\s*${f}\\s*\\}\\}\\}|\\{\\{&?\\s*${f}\\s*\\}\\}`, 'g');
    out = out.replace(re, `${MARK_OPEN}${field}${MARK_CLOSE}`);
  }
  return out;
}

// Splits a rendered string at the marks: [{text}, {mark}, {text}, …] (empty texts left out).
export function splitMarks(text) {
  const out = [];
  const re = new RegExp(`${MARK_OPEN}([^${MARK_CLOSE}]*)${MARK_CLOSE}`, 'g');
  let last = 0;
  for (const m of String(text || '').matchAll(re)) {
    if (m.index > last) out.push({ text: text.slice(last, m.index) });
    out.push({ mark: m[1] });
    last = m.index + m[0].length;
  }
  if (last < String(text || '').length) out.push({ text: String(text).slice(last) });
  return out;
}

// Whether a preview blocks sending, and the checklist lines that say why.
export function previewBlockers(preview) {
  if (!preview) return [];
  const lines = [];
  for (const f of preview.unfilled || []) {
    lines.push({ kind: 'field', name: f, text: `{{${f}}} has no value for this person: add | default: "…" or remove it.` });
  }
  for (const p of preview.prompts || []) {
    lines.push({ kind: 'prompt', name: p, text: `Replace the prompt “${p}” with your own words.` });
  }
  return lines;
}

// Why Send is disabled, or null when it may be pressed. `state` holds the form and the
// preview: { sender, subject, body, preview, previewState, schedule, cc, bcc, files }.
export function sendBlocker(s) {
  if (!s.sender) return 'Choose a sender.';
  if (!s.bulk) {
    if (!String(s.subject || '').trim()) return 'Write a subject.';
    if (!String(s.body || '').trim()) return 'Write the email.';
  } else if (!s.template) return 'Choose a template.';
  if (s.previewState !== 'ready') {
    return s.previewState === 'error' ? 'The preview failed: fix it first.' : 'Waiting for the preview…';
  }
  const n = (s.preview.unfilled || []).length + (s.preview.prompts || []).length;
  if (!s.bulk && n > 0) return `Fill ${n === 1 ? 'the highlighted field or prompt' : `the ${n} highlighted fields and prompts`} first.`;
  if (s.bulk && (s.preview.prompts || []).length > 0) return 'This template has prompts: a bulk send cannot fill them.';
  const p = addressProblem(s.cc || [], 'CC') || addressProblem(s.bcc || [], 'BCC') ||
    attachmentsProblem(s.files || []) || scheduleProblem(s.schedule || {});
  return p;
}

// The POST /api/v1/emails body. The template is sent by id when its subject and body
// were left as they were (it counts in the template's analytics), else the text itself.
export function emailBody(s) {
  const body = { person_id: s.personId, sender_id: Number(s.sender) };
  if (s.cc && s.cc.length) body.cc = s.cc;
  if (s.bcc && s.bcc.length) body.bcc = s.bcc;
  if (s.template && s.template.subject === s.subject && s.template.body_html === s.body) {
    body.template_id = s.template.id;
  } else {
    body.subject = s.subject;
    body.body_html = s.body;
  }
  if (s.files && s.files.length) {
    body.attachments = s.files.map((f) => ({ filename: f.filename, content_type: f.content_type, data: f.data }));
  }
  Object.assign(body, scheduleFields(s.schedule));
  return body;
}

// The POST /api/v1/emails/bulk body.
export function bulkBody(s) {
  return {
    template_id: s.template.id,
    sender_id: Number(s.sender),
    person_ids: s.personIds.slice(0, BULK_MAX),
    ...scheduleFields(s.schedule),
  };
}

function scheduleFields(schedule) {
  if (!schedule || schedule.when !== 'later') return {};
  return { send_at: sendAtValue(schedule.sendAt), time_zone: schedule.timeZone };
}

// The words for a bulk result's refusal reasons.
export const REFUSALS = {
  unsubscribed: 'Unsubscribed',
  blocked_domain: 'Blocked domain',
  unfilled_field: 'Unfilled field',
  inactive_person: 'Inactive person',
  no_email: 'No email address',
};

export function refusalLabel(reason) {
  return REFUSALS[reason] || reason || 'Refused';
}

// "12 queued · 3 refused".
export function bulkSummary(result) {
  const q = result.queued ?? result.results.filter((r) => r.status === 'queued').length;
  const r = result.refused ?? result.results.filter((x) => x.status === 'refused').length;
  return `${q} queued · ${r} refused`;
}

// A sender's label in the picker: "Ada Admin <ada@example.com> (Default channel)".
export function senderLabel(s) {
  const who = s.display_name ? `${s.display_name} <${s.address}>` : s.address;
  return s.channel_name ? `${who} · ${s.channel_name}` : who;
}

// The time zones the browser knows (Intl.supportedValuesOf), with `current` first-class;
// a short list when the runtime cannot tell.
export function timeZones(current) {
  let list = [];
  try {
    if (typeof Intl.supportedValuesOf === 'function') list = Intl.supportedValuesOf('timeZone');
  } catch {
    list = [];
  }
  if (!list.length) list = ['UTC', 'America/New_York', 'America/Chicago', 'America/Los_Angeles', 'Europe/London', 'Europe/Paris', 'Asia/Tokyo'];
  if (!list.includes('UTC')) list = ['UTC', ...list];
  if (current && !list.includes(current)) list = [current, ...list];
  return list;
}
