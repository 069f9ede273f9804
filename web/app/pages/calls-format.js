// The calls' pure rules: statuses and durations in words, the call form's checks and the
// CallInput it sends, outcomes grouped for the form, tel: links. No window, no document,
// no preact (unit-tested).

// The statuses a person logging a call can choose (the dialer also sets ringing and
// in_progress).
export const CALL_STATUSES = [
  ['completed', 'Completed'],
  ['no_answer', 'No answer'],
  ['cancelled', 'Cancelled'],
  ['failed', 'Failed'],
];
const STATUS_WORDS = Object.fromEntries([...CALL_STATUSES, ['ringing', 'Ringing'], ['in_progress', 'In progress']]);

export function callStatusLabel(status) {
  return STATUS_WORDS[status] || status || '—';
}

export function callStatusTone(status) {
  if (status === 'completed') return 'ok';
  if (status === 'ringing' || status === 'in_progress') return 'wait';
  if (status === 'failed') return 'bad';
  return 'off';
}

// Seconds → "0:45", "12:03", "1:02:03"; null/undefined → "—".
export function formatDuration(s) {
  if (s === null || s === undefined || s === '' || !Number.isFinite(Number(s))) return '—';
  const n = Math.max(0, Math.round(Number(s)));
  const h = Math.floor(n / 3600);
  const m = Math.floor((n % 3600) / 60);
  const sec = String(n % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

// "Duration" as typed: "" → null, "90" (seconds), "1:30", "1:02:03" → seconds; NaN when
// it is none of those.
export function parseDuration(text) {
  const t = String(text || '').trim();
  if (!t) return null;
  if (/^\d{1,6}$/.test(t)) return Number(t);
  const m = /^(?:(\d{1,3}):)?(\d{1,3}):(\d{2})$/.exec(t);
  if (!m) return NaN;
  const sec = Number(m[3]);
  const min = Number(m[2]);
  if (sec > 59 || (m[1] !== undefined && min > 59)) return NaN;
  return Number(m[1] || 0) * 3600 + min * 60 + sec;
}

// Outcomes (the API's, archived ones left out) in the form's two groups, by position.
export function outcomeGroups(outcomes) {
  const live = (outcomes || []).filter((o) => !o.archived)
    .sort((a, b) => (a.position ?? 0) - (b.position ?? 0) || a.id - b.id);
  return [
    { label: 'Answered', items: live.filter((o) => o.answered) },
    { label: 'Not answered', items: live.filter((o) => !o.answered) },
  ].filter((g) => g.items.length);
}

// The status an outcome suggests: answered → completed, not answered → no answer.
export function statusForOutcome(outcome) {
  if (!outcome) return null;
  return outcome.answered ? 'completed' : 'no_answer';
}

// The call form's values → { input } (the API's CallInput) or { errors: {field: message} }.
// form: { outcome, reason, notes, number, callerId, duration, status, drop, startedAt (ISO|null) }
export function callInput(form, { personId, requireOutcome = false }) {
  const errors = {};
  if (requireOutcome && !form.outcome) errors.outcome = 'Choose an outcome: your admin requires one for every call.';
  const duration = parseDuration(form.duration);
  if (Number.isNaN(duration)) errors.duration = 'Enter the duration as minutes:seconds (4:30) or seconds (270).';
  if (!CALL_STATUSES.some(([id]) => id === form.status)) errors.status = 'Choose how the call went.';
  if ([...(form.notes || '')].length > 10000) errors.notes = 'Notes can have at most 10,000 characters.';
  if (Object.keys(errors).length) return { errors };
  const input = { person_id: Number(personId), status: form.status };
  if (form.outcome) input.outcome_id = Number(form.outcome);
  if (form.reason) input.reason_id = Number(form.reason);
  if ((form.notes || '').trim()) input.notes = form.notes.trim();
  if ((form.number || '').trim()) input.number_dialed = form.number.trim();
  if ((form.callerId || '').trim()) input.caller_id = form.callerId.trim();
  if (duration !== null) input.duration_s = duration;
  if (form.drop) input.voicemail_drop_id = Number(form.drop);
  if (form.startedAt) input.started_at = form.startedAt;
  return { input };
}

// A tel: URI for a phone number as stored ("+1 (415) 555-0100" → "tel:+14155550100").
export function telHref(number) {
  const digits = String(number || '').replace(/[^+0-9]/g, '').replace(/(?!^)\+/g, '');
  return digits.replace(/\+/g, '').length ? `tel:${digits}` : null;
}

// GET /api/v1/calls's query for a Calls tab: one of person, account, opportunity.
export function callsQuery(filter) {
  const q = {};
  for (const k of ['person', 'account', 'opportunity', 'user']) if (filter && filter[k]) q[k] = filter[k];
  return q;
}

// A call's outcome for the table: its name, or the status when it has none.
export function outcomeText(call) {
  if (call && call.outcome && call.outcome.name) return call.outcome.name;
  return callStatusLabel(call && call.status);
}

// Notes cut to one line for the table (the detail card has them whole).
export function notesLine(notes, max = 80) {
  const t = String(notes || '').replace(/\s+/g, ' ').trim();
  const chars = [...t];
  return chars.length > max ? chars.slice(0, max - 1).join('') + '…' : t;
}
