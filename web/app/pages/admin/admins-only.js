// Shown on an /admin page to a signed-in user who is not an admin, and when the
// API refuses an admin call with 403. Either way it shows the API's own message:
// given one (`error`), or asking GET /api/v1/users, which hail refuses with 403.
import { useEffect, useState } from 'preact/hooks';
import { html } from '../../lib/html.js';
import { api } from '../../lib/api.js';
import { Page } from '../../components/page.js';

export function AdminsOnly({ error = null }) {
  const [refusal, setRefusal] = useState(error);
  useEffect(() => {
    if (error) return undefined;
    const ac = new AbortController();
    api('GET', '/api/v1/users', { query: { limit: 1 }, signal: ac.signal }).then(
      () => {},
      (err) => !ac.signal.aborted && isForbidden(err) && setRefusal(err),
    );
    return () => ac.abort();
  }, [error]);

  return html`
    <${Page} title="Admins only">
      <div class="admin-denied">
        <p>Only admins can manage users, teams and the Marketo sync. Ask an admin if you need to.</p>
        ${refusal ? html`<p class="admin-refusal">hail says: “${refusal.message}”</p>` : null}
        <p>Your own API tokens are under “API tokens”, next to your name.</p>
      </div>
    <//>`;
}

// An API error that means "not an admin".
export function isForbidden(error) {
  return !!error && error.status === 403;
}
