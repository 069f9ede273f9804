// Add people to a campaign (/campaigns/add): who comes from the URL as for the composer —
// ?person=ID (the person page), ?people=1,2,3 (the People list's selection), ?account=ID,
// ?opportunity=ID (their pages) — or, without one, from a people search on the page;
// ?campaign=ID chooses the campaign (the campaign page's "Add people"). Start now or at a
// date and time; a time of day for emails whose time is "chosen when people are added".
// The API's answer per person is shown: added, or refused with its reason and message.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { html } from '../lib/html.js';
import { api } from '../lib/api.js';
import { Link } from '../lib/router.js';
import { createLatest } from '../lib/latest.js';
import { useResource } from '../lib/use-resource.js';
import { personName, formatCount } from '../lib/format.js';
import { Page } from '../components/page.js';
import { Loading, Empty, ErrorState } from '../components/states.js';
import { composeTarget, BULK_MAX } from './compose-rules.js';
import { membersBody, addSummary, refusalLabel, needsLaunchTime, statusLabel } from './campaigns-rules.js';

// The people search when the URL names nobody: tick people to add.
function PeoplePicker({ picked, onPick }) {
  const [q, setQ] = useState('');
  const [state, setState] = useState({ status: 'loading', rows: [], error: null });
  const latest = useMemo(() => createLatest(
    (query, signal) => api('GET', '/api/v1/people', { query: { q: query || undefined, limit: 20 }, signal }),
    {
      delay: 250,
      onStart: () => setState((s) => ({ ...s, status: s.status === 'ready' ? 'ready' : 'loading' })),
      onResult: (r) => setState({ status: 'ready', rows: r.data, error: null }),
      onError: (error) => setState({ status: 'error', rows: [], error }),
    },
  ), []);
  useEffect(() => () => latest.cancel(), [latest]);
  useEffect(() => { latest(q.trim(), { now: q === '' }); }, [q]);

  let list;
  if (state.status === 'error') list = html`<${ErrorState} error=${state.error} onRetry=${() => latest(q.trim(), { now: true })} />`;
  else if (state.status !== 'ready') list = html`<${Loading} label="Loading people…" />`;
  else if (!state.rows.length) list = html`<${Empty}><p>${q ? `No people match “${q}”.` : 'No people yet.'}</p></${Empty}>`;
  else {
    list = html`<ul class="camp-pick-list" aria-label="People found">
      ${state.rows.map((p) => html`<li key=${p.id}><label class="tpl-check">
        <input type="checkbox" checked=${picked.has(p.id)} onChange=${() => onPick(p)} />
        <span>${personName(p)}${p.email ? ` (${p.email})` : ''}${p.company ? ` — ${p.company}` : ''}</span>
      </label></li>`)}
    </ul>`;
  }
  return html`<div class="camp-picker">
    <div class="field">
      <label for="camp-add-q">Find people</label>
      <input id="camp-add-q" type="search" class="input" value=${q} maxLength="256" autocomplete="off"
        placeholder="Name, email or company" onInput=${(e) => setQ(e.currentTarget.value)} />
    </div>
    ${list}
    <p class="muted" role="status">${picked.size ? `${formatCount(picked.size)} selected: ${[...picked.values()].slice(0, 5).map(personName).join(', ')}${picked.size > 5 ? '…' : ''}` : 'Nobody selected yet.'}</p>
  </div>`;
}

function Who({ target }) {
  const [person] = useResource(target && target.kind === 'person' ? `/api/v1/people/${target.id}` : null);
  if (!target) return null;
  if (target.kind === 'person') {
    if (person.status === 'ready') return html`<p>Adding <${Link} href=${`/people/${target.id}`}>${personName(person.data)}</${Link}>${person.data.email ? ` (${person.data.email})` : ''}.</p>`;
    if (person.status === 'error') return html`<p>Adding person ${target.id} <span class="muted">(${person.error.message})</span>.</p>`;
    return html`<${Loading} label="Loading the person…" />`;
  }
  if (target.kind === 'people') {
    return html`<p>Adding the ${formatCount(target.ids.length)} selected ${target.ids.length === 1 ? 'person' : 'people'}.${target.ids.length > BULK_MAX ? ` At most ${formatCount(BULK_MAX)} can be added at once.` : ''}</p>`;
  }
  if (target.kind === 'account') return html`<p>Adding everyone in <${Link} href=${`/accounts/${encodeURIComponent(target.id)}`}>account ${target.id}</${Link}>.</p>`;
  return html`<p>Adding everyone in <${Link} href=${`/opportunities/${encodeURIComponent(target.id)}`}>opportunity ${target.id}</${Link}>.</p>`;
}

