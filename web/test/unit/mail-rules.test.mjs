// The mail pages' pure modules: the composer's rules (targets, addresses, schedule,
// attachments, the preview's marks, why Send is disabled, the request bodies), the body
// editor's text operations, the Email tab's words, and the mail admin pages' rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  composeTarget, composeHref, splitAddresses, addressProblem, formatBytes, base64Size, attachmentsProblem,
  sendAtValue, scheduleProblem, promptsIn, markText, splitMarks, previewBlockers, sendBlocker, emailBody, bulkBody,
  refusalLabel, bulkSummary, senderLabel, timeZones, ATTACHMENTS_MAX_BYTES,
} from '../../app/pages/compose-rules.js';
import { wrapSelection, listOf } from '../../app/pages/compose-editor.js';
import { statusLabel, statusTone, engagement, emailDate, senderText, emailsQuery, eventText } from '../../app/pages/emails-format.js';
import {
  channelForm, validateChannel, channelBody, stateWord, stateTone, channelErrors, serverText, domainProblem, domainRows,
  senderForm, validateSender, senderBody,
} from '../../app/pages/admin/mail-rules.js';

const q = (s) => new URLSearchParams(s);

test('composeTarget reads who the composer addresses; composeHref writes it back', () => {
  assert.deepEqual(composeTarget(q('person=12')), { kind: 'person', id: 12 });
  assert.deepEqual(composeTarget(q('people=3,1,3,2')), { kind: 'people', ids: [3, 1, 2] });
  assert.deepEqual(composeTarget(q('account=001X')), { kind: 'account', id: '001X' });
  assert.deepEqual(composeTarget(q('opportunity=006Y')), { kind: 'opportunity', id: '006Y' });
  assert.equal(composeTarget(q('person=abc')), null);
  assert.equal(composeTarget(q('people=1,x')), null);
  assert.equal(composeTarget(q('')), null);
  for (const s of ['person=12', 'people=3,1,2', 'account=001X', 'opportunity=006Y']) {
    assert.equal(composeHref(composeTarget(q(s))), `/compose?${s}`);
  }
  assert.equal(composeHref({ kind: 'account', id: 'a b' }), '/compose?account=a%20b');
});

test('addresses: split on commas, semicolons and spaces, once each; the first wrong one named', () => {
  assert.deepEqual(splitAddresses(' a@x.com, b@y.org;c@z.net  A@X.com '), ['a@x.com', 'b@y.org', 'c@z.net']);
  assert.deepEqual(splitAddresses(''), []);
  assert.equal(addressProblem(['a@x.com', 'b@y.org'], 'CC'), null);
  assert.equal(addressProblem(['a@x.com', 'nope', 'x@'], 'BCC'), 'BCC: “nope” is not an email address.');
});

test('sizes and attachments: at most 23 MB in total', () => {
  assert.deepEqual([formatBytes(0), formatBytes(1023), formatBytes(1536), formatBytes(2621440), formatBytes(-1)],
    ['0 B', '1023 B', '1.5 KB', '2.5 MB', '—']);
  assert.equal(base64Size(Buffer.from('hello').toString('base64')), 5);
  assert.equal(base64Size(Buffer.from('hell').toString('base64')), 4);
  assert.equal(attachmentsProblem([{ size: ATTACHMENTS_MAX_BYTES }]), null);
  assert.equal(attachmentsProblem([{ size: ATTACHMENTS_MAX_BYTES }, { size: 1 }]), 'Attachments can total at most 23 MB; these are 23 MB.');
  assert.equal(attachmentsProblem([{ size: 30 * 1024 * 1024 }]), 'Attachments can total at most 23 MB; these are 30 MB.');
});

test('the schedule: a local date and time in a time zone', () => {
  assert.equal(sendAtValue('2026-12-01T09:30'), '2026-12-01T09:30:00');
  assert.equal(sendAtValue('2026-12-01T09:30:15'), '2026-12-01T09:30:15');
  assert.equal(sendAtValue('tomorrow'), null);
  assert.equal(scheduleProblem({ when: 'now' }), null);
  assert.equal(scheduleProblem({ when: 'later', sendAt: '', timeZone: 'UTC' }), 'Choose the date and time to send it.');
  assert.equal(scheduleProblem({ when: 'later', sendAt: '2026-12-01T09:30', timeZone: '' }), 'Choose the time zone of that date and time.');
  assert.equal(scheduleProblem({ when: 'later', sendAt: '2026-12-01T09:30', timeZone: 'Europe/Paris' }), null);
  const zones = timeZones('Mars/Olympus');
  assert.equal(zones[0], 'Mars/Olympus');
  assert.ok(zones.includes('UTC'));
});

