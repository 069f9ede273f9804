// One account: its name, opportunities and people.
import { html } from '../lib/html.js';
import { Link } from '../lib/router.js';
import { useResource } from '../lib/use-resource.js';
import { useAppInfo } from '../lib/app-info.js';
import { formatCount, peopleCount, salesforceUrl } from '../lib/format.js';
import { Page } from '../components/page.js';
import { PeopleOf } from '../components/people-list.js';
import { Loading, ErrorState } from '../components/states.js';
import { EmailList } from './emails.js';
import { CallList } from './calls.js';
import { Tabs } from '../components/tabs.js';
import { InsightPanel } from '../components/insight.js';
import { ActivityHistory } from '../components/history.js';

export function AccountPage({ params, query }) {
  const id = params.id;
  const [state, retry] = useResource(`/api/v1/accounts/${encodeURIComponent(id)}`);
  const info = useAppInfo();

  if (state.status === 'loading') {
    return html`<${Page} title="Account"><${Loading} label="Loading the account…" /></${Page}>`;
  }
  // 404: no active person has this account id (or an older hail without the route): the
  // page still shows the id and the (empty) people list rather than a dead end.
  if (state.status === 'error' && state.error.status !== 404) {
    return html`<${Page} title="Account"><${ErrorState} error=${state.error} onRetry=${retry} /></${Page}>`;
  }
  const account = state.status === 'ready' ? state.data : null;
  const name = (account && account.name) || `Account ${id}`;
  const sfLink = salesforceUrl(info && info.salesforce_url, 'Account', id);
  const opportunities = (account && account.opportunities) || [];

  return html`<${Page} title=${name}
      subtitle=${html`<span>Salesforce account <code>${id}</code></span>${account
        ? html`<span>${peopleCount(account.people_count)}</span>` : null}`}
      actions=${html`<${Link} class="button button-primary" href=${`/compose?account=${encodeURIComponent(id)}`}>Email all contacts</${Link}><${Link} class="button" href=${`/campaigns/add?account=${encodeURIComponent(id)}`}>Add all to campaign</${Link}>${sfLink
        ? html`<a class="button" href=${sfLink} target="_blank" rel="noopener noreferrer">Open in Salesforce<span class="ext" aria-hidden="true">↗</span></a>`
        : null}`}>
    ${account
      ? null
      : html`<p class="notice">No active person belongs to this account.</p>`}
    ${opportunities.length
      ? html`<section class="card" aria-labelledby="account-opps">
          <h2 id="account-opps">Opportunities</h2>
          <ul class="chip-list">
            ${opportunities.map((o) => html`<li key=${o.id}>
              <${Link} class="chip" href=${`/opportunities/${encodeURIComponent(o.id)}`}>
                Opportunity ${o.id}<span class="chip-count">${formatCount(o.people_count)}<span class="visually-hidden"> ${o.people_count === 1 ? 'person' : 'people'}</span></span>
              </${Link}>
            </li>`)}
          </ul>
          ${account.more_opportunities
            ? html`<p class="muted list-note">Showing the ${formatCount(opportunities.length)} opportunities with the most people.</p>`
            : null}
        </section>`
      : null}
    <section aria-labelledby="account-people" class="section">
      <h2 id="account-people">People</h2>
      <${PeopleOf} path=${`/api/v1/accounts/${encodeURIComponent(id)}/people`}
        label="People in this account" emptyText="No active people in this account." />
    </section>
    <section class="card card-tabs section" aria-labelledby="account-activity">
      <h2 id="account-activity">Activity</h2>
      <${Tabs} label="Account activity" idPrefix="account" initial=${query && query.get('tab')} tabs=${[
        { id: 'insight', label: 'Insight', content: html`<${InsightPanel} kind="account" id=${id} />` },
        { id: 'emails', label: 'Emails', content: html`<${EmailList} filter=${{ account: id }} label="Emails in this account" showPerson=${true}
        emptyText="No emails to the people of this account yet." />` },
        { id: 'calls', label: 'Calls', content: html`<${CallList} filter=${{ account: id }} label="Calls in this account" emptyText="No calls with the people of this account yet." />` },
        { id: 'activity', label: 'Activity', content: html`<${ActivityHistory} path=${`/api/v1/accounts/${encodeURIComponent(id)}/activities`}
          label="Activity history of this account" showPerson=${true} names=${{ account: id }}
          emptyText="No activities with the people of this account yet." />` },
      ]} />
    </section>
  </${Page}>`;
}
