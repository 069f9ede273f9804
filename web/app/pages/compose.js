// The composer (/compose?person=ID, ?people=1,2,3, ?account=ID, ?opportunity=ID): sender,
// CC/BCC, template, subject, body (HTML with a toolbar), attachments, schedule with a time
// zone, and a live preview for a chosen recipient (POST /api/v1/emails/preview) in which
// unfilled fields and prompts are highlighted; Send stays disabled until none is left.
// One person: POST /api/v1/emails. Several: one template to each (POST
// /api/v1/emails/bulk) and a result per person.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { html } from '../lib/html.js';
import { api } from '../lib/api.js';
import { Link } from '../lib/router.js';
import { personName, formatCount } from '../lib/format.js';
import { useResource } from '../lib/use-resource.js';
import { Page } from '../components/page.js';
import { Loading, Empty, ErrorState } from '../components/states.js';
import { BodyEditor } from './compose-editor.js';
import { MailBody, Marked } from './compose-preview.js';
import {
  BULK_MAX, composeTarget, splitAddresses, addressProblem, attachmentsProblem, formatBytes, base64Size,
  scheduleProblem, markText, previewBlockers, sendBlocker, emailBody, bulkBody, refusalLabel, bulkSummary,
  senderLabel, timeZones,
} from './compose-rules.js';

const PREVIEW_DELAY_MS = 350;

// Every page of a `{data, next_cursor}` list, up to `max` items.
async function fetchPages(path, signal, max) {
  const out = [];
  let cursor = null;
  do {
    const page = await api('GET', path, { query: { limit: 200, cursor }, signal });
    out.push(...page.data);
    cursor = page.next_cursor;
  } while (cursor && out.length < max);
  return out;
}

// The recipients of a target: [{id, name, email, active}] (at most BULK_MAX + 1, so the page
// can say when there are more).
async function loadRecipients(target, signal) {
  if (target.kind === 'person') return [await api('GET', `/api/v1/people/${target.id}`, { signal })];
  if (target.kind === 'people') {
    const ids = target.ids.slice(0, BULK_MAX);
    const out = new Array(ids.length);
    let next = 0;
    const worker = async () => {
      while (next < ids.length) {
        const i = next++;
        try {
          out[i] = await api('GET', `/api/v1/people/${ids[i]}`, { signal });
        } catch (e) {
          if (e.name === 'AbortError') throw e;
          out[i] = { id: ids[i], missing: e.message };
        }
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    return out;
  }
  const base = target.kind === 'account' ? '/api/v1/accounts/' : '/api/v1/opportunities/';
  return fetchPages(`${base}${encodeURIComponent(target.id)}/people`, signal, BULK_MAX + 1);
}

function useRecipients(target) {
  const key = target ? JSON.stringify(target) : '';
  const [state, setState] = useState({ status: 'loading' });
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    if (!target) return undefined;
    const ctl = new AbortController();
    setState({ status: 'loading' });
    loadRecipients(target, ctl.signal).then(
      (people) => setState({ status: 'ready', people }),
      (error) => error.name !== 'AbortError' && setState({ status: 'error', error }),
    );
    return () => ctl.abort();
  }, [key, attempt]);
  return [state, () => setAttempt((a) => a + 1)];
}

// A file as { filename, content_type, size, data (base64) }.
function readFile(file) {
  return new Promise((ok, fail) => {
    const r = new FileReader();
    r.onload = () => {
      const url = String(r.result);
      const data = url.slice(url.indexOf(',') + 1);
      ok({ filename: file.name, content_type: file.type || 'application/octet-stream', size: base64Size(data), data });
    };
    r.onerror = () => fail(r.error || new Error(`could not read ${file.name}`));
    r.readAsDataURL(file);
  });
}

function localZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

function targetTitle(target, people) {
  if (target.kind === 'person') return people && people[0] ? `Email ${personName(people[0])}` : 'Write an email';
  if (target.kind === 'account') return `Email the contacts of account ${target.id}`;
  if (target.kind === 'opportunity') return `Email the contacts of opportunity ${target.id}`;
  return 'Email the selected people';
}

function backLink(target) {
  if (target.kind === 'person') return { href: `/people/${target.id}`, text: 'Back to the person' };
  if (target.kind === 'account') return { href: `/accounts/${encodeURIComponent(target.id)}`, text: 'Back to the account' };
  if (target.kind === 'opportunity') return { href: `/opportunities/${encodeURIComponent(target.id)}`, text: 'Back to the opportunity' };
  return { href: '/people', text: 'Back to People' };
}

