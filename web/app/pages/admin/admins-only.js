// Shown to a signed-in user who is not an admin on an /admin page, and when
// the API refuses an admin call with 403 (its message is shown).
import { html } from '../../lib/html.js';
import { Page } from '../../components/page.js';

export function AdminsOnly({ error = null }) {
  return html`
    <${Page} title="Admins only">
      <div class="admin-denied">
        <p>Only admins can manage users, teams and the Marketo sync. Ask an admin if you need to.</p>
        ${error ? html`<p role="alert" class="admin-error">${error.message}</p>` : null}
        <p>Your own API tokens are under “API tokens”, next to your name.</p>
      </div>
    <//>`;
}

// An API error that means "not an admin".
export function isForbidden(error) {
  return !!error && error.status === 403;
}
