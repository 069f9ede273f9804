// The admin area (/admin/…) and every user's own API tokens (/tokens).
// web/app/routes.js loads this module lazily and renders its default export
// with { path, user, query }.
import { useEffect } from 'preact/hooks';
import { html } from '../../lib/html.js';
import { navigate } from '../../lib/router.js';
import { Page } from '../../components/page.js';
import { adminRoute } from './rules.js';
import { AdminNav } from './nav.js';
import { AdminsOnly } from './admins-only.js';
import { Users } from './users.js';
import { Teams } from './teams.js';
import { Team } from './team.js';
import { Tokens } from './tokens.js';
import { Sync } from './sync.js';
import { Channels } from './mail-channels.js';
import { Senders } from './mail-senders.js';
import { BlockedDomains } from './mail-blocked.js';
import { MailSettings } from './mail-settings.js';
import { Holidays } from './holidays.js';
import { Settings } from './settings.js';
import { CallsAdmin } from './calls.js';
import { PanelSettings } from './panel-settings.js';
import { Integrations } from './integrations.js';

// admin.css beside this file: a stylesheet from 'self' (the CSP allows it). The
// module waits for it (top-level await), so the pages never show unstyled.
function loadStylesheet() {
  if (typeof document === 'undefined' || document.getElementById('admin-css')) return Promise.resolve();
  const link = document.createElement('link');
  link.id = 'admin-css';
  link.rel = 'stylesheet';
  link.href = new URL('./admin.css', import.meta.url).pathname;
  const ready = new Promise((resolve) => {
    link.addEventListener('load', resolve);
    link.addEventListener('error', resolve);
    setTimeout(resolve, 3000);
  });
  document.head.appendChild(link);
  return ready;
}
await loadStylesheet();

export default function Admin({ path, user, query }) {
  const route = adminRoute(path);
  useEffect(() => {
    if (route.redirect && user && user.role === 'admin') navigate(route.redirect, { replace: true });
  }, [route.redirect, user && user.role]);

  if (route.own && route.page === 'senders') return html`<${Senders} own=${true} user=${user} />`;
  if (route.own && route.page === 'settings') return html`<${Settings} />`;
  if (route.own) return html`<${Tokens} />`;
  if (!user || user.role !== 'admin') return html`<${AdminsOnly} />`;
  const nav = html`<${AdminNav} page=${route.page} />`;
  switch (route.page) {
    case 'users':
      return html`<${Users} nav=${nav} />`;
    case 'teams':
      return html`<${Teams} nav=${nav} />`;
    case 'team':
      return html`<${Team} key=${route.id} id=${route.id} nav=${nav} />`;
    case 'tokens':
      return html`<${Tokens} nav=${nav} />`;
    case 'sync':
      return html`<${Sync} nav=${nav} />`;
    case 'channels':
      return html`<${Channels} nav=${nav} />`;
    case 'senders':
      return html`<${Senders} nav=${nav} user=${user} />`;
    case 'blocked-domains':
      return html`<${BlockedDomains} nav=${nav} />`;
    case 'mail-settings':
      return html`<${MailSettings} nav=${nav} />`;
    case 'holidays':
      return html`<${Holidays} nav=${nav} query=${query} />`;
    case 'calls':
      return html`<${CallsAdmin} nav=${nav} />`;
    case 'panel':
      return html`<${PanelSettings} nav=${nav} />`;
    case 'integrations':
      return html`<${Integrations} nav=${nav} />`;
    default:
      return html`
        <${Page} title="Page not found">
          ${nav}
          <p>There is no admin page at ${path}.</p>
        <//>`;
  }
}