test('marks: prompts and the unfilled fields become ⟦…⟧, and split back out', () => {
  assert.deepEqual(promptsIn('a {{! one line}} b {{!one line }} {{! two}}'), ['one line', 'two']);
  assert.equal(markText('Hi {{first_name}}, {{ phone }} {{{phone}}} {{&phone}} {{phone | default: "x"}} {{! say hi}}', ['phone']),
    'Hi {{first_name}}, ⟦phone⟧ ⟦phone⟧ ⟦phone⟧ {{phone | default: "x"}} ⟦✎ say hi⟧');
  assert.equal(markText('{{a.b}}', ['a.b']), '⟦a.b⟧');
  assert.deepEqual(splitMarks('Hi ⟦phone⟧ there⟦✎ x⟧'), [{ text: 'Hi ' }, { mark: 'phone' }, { text: ' there' }, { mark: '✎ x' }]);
  assert.deepEqual(splitMarks('plain'), [{ text: 'plain' }]);
  assert.deepEqual(splitMarks(''), []);
});

test('the checklist and why Send is disabled', () => {
  assert.deepEqual(previewBlockers({ unfilled: ['phone'], prompts: ['say hi'] }), [
    { kind: 'field', name: 'phone', text: '{{phone}} has no value for this person: add | default: "…" or remove it.' },
    { kind: 'prompt', name: 'say hi', text: 'Replace the prompt “say hi” with your own words.' },
  ]);
  const ok = { sender: '8', subject: 'Hi', body: '<p>x</p>', previewState: 'ready', preview: { unfilled: [], prompts: [] } };
  assert.equal(sendBlocker(ok), null);
  assert.equal(sendBlocker({ ...ok, sender: '' }), 'Choose a sender.');
  assert.equal(sendBlocker({ ...ok, subject: ' ' }), 'Write a subject.');
  assert.equal(sendBlocker({ ...ok, body: '' }), 'Write the email.');
  assert.equal(sendBlocker({ ...ok, previewState: 'loading' }), 'Waiting for the preview…');
  assert.equal(sendBlocker({ ...ok, previewState: 'error' }), 'The preview failed: fix it first.');
  assert.equal(sendBlocker({ ...ok, preview: { unfilled: ['phone'], prompts: [] } }), 'Fill the highlighted field or prompt first.');
  assert.equal(sendBlocker({ ...ok, preview: { unfilled: ['phone'], prompts: ['x'] } }), 'Fill the 2 highlighted fields and prompts first.');
  assert.equal(sendBlocker({ ...ok, cc: ['bad'] }), 'CC: “bad” is not an email address.');
  assert.equal(sendBlocker({ ...ok, schedule: { when: 'later' } }), 'Choose the date and time to send it.');
  const bulk = { bulk: true, sender: '8', template: { id: 1 }, previewState: 'ready', preview: { unfilled: ['phone'], prompts: [] } };
  assert.equal(sendBlocker(bulk), null); // a person with an unfilled field is refused, the others sent
  assert.equal(sendBlocker({ ...bulk, template: null }), 'Choose a template.');
  assert.equal(sendBlocker({ ...bulk, preview: { unfilled: [], prompts: ['x'] } }), 'This template has prompts: a bulk send cannot fill them.');
});

