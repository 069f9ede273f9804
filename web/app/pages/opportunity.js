// One opportunity: its account and people.
import { html } from '../lib/html.js';
import { Link } from '../lib/router.js';
import { useResource } from '../lib/use-resource.js';
import { useAppInfo } from '../lib/app-info.js';
import { peopleCount, salesforceUrl } from '../lib/format.js';
import { Page } from '../components/page.js';
import { PeopleOf } from '../components/people-list.js';
import { Loading, ErrorState } from '../components/states.js';
import { EmailList } from './emails.js';
import { CallList } from './calls.js';
import { Tabs } from '../components/tabs.js';
import { InsightPanel } from '../components/insight.js';
import { ActivityHistory } from '../components/history.js';

export function OpportunityPage({ params, query }) {
  const id = params.id;
  const [state, retry] = useResource(`/api/v1/opportunities/${encodeURIComponent(id)}`);
  const info = useAppInfo();

  if (state.status === 'loading') {
    return html`<${Page} title="Opportunity"><${Loading} label="Loading the opportunity…" /></${Page}>`;
  }
  if (state.status === 'error' && state.error.status !== 404) {
    return html`<${Page} title="Opportunity"><${ErrorState} error=${state.error} onRetry=${retry} /></${Page}>`;
  }
  const opp = state.status === 'ready' ? state.data : null;
  const title = `Opportunity ${id}`;
  const sfLink = salesforceUrl(info && info.salesforce_url, 'Opportunity', id);

  return html`<${Page} title=${title}
      subtitle=${html`${opp && opp.account_id
        ? html`<span>Account <${Link} href=${`/accounts/${encodeURIComponent(opp.account_id)}`}>${opp.account_id}</${Link}></span>`
        : null}${opp ? html`<span>${peopleCount(opp.people_count)}</span>` : null}`}
      actions=${html`<${Link} class="button button-primary" href=${`/compose?opportunity=${encodeURIComponent(id)}`}>Email all contacts</${Link}><${Link} class="button" href=${`/campaigns/add?opportunity=${encodeURIComponent(id)}`}>Add all to campaign</${Link}>${sfLink
        ? html`<a class="button" href=${sfLink} target="_blank" rel="noopener noreferrer">Open in Salesforce<span class="ext" aria-hidden="true">↗</span></a>`
        : null}`}>
    ${opp ? null : html`<p class="notice">No active person belongs to this opportunity.</p>`}
    <section aria-labelledby="opp-people" class="section">
      <h2 id="opp-people">People</h2>
      <${PeopleOf} path=${`/api/v1/opportunities/${encodeURIComponent(id)}/people`}
        label="People in this opportunity" emptyText="No active people in this opportunity." />
    </section>
    <section class="card card-tabs section" aria-labelledby="opp-activity">
      <h2 id="opp-activity">Activity</h2>
      <${Tabs} label="Opportunity activity" idPrefix="opp" initial=${query && query.get('tab')} tabs=${[
        { id: 'insight', label: 'Insight', content: html`<${InsightPanel} kind="opportunity" id=${id} />` },
        { id: 'emails', label: 'Emails', content: html`<${EmailList} filter=${{ opportunity: id }} label="Emails in this opportunity" showPerson=${true}
        emptyText="No emails to the people of this opportunity yet." />` },
        { id: 'calls', label: 'Calls', content: html`<${CallList} filter=${{ opportunity: id }} label="Calls in this opportunity" emptyText="No calls with the people of this opportunity yet." />` },
        { id: 'activity', label: 'Activity', content: html`<${ActivityHistory} path=${`/api/v1/opportunities/${encodeURIComponent(id)}/activities`}
          label="Activity history of this opportunity" showPerson=${true} names=${{ opportunity: id }}
          emptyText="No activities with the people of this opportunity yet." />` },
      ]} />
    </section>
  </${Page}>`;
}
