// One template: its editor (name, category, subject, HTML body, sharing, commercial), the
// owner's actions (save, archive, delete — only while no email was made from it), the
// favorite star, its analytics, and a live preview of the text being edited, filled for a
// chosen person and sender (POST /api/v1/emails/preview), with unfilled fields and prompts
// highlighted. Someone else's shared template opens read-only (admins may change any).
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { html } from '../lib/html.js';
import { api, currentUser } from '../lib/api.js';
import { Link, navigate } from '../lib/router.js';
import { createLatest } from '../lib/latest.js';
import { personName } from '../lib/format.js';
import { useResource } from '../lib/use-resource.js';
import { Page } from '../components/page.js';
import { Loading, Empty, ErrorState } from '../components/states.js';
import { FavoriteButton } from './templates.js';
import {
  SHARING, canEdit, formatRate, formatShare, previewElements, SubjectLine,
} from './templates-common.js';

const BLANK = {
  name: '', category: '', subject: '', body_html: '', sharing: 'private', commercial: true,
};
const PREVIEW_DELAY_MS = 300;

function formOf(t) {
  return {
    name: t.name, category: t.category, subject: t.subject, body_html: t.body_html,
    sharing: t.sharing, commercial: t.commercial,
  };
}

function Analytics({ a }) {
  return html`<section class="card" aria-labelledby="tpl-analytics-h">
    <h2 id="tpl-analytics-h">Analytics</h2>
    <dl class="tpl-stats">
      <div><dt>Sent</dt><dd>${a.sent}</dd></div>
      <div><dt>Opened</dt><dd>${formatShare(a.opens, a.sent)}</dd></div>
      <div><dt>Clicked</dt><dd>${formatShare(a.clicks, a.sent)}</dd></div>
      <div><dt>Replied</dt><dd>${a.replies}</dd></div>
      <div><dt>Bounced</dt><dd>${a.bounces}</dd></div>
      <div><dt>Success rate</dt><dd>${formatRate(a)}</dd></div>
    </dl>
    <p class="muted tpl-note">Opens and clicks count emails opened or clicked by a person at least once;
      privacy-proxy opens and link-scanner clicks are left out. Success rate is replies ÷ sent.</p>
  </section>`;
}

// The people to preview for (a search) and the sender to preview as.
function usePeople(q) {
  const [state, setState] = useState({ status: 'loading', rows: [], error: null });
  const latest = useMemo(() => createLatest(
    (query, signal) => api('GET', '/api/v1/people', { query: { q: query || undefined, limit: 10 }, signal }),
    {
      delay: 250,
      onStart: () => setState((s) => ({ ...s, status: s.status === 'ready' ? 'ready' : 'loading' })),
      onResult: (r) => setState({ status: 'ready', rows: r.data, error: null }),
      onError: (error) => setState({ status: 'error', rows: [], error }),
    },
  ), []);
  useEffect(() => () => latest.cancel(), [latest]);
  useEffect(() => { latest(q.trim(), { now: q === '' }); }, [q]);
  return state;
}

function useSenders() {
  const [senders, setSenders] = useState([]);
  useEffect(() => {
    const ctl = new AbortController();
    api('GET', '/api/v1/senders', { signal: ctl.signal }).then(
      (r) => setSenders((r && r.data) || []),
      () => setSenders([]), // none yet (or no such route): preview as the user
    );
    return () => ctl.abort();
  }, []);
  return senders;
}