test('request bodies: a template left as it is by id, else the text; the schedule; bulk', () => {
  const t = { id: 5, subject: 'S', body_html: 'B' };
  assert.deepEqual(emailBody({ personId: 3, sender: '8', template: t, subject: 'S', body: 'B', cc: [], bcc: [], files: [], schedule: { when: 'now' } }),
    { person_id: 3, sender_id: 8, template_id: 5 });
  assert.deepEqual(emailBody({
    personId: 3, sender: '8', template: t, subject: 'S2', body: 'B', cc: ['a@x.com'], bcc: ['b@x.com'],
    files: [{ filename: 'a.txt', content_type: 'text/plain', size: 1, data: 'YQ==' }],
    schedule: { when: 'later', sendAt: '2026-12-01T09:30', timeZone: 'Asia/Tokyo' },
  }), {
    person_id: 3, sender_id: 8, cc: ['a@x.com'], bcc: ['b@x.com'], subject: 'S2', body_html: 'B',
    attachments: [{ filename: 'a.txt', content_type: 'text/plain', data: 'YQ==' }],
    send_at: '2026-12-01T09:30:00', time_zone: 'Asia/Tokyo',
  });
  const ids = Array.from({ length: 1005 }, (_, i) => i + 1);
  const b = bulkBody({ template: t, sender: '8', personIds: ids, schedule: { when: 'now' } });
  assert.equal(b.person_ids.length, 1000);
  assert.deepEqual({ ...b, person_ids: b.person_ids.slice(0, 2) }, { template_id: 5, sender_id: 8, person_ids: [1, 2] });
});

test('bulk results and sender labels', () => {
  assert.deepEqual(['unsubscribed', 'blocked_domain', 'unfilled_field', 'inactive_person', 'no_email', 'other', undefined].map(refusalLabel),
    ['Unsubscribed', 'Blocked domain', 'Unfilled field', 'Inactive person', 'No email address', 'other', 'Refused']);
  assert.equal(bulkSummary({ results: [], queued: 2, refused: 1 }), '2 queued · 1 refused');
  assert.equal(bulkSummary({ results: [{ status: 'queued' }, { status: 'refused' }, { status: 'queued' }] }), '2 queued · 1 refused');
  assert.equal(senderLabel({ address: 'a@x.com', display_name: 'Ann', channel_name: 'Default' }), 'Ann <a@x.com> · Default');
  assert.equal(senderLabel({ address: 'a@x.com', display_name: '' }), 'a@x.com');
});

test('the editor wraps the selection, or a placeholder at the cursor; lines become a list', () => {
  assert.deepEqual(wrapSelection('say hello now', 4, 9, '<b>', '</b>'), { value: 'say <b>hello</b> now', start: 7, end: 12 });
  assert.deepEqual(wrapSelection('ab', 1, 1, '<em>', '</em>', 'x'), { value: 'a<em>x</em>b', start: 5, end: 6 });
  assert.equal(listOf('one\ntwo\n', 0, 8).value, '<ul>\n  <li>one</li>\n  <li>two</li>\n</ul>');
});

test('the Email tab: statuses, human counts with machines apart, dates, senders, events', () => {
  assert.deepEqual(['draft', 'scheduled', 'sending', 'sent', 'failed', 'bounced'].map(statusLabel),
    ['Draft', 'Scheduled', 'Sending', 'Sent', 'Failed', 'Bounced']);
  assert.deepEqual(['sent', 'failed', 'bounced', 'scheduled'].map(statusTone), ['ok', 'bad', 'bad', 'wait']);
  assert.deepEqual(engagement('open', { count: 1 }, 0), { human: '1', machine: null, label: '1 human open' });
  assert.deepEqual(engagement('open', { count: 0 }, 2), { human: '0', machine: '2 by machines', label: '0 human opens, 2 by machines' });
  assert.deepEqual(engagement('click', { count: 1200 }, 1), { human: '1,200', machine: '1 by machines', label: '1,200 human clicks, 1 by machines' });
  assert.deepEqual(engagement('click', null, null), { human: '0', machine: null, label: '0 human clicks' });
  assert.equal(emailDate({ sent_at: 'S', send_at: 'A', created_at: 'C' }), 'S');
  assert.equal(emailDate({ sent_at: null, send_at: 'A', created_at: 'C' }), 'A');
  assert.equal(emailDate({ created_at: 'C' }), 'C');
  assert.equal(senderText({ address: 'a@x.com', display_name: 'Ann' }), 'Ann <a@x.com>');
  assert.equal(senderText(null), '—');
  assert.deepEqual(emailsQuery({ person: 3, account: '', status: null }), { person: 3 });
  assert.equal(eventText({ type_name: 'Click Sales Email', attrs: { link: 'https://x.example/' } }), 'Click Sales Email: https://x.example/');
  assert.equal(eventText({ type: 'email_open', attrs: {} }), 'email_open');
});

