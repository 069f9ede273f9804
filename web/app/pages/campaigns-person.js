// The person page's Campaigns tab: the campaigns the person is or was in (GET
// /api/v1/people/{id}/campaigns) with their status and next step, and "Add to campaign".
// The list loads when its tab is first shown (not with every person page).
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../lib/html.js';
import { Link } from '../lib/router.js';
import { useResource } from '../lib/use-resource.js';
import { formatDateTime } from '../lib/format.js';
import { Loading, Empty, ErrorState } from '../components/states.js';
import { MemberStatus, NextStep } from './campaigns-detail.js';

// true once the tab panel around `ref` is shown (at once when there is none).
function useShown(ref) {
  const [shown, setShown] = useState(false);
  useEffect(() => {
    const panel = ref.current && ref.current.closest('[role="tabpanel"]');
    if (!panel || !panel.hidden) {
      setShown(true);
      return undefined;
    }
    const watch = new MutationObserver(() => {
      if (!panel.hidden) {
        setShown(true);
        watch.disconnect();
      }
    });
    watch.observe(panel, { attributes: true, attributeFilter: ['hidden'] });
    return () => watch.disconnect();
  }, []);
  return shown;
}

export function PersonCampaigns(props) {
  const ref = useRef(null);
  const shown = useShown(ref);
  return html`<div ref=${ref}>${shown ? html`<${CampaignsOf} ...${props} />` : html`<${Loading} label="Loading campaigns…" />`}</div>`;
}

function CampaignsOf({ personId, name }) {
  const [state, retry] = useResource(`/api/v1/people/${encodeURIComponent(personId)}/campaigns`);
  const add = html`<p class="list-note"><${Link} class="button" href=${`/campaigns/add?person=${encodeURIComponent(personId)}`}>Add to campaign</${Link}></p>`;
  if (state.status === 'loading') return html`<${Loading} label="Loading campaigns…" />`;
  if (state.status === 'error') return html`<${ErrorState} error=${state.error} onRetry=${retry} />`;
  const rows = state.data.data;
  if (!rows.length) return html`<${Empty}><p>${name} is in no campaign yet.</p></${Empty}>${add}`;
  return html`<div class="table-wrap" role="region" aria-label="Campaigns of this person (scrollable)" tabindex="0">
    <table class="table" aria-label="Campaigns of this person">
      <thead><tr><th scope="col">Campaign</th><th scope="col">Status</th><th scope="col">Next step</th><th scope="col">Added</th></tr></thead>
      <tbody>${rows.map((m) => html`<tr key=${m.id}>
        <td class="cell-name"><${Link} href=${`/campaigns/${m.campaign.id}`}>${m.campaign.name}</${Link}></td>
        <td><${MemberStatus} m=${m} /></td>
        <td><${NextStep} m=${m} /></td>
        <td><time datetime=${m.created_at}>${formatDateTime(m.created_at)}</time></td>
      </tr>`)}</tbody>
    </table>
  </div>${add}`;
}
