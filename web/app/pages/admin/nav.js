// The admin sub-navigation: Users, Teams, API tokens, Marketo sync.
import { html } from '../../lib/html.js';
import { Link } from '../../lib/router.js';
import { ADMIN_NAV } from './rules.js';

export function AdminNav({ page }) {
  return html`
    <nav aria-label="Admin" class="admin-nav">
      <ul>
        ${ADMIN_NAV.map(([href, label, pages]) => html`
          <li key=${href}>
            <${Link} href=${href} aria-current=${pages.includes(page) ? 'page' : undefined}>${label}<//>
          </li>`)}
      </ul>
    </nav>`;
}
