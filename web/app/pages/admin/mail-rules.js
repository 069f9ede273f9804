// Pure rules of the mail admin pages (channels, senders, blocked domains): forms to
// request bodies, validation, and the words for a channel's status. No DOM, no Preact:
// web/test/unit/admin-mail-rules.test.mjs.
import { emailProblem, charCount } from './rules.js';

export const TLS_MODES = ['starttls', 'tls', 'none'];
export const THROTTLES = [
  ['per_minute', 'Per minute'],
  ['per_hour', 'Per hour'],
  ['per_day', 'Per day (rolling 24 h)'],
  ['per_domain_per_hour', 'Per domain per hour'],
];

function text(v) {
  return v === null || v === undefined ? '' : String(v);
}

// A channel (the API's) as the form's values; a new one when null. Passwords are never
// shown: the form holds what is typed, empty meaning "keep the one set".
export function channelForm(c) {
  const smtp = (c && c.smtp) || {};
  const imap = (c && c.imap) || null;
  const t = (c && c.throttles) || {};
  return {
    name: c ? c.name : '',
    kind: c ? c.kind : 'smtp',
    smtp_host: text(smtp.host), smtp_port: text(smtp.port || (c ? '' : 587)), smtp_tls: smtp.tls || 'starttls',
    smtp_username: text(smtp.username), smtp_password: '', smtp_password_set: !!smtp.password_set,
    has_imap: !!imap,
    imap_host: text(imap && imap.host), imap_port: text((imap && imap.port) || 993), imap_tls: (imap && imap.tls) || 'tls',
    imap_username: text(imap && imap.username), imap_password: '', imap_password_set: !!(imap && imap.password_set),
    imap_folder: text((imap && imap.folder) || 'INBOX'), imap_sent_folder: text(imap && imap.sent_folder),
    per_minute: text(t.per_minute), per_hour: text(t.per_hour), per_day: text(t.per_day),
    per_domain_per_hour: text(t.per_domain_per_hour),
  };
}

function port(v) {
  const s = String(v || '').trim();
  return /^[0-9]{1,5}$/.test(s) && Number(s) >= 1 && Number(s) <= 65535 ? Number(s) : null;
}

function limit(v) {
  const s = String(v || '').trim();
  if (s === '') return null;
  return /^[0-9]{1,9}$/.test(s) && Number(s) >= 1 ? Number(s) : NaN;
}

// { field: message } for each field in error; {} when the form can be sent.
export function validateChannel(f) {
  const e = {};
  const n = charCount(f.name.trim());
  if (n === 0) e.name = 'Enter a name.';
  else if (n > 100) e.name = `A name can have at most 100 characters, not ${n}.`;
  if (f.kind === 'smtp') {
    if (!f.smtp_host.trim()) e.smtp_host = 'Enter the SMTP server’s host name.';
    if (port(f.smtp_port) === null) e.smtp_port = 'Enter a port from 1 to 65535.';
    if (f.has_imap) {
      if (!f.imap_host.trim()) e.imap_host = 'Enter the IMAP server’s host name.';
      if (port(f.imap_port) === null) e.imap_port = 'Enter a port from 1 to 65535.';
      if (!f.imap_folder.trim()) e.imap_folder = 'Enter the folder to read (usually INBOX).';
    }
  }
  for (const [k] of THROTTLES) {
    if (Number.isNaN(limit(f[k]))) e[k] = 'Leave empty for no limit, or enter a whole number from 1.';
  }
  return e;
}

// The POST/PATCH body. A password goes only when one was typed (write-only: an empty
// field keeps the one set).
export function channelBody(f) {
  const body = { name: f.name.trim(), kind: f.kind };
  if (f.kind === 'smtp') {
    body.smtp = { host: f.smtp_host.trim(), port: port(f.smtp_port), tls: f.smtp_tls, username: f.smtp_username.trim() || null };
    if (f.smtp_password) body.smtp.password = f.smtp_password;
    if (f.has_imap) {
      body.imap = {
        host: f.imap_host.trim(), port: port(f.imap_port), tls: f.imap_tls, username: f.imap_username.trim() || null,
        folder: f.imap_folder.trim(), sent_folder: f.imap_sent_folder.trim() || null,
      };
      if (f.imap_password) body.imap.password = f.imap_password;
    } else {
      body.imap = null;
    }
  }
  body.throttles = {};
  for (const [k] of THROTTLES) body.throttles[k] = limit(f[k]);
  return body;
}

const STATE_WORDS = { ok: 'OK', error: 'Error', never: 'Not yet checked', uidvalidity_changed: 'Mailbox changed (UIDVALIDITY)' };

export function stateWord(state) {
  return STATE_WORDS[state] || state || 'Unknown';
}

export function stateTone(state) {
  if (state === 'ok') return 'ok';
  if (state === 'error' || state === 'uidvalidity_changed') return 'bad';
  return 'neutral';
}

// The errors a channel reports, as lines ("SMTP: …", "IMAP: …").
export function channelErrors(c) {
  const s = (c && c.status) || {};
  const out = [];
  if (s.smtp && s.smtp.error) out.push(`SMTP: ${s.smtp.error}`);
  if (s.imap && s.imap.error) out.push(`IMAP: ${s.imap.error}`);
  return out;
}

// "smtp.example.com:587 (starttls)".
export function serverText(x) {
  if (!x) return '—';
  return `${x.host}:${x.port}${x.tls ? ` (${x.tls})` : ''}`;
}

// A blocked domain as typed → "example.com", or a message.
export function domainProblem(d) {
  const s = String(d || '').trim().toLowerCase();
  if (!s) return 'Enter a domain, like example.com.';
  if (s.length > 253 || !/^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$/.test(s)) {
    return `“${String(d).trim()}” is not a domain name like example.com.`;
  }
  return null;
}

// GET /api/v1/blocked-domains items as { domain, created_at }.
export function domainRows(page) {
  const list = Array.isArray(page) ? page : (page && page.data) || [];
  return list.map((x) => (typeof x === 'string' ? { domain: x } : x));
}

export function senderForm(s, userId) {
  return {
    address: s ? s.address : '',
    display_name: s ? s.display_name || '' : '',
    signature_html: s ? s.signature_html || '' : '',
    channel_id: s ? String(s.channel_id) : '',
    user_id: s ? String(s.user_id) : userId ? String(userId) : '',
  };
}

export function validateSender(f) {
  const e = {};
  const a = emailProblem(f.address);
  if (a) e.address = a;
  if (charCount(f.display_name.trim()) > 200) e.display_name = 'A display name can have at most 200 characters.';
  if (!f.channel_id) e.channel_id = 'Choose a channel.';
  return e;
}

// The POST/PATCH body; user_id only when an admin chose one.
export function senderBody(f, { admin } = {}) {
  const body = {
    address: f.address.trim(),
    display_name: f.display_name.trim(),
    signature_html: f.signature_html,
    channel_id: Number(f.channel_id),
  };
  if (admin && f.user_id) body.user_id = Number(f.user_id);
  return body;
}
