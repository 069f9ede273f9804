// One campaign (/campaigns/:id): status, owner and counts; pause/resume and stop (asked
// first); "Edit campaign" (owner or admin) and "Add people"; tabs People (the members with
// their status and next step; pause, resume and remove one, or remove a selection), Steps
// (the days as built, and the settings) and Report (people by status; per step sent,
// opened, clicked, replied — human events only — and its tasks). ?tab= opens a tab.
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../lib/html.js';
import { api, currentUser } from '../lib/api.js';
import { Link, navigate } from '../lib/router.js';
import { useResource } from '../lib/use-resource.js';
import { formatDateTime } from '../lib/format.js';
import { Page } from '../components/page.js';
import { Tabs } from '../components/tabs.js';
import { Pager, usePagedList } from '../components/paged.js';
import { Loading, Empty, ErrorState } from '../components/states.js';
import { sharingLabel } from './templates-common.js';
import { CampaignStatus } from './campaigns.js';
import {
  MEMBER_STATUSES, statusLabel, statusTone, nextStepText, pauseReasonText, countsLine, stepsLine,
  groupByDay, stepTypeLabel, sendOptionLabel, reportRows, canChange, isEmailStep, memberName,
} from './campaigns-rules.js';

export function MemberStatus({ m }) {
  return html`<span class=${`badge ${statusTone(m.status)}`}>${statusLabel(m.status)}</span>${m.status === 'paused' && m.pause_reason
    ? html`<div class="muted">${pauseReasonText(m.pause_reason)}${m.paused_until ? ` until ${formatDateTime(m.paused_until)}` : ''}</div>` : null}${m.end_reason && !['active', 'scheduled', 'paused'].includes(m.status)
    ? html`<div class="muted">${m.end_reason}</div>` : null}`;
}

export function NextStep({ m }) {
  const text = nextStepText(m);
  if (!text) return html`<span class="muted">—</span>`;
  return html`${text}${' '}<div class="muted">${m.waiting_task_id
    ? 'waiting for its task'
    : m.next_due_at ? html`due <time datetime=${m.next_due_at}>${formatDateTime(m.next_due_at)}</time>` : ''}</div>`;
}