function Preview({ subject, body }) {
  const [q, setQ] = useState('');
  const people = usePeople(q);
  const senders = useSenders();
  const [personId, setPersonId] = useState('');
  const [senderId, setSenderId] = useState('');
  const [state, setState] = useState({ status: 'idle', data: null, error: null });

  // The first match is chosen when the chosen person is not among the matches.
  useEffect(() => {
    if (people.status !== 'ready') return;
    if (!people.rows.some((p) => String(p.id) === personId)) {
      setPersonId(people.rows.length ? String(people.rows[0].id) : '');
    }
  }, [people]);

  const latest = useMemo(() => createLatest(
    (input, signal) => api('POST', '/api/v1/emails/preview', { body: input, signal }),
    {
      delay: PREVIEW_DELAY_MS,
      onStart: () => setState((s) => ({ ...s, status: s.status === 'ready' ? 'ready' : 'loading', busy: true })),
      onResult: (data) => setState({ status: 'ready', data, error: null, busy: false }),
      onError: (error) => setState({ status: 'error', data: null, error, busy: false }),
    },
  ), []);
  useEffect(() => () => latest.cancel(), [latest]);
  useEffect(() => {
    if (!personId) return;
    const input = { person_id: Number(personId), subject, body_html: body };
    if (senderId) input.sender_id = Number(senderId);
    latest(input);
  }, [personId, senderId, subject, body]);

  let out;
  if (people.status === 'error') out = html`<${ErrorState} error=${people.error} />`;
  else if (!personId) {
    out = html`<${Empty}><p>${people.status === 'ready' ? (q ? `No people match “${q}”.` : 'No people yet to preview for.') : 'Loading people…'}</p></${Empty}>`;
  } else if (state.status === 'error') out = html`<div class="form-error" role="alert"><p>${state.error.message}</p></div>`;
  else if (state.status !== 'ready') out = html`<${Loading} label="Filling the template…" />`;
  else {
    const d = state.data;
    const gaps = d.unfilled.length + d.prompts.length;
    out = html`<div class=${state.busy ? 'tpl-preview is-busy' : 'tpl-preview'}>
      <p class=${gaps ? 'tpl-ready tpl-ready-no' : 'tpl-ready tpl-ready-yes'} role="status">
        ${gaps ? `Not ready to send: ${gaps} gap${gaps === 1 ? '' : 's'} to fill` : 'Ready to send for this person'}</p>
      ${d.unfilled.length ? html`<div class="tpl-gaps"><h3>Unfilled fields</h3>
        <ul aria-label="Unfilled fields">${d.unfilled.map((f) => html`<li key=${f}><code>${f}</code></li>`)}</ul></div>` : null}
      ${d.prompts.length ? html`<div class="tpl-gaps"><h3>Prompts to replace</h3>
        <ul aria-label="Prompts to replace">${d.prompts.map((p) => html`<li key=${p}>${p}</li>`)}</ul></div>` : null}
      <p class="tpl-subject"><span class="muted">Subject: </span><${SubjectLine} text=${d.subject} unfilled=${d.unfilled} prompts=${d.prompts} /></p>
      <div class="tpl-body" role="region" aria-label="Preview of the body" tabindex="0">${previewElements(d.html)}</div>
      <details class="tpl-text"><summary>Plain-text part</summary><pre>${d.text}</pre></details>
    </div>`;
  }

  return html`<section class="card tpl-preview-card" aria-labelledby="tpl-preview-h">
    <h2 id="tpl-preview-h">Preview</h2>
    <div class="tpl-pickers">
      <div class="field">
        <label for="tpl-person-q">Find a person</label>
        <input id="tpl-person-q" type="search" class="input" value=${q} maxLength="256" autocomplete="off"
          placeholder="Name, email or company" onInput=${(e) => setQ(e.currentTarget.value)} />
      </div>
      <div class="field">
        <label for="tpl-person">Preview for</label>
        <select id="tpl-person" value=${personId} onChange=${(e) => setPersonId(e.currentTarget.value)}
          disabled=${!people.rows.length}>
          ${people.rows.length ? null : html`<option value="">No person</option>`}
          ${people.rows.map((p) => html`<option key=${p.id} value=${String(p.id)}>${personName(p)}${p.company ? ` — ${p.company}` : ''}</option>`)}
        </select>
      </div>
      <div class="field">
        <label for="tpl-sender">Send as</label>
        <select id="tpl-sender" value=${senderId} onChange=${(e) => setSenderId(e.currentTarget.value)}>
          <option value="">Me (no sender identity)</option>
          ${senders.map((s) => html`<option key=${s.id} value=${String(s.id)}>${`${s.display_name} <${s.address}>`}</option>`)}
        </select>
      </div>
    </div>
    ${out}
  </section>`;
}

