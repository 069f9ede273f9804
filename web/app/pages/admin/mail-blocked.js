// /admin/blocked-domains: the domains hail refuses to email (GET /api/v1/blocked-domains);
// block one (POST {domain}), unblock one (DELETE /api/v1/blocked-domains/{domain}).
import { useRef, useState } from 'preact/hooks';
import { html } from '../../lib/html.js';
import { api } from '../../lib/api.js';
import { formatDateTime } from '../../lib/format.js';
import { Page } from '../../components/page.js';
import { Loading, Empty, ErrorState } from '../../components/states.js';
import { useLoad } from './load.js';
import { Field } from './field.js';
import { AdminsOnly, isForbidden } from './admins-only.js';
import { domainProblem, domainRows } from './mail-rules.js';

export function BlockedDomains({ nav }) {
  const list = useLoad((signal) => api('GET', '/api/v1/blocked-domains', { query: { limit: 200 }, signal }), []);
  const [domain, setDomain] = useState('');
  const [error, setError] = useState(null);
  const [failure, setFailure] = useState(null);
  const [notice, setNotice] = useState('');
  const [busy, setBusy] = useState(null);
  const input = useRef(null);

  if (isForbidden(list.error)) return html`<${AdminsOnly} error=${list.error} />`;

  async function add(e) {
    e.preventDefault();
    setFailure(null);
    setNotice('');
    const problem = domainProblem(domain);
    setError(problem);
    if (problem) {
      if (input.current) input.current.focus();
      return;
    }
    const d = domain.trim().toLowerCase();
    setBusy('add');
    try {
      await api('POST', '/api/v1/blocked-domains', { body: { domain: d } });
      setDomain('');
      setNotice(`${d} is blocked: hail refuses to email it.`);
      list.reload();
    } catch (err) {
      setFailure(err.message);
    } finally {
      setBusy(null);
    }
  }

  async function unblock(d) {
    setFailure(null);
    setNotice('');
    setBusy(d);
    try {
      await api('DELETE', `/api/v1/blocked-domains/${encodeURIComponent(d)}`);
      setNotice(`${d} is no longer blocked.`);
      list.reload();
      if (input.current) input.current.focus();
    } catch (err) {
      setFailure(`Could not unblock ${d}: ${err.message}`);
    } finally {
      setBusy(null);
    }
  }

  const rows = list.data ? domainRows(list.data) : null;
  let body;
  if (list.error && !rows) body = html`<${ErrorState} error=${list.error} onRetry=${list.reload} />`;
  else if (!rows) body = html`<${Loading} label="Loading blocked domains…" />`;
  else if (rows.length === 0) body = html`<${Empty}>No domain is blocked.<//>`;
  else
    body = html`<div class="admin-table-wrap">
      <table aria-label="Blocked domains" class="admin-table admin-stack" aria-busy=${list.loading ? 'true' : 'false'}>
        <thead><tr><th scope="col">Domain</th><th scope="col">Blocked</th><th scope="col">Actions</th></tr></thead>
        <tbody>
          ${rows.map((r) => html`<tr key=${r.domain}>
            <td data-label="Domain">${r.domain}</td>
            <td data-label="Blocked">${r.created_at ? html`<time datetime=${r.created_at}>${formatDateTime(r.created_at)}</time>` : html`<span class="admin-muted">—</span>`}</td>
            <td data-label="Actions"><button type="button" class="admin-small" disabled=${busy === r.domain}
              aria-label=${`Unblock ${r.domain}`} onClick=${() => unblock(r.domain)}>Unblock</button></td>
          </tr>`)}
        </tbody>
      </table>
    </div>`;

  return html`<${Page} title="Blocked domains">
    ${nav}
    <p class="admin-muted">hail refuses to send to any address at these domains (for example a customer who asked not to be contacted, or a competitor).</p>
    <form class="admin-form admin-inline-form" onSubmit=${add} noValidate>
      <${Field} label="Domain to block" value=${domain} inputRef=${input} error=${error} autocomplete="off"
        placeholder="example.com" onInput=${(e) => setDomain(e.currentTarget.value)} />
      <button type="submit" class="admin-primary" disabled=${busy === 'add'}>Block domain</button>
    </form>
    <p role="status" class="admin-notice">${notice}</p>
    ${failure ? html`<p role="alert" class="admin-error">${failure}</p>` : null}
    ${body}
  <//>`;
}