function Members({ campaign, changeable }) {
  const [status, setStatus] = useState('');
  const list = usePagedList((filters, { cursor, limit, signal }) => api('GET', `/api/v1/campaigns/${campaign.id}/members`, {
    query: { status: filters.status || undefined, limit, cursor }, signal,
  }));
  const [selected, setSelected] = useState(() => new Set());
  const [busy, setBusy] = useState(false);
  const [said, setSaid] = useState('');
  const [error, setError] = useState(null);
  const saidRef = useRef(null);
  useEffect(() => { list.load({ status }); setSelected(new Set()); }, [status, campaign.id]);

  async function act(what, fn, done) {
    setBusy(true);
    setError(null);
    setSaid('');
    try {
      await fn();
      setSaid(done);
      setSelected(new Set());
      list.retry();
      if (saidRef.current) saidRef.current.focus();
    } catch (e) {
      setError(`Could not ${what}: ${e.message}`);
    } finally {
      setBusy(false);
    }
  }
  const base = `/api/v1/campaigns/${campaign.id}/members`;
  const pause = (m) => act(`pause ${memberName(m.person)}`, () => api('POST', `${base}/${m.id}/pause`), `${memberName(m.person)} is paused.`);
  const resume = (m) => act(`resume ${memberName(m.person)}`, () => api('POST', `${base}/${m.id}/resume`), `${memberName(m.person)} resumes.`);
  const remove = (m) => act(`remove ${memberName(m.person)}`, () => api('DELETE', `${base}/${m.id}`), `${memberName(m.person)} was removed from the campaign.`);
  const removeSelected = () => act('remove the selected people', async () => {
    const r = await api('POST', `${base}/remove`, { body: { member_ids: [...selected] } });
    return r;
  }, `${selected.size} ${selected.size === 1 ? 'person was' : 'people were'} removed from the campaign.`);

  const { state } = list;
  const live = (m) => ['scheduled', 'active', 'paused'].includes(m.status);
  let body;
  if (state.status === 'error') body = html`<${ErrorState} error=${state.error} onRetry=${list.retry} />`;
  else if (state.status !== 'ready') body = html`<${Loading} label="Loading the people in this campaign…" />`;
  else if (state.rows.length === 0) {
    body = html`<${Empty}><p>${status ? `Nobody is ${statusLabel(status).toLowerCase()} in this campaign.` : 'Nobody is in this campaign yet.'}</p>
      <p><${Link} href=${`/campaigns/add?campaign=${campaign.id}`}>Add people</${Link}></p></${Empty}>`;
  } else {
    const liveRows = state.rows.filter(live);
    const allOn = liveRows.length > 0 && liveRows.every((m) => selected.has(m.id));
    const toggle = (id) => {
      const next = new Set(selected);
      if (next.has(id)) next.delete(id); else next.add(id);
      setSelected(next);
    };
    const toggleAll = () => {
      const next = new Set(selected);
      for (const m of liveRows) { if (allOn) next.delete(m.id); else next.add(m.id); }
      setSelected(next);
    };
    body = html`<div class=${state.busy ? 'table-wrap is-busy' : 'table-wrap'} role="region" aria-label="People in this campaign (scrollable)" tabindex="0">
      <table class="table table-members" aria-label="People in this campaign" aria-busy=${state.busy ? 'true' : 'false'}>
        <thead><tr>
          ${changeable ? html`<th scope="col" class="select-cell"><input type="checkbox" aria-label="Select all on this page"
            checked=${allOn} disabled=${liveRows.length === 0} onChange=${toggleAll} /></th>` : null}
          <th scope="col">Person</th>
          <th scope="col">Status</th>
          <th scope="col">Next step</th>
          <th scope="col">Added</th>
          ${changeable ? html`<th scope="col">Actions</th>` : null}
        </tr></thead>
        <tbody>
          ${state.rows.map((m) => {
            const name = memberName(m.person);
            return html`<tr key=${m.id}>
              ${changeable ? html`<td class="select-cell">${live(m) ? html`<input type="checkbox" aria-label=${`Select ${name}`}
                checked=${selected.has(m.id)} onChange=${() => toggle(m.id)} />` : null}</td>` : null}
              <td class="cell-name"><${Link} href=${`/people/${m.person.id}`}>${name}</${Link}>
                ${m.person.company ? html`<div class="muted">${m.person.company}</div>` : null}</td>
              <td><${MemberStatus} m=${m} /></td>
              <td><${NextStep} m=${m} /></td>
              <td><time datetime=${m.created_at}>${formatDateTime(m.created_at)}</time></td>
              ${changeable ? html`<td class="camp-row-actions">
                ${m.status === 'active' || m.status === 'scheduled' ? html`<button type="button" class="button button-quiet" disabled=${busy}
                  onClick=${() => pause(m)} aria-label=${`Pause ${name}`}>Pause</button>` : null}
                ${m.status === 'paused' ? html`<button type="button" class="button button-quiet" disabled=${busy}
                  onClick=${() => resume(m)} aria-label=${`Resume ${name}`}>Resume</button>` : null}
                ${live(m) ? html`<button type="button" class="button button-quiet" disabled=${busy}
                  onClick=${() => remove(m)} aria-label=${`Remove ${name}`}>Remove</button>` : null}
              </td>` : null}
            </tr>`;
          })}
        </tbody>
      </table>
    </div>`;
  }
  return html`<div class="camp-members">
    <div class="toolbar">
      <div class="field camp-filter">
        <label for="camp-member-status">Show</label>
        <select id="camp-member-status" value=${status} onChange=${(e) => setStatus(e.currentTarget.value)}>
          <option value="">Everyone</option>
          ${MEMBER_STATUSES.map(([k, label]) => html`<option key=${k} value=${k}>${label}</option>`)}
        </select>
      </div>
      ${changeable && selected.size ? html`<div class="selection-bar">
        <span class="muted">${selected.size} selected</span>
        <button type="button" class="button" onClick=${removeSelected} disabled=${busy}>Remove selected</button>
      </div>` : null}
    </div>
    <p class="camp-said" role="status" tabindex="-1" ref=${saidRef}>${said}</p>
    ${error ? html`<div class="form-error" role="alert"><p>${error}</p></div>` : null}
    ${body}
    <${Pager} list=${list} noun="people" />
  </div>`;
}

function StepSummary({ s }) {
  const parts = [];
  if (isEmailStep(s.type)) parts.push(s.template ? `Template “${s.template.name}”` : 'No template');
  if (s.type === 'auto_email') parts.push(s.send_option === 'fixed' ? `at ${s.send_time}` : sendOptionLabel(s.send_option).toLowerCase());
  if (s.follow_up) parts.push('follows up in the same thread');
  if (s.type === 'linkedin') parts.push(s.linkedin_kind === 'inmail' ? 'InMail' : 'connection request');
  if (s.type !== 'auto_email' && s.name) parts.push(`“${s.name}”`);
  if (s.priority === 'high') parts.push('high priority');
  return html`<li class="camp-step-line"><strong>${stepTypeLabel(s.type)}</strong> <span class="muted">${parts.join(' · ')}</span>
    ${s.details ? html`<div class="muted">${s.details}</div>` : null}</li>`;
}

