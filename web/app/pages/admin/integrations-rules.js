// Pure helpers of Admin → Integrations (/admin/integrations): status wording,
// counts, and the subject template's live hint. No DOM, no Preact: node's test
// runner loads this file as is (web/test/unit/integrations.test.mjs).

// The badge of an outbox: [label, class suffix].
export function stateBadge(d) {
  if (!d.configured && d.state === 'not_started') return ['Not configured', 'off'];
  switch (d.state) {
    case 'healthy': return ['Healthy', 'ok'];
    case 'waiting': return ['Waiting', 'busy'];
    case 'error': return ['Error', 'bad'];
    default: return ['Not started', 'neutral'];
  }
}

export function countText(n) {
  return Number(n || 0).toLocaleString('en-US');
}

// "12 activities", "more than 100,000 activities".
export function backlogText(d) {
  if (d.backlog_capped) return `more than ${countText(d.backlog)} activities`;
  if (d.backlog === 0) return 'nothing waiting';
  return d.backlog === 1 ? '1 activity' : `${countText(d.backlog)} activities`;
}

// Salesforce's reminder tasks ({linked, pending, deletes_pending}; null for Marketo) as
// [term, text] rows of its status.
export function reminderRows(rt) {
  if (!rt) return [];
  const many = (n, one, more) => (n === 1 ? `1 ${one}` : `${countText(n)} ${more}`);
  return [
    ['Linked', rt.linked ? `${many(rt.linked, 'task', 'tasks')} linked to a Salesforce Task` : 'none yet'],
    ['Changes to send', rt.pending ? `${many(rt.pending, 'task', 'tasks')} changed in hail, not yet sent` : 'nothing waiting'],
    ['Deletes to send', rt.deletes_pending
      ? `${many(rt.deletes_pending, 'Task', 'Tasks')} to delete in Salesforce (deleted in hail)` : 'nothing waiting'],
  ];
}

// What "Retry now" did, for the status line.
export function retryText(label, requeued) {
  if (!requeued) return `${label}: nothing was skipped; the outbox tries again at once.`;
  const what = requeued === 1 ? '1 skipped record is' : `${countText(requeued)} skipped records are`;
  return `${label}: ${what} queued to be sent again; the outbox tries at once.`;
}

// The {{names}} a template uses (sections and comments aside), in order, once each.
export function templateNames(tpl) {
  const out = [];
  const re = /\{\{\s*([{&#^/!>]?)\s*([^}|]*?)\s*(?:\|[^}]*)?\}?\}\}/g;
  let m;
  while ((m = re.exec(String(tpl || '')))) {
    if (m[1] === '!' || m[1] === '>' || m[1] === '/') continue;
    const name = m[2].trim();
    if (name && !out.includes(name)) out.push(name);
  }
  return out;
}

// The live hint under the subject field: { used: [...], unknown: [...] }.
export function subjectHint(tpl, variables) {
  const names = templateNames(tpl);
  return {
    used: names.filter((n) => variables.includes(n)),
    unknown: names.filter((n) => !variables.includes(n)),
  };
}

// Which field a server message is about (its first word), for aria-invalid.
export function fieldOfMessage(message) {
  const m = /^(marketo_machine|salesforce_types|salesforce_subject)\b/.exec(message || '');
  return m ? m[1] : null;
}

// The PUT body from the form's state.
export function settingsBody(form) {
  return {
    marketo_machine: form.marketo_machine,
    salesforce_types: [...form.salesforce_types],
    salesforce_subject: form.salesforce_subject,
  };
}

// A type's display name from the settings' activity_types.
export function typeName(types, type) {
  const t = (types || []).find((x) => x.type === type);
  return t ? t.name : type || 'unknown';
}