function Editor({ template, onSaved }) {
  const user = currentUser.value;
  const isNew = !template;
  const editable = isNew || canEdit(template, user);
  const [form, setForm] = useState(template ? formOf(template) : BLANK);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [saved, setSaved] = useState('');
  const [confirmDelete, setConfirmDelete] = useState(false);
  const nameRef = useRef(null);

  useEffect(() => {
    setForm(template ? formOf(template) : BLANK);
  }, [template && template.id, template && template.updated_at]);
  useEffect(() => { if (isNew && nameRef.current) nameRef.current.focus(); }, [isNew]);

  const set = (k) => (e) => {
    const v = e.currentTarget.type === 'checkbox' ? e.currentTarget.checked : e.currentTarget.value;
    setForm((f) => ({ ...f, [k]: v }));
    setSaved('');
  };

  async function run(what, fn) {
    setBusy(true);
    setError(null);
    setSaved('');
    try {
      await fn();
    } catch (e) {
      setError(e.message || `Could not ${what}.`);
    } finally {
      setBusy(false);
    }
  }

  function onSubmit(event) {
    event.preventDefault();
    run('save the template', async () => {
      if (isNew) {
        const t = await api('POST', '/api/v1/templates', { body: form });
        navigate(`/templates/${t.id}`, { replace: true });
      } else {
        const t = await api('PATCH', `/api/v1/templates/${template.id}`, { body: form });
        setSaved('Saved.');
        onSaved(t);
      }
    });
  }

  function onArchive() {
    run('archive the template', async () => {
      const t = await api('PATCH', `/api/v1/templates/${template.id}`, { body: { archived: !template.archived } });
      setSaved(t.archived ? 'Archived: it is listed under Archived only.' : 'Restored from the archive.');
      onSaved(t);
    });
  }

  function onDelete() {
    run('delete the template', async () => {
      await api('DELETE', `/api/v1/templates/${template.id}`);
      navigate('/templates', { replace: true });
    });
    setConfirmDelete(false);
  }

  const ro = !editable;
  return html`<div class="tpl-layout">
    <form class="card form tpl-form" onSubmit=${onSubmit} aria-labelledby="tpl-form-h" novalidate>
      <h2 id="tpl-form-h">${isNew ? 'New template' : 'Template'}</h2>
      ${ro ? html`<p class="notice">Only its owner (${template.owner.name}) or an admin can change this template.</p>` : null}
      <div class="field">
        <label for="tpl-name">Name</label>
        <input id="tpl-name" ref=${nameRef} class="input" value=${form.name} onInput=${set('name')} maxLength="200"
          required readOnly=${ro} />
      </div>
      <div class="field">
        <label for="tpl-category">Category</label>
        <input id="tpl-category" class="input" value=${form.category} onInput=${set('category')} maxLength="100"
          readOnly=${ro} />
      </div>
      <div class="field">
        <label for="tpl-subject">Subject</label>
        <input id="tpl-subject" class="input" value=${form.subject} onInput=${set('subject')} maxLength="998"
          required readOnly=${ro} aria-describedby="tpl-syntax" />
      </div>
      <div class="field">
        <label for="tpl-body">Body (HTML)</label>
        <textarea id="tpl-body" class="input tpl-body-input" rows="14" value=${form.body_html}
          onInput=${set('body_html')} readOnly=${ro} spellcheck=${false} aria-describedby="tpl-syntax"></textarea>
        <p id="tpl-syntax" class="muted tpl-note">Fields: <code>{{first_name}}</code>, <code>{{company}}</code>,
          <code>{{my_name}}</code>, <code>{{my_signature}}</code>, <code>{{sfdc_account_id}}</code>…;
          a default: <code>{{first_name | default: "there"}}</code>; a prompt the writer must replace:
          <code>{{! write one line about their launch}}</code>.</p>
      </div>
      <div class="tpl-row">
        <div class="field">
          <label for="tpl-sharing">Shared with</label>
          <select id="tpl-sharing" value=${form.sharing} onChange=${set('sharing')} disabled=${ro}>
            ${SHARING.map(([k, label]) => html`<option key=${k} value=${k}>${label}</option>`)}
          </select>
        </div>
        <label class="tpl-check">
          <input type="checkbox" checked=${form.commercial} onChange=${set('commercial')} disabled=${ro} />
          <span>Commercial (unsubscribe link; never sent to unsubscribed people)</span>
        </label>
      </div>
      ${error ? html`<div class="form-error" role="alert"><p>${error}</p></div>` : null}
      <p class="tpl-saved" role="status">${saved}</p>
      ${editable ? html`<div class="tpl-actions">
        <button type="submit" class="button button-primary" disabled=${busy}>${isNew ? 'Create template' : 'Save'}</button>
        ${isNew ? html`<${Link} href="/templates" class="button">Cancel</${Link}>` : html`
          <button type="button" class="button" onClick=${onArchive} disabled=${busy}>${template.archived ? 'Restore' : 'Archive'}</button>
          ${confirmDelete ? html`
            <button type="button" class="button button-danger" onClick=${onDelete} disabled=${busy}>Delete for good</button>
            <button type="button" class="button button-quiet" onClick=${() => setConfirmDelete(false)}>Keep it</button>`
            : html`<button type="button" class="button button-quiet" onClick=${() => setConfirmDelete(true)} disabled=${busy}>Delete…</button>`}`}
      </div>` : null}
    </form>
    <div class="tpl-side">
      <${Preview} subject=${form.subject} body=${form.body_html} />
      ${template ? html`<${Analytics} a=${template.analytics} />` : null}
    </div>
  </div>`;
}

