// The Email tab's words and numbers. Pure: web/test/unit/emails-format.test.mjs.
import { formatCount } from '../lib/format.js';

// Email statuses (exactly the API's) and how the tab names them.
export const STATUS_LABELS = {
  draft: 'Draft',
  scheduled: 'Scheduled',
  sending: 'Sending',
  sent: 'Sent',
  failed: 'Failed',
  bounced: 'Bounced',
};

export function statusLabel(status) {
  return STATUS_LABELS[status] || status || '—';
}

// A badge class per status: good, waiting, bad.
export function statusTone(status) {
  if (status === 'sent') return 'ok';
  if (status === 'failed' || status === 'bounced') return 'bad';
  return 'wait';
}

// Human counts first; machine events (privacy proxies, scanners) apart, never added in.
// { human: "2", machine: "1 by machines" | null, label: "2 human opens, 1 by machines" }
export function engagement(kind, human, machine) {
  const n = (human && human.count) || 0;
  const m = machine || 0;
  const noun = kind === 'open' ? (n === 1 ? 'human open' : 'human opens') : (n === 1 ? 'human click' : 'human clicks');
  const machineText = m > 0 ? `${formatCount(m)} by machines` : null;
  return {
    human: formatCount(n),
    machine: machineText,
    label: `${formatCount(n)} ${noun}${machineText ? `, ${machineText}` : ''}`,
  };
}

// The date a row shows: sent, else scheduled for, else created.
export function emailDate(e) {
  return e.sent_at || e.send_at || e.created_at || null;
}

// "Ada Admin <ada@example.com>" or the address.
export function senderText(sender) {
  if (!sender) return '—';
  return sender.display_name ? `${sender.display_name} <${sender.address}>` : sender.address || '—';
}

// The GET /api/v1/emails query for a tab's owner.
export function emailsQuery(filter) {
  const q = {};
  for (const k of ['person', 'account', 'opportunity', 'sender', 'status']) {
    if (filter && filter[k] !== undefined && filter[k] !== null && filter[k] !== '') q[k] = filter[k];
  }
  return q;
}

// An event's line in the detail card: its type name, and for a click the link.
export function eventText(a) {
  const name = a.type_name || a.type || 'Event';
  const link = a.attrs && typeof a.attrs.link === 'string' ? a.attrs.link : null;
  return link ? `${name}: ${link}` : name;
}
