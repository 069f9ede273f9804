// One person: every synced field, owner, active/inactive, LinkedIn and Salesforce links,
// the account and opportunity pages, the sales email subscription (GET
// /api/v1/people/{id}/unsubscribes; anyone unsubscribes, admins resubscribe), and the
// activity tabs later releases fill.
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../lib/html.js';
import { api, currentUser } from '../lib/api.js';
import { useResource } from '../lib/use-resource.js';
import { Link } from '../lib/router.js';
import { useAppInfo } from '../lib/app-info.js';
import { personName, formatDateTime, relativeTime, salesforceUrl, safeHttpUrl } from '../lib/format.js';
import { Page } from '../components/page.js';
import { Tabs } from '../components/tabs.js';
import { Loading, ErrorState, Empty } from '../components/states.js';
import { EmailList } from './emails.js';
import { CallAction, CallList } from './calls.js';
import { PersonTasks } from './tasks.js';
import { PersonCampaigns } from './campaigns-person.js';

// Which Salesforce record the person is: a contact when there is a contact id, else a lead.
export function salesforceRecord(p) {
  if (p.sfdc_contact_id) return { object: 'Contact', id: p.sfdc_contact_id };
  if (p.sfdc_lead_id) return { object: 'Lead', id: p.sfdc_lead_id };
  return null;
}

const ACTIVITY_TABS = [
  ['emails', 'Emails', 'Sales emails sent to and received from this person'],
  ['calls', 'Calls', 'Calls with this person'],
  ['campaigns', 'Campaigns', 'The sales campaigns this person is in'],
  ['tasks', 'Tasks', 'Tasks about this person'],
  ['activity', 'Activity', 'The full history of engagement and sales activity'],
];

function code(value) {
  return value === null || value === undefined || value === '' ? null : html`<code>${value}</code>`;
}

function Value({ children }) {
  return children ? children : html`<span class="muted">Not set</span>`;
}

function Field({ term, children }) {
  return html`<div class="field-row"><dt>${term}</dt><dd><${Value}>${children}</${Value}></dd></div>`;
}

// How an unsubscribe came about (the API's source).
const SOURCES = {
  link: 'unsubscribe link',
  one_click: 'one-click unsubscribe',
  manual: 'by hand in hail',
  complaint: 'spam complaint',
  salesforce: 'Salesforce',
};
export function sourceText(source) {
  return SOURCES[source] || source || 'unknown';
}

