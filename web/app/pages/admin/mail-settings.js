// /admin/mail-settings: the Marketo unsubscribe check (GET/PUT /api/v1/mail/settings):
// when on, hail asks Marketo before each send whether the person unsubscribed there.
import { useState } from 'preact/hooks';
import { html } from '../../lib/html.js';
import { api } from '../../lib/api.js';
import { Page } from '../../components/page.js';
import { Loading, ErrorState } from '../../components/states.js';
import { useLoad } from './load.js';
import { AdminsOnly, isForbidden } from './admins-only.js';

export function MailSettings({ nav }) {
  const settings = useLoad((signal) => api('GET', '/api/v1/mail/settings', { signal }), []);
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState('');
  const [failure, setFailure] = useState(null);

  if (isForbidden(settings.error)) return html`<${AdminsOnly} error=${settings.error} />`;

  async function toggle(e) {
    if (busy) {
      e.preventDefault();
      return;
    }
    const on = e.currentTarget.checked;
    const before = settings.data;
    settings.setData({ ...before, marketo_unsubscribe_check: on }); // shown at once; put back on failure
    setBusy(true);
    setFailure(null);
    setNotice('');
    try {
      const s = await api('PUT', '/api/v1/mail/settings', { body: { marketo_unsubscribe_check: on } });
      settings.setData(s);
      setNotice(s.marketo_unsubscribe_check
        ? 'hail now asks Marketo before each send.'
        : 'hail no longer asks Marketo before sending.');
    } catch (err) {
      setFailure(err.message);
      settings.setData(before);
    } finally {
      setBusy(false);
    }
  }

  let body;
  if (settings.error && !settings.data) body = html`<${ErrorState} error=${settings.error} onRetry=${settings.reload} />`;
  else if (!settings.data) body = html`<${Loading} label="Loading the mail settings…" />`;
  else {
    const s = settings.data;
    body = html`<div class="admin-card">
      <h2>Marketo unsubscribe check</h2>
      <label class="admin-check">
        <input type="checkbox" checked=${!!s.marketo_unsubscribe_check} aria-disabled=${busy ? 'true' : undefined}
          aria-describedby="mkto-check-hint" onChange=${toggle} />
        Ask Marketo before each send
      </label>
      <p id="mkto-check-hint" class="admin-hint">Before each email, hail asks Marketo whether the person has unsubscribed there, and refuses if so. When Marketo cannot be asked the email waits and is tried again — it is never sent unchecked.</p>
      ${s.marketo_configured ? null : html`<p class="admin-refusal">Marketo is not configured on this server (HAIL_MARKETO_URL and its credentials), so the check cannot run: emails would wait.</p>`}
    </div>`;
  }

  return html`<${Page} title="Mail settings">
    ${nav}
    <p role="status" class="admin-notice">${notice}</p>
    ${failure ? html`<p role="alert" class="admin-error">${failure}</p>` : null}
    ${body}
  <//>`;
}
