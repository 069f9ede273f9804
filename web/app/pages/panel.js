// /panel/sfdc/:id — the embeddable panel: chrome-less (no shell), meant for an iframe in a
// Salesforce lead, contact, account or opportunity layout. It asks hail which record the
// Salesforce id names (GET /api/v1/panel/sfdc/{id}) among those the viewer sees, then
// shows the insight panel for it. hail sends this page with the admin's frame-ancestors
// allowlist (Admin → Embedded panel); every other page may not be framed (docs/insight.md).
// The panel is the Insight tab's component (components/insight.js): summary, the velocity
// grid, upcoming steps and tasks and, for a person, Marketo's recent activities.
import { useEffect } from 'preact/hooks';
import { html } from '../lib/html.js';
import { useResource } from '../lib/use-resource.js';
import { personName } from '../lib/format.js';
import { Loading, ErrorState } from '../components/states.js';
import { InsightPanel } from '../components/insight.js';

// Pure: the full page of a resolved record, and how the panel names it.
export function fullPageHref(kind, id) {
  const e = encodeURIComponent(String(id));
  if (kind === 'person') return `/people/${e}`;
  if (kind === 'account') return `/accounts/${e}`;
  if (kind === 'opportunity') return `/opportunities/${e}`;
  return null;
}

export function kindLabel(kind) {
  return { person: 'Person', account: 'Account', opportunity: 'Opportunity' }[kind] || 'Record';
}

// Pure: what the Marketo section says above its list, from the route's answer.
export function marketoNote(answer) {
  if (!answer) return '';
  if (answer.status !== 'ok') return answer.message || 'Marketo’s activities cannot be shown.';
  if (answer.message) return answer.message;
  return answer.data.length ? '' : 'No Marketo activities in the last 90 days.';
}

function Frame({ title, children }) {
  useEffect(() => {
    document.title = `${title} · hail`;
  }, [title]);
  return html`<main id="main" tabindex="-1" class="page panel-embed">${children}</main>`;
}

// A person's name once GET /api/v1/people/{id} answers ("Person #id" until then or if not).
function PersonHeading({ id }) {
  const [state] = useResource(`/api/v1/people/${encodeURIComponent(id)}`);
  return html`<h1>${state.status === 'ready' ? personName(state.data) : `Person #${id}`}</h1>`;
}

export function PanelPage({ params }) {
  const sfdc = params.id;
  const [state, retry] = useResource(`/api/v1/panel/sfdc/${encodeURIComponent(sfdc)}`);
  if (state.status === 'loading') {
    return html`<${Frame} title="Insight"><${Loading} label="Finding this record in hail…" /></${Frame}>`;
  }
  if (state.status === 'error') {
    return html`<${Frame} title="Insight">
      <h1>hail insight</h1>
      <${ErrorState} error=${state.error} onRetry=${state.error.status === 404 ? null : retry} />
    </${Frame}>`;
  }
  const { kind, id } = state.data;
  const href = fullPageHref(kind, id);
  return html`<${Frame} title=${`${kindLabel(kind)} insight`}>
    <div class="page-head">
      <div class="page-head-text">
        ${kind === 'person' ? html`<${PersonHeading} id=${id} />` : html`<h1>${kindLabel(kind)} ${id}</h1>`}
        <p class="page-subtitle">${kindLabel(kind)} · Salesforce id ${sfdc}</p>
      </div>
      <div class="page-actions">
        <a class="button button-primary" href=${href} target="_blank" rel="noopener">Open in hail<span class="ext" aria-hidden="true">↗</span></a>
      </div>
    </div>
    <${InsightPanel} kind=${kind} id=${id} />
  </${Frame}>`;
}