function Subscription({ personId }) {
  const path = `/api/v1/people/${encodeURIComponent(personId)}`;
  const [state, retry] = useResource(`${path}/unsubscribes`);
  const [fresh, setFresh] = useState(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [said, setSaid] = useState('');
  const [confirming, setConfirming] = useState(false);
  const confirmRef = useRef(null);
  const askRef = useRef(null);
  const saidRef = useRef(null);
  const wasConfirming = useRef(false);
  useEffect(() => {
    if (confirming && confirmRef.current) confirmRef.current.focus();
    else if (wasConfirming.current && askRef.current) askRef.current.focus();
    wasConfirming.current = confirming;
  }, [confirming]);
  useEffect(() => setFresh(null), [state]);

  async function change(action, done) {
    setBusy(true);
    setError(null);
    setSaid('');
    try {
      setFresh(await api('POST', `${path}/${action}`));
      setSaid(done);
      wasConfirming.current = false;
      setConfirming(false);
      if (saidRef.current) saidRef.current.focus();
    } catch (e) {
      setError(`Could not ${action}: ${e.message}`);
      setConfirming(false);
    } finally {
      setBusy(false);
    }
  }

  let content;
  if (state.status === 'loading') content = html`<${Loading} label="Loading the subscription…" />`;
  else if (state.status === 'error') content = html`<${ErrorState} error=${state.error} onRetry=${retry} />`;
  else {
    const u = fresh || state.data;
    const admin = currentUser.value && currentUser.value.role === 'admin';
    content = html`
      <p class="sub-state">${u.unsubscribed
        ? html`<span class="badge badge-bad">Unsubscribed</span> since <time datetime=${u.since} title=${formatDateTime(u.since)}>${formatDateTime(u.since)}</time> (${sourceText(u.source)})`
        : html`<span class="badge badge-ok">Subscribed</span>`}</p>
      <div class="sub-actions">
        ${u.unsubscribed
          ? (admin ? html`<button type="button" class="button" onClick=${() => change('resubscribe', 'Resubscribed to sales email.')} disabled=${busy}>Resubscribe</button>` : null)
          : confirming
            ? html`<span>Unsubscribe this person? No sales email will be sent to them.</span>
              <button type="button" ref=${confirmRef} class="button button-danger" onClick=${() => change('unsubscribe', 'Unsubscribed from sales email.')} disabled=${busy}>Yes, unsubscribe</button>
              <button type="button" class="button button-quiet" onClick=${() => setConfirming(false)} disabled=${busy}>Keep subscribed</button>`
            : html`<button type="button" ref=${askRef} class="button" onClick=${() => setConfirming(true)} disabled=${busy}>Unsubscribe from sales email</button>`}
      </div>
      ${error ? html`<div class="form-error" role="alert"><p>${error}</p></div>` : null}
      <h3 class="detail-sub">History</h3>
      ${u.data.length
        ? html`<ol class="sub-history" aria-label="Subscription history">
            ${u.data.map((h, i) => html`<li key=${i}>
              <time datetime=${h.at}>${formatDateTime(h.at)}</time> — ${h.action === 'unsubscribe' ? 'Unsubscribed' : 'Resubscribed'} (${sourceText(h.source)}${h.email_id ? `, from email ${h.email_id}` : ''})
            </li>`)}
          </ol>`
        : html`<p class="muted">No changes yet: never unsubscribed.</p>`}`;
  }
  return html`<section class="card" aria-labelledby="person-subscription">
    <h2 id="person-subscription">Sales email</h2>
    <p class="sub-said" role="status" tabindex="-1" ref=${saidRef}>${said}</p>
    ${content}
  </section>`;
}

export function PersonPage({ params, query }) {
  const [state, retry] = useResource(`/api/v1/people/${encodeURIComponent(params.id)}`);
  const info = useAppInfo();

  if (state.status === 'loading') {
    return html`<${Page} title="Person"><${Loading} label="Loading the person…" /></${Page}>`;
  }
  if (state.status === 'error') {
    const e = state.error;
    if (e.status === 404 || e.status === 400) {
      return html`<${Page} title="Person not found">
        <${Empty}>
          <p>${e.message}</p>
          <p><${Link} href="/people">Back to People</${Link}></p>
        </${Empty}>
      </${Page}>`;
    }
    return html`<${Page} title="Person"><${ErrorState} error=${e} onRetry=${retry} /></${Page}>`;
  }

  const p = state.data;
  const name = personName(p);
  const sfBase = info && info.salesforce_url;
  const record = salesforceRecord(p);
  const sfLink = record ? salesforceUrl(sfBase, record.object, record.id) : null;
  const linkedin = safeHttpUrl(p.linkedin_url);
  const role = [p.title, p.company].filter(Boolean).join(' · ');

  const actions = html`
    <${Link} class="button button-primary" href=${`/compose?person=${encodeURIComponent(p.id)}`}>Write email</${Link}>
    <${CallAction} key=${p.id} person=${p} />
    <${Link} class="button" href=${`/campaigns/add?person=${encodeURIComponent(p.id)}`}>Add to campaign</${Link}>
    ${linkedin
      ? html`<a class="button" href=${linkedin} target="_blank" rel="noopener noreferrer">LinkedIn profile<span class="ext" aria-hidden="true">↗</span></a>`
      : null}
    ${sfLink
      ? html`<a class="button" href=${sfLink} target="_blank" rel="noopener noreferrer">Open in Salesforce<span class="ext" aria-hidden="true">↗</span></a>`
      : null}`;

  return html`<${Page} title=${name} subtitle=${html`
      <span class=${p.active ? 'badge badge-ok' : 'badge badge-off'}>${p.active ? 'Active' : 'Inactive'}</span>
      ${role ? html`<span>${role}</span>` : null}`} actions=${actions}>
    ${p.active
      ? null
      : html`<p class="notice">This person is inactive: their owner was cleared or they were deleted in Marketo. Their history is kept.</p>`}
    <div class="person-layout">
      <section class="card" aria-labelledby="person-details">
        <h2 id="person-details">Details</h2>
        <dl class="fields">
          <${Field} term="First name">${p.first_name}</${Field}>
          <${Field} term="Last name">${p.last_name}</${Field}>
          <${Field} term="Email">${p.email ? html`<a href=${`mailto:${p.email}`}>${p.email}</a>` : null}</${Field}>
          <${Field} term="Phone">${p.phone ? html`<a href=${`tel:${p.phone.replace(/[^+0-9]/g, '')}`}>${p.phone}</a>` : null}</${Field}>
          <${Field} term="Title">${p.title}</${Field}>
          <${Field} term="Company">${p.company}</${Field}>
          <${Field} term="Source">${p.source}</${Field}>
          <${Field} term="Owner">${p.owner_email}</${Field}>
          <${Field} term="Time zone">${p.time_zone}</${Field}>
          <${Field} term="Status">${p.active ? 'Active' : 'Inactive'}</${Field}>
          <${Field} term="LinkedIn">${linkedin
            ? html`<a href=${linkedin} target="_blank" rel="noopener noreferrer" class="break">${linkedin}</a>`
            : p.linkedin_url}</${Field}>
        </dl>
      </section>
      <section class="card" aria-labelledby="person-records">
        <h2 id="person-records">Records</h2>
        <dl class="fields">
          <${Field} term="Account">${p.sfdc_account_id
            ? html`<${Link} href=${`/accounts/${encodeURIComponent(p.sfdc_account_id)}`}>Account ${p.sfdc_account_id}</${Link}>`
            : null}</${Field}>
          <${Field} term="Opportunity">${p.sfdc_opportunity_id
            ? html`<${Link} href=${`/opportunities/${encodeURIComponent(p.sfdc_opportunity_id)}`}>Opportunity ${p.sfdc_opportunity_id}</${Link}>`
            : null}</${Field}>
          <${Field} term="Salesforce contact id">${code(p.sfdc_contact_id)}</${Field}>
          <${Field} term="Salesforce lead id">${code(p.sfdc_lead_id)}</${Field}>
          <${Field} term="Marketo id">${code(p.marketo_id)}</${Field}>
          <${Field} term="hail id">${code(p.id)}</${Field}>
          <${Field} term="First synced"><time datetime=${p.created_at} title=${formatDateTime(p.created_at)}>${relativeTime(p.created_at)}</time></${Field}>
          <${Field} term="Last changed"><time datetime=${p.updated_at} title=${formatDateTime(p.updated_at)}>${relativeTime(p.updated_at)}</time></${Field}>
        </dl>
      </section>
    </div>
    <${Subscription} key=${p.id} personId=${p.id} />
    <section class="card card-tabs" aria-labelledby="person-activity">
      <h2 id="person-activity">Activity</h2>
      <${Tabs} label="Person activity" idPrefix="person" initial=${query && query.get('tab')} tabs=${ACTIVITY_TABS.map(([id, label, what]) => ({
        id,
        label,
        content: id === 'emails'
          ? html`<${EmailList} filter=${{ person: p.id }} label="Emails" emptyText=${`No emails to ${name} yet.`} />`
          : id === 'calls'
          ? html`<${CallList} filter=${{ person: p.id }} label="Calls" emptyText=${`No calls with ${name} yet.`} />`
          : id === 'tasks'
          ? html`<${PersonTasks} personId=${p.id} name=${name} />`
          : id === 'campaigns' ? html`<${PersonCampaigns} personId=${p.id} name=${name} />`
          : html`<div class="placeholder" data-placeholder=${id}>
          <p><strong>${label}</strong> — this tab arrives in a later release.</p>
          <p class="muted">${what} will be shown here.</p>
        </div>`,
      }))} />
    </section>
  </${Page}>`;
}
