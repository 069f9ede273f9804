// Pure rules of the Holidays page (/admin/holidays) and My settings (/settings): dates as
// "YYYY-MM-DD", a year's range, the add form's checks, time zone choices. No DOM, no
// Preact: node's test runner loads this file as is (web/test/unit/time-rules.test.mjs).

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August',
  'September', 'October', 'November', 'December'];

function daysInMonth(y, m) {
  return m === 2 && ((y % 4 === 0 && y % 100 !== 0) || y % 400 === 0) ? 29 : [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1];
}

// "2026-12-25" → { y, m, d }, or null when it is not a real date (hail's rule: years
// 1900..9999, YYYY-MM-DD exactly).
export function parseDay(s) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s || '');
  if (!m) return null;
  const y = Number(m[1]), mo = Number(m[2]), d = Number(m[3]);
  if (y < 1900 || mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) return null;
  return { y, m: mo, d };
}

// "2026-12-25" → "Friday, 25 December 2026" (the day itself: no time zone); bad → the text.
export function dayLabel(s) {
  const p = parseDay(s);
  if (!p) return s || '—';
  const wd = new Date(Date.UTC(p.y, p.m - 1, p.d)).getUTCDay();
  return `${WEEKDAYS[wd]}, ${p.d} ${MONTHS[p.m - 1]} ${p.y}`;
}

// Whether the day is a Saturday or a Sunday (campaigns that skip weekends skip it anyway).
export function isWeekend(s) {
  const p = parseDay(s);
  if (!p) return false;
  const wd = new Date(Date.UTC(p.y, p.m - 1, p.d)).getUTCDay();
  return wd === 0 || wd === 6;
}

// The GET /api/v1/holidays query for one year.
export function yearQuery(year) {
  return { from: `${year}-01-01`, to: `${year}-12-31` };
}

export function yearOf(s) {
  const p = parseDay(s);
  return p ? p.y : null;
}

// The add form: { day, name } → { field: message } for each field in error.
export function validateHoliday({ day, name } = {}) {
  const errors = {};
  if (!day) errors.day = 'Choose a date.';
  else if (!parseDay(day)) errors.day = 'Enter a date such as 2026-12-25.';
  const n = [...(name || '').trim()].length;
  if (n === 0) errors.name = 'Enter a name, such as Christmas Day.';
  else if (n > 200) errors.name = `A name can have at most 200 characters, not ${n}.`;
  return errors;
}

// What the page says after a PUT: added, or renamed when the day was a holiday already.
export function savedMessage(day, name, before) {
  const label = dayLabel(day);
  if (before && before !== name) return `${label} is now called ${name} (it was ${before}).`;
  if (before) return `${label} is already ${name}.`;
  return `${label} is a holiday: ${name}. No campaign sends and no task is due that day.`;
}

// The time zone select: the list as it comes (sorted), with the current zone kept even
// when the list lacks it (a backward name such as US/Eastern set through the API).
export function zoneChoices(zones, current) {
  const list = Array.isArray(zones) ? zones.slice() : [];
  if (current && !list.includes(current)) list.unshift(current);
  return list;
}

// Browsers (ICU/CLDR) keep some zones' old names; the tz database's list has the new ones.
const OLD_NAMES = {
  'Asia/Calcutta': 'Asia/Kolkata',
  'Asia/Katmandu': 'Asia/Kathmandu',
  'Asia/Rangoon': 'Asia/Yangon',
  'Asia/Saigon': 'Asia/Ho_Chi_Minh',
  'Europe/Kiev': 'Europe/Kyiv',
  'America/Godthab': 'America/Nuuk',
  'America/Buenos_Aires': 'America/Argentina/Buenos_Aires',
  'America/Indianapolis': 'America/Indiana/Indianapolis',
  'Atlantic/Faeroe': 'Atlantic/Faroe',
  'Pacific/Truk': 'Pacific/Chuuk',
  'Pacific/Ponape': 'Pacific/Pohnpei',
  'Pacific/Enderbury': 'Pacific/Kanton',
};

// The browser's own zone (under its tz database name) when hail lists it and it is not
// the one set, else null.
export function browserZoneOffer(zones, current, browserZone) {
  const z = (browserZone && OLD_NAMES[browserZone]) || browserZone;
  if (!z || z === current) return null;
  return Array.isArray(zones) && zones.includes(z) ? z : null;
}

// "14:05 on Sunday" in the zone at `now` (ms), or '' when the runtime cannot tell.
export function localTimeIn(zone, now = Date.now()) {
  try {
    const f = new Intl.DateTimeFormat('en-GB', { timeZone: zone, weekday: 'long', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    const parts = Object.fromEntries(f.formatToParts(new Date(now)).map((p) => [p.type, p.value]));
    return `${parts.hour}:${parts.minute} on ${parts.weekday}`;
  } catch {
    return '';
  }
}
