// The app shell around every signed-in page: skip link, header with the main navigation,
// the signed-in user, "My settings", "API tokens" and "Sign out"; the "Live feed" toggle and
// the Live Feed docked beside the page (components/feed-panel.js).
import { useState } from 'preact/hooks';
import { html } from '../lib/html.js';
import { Link, location } from '../lib/router.js';
import { signOut } from '../lib/api.js';
import { initials } from '../lib/format.js';
import { Logo } from './logo.js';
import { TasksNavLink } from '../pages/tasks-nav.js';
import { FeedDock, FeedToggle, feedPrefs } from './feed-panel.js';

function NavLink({ href, children }) {
  const path = location.value.path;
  const current = path === href || path.startsWith(href + '/');
  return html`<li><${Link} href=${href} class="nav-link" aria-current=${current ? 'page' : undefined}>${children}</${Link}></li>`;
}

export function Shell({ user, children }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);

  async function onSignOut() {
    setBusy(true);
    setError(null);
    try {
      await signOut();
    } catch (e) {
      setError(e.message || 'Could not sign out.');
      setBusy(false);
    }
  }

  const tokensCurrent = location.value.path === '/tokens';
  const settingsCurrent = location.value.path === '/settings';
  return html`<div class=${feedPrefs.value.open ? 'shell shell-feed-open' : 'shell'}>
    <a class="skip-link" href="#main">Skip to main content</a>
    <header class="topbar">
      <div class="topbar-inner">
        <${Link} href="/people" class="brand" aria-label="hail home"><${Logo} /><span class="brand-name">hail</span></${Link}>
        <nav aria-label="Main" class="main-nav">
          <ul>
            <${NavLink} href="/people">People</${NavLink}>
            <${NavLink} href="/accounts">Accounts</${NavLink}>
            <${NavLink} href="/best-bets">Best Bets</${NavLink}>
            <${TasksNavLink} />
            <${NavLink} href="/templates">Templates</${NavLink}>
            <${NavLink} href="/campaigns">Campaigns</${NavLink}>
            <${NavLink} href="/senders">Senders</${NavLink}>
            <${NavLink} href="/reports">Reports</${NavLink}>
            <${NavLink} href="/filters">Filters & Triggers</${NavLink}>
            ${user.role === 'admin' ? html`<${NavLink} href="/admin">Admin</${NavLink}>` : null}
          </ul>
        </nav>
        <${FeedToggle} />
        <div class="user-area">
          <span class="avatar" aria-hidden="true">${initials(user.name || user.email)}</span>
          <span class="user-name" title=${user.email}>${user.name || user.email}</span>
          <${Link} href="/settings" class="user-link" aria-current=${settingsCurrent ? 'page' : undefined}>My settings</${Link}>
          <${Link} href="/tokens" class="user-link" aria-current=${tokensCurrent ? 'page' : undefined}>API tokens</${Link}>
          <button type="button" class="button button-quiet" onClick=${onSignOut} disabled=${busy}>Sign out</button>
        </div>
      </div>
      ${error ? html`<div class="topbar-error" role="alert">${error}</div>` : null}
    </header>
    <div class="shell-body">
      <div class="shell-page">${children}</div>
      <${FeedDock} user=${user} />
    </div>
  </div>`;
}