// Names for the people in the results the page does not know yet (refused ones first; at
// most 50, four at a time).
async function loadNames(ids, known) {
  const want = ids.filter((id) => !known.has(id)).slice(0, 50);
  const out = new Map(known);
  let next = 0;
  const worker = async () => {
    while (next < want.length) {
      const id = want[next++];
      try {
        out.set(id, await api('GET', `/api/v1/people/${id}`));
      } catch { /* stays "Person <id>" */ }
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  return out;
}

function Results({ result, names, campaignId }) {
  const rows = result.results;
  const name = (id) => (names.get(id) ? personName(names.get(id)) : `Person ${id}`);
  return html`<section class="card" aria-labelledby="camp-add-done">
    <h2 id="camp-add-done">Result</h2>
    <p role="status" class="camp-add-summary">${addSummary(result)}</p>
    ${rows.length ? html`<div class="table-wrap" role="region" aria-label="Results (scrollable)" tabindex="0">
      <table class="table" aria-label="Results">
        <thead><tr><th scope="col">Person</th><th scope="col">Result</th><th scope="col">Why</th></tr></thead>
        <tbody>${rows.map((r) => html`<tr key=${r.person_id}>
          <td class="cell-name"><${Link} href=${`/people/${r.person_id}`}>${name(r.person_id)}</${Link}></td>
          <td>${r.status === 'added' ? html`<span class="badge badge-ok">Added</span>` : html`<span class="badge badge-bad">${refusalLabel(r.reason)}</span>`}</td>
          <td>${r.status === 'added' ? '' : r.message}</td>
        </tr>`)}</tbody>
      </table>
    </div>` : null}
    <p><${Link} href=${`/campaigns/${campaignId}`}>Open the campaign</${Link}></p>
  </section>`;
}

export function CampaignAddPage({ query }) {
  const fromUrl = useMemo(() => composeTarget(query), [query.toString()]);
  const [picked, setPicked] = useState(() => new Map());
  const [campaigns, retryCampaigns] = useResource('/api/v1/campaigns?view=all&limit=200');
  const [campaignId, setCampaignId] = useState(query.get('campaign') || '');
  const [chosen] = useResource(campaignId ? `/api/v1/campaigns/${encodeURIComponent(campaignId)}` : null);
  const [when, setWhen] = useState('now');
  const [startAt, setStartAt] = useState('');
  const [launchTime, setLaunchTime] = useState('09:00');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [done, setDone] = useState(null);
  const doneRef = useRef(null);
  useEffect(() => { if (done && doneRef.current) doneRef.current.focus(); }, [done]);

  const target = fromUrl || (picked.size ? { kind: 'people', ids: [...picked.keys()] } : null);
  const list = campaigns.status === 'ready' ? campaigns.data.data.filter((c) => c.status !== 'stopped' || String(c.id) === campaignId) : [];
  useEffect(() => {
    if (!campaignId && list.length === 1) setCampaignId(String(list[0].id));
  }, [campaigns.status]);
  const launch = chosen.status === 'ready' && needsLaunchTime(chosen.data);
  const tooMany = target && target.kind === 'people' && target.ids.length > BULK_MAX;

  let why = '';
  if (!campaignId) why = 'Choose a campaign.';
  else if (!target) why = 'Choose who to add.';
  else if (tooMany) why = `At most ${formatCount(BULK_MAX)} people at once.`;
  else if (when === 'later' && !startAt) why = 'Choose when they start.';

  function onPick(p) {
    const next = new Map(picked);
    if (next.has(p.id)) next.delete(p.id); else next.set(p.id, p);
    setPicked(next);
  }

  async function onSubmit(event) {
    event.preventDefault();
    if (why || busy) return;
    setBusy(true);
    setError(null);
    try {
      const body = membersBody(target, { startAt: when === 'later' ? startAt : '', launchTime: launch ? launchTime : '' });
      const result = await api('POST', `/api/v1/campaigns/${encodeURIComponent(campaignId)}/members`, { body });
      const known = new Map(picked);
      const refused = result.results.filter((r) => r.status !== 'added').map((r) => r.person_id);
      const added = result.results.filter((r) => r.status === 'added').map((r) => r.person_id);
      const names = await loadNames([...refused, ...added], known);
      setDone({ result, names, campaignId });
    } catch (e) {
      setError(e.message);
    } finally {
      setBusy(false);
    }
  }

  const title = 'Add to campaign';
  if (done) {
    return html`<${Page} title=${title} subtitle=${html`<${Link} href="/campaigns">All campaigns</${Link}>`}>
      <div tabindex="-1" ref=${doneRef}><${Results} ...${done} /></div>
    </${Page}>`;
  }
  let picker;
  if (campaigns.status === 'loading') picker = html`<${Loading} label="Loading campaigns…" />`;
  else if (campaigns.status === 'error') picker = html`<${ErrorState} error=${campaigns.error} onRetry=${retryCampaigns} />`;
  else if (list.length === 0) picker = html`<${Empty}><p>No campaign to add to yet. <${Link} href="/campaigns/new">New campaign</${Link}></p></${Empty}>`;
  else {
    picker = html`<div class="field">
      <label for="camp-add-campaign">Campaign</label>
      <select id="camp-add-campaign" value=${campaignId} onChange=${(e) => setCampaignId(e.currentTarget.value)}>
        <option value="">Choose a campaign…</option>
        ${list.map((c) => html`<option key=${c.id} value=${String(c.id)}>${c.name}${c.status !== 'active' ? ` (${statusLabel(c.status).toLowerCase()})` : ''} — ${c.owner.name}</option>`)}
      </select>
    </div>`;
  }
  return html`<${Page} title=${title} subtitle=${html`<${Link} href="/campaigns">All campaigns</${Link}>`}>
    <form class="card form camp-add" onSubmit=${onSubmit} novalidate aria-label="Add to campaign">
      ${picker}
      <h2 class="compose-h">Who</h2>
      ${fromUrl ? html`<${Who} target=${fromUrl} />` : html`<${PeoplePicker} picked=${picked} onPick=${onPick} />`}
      <fieldset class="schedule">
        <legend>Start</legend>
        <label class="radio"><input type="radio" name="camp-start" value="now" checked=${when === 'now'} onChange=${() => setWhen('now')} /><span>Start now</span></label>
        <label class="radio"><input type="radio" name="camp-start" value="later" checked=${when === 'later'} onChange=${() => setWhen('later')} /><span>Start later</span></label>
        ${when === 'later' ? html`<div class="field">
          <label for="camp-add-at">Start date and time</label>
          <input id="camp-add-at" type="datetime-local" class="input" value=${startAt} onInput=${(e) => setStartAt(e.currentTarget.value)}
            aria-describedby="camp-add-at-hint" />
          <p class="muted" id="camp-add-at-hint">In your browser’s time zone (${Intl.DateTimeFormat().resolvedOptions().timeZone || 'local'}).</p>
        </div>` : null}
      </fieldset>
      ${launch ? html`<div class="field">
        <label for="camp-add-launch">Send time for emails timed when people are added</label>
        <input id="camp-add-launch" type="time" class="input" value=${launchTime} onInput=${(e) => setLaunchTime(e.currentTarget.value)} />
      </div>` : null}
      ${error ? html`<div class="form-error" role="alert"><p>Could not add to the campaign: ${error}</p></div>` : null}
      <div class="compose-actions">
        <button type="submit" class="button button-primary" disabled=${!!why || busy}>${busy ? 'Adding…' : 'Add to campaign'}</button>
        <p class="compose-why muted" role="status">${why}</p>
      </div>
    </form>
  </${Page}>`;
}
