// Campaigns (/campaigns): the sales campaigns a user may see — views Mine / Shared with me /
// All in ?view=, search in ?q= —, each with its status, steps and people counts; "New
// campaign"; and "Pause all my campaigns" for a rep's leave (POST /api/v1/me/campaigns/pause,
// asked first) and "Resume my campaigns" on return (steps resume spaced as designed).
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../lib/html.js';
import { api } from '../lib/api.js';
import { Link } from '../lib/router.js';
import { formatDateTime } from '../lib/format.js';
import { Page } from '../components/page.js';
import { Pager } from '../components/paged.js';
import { useSearchList, SearchToolbar, listBody } from '../components/search-list.js';
import { sharingLabel } from './templates-common.js';
import { VIEWS, viewOf, countsLine, stepsLine, statusTone } from './campaigns-rules.js';

export function fetchCampaigns(filters, { cursor, limit, signal }) {
  return api('GET', '/api/v1/campaigns', {
    query: { view: filters.view, q: filters.q || undefined, limit, cursor },
    signal,
  });
}

export function CampaignStatus({ status }) {
  const label = status === 'active' ? 'Active' : status === 'paused' ? 'Paused' : status === 'stopped' ? 'Stopped' : status;
  return html`<span class=${`badge ${statusTone(status, true)}`}>${label}</span>`;
}

function CampaignsTable({ rows, busy }) {
  return html`<div class=${busy ? 'table-wrap is-busy' : 'table-wrap'} role="region"
      aria-label="Campaigns (scrollable)" tabindex="0">
    <table class="table table-campaigns" aria-label="Campaigns" aria-busy=${busy ? 'true' : 'false'}>
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Status</th>
          <th scope="col">Owner</th>
          <th scope="col">Shared with</th>
          <th scope="col">Steps</th>
          <th scope="col">People</th>
          <th scope="col">Changed</th>
        </tr>
      </thead>
      <tbody>
        ${rows.map((c) => html`<tr key=${c.id}>
          <td class="cell-name"><${Link} href=${`/campaigns/${c.id}`}>${c.name}</${Link}>
            ${c.category ? html`<div class="muted">${c.category}</div>` : null}</td>
          <td><${CampaignStatus} status=${c.status} /></td>
          <td>${c.owner.name}</td>
          <td>${sharingLabel(c.sharing)}</td>
          <td>${stepsLine(c)}</td>
          <td>${countsLine(c.counts)}</td>
          <td><time datetime=${c.updated_at}>${formatDateTime(c.updated_at)}</time></td>
        </tr>`)}
      </tbody>
    </table>
  </div>`;
}

// "Pause all my campaigns" / "Resume my campaigns": the state from GET /api/v1/me.
function Leave({ onChanged }) {
  const [me, setMe] = useState({ status: 'loading', pausedAt: null });
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [said, setSaid] = useState('');
  const [error, setError] = useState(null);
  const confirmRef = useRef(null);
  const askRef = useRef(null);
  const saidRef = useRef(null);

  useEffect(() => {
    const ctl = new AbortController();
    api('GET', '/api/v1/me', { signal: ctl.signal }).then(
      (u) => setMe({ status: 'ready', pausedAt: u.campaigns_paused_at || null }),
      (e) => { if (e.name !== 'AbortError') setMe({ status: 'error', pausedAt: null, error: e }); },
    );
    return () => ctl.abort();
  }, []);
  useEffect(() => {
    if (confirming && confirmRef.current) confirmRef.current.focus();
  }, [confirming]);

  async function change(action) {
    setBusy(true);
    setError(null);
    setSaid('');
    try {
      const r = await api('POST', `/api/v1/me/campaigns/${action}`);
      if (action === 'pause') {
        let pausedAt = new Date().toISOString();
        try {
          pausedAt = (await api('GET', '/api/v1/me')).campaigns_paused_at || pausedAt;
        } catch { /* the browser's time will do */ }
        setMe({ status: 'ready', pausedAt });
        setSaid(`All your campaigns are paused: ${r.paused} ${r.paused === 1 ? 'person' : 'people'} paused.`);
      } else {
        setMe({ status: 'ready', pausedAt: null });
        setSaid(`Your campaigns run again: ${r.resumed} ${r.resumed === 1 ? 'person' : 'people'} resumed, spaced as designed.`);
      }
      setConfirming(false);
      if (saidRef.current) saidRef.current.focus();
      onChanged();
    } catch (e) {
      setError(`Could not ${action === 'pause' ? 'pause' : 'resume'} your campaigns: ${e.message}`);
      setConfirming(false);
      if (askRef.current) askRef.current.focus();
    } finally {
      setBusy(false);
    }
  }

  let control = null;
  if (me.status === 'ready' && me.pausedAt) {
    control = html`<p class="camp-leave-state"><span class="badge badge-off">On leave</span> Your campaigns are paused since ${formatDateTime(me.pausedAt)}.</p>
      <button type="button" class="button button-primary" ref=${askRef} onClick=${() => change('resume')} disabled=${busy}>Resume my campaigns</button>`;
  } else if (me.status === 'ready' && confirming) {
    control = html`<span>Pause every campaign you own? Nothing is sent and no task falls due until you resume.</span>
      <button type="button" class="button button-danger" ref=${confirmRef} onClick=${() => change('pause')} disabled=${busy}>Pause all</button>
      <button type="button" class="button button-quiet" onClick=${() => { setConfirming(false); if (askRef.current) askRef.current.focus(); }} disabled=${busy}>Keep running</button>`;
  } else if (me.status === 'ready') {
    control = html`<button type="button" class="button" ref=${askRef} onClick=${() => setConfirming(true)} disabled=${busy}>Pause all my campaigns</button>`;
  } else if (me.status === 'error') {
    control = html`<p class="muted">Could not tell whether your campaigns are paused: ${me.error.message}</p>`;
  }
  return html`<div class="camp-leave">
    <div class="camp-leave-row">${control}</div>
    <p class="camp-said" role="status" tabindex="-1" ref=${saidRef}>${said}</p>
    ${error ? html`<div class="form-error" role="alert"><p>${error}</p></div>` : null}
  </div>`;
}

const EMPTY = {
  mine: 'You have no campaigns yet. Build one with “New campaign”.',
  shared: 'Nobody has shared a campaign with you yet.',
  all: 'No campaigns yet. Build one with “New campaign”.',
};

export function CampaignsPage({ query }) {
  const view = viewOf(query);
  const { list, text, onInput, onView } = useSearchList({
    path: '/campaigns', fetchPage: fetchCampaigns, query, view, defaultView: 'mine',
  });
  const body = listBody(list, {
    noun: 'campaigns',
    emptyText: EMPTY[view],
    table: (state) => html`<${CampaignsTable} rows=${state.rows} busy=${state.busy} />`,
  });

  return html`<${Page} title="Campaigns" wide
      actions=${html`<${Link} href="/campaigns/new" class="button button-primary">New campaign</${Link}>`}>
    <${Leave} onChanged=${() => list.retry()} />
    <${SearchToolbar} id="campaigns-search" label="Search campaigns"
      placeholder="Search by name or category" text=${text} onInput=${onInput}
      views=${VIEWS} view=${view} onView=${onView} name="campaign-view" />
    ${body}
    <${Pager} list=${list} noun="campaigns" />
  </${Page}>`;
}