test('channels: the form, its checks, a body that sends a password only when typed', () => {
  const relay = {
    name: 'Relay', kind: 'smtp', smtp: { host: 'h', port: 25, tls: 'none', username: 'u', password_set: true },
    imap: { host: 'i', port: 143, tls: 'starttls', username: 'u', password_set: false, folder: 'INBOX', sent_folder: null },
    throttles: { per_minute: 5, per_hour: null, per_day: null, per_domain_per_hour: null },
  };
  const f = channelForm(relay);
  assert.equal(f.smtp_password, '');
  assert.equal(f.smtp_password_set, true);
  assert.deepEqual(validateChannel(f), {});
  assert.deepEqual(channelBody(f), {
    name: 'Relay', kind: 'smtp', smtp: { host: 'h', port: 25, tls: 'none', username: 'u' },
    imap: { host: 'i', port: 143, tls: 'starttls', username: 'u', folder: 'INBOX', sent_folder: null },
    throttles: { per_minute: 5, per_hour: null, per_day: null, per_domain_per_hour: null },
  });
  assert.equal(channelBody({ ...f, smtp_password: 'pw', has_imap: false }).smtp.password, 'pw');
  assert.equal(channelBody({ ...f, has_imap: false }).imap, null);
  const fresh = channelForm(null);
  assert.deepEqual(validateChannel(fresh), { name: 'Enter a name.', smtp_host: 'Enter the SMTP server’s host name.' });
  assert.deepEqual(validateChannel({ ...fresh, name: 'x', smtp_host: 'h', smtp_port: '70000', per_hour: '1.5' }),
    { smtp_port: 'Enter a port from 1 to 65535.', per_hour: 'Leave empty for no limit, or enter a whole number from 1.' });
  assert.deepEqual(validateChannel({ ...fresh, name: 'm', kind: 'maildir' }), {});
  assert.deepEqual(channelBody({ ...fresh, name: 'm', kind: 'maildir' }),
    { name: 'm', kind: 'maildir', throttles: { per_minute: null, per_hour: null, per_day: null, per_domain_per_hour: null } });
});

test('channel status words, errors and servers', () => {
  assert.deepEqual(['ok', 'error', 'never', 'uidvalidity_changed'].map(stateWord), ['OK', 'Error', 'Not yet checked', 'Mailbox changed (UIDVALIDITY)']);
  assert.deepEqual(['ok', 'error', 'never', 'uidvalidity_changed'].map(stateTone), ['ok', 'bad', 'neutral', 'bad']);
  assert.deepEqual(channelErrors({ status: { smtp: { error: 'a' }, imap: { error: 'b' } } }), ['SMTP: a', 'IMAP: b']);
  assert.deepEqual(channelErrors({ status: { smtp: { error: null }, imap: null } }), []);
  assert.equal(serverText({ host: 'h', port: 587, tls: 'starttls' }), 'h:587 (starttls)');
});

test('blocked domains and senders', () => {
  assert.equal(domainProblem('Example.COM'), null);
  assert.equal(domainProblem(''), 'Enter a domain, like example.com.');
  assert.equal(domainProblem('not a domain'), '“not a domain” is not a domain name like example.com.');
  assert.equal(domainProblem('localhost'), '“localhost” is not a domain name like example.com.');
  assert.deepEqual(domainRows({ data: ['a.com', { domain: 'b.com', created_at: 'T' }] }), [{ domain: 'a.com' }, { domain: 'b.com', created_at: 'T' }]);
  assert.deepEqual(domainRows(['c.com']), [{ domain: 'c.com' }]);
  const f = senderForm(null, 4);
  assert.deepEqual(f, { address: '', display_name: '', signature_html: '', channel_id: '', user_id: '4' });
  assert.deepEqual(validateSender(f), { address: 'Enter an email address.', channel_id: 'Choose a channel.' });
  const g = { ...f, address: ' a@x.com ', display_name: ' Ann ', channel_id: '1' };
  assert.deepEqual(validateSender(g), {});
  assert.deepEqual(senderBody(g), { address: 'a@x.com', display_name: 'Ann', signature_html: '', channel_id: 1 });
  assert.deepEqual(senderBody(g, { admin: true }), { address: 'a@x.com', display_name: 'Ann', signature_html: '', channel_id: 1, user_id: 4 });
});
