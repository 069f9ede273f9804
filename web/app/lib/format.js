// Formatting for people, dates and counts. Pure: no window, no document, no preact.

function clean(value) {
  return typeof value === 'string' ? value.trim() : '';
}

// "First Last", else the email, else "Person <id>".
export function personName(p) {
  if (!p) return '';
  const name = [clean(p.first_name), clean(p.last_name)].filter(Boolean).join(' ');
  if (name) return name;
  if (clean(p.email)) return clean(p.email);
  return p.id !== undefined && p.id !== null ? `Person ${p.id}` : 'Unnamed person';
}

// Initials for an avatar: "Ada Admin" → "AA"; one word → its first letter.
export function initials(name) {
  const words = clean(name).split(/\s+/).filter(Boolean);
  if (words.length === 0) return '?';
  const first = Array.from(words[0])[0];
  const last = words.length > 1 ? Array.from(words[words.length - 1])[0] : '';
  return (first + last).toUpperCase();
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function pad(n) {
  return String(n).padStart(2, '0');
}

// ISO 8601 → "29 Nov 2026, 14:05" in the given time zone offset (minutes east of UTC;
// default: the runtime's local zone). Empty or bad input → "—".
export function formatDateTime(iso, { utc = false } = {}) {
  if (!iso) return '—';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '—';
  const d = new Date(t);
  const day = utc ? d.getUTCDate() : d.getDate();
  const month = utc ? d.getUTCMonth() : d.getMonth();
  const year = utc ? d.getUTCFullYear() : d.getFullYear();
  const hours = utc ? d.getUTCHours() : d.getHours();
  const minutes = utc ? d.getUTCMinutes() : d.getMinutes();
  return `${day} ${MONTHS[month]} ${year}, ${pad(hours)}:${pad(minutes)}`;
}

// ISO 8601 → "just now", "5 minutes ago", "in 3 hours", "2 days ago", … ; after 30 days
// the date itself. Empty or bad input → "—".
export function relativeTime(iso, now = Date.now()) {
  if (!iso) return '—';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '—';
  const seconds = Math.round((t - now) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 45) return 'just now';
  const units = [
    [60 * 60 * 24, 'day'],
    [60 * 60, 'hour'],
    [60, 'minute'],
  ];
  if (abs >= 60 * 60 * 24 * 30) return formatDateTime(iso);
  for (const [size, unit] of units) {
    if (abs >= size) {
      const n = Math.round(abs / size);
      const label = `${n} ${unit}${n === 1 ? '' : 's'}`;
      return seconds < 0 ? `${label} ago` : `in ${label}`;
    }
  }
  const n = Math.max(1, Math.round(abs / 60));
  const label = `${n} minute${n === 1 ? '' : 's'}`;
  return seconds < 0 ? `${label} ago` : `in ${label}`;
}

// 1234567 → "1,234,567" (no locale surprises in tests).
export function formatCount(n) {
  if (typeof n !== 'number' || !Number.isFinite(n)) return '—';
  const sign = n < 0 ? '-' : '';
  const digits = String(Math.trunc(Math.abs(n)));
  return sign + digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

// "1 person" / "2 people".
export function peopleCount(n) {
  return `${formatCount(n)} ${n === 1 ? 'person' : 'people'}`;
}

// The status line of a paged list: rows first..last (1-based), "Showing 1–50".
export function rangeLabel(first, count) {
  if (count <= 0) return 'No rows';
  return `Showing ${formatCount(first)}–${formatCount(first + count - 1)}`;
}

// A 429's line: "Too many attempts. Try again in 60 seconds." (Retry-After seconds; without
// one, "Too many attempts. Try again later.").
export function retryMessage(seconds) {
  if (seconds === null || seconds === undefined) return 'Too many attempts. Try again later.';
  const n = Math.max(1, Math.ceil(Number(seconds) || 0));
  return `Too many attempts. Try again in ${n} second${n === 1 ? '' : 's'}.`;
}

// A Salesforce Lightning record URL, or null when the base URL or id is missing.
export function salesforceUrl(base, object, id) {
  if (!base || !id) return null;
  const root = String(base).replace(/\/+$/, '');
  if (!/^https?:\/\//i.test(root)) return null;
  return `${root}/lightning/r/${object}/${encodeURIComponent(id)}/view`;
}

// Only http(s) links are made clickable (a synced LinkedIn field could hold anything).
export function safeHttpUrl(url) {
  if (typeof url !== 'string') return null;
  const text = url.trim();
  if (!/^https?:\/\/[^\s/]+/i.test(text)) return null;
  return text;
}
