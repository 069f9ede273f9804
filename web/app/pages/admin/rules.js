// Pure rules of the admin pages: routes, form validation, paging, team and
// role helpers. No DOM, no Preact: node's test runner loads this file as is
// (web/test/unit/admin-rules.test.mjs).

export const ROLES = ['admin', 'manager', 'rep'];

export const ROLE_LABELS = { admin: 'Admin', manager: 'Manager', rep: 'Rep' };

// Which admin page a path shows. `own` is /tokens: any signed-in user's own
// tokens, without the admin navigation.
export function adminRoute(path) {
  const p = (path || '').replace(/\/+$/, '') || '/';
  if (p === '/tokens') return { page: 'tokens', own: true };
  if (p === '/senders') return { page: 'senders', own: true };
  if (p === '/settings') return { page: 'settings', own: true };
  if (p === '/admin') return { page: 'users', redirect: '/admin/users' };
  if (p === '/admin/users') return { page: 'users' };
  if (p === '/admin/teams') return { page: 'teams' };
  if (p === '/admin/tokens') return { page: 'tokens' };
  if (p === '/admin/sync') return { page: 'sync' };
  if (p === '/admin/channels') return { page: 'channels' };
  if (p === '/admin/senders') return { page: 'senders' };
  if (p === '/admin/blocked-domains') return { page: 'blocked-domains' };
  if (p === '/admin/mail-settings') return { page: 'mail-settings' };
  if (p === '/admin/holidays') return { page: 'holidays' };
  if (p === '/admin/calls') return { page: 'calls' };
  if (p === '/admin/panel') return { page: 'panel' };
  if (p === '/admin/integrations') return { page: 'integrations' };
  const m = /^\/admin\/teams\/([1-9][0-9]{0,17})$/.exec(p);
  if (m) return { page: 'team', id: Number(m[1]) };
  return { page: 'not-found' };
}

// The admin navigation: [href, label, which pages count as inside it].
export const ADMIN_NAV = [
  ['/admin/users', 'Users', ['users']],
  ['/admin/teams', 'Teams', ['teams', 'team']],
  ['/admin/tokens', 'API tokens', ['tokens']],
  ['/admin/sync', 'Marketo sync', ['sync']],
  ['/admin/channels', 'Channels', ['channels']],
  ['/admin/senders', 'Senders', ['senders']],
  ['/admin/blocked-domains', 'Blocked domains', ['blocked-domains']],
  ['/admin/mail-settings', 'Mail settings', ['mail-settings']],
  ['/admin/holidays', 'Holidays', ['holidays']],
  ['/admin/calls', 'Calls', ['calls']],
  ['/admin/panel', 'Embedded panel', ['panel']],
  ['/admin/integrations', 'Integrations', ['integrations']],
];

// Length in characters (code points), as hail counts them.
export function charCount(s) {
  return [...(s || '')].length;
}

// docs/openapi.json's UserCreate.email pattern: printable ASCII without
// space < > , ; — one '@' that is not first, a domain holding a '.' that
// neither starts nor ends it.
const EMAIL_CHAR = "[!-+\\-/-:=?A-~]";
const EMAIL_RE = new RegExp(
  `^[!-+\\-/-:=?A-~.]+@${EMAIL_CHAR}[!-+\\-/-:=?A-~.]*\\.[!-+\\-/-:=?A-~.]*${EMAIL_CHAR}$`,
);

export function emailProblem(email) {
  const e = (email || '').trim();
  if (!e) return 'Enter an email address.';
  if (e.length < 3 || e.length > 254 || !EMAIL_RE.test(e))
    return 'Enter an email address like rita@example.com.';
  return null;
}

// `label` is what the field holds ("name", "team name"), `max` its length.
function lengthProblem(value, label, max) {
  const n = charCount((value || '').trim());
  if (n === 0) return `Enter a ${label}.`;
  if (n > max) return `A ${label} can have at most ${max} characters, not ${n}.`;
  return null;
}

// Validates the "New user" form. Returns { field: message } for each field
// in error; an empty object when the form can be sent.
export function validateUser({ name, email, password, role } = {}) {
  const errors = {};
  const n = lengthProblem(name, 'name', 200);
  if (n) errors.name = n;
  const e = emailProblem(email);
  if (e) errors.email = e;
  const pw = charCount(password);
  if (pw > 0 && pw < 8) errors.password = `A password needs at least 8 characters, not ${pw}.`;
  else if (pw > 1024) errors.password = `A password can have at most 1024 characters, not ${pw}.`;
  if (!ROLES.includes(role)) errors.role = 'Choose a role: admin, manager or rep.';
  return errors;
}

// The POST /api/v1/users body for a valid form (no password: an API-only user).
export function userCreateBody({ name, email, password, role, teams }) {
  const body = { name: name.trim(), email: email.trim(), role };
  if (password) body.password = password;
  body.teams = [...new Set((teams || []).map(Number))].sort((a, b) => a - b);
  return body;
}

export function validateTeamName(name) {
  return lengthProblem(name, 'team name', 100);
}

export function validateTokenName(name) {
  return lengthProblem(name, 'token name', 100);
}

// Team ids to add and remove to go from `current` to `wanted`.
export function diffIds(current, wanted) {
  const cur = new Set(current), want = new Set(wanted);
  return {
    add: [...want].filter((id) => !cur.has(id)).sort((a, b) => a - b),
    remove: [...cur].filter((id) => !want.has(id)).sort((a, b) => a - b),
  };
}

// Users who can be added to a team: active, not yet members, by name.
export function addableUsers(users, members) {
  const inTeam = new Set((members || []).map((m) => m.id));
  return (users || [])
    .filter((u) => u.active && !inTeam.has(u.id))
    .sort((a, b) => a.name.localeCompare(b.name) || a.email.localeCompare(b.email));
}

export function teamNames(user) {
  return (user.teams || []).map((t) => t.name).join(', ');
}

export function roleChangedMessage(email, role) {
  return `${email} is now ${role === 'admin' ? 'an' : 'a'} ${role}.`;
}

// A token's label in buttons and messages: its name, else its prefix.
export function tokenLabel(t) {
  return t.name != null && t.name !== '' ? t.name : `${t.prefix}…`;
}

// Cursor paging: a stack of the cursors that opened each page seen so far.
export function pagerStart() {
  return { cursors: [null], index: 0 };
}
export function pagerNext(p, nextCursor) {
  if (!nextCursor) return p;
  return { cursors: [...p.cursors.slice(0, p.index + 1), nextCursor], index: p.index + 1 };
}
export function pagerPrev(p) {
  return p.index === 0 ? p : { cursors: p.cursors, index: p.index - 1 };
}
export function pagerCursor(p) {
  return p.cursors[p.index];
}

// "Showing 51–100" for page `index` (0-based) of `count` rows, `size` a page.
export function rangeText(index, count, size, noun) {
  if (count === 0) return `No ${noun}.`;
  const first = index * size + 1;
  return `Showing ${first}–${first + count - 1} ${noun}`;
}
