// /panel/sfdc/:id — the embeddable panel: chrome-less (no shell), meant for an iframe in a
// Salesforce lead, contact, account or opportunity layout. It asks hail which record the
// Salesforce id names (GET /api/v1/panel/sfdc/{id}) among those the viewer sees, then
// shows the insight panel for it. hail sends this page with the admin's frame-ancestors
// allowlist (Admin → Embedded panel); every other page may not be framed (docs/insight.md).
//
// Until the Insight tab's component (components/insight.js, InsightPanel) is part of the
// app, this page shows a small panel of its own: the record, a link to its full page and,
// for a person, Marketo's recent activities.
import { useEffect } from 'preact/hooks';
import { html } from '../lib/html.js';
import { useResource } from '../lib/use-resource.js';
import { formatDateTime, personName, relativeTime } from '../lib/format.js';
import { Loading, ErrorState, Empty } from '../components/states.js';

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

function MarketoActivities({ personId }) {
  const [state, retry] = useResource(`/api/v1/people/${encodeURIComponent(personId)}/marketo-activities`);
  let body;
  if (state.status === 'loading') body = html`<${Loading} label="Asking Marketo…" />`;
  else if (state.status === 'error') body = html`<${ErrorState} error=${state.error} onRetry=${retry} />`;
  else {
    const a = state.data;
    const note = marketoNote(a);
    body = html`
      ${note ? html`<p class=${a.status === 'ok' ? 'muted' : 'notice'} role="status">${note}</p>` : null}
      ${a.data.length
        ? html`<ul class="panel-marketo" aria-label="Marketo activities, newest first">
            ${a.data.map((x) => html`<li key=${x.id}>
              <strong>${x.type_name}</strong>${x.primary ? html` · <span>${x.primary}</span>` : null}
              <span class="muted"> · <time datetime=${x.occurred_at} title=${formatDateTime(x.occurred_at)}>${relativeTime(x.occurred_at)}</time></span>
            </li>`)}
          </ul>`
        : a.status === 'ok' && !note ? html`<${Empty}>No Marketo activities.</${Empty}>` : null}`;
  }
  return html`<section aria-labelledby="panel-marketo" class="section">
    <h2 id="panel-marketo">Marketo activities</h2>
    ${body}
  </section>`;
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
    <p class="muted">This is the embedded panel’s short form: the full insight (engagement by week, upcoming steps and tasks, history) is on the record’s page in hail.</p>
    ${kind === 'person' ? html`<${MarketoActivities} personId=${id} />` : null}
  </${Frame}>`;
}