export function ComposePage({ query, user }) {
  const target = useMemo(() => composeTarget(query), [query.toString()]);
  const [recipients, retryRecipients] = useRecipients(target);
  if (!target) {
    return html`<${Page} title="Write an email">
      <${Empty}>
        <p>Choose who to write to first: open a person, or select people in the list.</p>
        <p><${Link} href="/people">Go to People</${Link}></p>
      </${Empty}>
    </${Page}>`;
  }
  const back = backLink(target);
  const title = targetTitle(target, recipients.people);
  if (recipients.status === 'loading') {
    return html`<${Page} title=${title}><${Loading} label="Loading the recipients…" /></${Page}>`;
  }
  if (recipients.status === 'error') {
    return html`<${Page} title=${title}>
      <${ErrorState} error=${recipients.error} onRetry=${retryRecipients} />
      <p class="list-note"><${Link} href=${back.href}>${back.text}</${Link}></p>
    </${Page}>`;
  }
  const people = recipients.people.filter((p) => !p.missing);
  if (people.length === 0) {
    return html`<${Page} title=${title}>
      <${Empty}><p>There is nobody to write to here.</p><p><${Link} href=${back.href}>${back.text}</${Link}></p></${Empty}>
    </${Page}>`;
  }
  return html`<${Composer} target=${target} people=${people} user=${user} title=${title} back=${back}
    missing=${recipients.people.filter((p) => p.missing)} />`;
}