export function TemplateEditorPage({ params }) {
  const isNew = params.id === 'new';
  const [state, retry] = useResource(isNew ? null : `/api/v1/templates/${encodeURIComponent(params.id)}`);
  const [current, setCurrent] = useState(null);
  useEffect(() => setCurrent(null), [params.id]);

  if (isNew) {
    return html`<${Page} title="New template" wide
        subtitle=${html`<${Link} href="/templates">All templates</${Link}>`}>
      <${Editor} template=${null} onSaved=${() => {}} />
    </${Page}>`;
  }
  if (state.status === 'loading') {
    return html`<${Page} title="Template"><${Loading} label="Loading the template…" /></${Page}>`;
  }
  if (state.status === 'error') {
    const e = state.error;
    if (e.status === 404 || e.status === 400) {
      return html`<${Page} title="Template not found">
        <${Empty}><p>${e.message}</p><p><${Link} href="/templates">Back to Templates</${Link}></p></${Empty}>
      </${Page}>`;
    }
    return html`<${Page} title="Template"><${ErrorState} error=${e} onRetry=${retry} /></${Page}>`;
  }
  const t = current || state.data;
  return html`<${Page} title=${t.name} wide
      subtitle=${html`<${Link} href="/templates">All templates</${Link}>
        <span>by ${t.owner.name}</span>
        ${t.archived ? html`<span class="badge badge-off">Archived</span>` : null}`}
      actions=${html`<${FavoriteButton} template=${t} onChange=${(on) => setCurrent({ ...t, favorite: on })} />`}>
    <${Editor} template=${t} onSaved=${setCurrent} />
  </${Page}>`;
}
