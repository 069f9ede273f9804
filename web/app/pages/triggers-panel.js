// The "Triggers" section of the Filters & Triggers page (/filters?id=N): the triggers on the
// selected saved filter, each one's webhook delivery log and firings, and a form to add one
// (pages/admin/triggers.js's TriggersBody for that filter). Triggers are admins' only
// (docs/api.md "Triggers"): others are told so. Registered with the page's
// registerFilterPanel; routes.js imports this module.
import { useEffect } from 'preact/hooks';
import { html } from '../lib/html.js';
import { registerFilterPanel } from './filters.js';
import { TriggersBody } from './admin/triggers.js';

// The admin pages' stylesheet (the same link pages/admin/index.js adds), for the tables
// and the form.
function useAdminStyles() {
  useEffect(() => {
    if (document.getElementById('admin-css')) return;
    const link = document.createElement('link');
    link.id = 'admin-css';
    link.rel = 'stylesheet';
    link.href = new URL('./admin/admin.css', import.meta.url).pathname;
    document.head.appendChild(link);
  }, []);
}

export function FilterTriggers({ filter, user }) {
  useAdminStyles();
  if (!user || user.role !== 'admin')
    return html`<p class="muted">Only admins set up triggers on a filter (a webhook, adding to a campaign, or a task). Ask one to act on these people.</p>`;
  return html`<${TriggersBody} key=${filter.id} filterId=${filter.id} nested=${true} />`;
}

registerFilterPanel(FilterTriggers);