function Composer({ target, people, user, title, back, missing }) {
  const bulk = target.kind !== 'person';
  const over = people.length > BULK_MAX;
  const recipients = over ? people.slice(0, BULK_MAX) : people;
  const [senders] = useResource('/api/v1/senders');
  const [templates, retryTemplates] = useResource('/api/v1/templates');
  const [sender, setSender] = useState('');
  const [ccText, setCc] = useState('');
  const [bccText, setBcc] = useState('');
  const [templateId, setTemplateId] = useState('');
  const [subject, setSubject] = useState('');
  const [body, setBody] = useState('');
  const [files, setFiles] = useState([]);
  const [fileError, setFileError] = useState(null);
  const zone = useMemo(localZone, []);
  const zones = useMemo(() => timeZones(zone), [zone]);
  const [schedule, setSchedule] = useState({ when: 'now', sendAt: '', timeZone: zone });
  const [previewFor, setPreviewFor] = useState(String(recipients[0].id));
  const [preview, setPreview] = useState({ status: 'idle' });
  const [sending, setSending] = useState(false);
  const [failure, setFailure] = useState(null);
  const [done, setDone] = useState(null);
  const fileInput = useRef(null);

  const senderList = senders.status === 'ready' ? senders.data.data : [];
  const templateList = templates.status === 'ready' ? templates.data.data : [];
  const template = templateList.find((t) => String(t.id) === templateId) || null;

  // The user's own first sender is chosen to begin with (admins see everyone's).
  useEffect(() => {
    if (sender || !senderList.length) return;
    const own = senderList.find((s) => s.user_id === user.id) || senderList[0];
    setSender(String(own.id));
  }, [senderList.length]);

  function chooseTemplate(e) {
    const id = e.currentTarget.value;
    setTemplateId(id);
    const t = templateList.find((x) => String(x.id) === id);
    if (t) {
      setSubject(t.subject);
      setBody(t.body_html);
    }
  }

  // The live preview: debounced; the newest request wins. When something is unfilled, a
  // second preview of the marked text shows where.
  useEffect(() => {
    if (!sender || (!bulk && !subject.trim() && !body.trim()) || (bulk && !template)) {
      setPreview({ status: 'idle' });
      return undefined;
    }
    const ctl = new AbortController();
    setPreview((p) => ({ ...p, status: p.status === 'ready' ? 'updating' : 'loading' }));
    const subj = bulk ? template.subject : subject;
    const text = bulk ? template.body_html : body;
    const ask = (s, b) => api('POST', '/api/v1/emails/preview', {
      body: { person_id: Number(previewFor), sender_id: Number(sender), subject: s, body_html: b },
      signal: ctl.signal,
    });
    const timer = setTimeout(async () => {
      try {
        const real = await ask(subj, text);
        let shown = real;
        if ((real.unfilled || []).length || (real.prompts || []).length) {
          shown = await ask(markText(subj, real.unfilled), markText(text, real.unfilled));
        }
        setPreview({ status: 'ready', data: real, shown });
      } catch (error) {
        if (error.name !== 'AbortError') setPreview({ status: 'error', error });
      }
    }, PREVIEW_DELAY_MS);
    return () => {
      clearTimeout(timer);
      ctl.abort();
    };
  }, [sender, subject, body, previewFor, templateId, bulk]);

  const cc = splitAddresses(ccText);
  const bcc = splitAddresses(bccText);
  const blocker = sendBlocker({
    bulk, sender, subject, body, template, cc, bcc, files, schedule,
    preview: preview.data, previewState: preview.status === 'ready' ? 'ready' : preview.status,
  });
  const blockers = preview.status === 'ready' ? previewBlockers(preview.data) : [];

  async function addFiles(e) {
    const list = Array.from(e.currentTarget.files || []);
    e.currentTarget.value = '';
    setFileError(null);
    try {
      const read = await Promise.all(list.map(readFile));
      const next = [...files, ...read];
      setFileError(attachmentsProblem(next));
      setFiles(next);
    } catch (err) {
      setFileError(err.message);
    }
  }

  function removeFile(i) {
    const next = files.filter((_, j) => j !== i);
    setFiles(next);
    setFileError(attachmentsProblem(next));
    if (fileInput.current) fileInput.current.focus();
  }

  async function send(draft) {
    setFailure(null);
    setSending(true);
    try {
      if (bulk) {
        const result = await api('POST', '/api/v1/emails/bulk', {
          body: bulkBody({ template, sender, personIds: recipients.map((p) => p.id), schedule }),
        });
        setDone({ bulk: result });
      } else {
        const body_ = emailBody({
          personId: recipients[0].id, sender, cc, bcc, template, subject, body, files, schedule,
        });
        if (draft) body_.draft = true;
        const email = await api('POST', '/api/v1/emails', { body: body_ });
        setDone({ email, draft });
      }
    } catch (err) {
      setFailure(err);
    } finally {
      setSending(false);
    }
  }

  if (done) return html`<${Done} done=${done} people=${recipients} back=${back} title=${title} />`;

  const previewPerson = recipients.find((p) => String(p.id) === previewFor) || recipients[0];
  const shown = preview.shown;
  let previewBody;
  if (!sender) previewBody = html`<p class="muted">Choose a sender to see the preview.</p>`;
  else if (bulk && !template) previewBody = html`<p class="muted">Choose a template to see the preview.</p>`;
  else if (preview.status === 'idle') previewBody = html`<p class="muted">Write a subject or a body to see the preview.</p>`;
  else if (preview.status === 'loading') previewBody = html`<${Loading} label="Rendering the preview…" />`;
  else if (preview.status === 'error') previewBody = html`<${ErrorState} error=${preview.error} />`;
  else {
    previewBody = html`
      <p class="preview-subject"><span class="muted">Subject: </span><strong><${Marked} text=${shown.subject} /></strong></p>
      <${MailBody} source=${shown.html} label="Preview of the body" />`;
  }

  const sendLabel = bulk
    ? `Send to ${formatCount(recipients.length)} ${recipients.length === 1 ? 'person' : 'people'}`
    : schedule.when === 'later' ? 'Schedule' : 'Send';

  return html`<${Page} title=${title} subtitle=${html`<${Link} href=${back.href}>${back.text}</${Link}>`}>
    ${over ? html`<p class="notice">There are more than ${formatCount(BULK_MAX)} people here: this email goes to the first ${formatCount(BULK_MAX)}.</p>` : null}
    ${missing.length ? html`<p class="notice">${formatCount(missing.length)} of the selected people could not be loaded and are left out.</p>` : null}
    <div class="compose-layout">
      <form class="card form compose-form" onSubmit=${(e) => { e.preventDefault(); if (!blocker) send(false); }} noValidate>
        <h2 class="compose-h">Message</h2>
        ${bulk
          ? html`<p class="compose-to">To: ${formatCount(recipients.length)} ${recipients.length === 1 ? 'person' : 'people'} — one email each, from the template.</p>`
          : html`<p class="compose-to">To: <strong>${personName(recipients[0])}</strong> ${recipients[0].email ? html`<span class="muted">${`<${recipients[0].email}>`}</span>` : html`<span class="form-error-inline">has no email address</span>`}</p>`}
        <div class="field">
          <label for="compose-sender">Sender</label>
          ${senders.status === 'loading'
            ? html`<${Loading} label="Loading senders…" />`
            : senders.status === 'error'
              ? html`<${ErrorState} error=${senders.error} />`
              : senderList.length === 0
                ? html`<p class="notice" id="compose-sender">You have no sender identity yet. Add one under <${Link} href="/senders">Email senders</${Link}>.</p>`
                : html`<select id="compose-sender" value=${sender} onChange=${(e) => setSender(e.currentTarget.value)}>
                    ${senderList.map((s) => html`<option key=${s.id} value=${String(s.id)}>${senderLabel(s)}</option>`)}
                  </select>`}
        </div>
        ${bulk ? null : html`<div class="field-pair">
          <div class="field">
            <label for="compose-cc">CC</label>
            <input id="compose-cc" type="text" value=${ccText} autocomplete="off" placeholder="name@example.com, …"
              aria-invalid=${addressProblem(cc, 'CC') ? 'true' : undefined} aria-describedby="compose-cc-err"
              onInput=${(e) => setCc(e.currentTarget.value)} />
            <span id="compose-cc-err" class="field-error">${addressProblem(cc, 'CC')}</span>
          </div>
          <div class="field">
            <label for="compose-bcc">BCC</label>
            <input id="compose-bcc" type="text" value=${bccText} autocomplete="off" placeholder="name@example.com, …"
              aria-invalid=${addressProblem(bcc, 'BCC') ? 'true' : undefined} aria-describedby="compose-bcc-err"
              onInput=${(e) => setBcc(e.currentTarget.value)} />
            <span id="compose-bcc-err" class="field-error">${addressProblem(bcc, 'BCC')}</span>
          </div>
        </div>`}
        <div class="field">
          <label for="compose-template">Template</label>
          ${templates.status === 'error'
            ? html`<${ErrorState} error=${templates.error} onRetry=${retryTemplates} />`
            : html`<select id="compose-template" value=${templateId} onChange=${chooseTemplate}
                disabled=${templates.status !== 'ready'}>
                <option value="">${templates.status !== 'ready' ? 'Loading templates…' : bulk ? 'Choose a template…' : 'No template'}</option>
                ${templateList.map((t) => html`<option key=${t.id} value=${String(t.id)}>${t.name}${t.category ? ` (${t.category})` : ''}</option>`)}
              </select>`}
          ${templates.status === 'ready' && templateList.length === 0
            ? html`<span class="muted">No templates yet${bulk ? ': a bulk email needs one.' : '.'}</span>` : null}
        </div>
        ${bulk ? null : html`
          <div class="field">
            <label for="compose-subject">Subject</label>
            <input id="compose-subject" type="text" value=${subject} maxLength="998" autocomplete="off"
              onInput=${(e) => setSubject(e.currentTarget.value)} />
          </div>
          <div class="field">
            <label for="compose-body">Body</label>
            <span class="muted" id="compose-body-hint">HTML. Fields look like {{first_name}}; {{company | default: "your team"}} gives a fallback; {{! …}} is a prompt you must replace.</span>
            <${BodyEditor} id="compose-body" value=${body} onInput=${setBody} describedBy="compose-body-hint" />
          </div>
          <div class="field">
            <label for="compose-files">Attachments</label>
            <input id="compose-files" ref=${fileInput} type="file" multiple onChange=${addFiles}
              aria-describedby="compose-files-err" />
            <span id="compose-files-err" class="field-error">${fileError}</span>
            ${files.length ? html`<ul class="file-list">
              ${files.map((f, i) => html`<li key=${`${f.filename}-${i}`}>
                <span>${f.filename} <span class="muted">(${formatBytes(f.size)})</span></span>
                <button type="button" class="button button-quiet" aria-label=${`Remove ${f.filename}`} onClick=${() => removeFile(i)}>Remove</button>
              </li>`)}
            </ul>` : null}
          </div>`}
        <fieldset class="field schedule">
          <legend>When</legend>
          <label class="radio"><input type="radio" name="when" value="now" checked=${schedule.when === 'now'}
            onChange=${() => setSchedule({ ...schedule, when: 'now' })} /> Send now</label>
          <label class="radio"><input type="radio" name="when" value="later" checked=${schedule.when === 'later'}
            onChange=${() => setSchedule({ ...schedule, when: 'later' })} /> Send later</label>
          ${schedule.when === 'later' ? html`<div class="field-pair">
            <div class="field">
              <label for="compose-at">Date and time</label>
              <input id="compose-at" type="datetime-local" value=${schedule.sendAt}
                onInput=${(e) => setSchedule({ ...schedule, sendAt: e.currentTarget.value })} />
            </div>
            <div class="field">
              <label for="compose-tz">Time zone</label>
              <select id="compose-tz" value=${schedule.timeZone} onChange=${(e) => setSchedule({ ...schedule, timeZone: e.currentTarget.value })}>
                ${zones.map((z) => html`<option key=${z} value=${z}>${z}</option>`)}
              </select>
            </div>
          </div>` : null}
          ${scheduleProblem(schedule) ? html`<span class="field-error">${scheduleProblem(schedule)}</span>` : null}
        </fieldset>
        ${failure ? html`<div class="form-error" role="alert"><p>${failure.status === 413 ? `Too large: ${failure.message}` : failure.message}</p></div>` : null}
        <div class="compose-actions">
          <button type="submit" class="button button-primary" disabled=${!!blocker || sending}
            aria-describedby="compose-why">${sending ? 'Sending…' : sendLabel}</button>
          ${bulk ? null : html`<button type="button" class="button" disabled=${sending || !sender || !subject.trim()}
            onClick=${() => send(true)}>Save draft</button>`}
          <p id="compose-why" class="muted compose-why" role="status">${blocker || 'Ready to send.'}</p>
        </div>
      </form>
      <section class="card compose-preview" aria-labelledby="compose-preview-h">
        <h2 id="compose-preview-h" class="compose-h">Preview</h2>
        ${bulk ? html`<div class="field">
          <label for="compose-preview-for">Preview for</label>
          <select id="compose-preview-for" value=${previewFor} onChange=${(e) => setPreviewFor(e.currentTarget.value)}>
            ${recipients.slice(0, 500).map((p) => html`<option key=${p.id} value=${String(p.id)}>${personName(p)}${p.email ? ` <${p.email}>` : ''}</option>`)}
          </select>
        </div>` : html`<p class="muted">As ${personName(previewPerson)} will read it.</p>`}
        ${blockers.length ? html`<div class="fill-list" role="alert">
          <p><strong>Before sending:</strong></p>
          <ul>${blockers.map((b) => html`<li key=${b.kind + b.name}><mark class="fill-mark">${b.kind === 'field' ? b.name : '✎'}</mark> ${b.text}</li>`)}</ul>
          ${bulk ? html`<p class="muted">People with an unfilled field are refused; the others are sent.</p>` : null}
        </div>` : null}
        <div class=${preview.status === 'updating' ? 'preview-pane is-busy' : 'preview-pane'} aria-busy=${preview.status === 'updating' ? 'true' : 'false'}>
          ${previewBody}
        </div>
      </section>
    </div>
  </${Page}>`;
}

