// Completing an email task: the composer prefilled from GET /api/v1/tasks/{id}/email (the
// step's template rendered for the person, and the sender), editable, with a preview; "Send
// and complete" posts POST /api/v1/tasks/{id}/complete {sender_id, subject, body_html}. Send
// stays disabled while a prompt or field of the template is left in the text.
import { useEffect, useState } from 'preact/hooks';
import { html } from '../lib/html.js';
import { api } from '../lib/api.js';
import { Link } from '../lib/router.js';
import { Loading, ErrorState } from '../components/states.js';
import { BodyEditor } from './compose-editor.js';
import { MailBody } from './compose-preview.js';
import { senderLabel } from './compose-rules.js';
import { emailLeftovers, sendableBody } from './tasks-rules.js';

export function TaskEmailForm({ task, idPrefix = 'task-email', onDone, onCancel }) {
  const [load, setLoad] = useState({ status: 'loading' });
  const [attempt, setAttempt] = useState(0);
  const [sender, setSender] = useState('');
  const [subject, setSubject] = useState('');
  const [body, setBody] = useState('');
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState(null);

  useEffect(() => {
    const ac = new AbortController();
    setLoad({ status: 'loading' });
    Promise.all([
      api('GET', `/api/v1/tasks/${task.id}/email`, { signal: ac.signal }),
      api('GET', '/api/v1/senders', { query: { limit: 200 }, signal: ac.signal }),
    ]).then(
      ([email, senders]) => {
        const list = (senders && senders.data) || [];
        setLoad({ status: 'ready', email, senders: list });
        setSender(email.sender_id ? String(email.sender_id) : list.length ? String(list[0].id) : '');
        setSubject(email.subject || '');
        setBody(email.html || '');
      },
      (error) => error.name !== 'AbortError' && setLoad({ status: 'error', error }),
    );
    return () => ac.abort();
  }, [task.id, attempt]);

  if (load.status === 'loading') return html`<${Loading} label="Loading the email…" />`;
  if (load.status === 'error') return html`<${ErrorState} error=${load.error} onRetry=${() => setAttempt(attempt + 1)} />`;

  const leftovers = emailLeftovers(subject, body, load.email.prompts);
  const why = !sender ? 'Choose a sender.'
    : !subject.trim() ? 'Write a subject.'
      : !body.trim() ? 'Write the email.'
        : leftovers.length ? 'Fill in what the template left open first.' : null;
  const id = (n) => `${idPrefix}-${n}`;

  async function send(e) {
    e.preventDefault();
    if (why || busy) return;
    setBusy(true);
    setFailure(null);
    try {
      const done = await api('POST', `/api/v1/tasks/${task.id}/complete`, {
        body: { sender_id: Number(sender), subject, body_html: sendableBody(body) },
      });
      onDone(done);
    } catch (error) {
      setFailure(error.message);
    } finally {
      setBusy(false);
    }
  }

  const { email, senders } = load;
  return html`<form class="form task-email" onSubmit=${send} noValidate>
    ${email.template ? html`<p class="muted">From the template “${email.template.name}”, written for this person.</p>` : null}
    <div class="field">
      <label for=${id('sender')}>Sender</label>
      ${senders.length
        ? html`<select id=${id('sender')} value=${sender} onChange=${(e) => setSender(e.currentTarget.value)}>
            ${senders.map((s) => html`<option key=${s.id} value=${String(s.id)}>${senderLabel(s)}</option>`)}
          </select>`
        : html`<p class="notice" id=${id('sender')}>You have no sender identity yet. Add one under <${Link} href="/senders">Senders</${Link}>.</p>`}
    </div>
    <div class="field">
      <label for=${id('subject')}>Subject</label>
      <input type="text" id=${id('subject')} value=${subject} onInput=${(e) => setSubject(e.currentTarget.value)} autocomplete="off" />
    </div>
    <div class="field">
      <label for=${id('body')}>Body</label>
      <${BodyEditor} id=${id('body')} value=${body} onInput=${setBody} />
    </div>
    ${leftovers.length || (email.unfilled || []).length ? html`<div class="fill-list">
      <p><strong>Before sending:</strong></p>
      <ul>
        ${leftovers.map((l) => html`<li key=${l}>${l}</li>`)}
        ${(email.unfilled || []).map((f) => html`<li key=${`u-${f}`}>{{${f}}} had no value for this person: check the text where it was.</li>`)}
      </ul>
    </div>` : null}
    <h3 class="detail-sub">Preview</h3>
    <${MailBody} source=${body} label="Preview of the body" />
    ${failure ? html`<div class="form-error" role="alert"><p>Could not send the email: ${failure}</p></div>` : null}
    <div class="form-actions">
      <button type="submit" class="button button-primary" disabled=${!!why || busy}
        aria-describedby=${id('why')}>${busy ? 'Sending…' : 'Send and complete'}</button>
      ${onCancel ? html`<button type="button" class="button button-quiet" onClick=${onCancel} disabled=${busy}>Cancel</button>` : null}
      <span id=${id('why')} class="compose-why" role="status">${why || ''}</span>
    </div>
  </form>`;
}