function Steps({ campaign }) {
  const st = campaign.settings || {};
  const yes = (v) => (v ? 'Yes' : 'No');
  return html`<div class="camp-steps-view">
    ${campaign.steps.length === 0 ? html`<${Empty}><p>This campaign has no steps yet.</p></${Empty}>` : html`<ol class="camp-days" aria-label="Days">
      ${groupByDay(campaign.steps).map((g) => html`<li key=${g.day} class="camp-day">
        <h3 class="camp-day-h">Day ${g.day}</h3>
        <ul class="camp-step-list">${g.items.map(({ step }) => html`<${StepSummary} key=${step.position} s=${step} />`)}</ul>
      </li>`)}
    </ol>`}
    <h3 class="detail-sub">Settings</h3>
    <dl class="fields">
      <div class="field-row"><dt>Time zone</dt><dd>${st.time_zone}${st.use_person_time_zone ? ' (the person’s when known)' : ''}</dd></div>
      <div class="field-row"><dt>Skip weekends</dt><dd>${yes(st.skip_weekends)}</dd></div>
      <div class="field-row"><dt>End on reply</dt><dd>${yes(st.end_on_reply)}${st.end_on_reply && st.reply_is_success ? ' (a success)' : ''}</dd></div>
      <div class="field-row"><dt>Remove on bounce</dt><dd>${yes(st.remove_on_bounce)}</dd></div>
      <div class="field-row"><dt>Ignore out-of-office</dt><dd>${yes(st.ignore_out_of_office)}</dd></div>
      <div class="field-row"><dt>Send as</dt><dd>${campaign.sender ? `${campaign.sender.display_name || ''} <${campaign.sender.address}>` : 'The owner’s first sender'}</dd></div>
    </dl>
  </div>`;
}

function Report({ campaign }) {
  const [state, retry] = useResource(`/api/v1/campaigns/${campaign.id}/report`);
  if (state.status === 'loading') return html`<${Loading} label="Loading the report…" />`;
  if (state.status === 'error') return html`<${ErrorState} error=${state.error} onRetry=${retry} />`;
  const r = state.data;
  const rows = reportRows(r, campaign.steps);
  return html`<div class="camp-report">
    <dl class="tpl-stats camp-people-stats" aria-label="People by status">
      ${MEMBER_STATUSES.map(([k, label]) => html`<div key=${k}><dt>${label}</dt><dd>${r.people[k] || 0}</dd></div>`)}
    </dl>
    ${rows.length ? html`<div class="table-wrap" role="region" aria-label="Steps report (scrollable)" tabindex="0">
      <table class="table" aria-label="Steps report">
        <thead><tr>
          <th scope="col">Day</th><th scope="col">Step</th>
          <th scope="col" class="num">Sent</th><th scope="col" class="num">Opened</th>
          <th scope="col" class="num">Clicked</th><th scope="col" class="num">Replied</th>
          <th scope="col" class="num">Bounced</th><th scope="col" class="num">Tasks open</th>
          <th scope="col" class="num">Completed</th><th scope="col" class="num">Skipped</th>
        </tr></thead>
        <tbody>${rows.map((s) => html`<tr key=${s.position}>
          <td>${s.day}</td><td>${s.label}</td>
          <td class="num">${s.sent}</td><td class="num">${s.opened}</td><td class="num">${s.clicked}</td>
          <td class="num">${s.replied}</td><td class="num">${s.bounced}</td><td class="num">${s.tasks_open}</td>
          <td class="num">${s.tasks_completed}</td><td class="num">${s.tasks_skipped}</td>
        </tr>`)}</tbody>
      </table>
    </div>` : html`<${Empty}><p>No steps to report on.</p></${Empty}>`}
    <p class="muted list-note">Opens and clicks count people, not privacy proxies or link scanners.</p>
  </div>`;
}