function Done({ done, people, back, title }) {
  const heading = useRef(null);
  useEffect(() => {
    if (heading.current) heading.current.focus();
  }, []);
  if (done.email) {
    const e = done.email;
    const what = done.draft ? 'saved as a draft' : e.status === 'scheduled' && e.send_at ? 'scheduled' : 'queued to send';
    return html`<${Page} title=${title}>
      <div class="card">
        <h2 ref=${heading} tabindex="-1" class="done-h">Email ${what}</h2>
        <p role="status">“${e.subject}” to ${personName(people[0])} is ${what}.</p>
        <p><${Link} href=${`/people/${people[0].id}?tab=emails`}>See ${personName(people[0])}’s emails</${Link}> · <${Link} href=${back.href}>${back.text}</${Link}></p>
      </div>
    </${Page}>`;
  }
  const r = done.bulk;
  const byId = new Map(people.map((p) => [p.id, p]));
  return html`<${Page} title=${title}>
    <div class="card">
      <h2 ref=${heading} tabindex="-1" class="done-h">Bulk email sent</h2>
      <p role="status">${bulkSummary(r)}</p>
      <div class="table-wrap" role="region" aria-label="Results (scrollable)" tabindex="0">
        <table class="table" aria-label="Results">
          <thead><tr><th scope="col">Person</th><th scope="col">Result</th><th scope="col">Why</th></tr></thead>
          <tbody>
            ${r.results.map((x) => {
              const p = byId.get(x.person_id);
              return html`<tr key=${x.person_id}>
                <td><${Link} href=${`/people/${x.person_id}`}>${p ? personName(p) : `Person ${x.person_id}`}</${Link}></td>
                <td><span class=${x.status === 'queued' ? 'badge badge-ok' : 'badge badge-bad'}>${x.status === 'queued' ? 'Queued' : refusalLabel(x.reason)}</span></td>
                <td>${x.status === 'queued' ? '' : x.message || ''}</td>
              </tr>`;
            })}
          </tbody>
        </table>
      </div>
      <p class="list-note"><${Link} href=${back.href}>${back.text}</${Link}></p>
    </div>
  </${Page}>`;
}
