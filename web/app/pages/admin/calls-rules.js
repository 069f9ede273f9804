// Pure rules of the call admin pages (outcomes, reasons, caller ids, voicemail drops,
// settings): validation in hail's words and ordering. No DOM, no Preact (unit-tested).

export const DROP_MAX_BYTES = 10 * 1024 * 1024;

export function nameProblem(name, label = 'name', max = 200) {
  const n = [...String(name || '').trim()].length;
  if (n === 0) return `Enter ${/^[aeiou]/i.test(label) ? 'an' : 'a'} ${label}.`;
  if (n > max) return `A ${label} can have at most ${max} characters, not ${n}.`;
  return null;
}

// E.164: "+" then 8 to 15 digits, the first not 0. Spaces, dashes, dots and brackets typed
// for readability are dropped first.
export function e164(number) {
  const t = String(number || '').trim().replace(/[\s().-]/g, '');
  return /^\+[1-9][0-9]{7,14}$/.test(t) ? t : null;
}

export function numberProblem(number) {
  if (!String(number || '').trim()) return 'Enter the number.';
  if (!e164(number)) return 'Enter the number in international form: + then the country code and number, like +14155550100.';
  return null;
}

// Outcomes and reasons in the order the form shows them.
export function byPosition(list) {
  return [...(list || [])].filter((x) => !x.archived)
    .sort((a, b) => (a.position ?? 0) - (b.position ?? 0) || a.id - b.id);
}

// The next position for a new outcome or reason: after the last.
export function nextPosition(list) {
  return (list || []).reduce((m, x) => Math.max(m, Number(x.position) || 0), 0) + 1;
}

// A voicemail file's type from its name or the browser's type; null: not WAV or MP3.
export function audioType(file) {
  const t = String((file && file.type) || '').toLowerCase();
  const name = String((file && file.name) || '').toLowerCase();
  if (t === 'audio/wav' || t === 'audio/x-wav' || t === 'audio/wave' || name.endsWith('.wav')) return 'audio/wav';
  if (t === 'audio/mpeg' || t === 'audio/mp3' || name.endsWith('.mp3')) return 'audio/mpeg';
  return null;
}

export function dropProblem(file, name) {
  if (!file) return 'Choose a WAV or MP3 file.';
  if (!audioType(file)) return 'Choose a WAV or MP3 file: other audio cannot be dropped on a call.';
  if (file.size > DROP_MAX_BYTES) return `The file is ${(file.size / 1048576).toFixed(1)} MB: a voicemail drop can be at most 10 MB.`;
  return nameProblem(name, 'name for the recording', 200);
}

// The name a file suggests: "intro-message.wav" → "intro-message".
export function nameFromFile(file) {
  return String((file && file.name) || '').replace(/\.[^.]+$/, '');
}

// The dialer's shared secret: 16 to 256 characters (hail's rule).
export function secretProblem(secret) {
  const n = [...String(secret || '')].length;
  if (n === 0) return 'Enter the secret your dialer provider gave you.';
  if (n < 16) return `A dialer secret needs at least 16 characters, not ${n}.`;
  if (n > 256) return `A dialer secret can have at most 256 characters, not ${n}.`;
  return null;
}

export function bytesText(n) {
  if (!Number.isFinite(n)) return '—';
  if (n < 1024) return `${n} B`;
  if (n < 1048576) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1048576).toFixed(1)} MB`;
}