function Actions({ campaign, onChanged }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [confirm, setConfirm] = useState(null);
  const confirmRef = useRef(null);
  useEffect(() => { if (confirm && confirmRef.current) confirmRef.current.focus(); }, [confirm]);
  async function run(action) {
    setBusy(true);
    setError(null);
    try {
      if (action === 'delete') {
        await api('DELETE', `/api/v1/campaigns/${campaign.id}`);
        navigate('/campaigns', { replace: true });
        return;
      }
      onChanged(await api('POST', `/api/v1/campaigns/${campaign.id}/${action}`), action);
    } catch (e) {
      setError(`Could not ${action} the campaign: ${e.message}`);
    } finally {
      setBusy(false);
      setConfirm(null);
    }
  }
  const stopped = campaign.status === 'stopped';
  return html`<div class="camp-head-actions">
    <div class="detail-actions">
      ${stopped ? null : campaign.status === 'paused'
        ? html`<button type="button" class="button" onClick=${() => run('resume')} disabled=${busy}>Resume campaign</button>`
        : html`<button type="button" class="button" onClick=${() => run('pause')} disabled=${busy}>Pause campaign</button>`}
      ${confirm === 'stop' ? html`<span>Stop for everyone? Their open tasks are skipped; this cannot be undone.</span>
          <button type="button" ref=${confirmRef} class="button button-danger" onClick=${() => run('stop')} disabled=${busy}>Stop campaign</button>
          <button type="button" class="button button-quiet" onClick=${() => setConfirm(null)}>Keep running</button>`
        : confirm === 'delete' ? html`<span>Delete this campaign for good?</span>
          <button type="button" ref=${confirmRef} class="button button-danger" onClick=${() => run('delete')} disabled=${busy}>Delete for good</button>
          <button type="button" class="button button-quiet" onClick=${() => setConfirm(null)}>Keep it</button>`
        : html`${stopped ? null : html`<button type="button" class="button button-quiet" onClick=${() => setConfirm('stop')} disabled=${busy}>Stop…</button>`}
          <button type="button" class="button button-quiet" onClick=${() => setConfirm('delete')} disabled=${busy}>Delete…</button>`}
    </div>
    ${error ? html`<div class="form-error" role="alert"><p>${error}</p></div>` : null}
  </div>`;
}

export function CampaignPage({ params, query }) {
  const [state, retry] = useResource(`/api/v1/campaigns/${encodeURIComponent(params.id)}`);
  const [current, setCurrent] = useState(null);
  const [said, setSaid] = useState('');
  useEffect(() => { setCurrent(null); setSaid(''); }, [params.id, state]);
  const back = html`<${Link} href="/campaigns">All campaigns</${Link}>`;

  if (state.status === 'loading') return html`<${Page} title="Campaign"><${Loading} label="Loading the campaign…" /></${Page}>`;
  if (state.status === 'error') {
    const e = state.error;
    if (e.status === 404 || e.status === 400) {
      return html`<${Page} title="Campaign not found"><${Empty}><p>${e.message}</p><p>${back}</p></${Empty}></${Page}>`;
    }
    return html`<${Page} title="Campaign"><${ErrorState} error=${e} onRetry=${retry} /></${Page}>`;
  }
  const c = current || state.data;
  const changeable = canChange(c, currentUser.value);
  const onChanged = (next, action) => {
    setCurrent(next);
    setSaid(action === 'pause' ? 'The campaign is paused.' : action === 'resume' ? 'The campaign runs again.' : 'The campaign is stopped.');
  };
  return html`<${Page} title=${c.name} wide
      subtitle=${html`${back}<${CampaignStatus} status=${c.status} /><span>by ${c.owner.name}</span>
        ${c.category ? html`<span>${c.category}</span>` : null}<span>Shared with: ${sharingLabel(c.sharing)}</span><span>${stepsLine(c)}</span>`}
      actions=${html`${c.status === 'stopped' ? null : html`<${Link} class="button button-primary" href=${`/campaigns/add?campaign=${c.id}`}>Add people</${Link}>`}
        ${changeable ? html`<${Link} class="button" href=${`/campaigns/${c.id}/edit`}>Edit campaign</${Link}>` : null}`}>
    ${changeable ? html`<${Actions} campaign=${c} onChanged=${onChanged} />` : null}
    <p class="camp-said" role="status">${said}</p>
    <p class="muted">${countsLine(c.counts)}</p>
    <section class="card card-tabs" aria-label="Campaign details">
      <${Tabs} label="Campaign" idPrefix="campaign" initial=${query && query.get('tab')} tabs=${[
        { id: 'people', label: 'People', content: html`<${Members} campaign=${c} changeable=${changeable} />` },
        { id: 'steps', label: 'Steps', content: html`<${Steps} campaign=${c} />` },
        { id: 'report', label: 'Report', content: html`<${Report} key=${c.updated_at} campaign=${c} />` },
      ]} />
    </section>
  </${Page}>`;
}
