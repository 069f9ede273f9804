// /admin/panel: the embeddable panel's allowlist (GET/PUT /api/v1/settings/panel) — the
// origins whose pages may show /panel/sfdc/{id} in a frame (Content-Security-Policy
// frame-ancestors). Empty: nothing may frame hail. docs/insight.md says how the session
// reaches the frame.
import { useState } from 'preact/hooks';
import { html } from '../../lib/html.js';
import { api } from '../../lib/api.js';
import { Page } from '../../components/page.js';
import { Loading, ErrorState } from '../../components/states.js';
import { useLoad } from './load.js';
import { AdminsOnly, isForbidden } from './admins-only.js';

// Pure: the textarea's lines as the list to send (blank lines and spaces dropped).
export function originsFromText(text) {
  return String(text || '').split('\n').map((s) => s.trim()).filter((s) => s !== '');
}

export function PanelSettings({ nav }) {
  const settings = useLoad((signal) => api('GET', '/api/v1/settings/panel', { signal }), []);
  const [text, setText] = useState(null);
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState('');
  const [failure, setFailure] = useState(null);

  if (isForbidden(settings.error)) return html`<${AdminsOnly} error=${settings.error} />`;

  const shown = text !== null ? text : settings.data ? settings.data.frame_ancestors.join('\n') : '';

  async function save(e) {
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    setFailure(null);
    setNotice('');
    try {
      const s = await api('PUT', '/api/v1/settings/panel', { body: { frame_ancestors: originsFromText(shown) } });
      settings.setData(s);
      setText(null);
      setNotice(s.frame_ancestors.length
        ? `Saved: ${s.frame_ancestors.length === 1 ? 'one origin' : `${s.frame_ancestors.length} origins`} may frame the panel.`
        : 'Saved: nothing may frame hail.');
    } catch (err) {
      setFailure(err.message);
    } finally {
      setBusy(false);
    }
  }

  let body;
  if (settings.error && !settings.data) body = html`<${ErrorState} error=${settings.error} onRetry=${settings.reload} />`;
  else if (!settings.data) body = html`<${Loading} label="Loading the panel settings…" />`;
  else {
    body = html`<form class="admin-card" onSubmit=${save}>
      <h2>Who may embed the panel</h2>
      <div class="admin-field">
        <label for="panel-origins">Origins allowed to frame /panel/sfdc/{id}, one per line</label>
        <textarea id="panel-origins" rows="5" value=${shown} aria-describedby="panel-origins-hint"
          aria-invalid=${failure ? 'true' : undefined}
          onInput=${(e) => setText(e.currentTarget.value)}></textarea>
      </div>
      <p id="panel-origins-hint" class="admin-hint">For example https://acme.my.salesforce.com or https://*.lightning.force.com (https://, a host name or *.domain, an optional port, no path; at most 20). Leave empty so that nothing may frame hail. In a Salesforce layout, point a Visualforce page or web tab at https://your-hail-server/panel/sfdc/{!Lead.Id} (or the contact, account or opportunity id).</p>
      <button type="submit" class="button button-primary" aria-disabled=${busy ? 'true' : undefined}>${busy ? 'Saving…' : 'Save'}</button>
    </form>`;
  }

  return html`<${Page} title="Embedded panel">
    ${nav}
    <p role="status" class="admin-notice">${notice}</p>
    ${failure ? html`<p role="alert" class="admin-error">${failure}</p>` : null}
    ${body}
  <//>`;
}
