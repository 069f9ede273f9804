// The campaign builder (/campaigns/new, /campaigns/:id/edit): name, category, sharing and
// sender; the settings (time zone, the person's zone, weekends, reply, bounce,
// out-of-office); and the steps as a vertical list of days, each day a list of step cards
// (type, template, when to send, follow-up in the same thread, a task's name, instructions
// and priority). The API validates; its whole message is shown when it refuses
// (e.g. a template with prompts in an automatic email step).
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../lib/html.js';
import { api, currentUser } from '../lib/api.js';
import { Link, navigate } from '../lib/router.js';
import { useResource } from '../lib/use-resource.js';
import { Page } from '../components/page.js';
import { Loading, Empty, ErrorState } from '../components/states.js';
import { SHARING } from './templates-common.js';
import { senderLabel, timeZones } from './compose-rules.js';
import {
  STEP_TYPES, SEND_OPTIONS, LINKEDIN_KINDS, PRIORITIES, blankForm, blankStep, formOf, sortSteps,
  groupByDay, nextDay, hasEarlierEmail, isEmailStep, campaignBody, canChange, stepTypeLabel,
} from './campaigns-rules.js';

const SETTINGS = [
  ['use_person_time_zone', 'Use the person’s time zone when it is known'],
  ['skip_weekends', 'Skip weekends (a 5-day week)'],
  ['end_on_reply', 'End the campaign for a person who replies'],
  ['reply_is_success', 'Count a reply as a success'],
  ['remove_on_bounce', 'Remove a person whose email bounces'],
  ['ignore_out_of_office', 'Ignore out-of-office replies (pause until the day after the return date)'],
];

function StepCard({ step, index, steps, templates, onChange, onRemove, onMove }) {
  const n = index + 1;
  const id = (f) => `step-${step.key}-${f}`;
  const set = (k) => (e) => {
    const el = e.currentTarget;
    onChange(index, { [k]: el.type === 'checkbox' ? el.checked : el.value });
  };
  const email = isEmailStep(step.type);
  const template = templates.find((t) => String(t.id) === String(step.template_id));
  const canFollow = hasEarlierEmail(steps, index);
  const sameDay = (j) => steps[j] && steps[j].day === step.day;
  return html`<fieldset class="camp-step" aria-label=${`Step ${n}`}>
    <legend class="camp-step-legend">Step ${n} · ${stepTypeLabel(step.type)}</legend>
    <div class="camp-step-grid">
      <div class="field camp-day-field">
        <label for=${id('day')}>Day</label>
        <input id=${id('day')} type="number" class="input" min="1" max="365" step="1" value=${step.day}
          onChange=${(e) => onChange(index, { day: Math.max(1, Math.min(365, parseInt(e.currentTarget.value, 10) || 1)) }, true)} />
      </div>
      <div class="field">
        <label for=${id('type')}>Type</label>
        <select id=${id('type')} value=${step.type} onChange=${set('type')}>
          ${STEP_TYPES.map(([k, label]) => html`<option key=${k} value=${k}>${label}</option>`)}
        </select>
      </div>
      ${email ? html`<div class="field camp-wide">
        <label for=${id('template')}>Template</label>
        <select id=${id('template')} value=${String(step.template_id)} onChange=${set('template_id')}
          aria-describedby=${template && template.prompts.length && step.type === 'auto_email' ? id('tpl-hint') : undefined}>
          <option value="">Choose a template…</option>
          ${templates.map((t) => html`<option key=${t.id} value=${String(t.id)}>${t.name}${t.prompts.length ? ' (has prompts)' : ''}</option>`)}
        </select>
        ${template && template.prompts.length && step.type === 'auto_email'
          ? html`<p class="muted camp-hint" id=${id('tpl-hint')}>This template has field prompts: an automatic email cannot fill them; use a manual email step.</p>`
          : null}
      </div>` : null}
      ${step.type === 'auto_email' ? html`<div class="field">
        <label for=${id('send')}>Send</label>
        <select id=${id('send')} value=${step.send_option} onChange=${set('send_option')}>
          ${SEND_OPTIONS.map(([k, label]) => html`<option key=${k} value=${k}>${label}</option>`)}
        </select>
      </div>` : null}
      ${step.type === 'auto_email' && step.send_option === 'fixed' ? html`<div class="field">
        <label for=${id('time')}>Time of day</label>
        <input id=${id('time')} type="time" class="input" value=${step.send_time} onInput=${set('send_time')} required />
      </div>` : null}
      ${step.type === 'linkedin' ? html`<div class="field">
        <label for=${id('li')}>LinkedIn action</label>
        <select id=${id('li')} value=${step.linkedin_kind} onChange=${set('linkedin_kind')}>
          ${LINKEDIN_KINDS.map(([k, label]) => html`<option key=${k} value=${k}>${label}</option>`)}
        </select>
      </div>` : null}
      ${step.type !== 'auto_email' ? html`
        <div class="field">
          <label for=${id('name')}>Task name</label>
          <input id=${id('name')} class="input" value=${step.name} onInput=${set('name')} maxLength="200"
            placeholder=${`${stepTypeLabel(step.type)} (day ${step.day})`} />
        </div>
        <div class="field">
          <label for=${id('priority')}>Priority</label>
          <select id=${id('priority')} value=${step.priority} onChange=${set('priority')}>
            ${PRIORITIES.map(([k, label]) => html`<option key=${k} value=${k}>${label}</option>`)}
          </select>
        </div>
        <div class="field camp-wide">
          <label for=${id('details')}>Instructions</label>
          <textarea id=${id('details')} class="input" rows="2" value=${step.details} onInput=${set('details')} maxLength="4000"></textarea>
        </div>` : null}
      ${email ? html`<label class="tpl-check camp-wide">
        <input type="checkbox" checked=${step.follow_up && canFollow} disabled=${!canFollow} onChange=${set('follow_up')} />
        <span>Follow up to the previous email (same thread: “Re:” subject, the earlier email quoted)${canFollow ? '' : ' — needs an earlier email step'}</span>
      </label>` : null}
    </div>
    <div class="camp-step-actions">
      <button type="button" class="button button-quiet" onClick=${() => onMove(index, -1)} disabled=${!sameDay(index - 1)}
        aria-label=${`Move step ${n} up`}>Move up</button>
      <button type="button" class="button button-quiet" onClick=${() => onMove(index, 1)} disabled=${!sameDay(index + 1)}
        aria-label=${`Move step ${n} down`}>Move down</button>
      <button type="button" class="button button-quiet" onClick=${() => onRemove(index)} disabled=${steps.length === 1}
        aria-label=${`Remove step ${n}`}>Remove</button>
    </div>
  </fieldset>`;
}

function Builder({ campaign, templates, senders, timeZone }) {
  const isNew = !campaign;
  const [form, setForm] = useState(() => (campaign ? formOf(campaign) : blankForm(timeZone)));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [said, setSaid] = useState('');
  const errorRef = useRef(null);
  const nameRef = useRef(null);
  useEffect(() => { if (isNew && nameRef.current) nameRef.current.focus(); }, []);
  useEffect(() => { if (error && errorRef.current) errorRef.current.focus(); }, [error]);

  const set = (k) => (e) => setForm((f) => ({ ...f, [k]: e.currentTarget.value }));
  const setSetting = (k) => (e) => {
    const el = e.currentTarget;
    setForm((f) => ({ ...f, settings: { ...f.settings, [k]: el.type === 'checkbox' ? el.checked : el.value } }));
  };
  function changeStep(i, patch, resort = false) {
    setForm((f) => {
      const steps = f.steps.map((s, j) => (j === i ? { ...s, ...patch } : s));
      return { ...f, steps: resort ? sortSteps(steps) : steps };
    });
    setSaid('');
  }
  function removeStep(i) {
    setForm((f) => ({ ...f, steps: f.steps.filter((_, j) => j !== i) }));
  }
  function moveStep(i, by) {
    setForm((f) => {
      const steps = f.steps.slice();
      const j = i + by;
      if (!steps[j] || steps[j].day !== steps[i].day) return f;
      [steps[i], steps[j]] = [steps[j], steps[i]];
      return { ...f, steps };
    });
  }
  function addStep(day) {
    setForm((f) => {
      const last = f.steps.reduce((m, s, j) => (s.day === day ? j : m), -1);
      const steps = f.steps.slice();
      steps.splice(last + 1, 0, blankStep(day, 'call'));
      return { ...f, steps };
    });
  }
  function addDay() {
    setForm((f) => ({ ...f, steps: [...f.steps, blankStep(nextDay(f.steps), 'auto_email')] }));
  }

  async function onSubmit(event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setSaid('');
    try {
      const body = campaignBody(form);
      if (isNew) {
        const c = await api('POST', '/api/v1/campaigns', { body });
        navigate(`/campaigns/${c.id}?tab=steps`, { replace: true });
      } else {
        const c = await api('PATCH', `/api/v1/campaigns/${campaign.id}`, { body });
        setForm(formOf(c));
        setSaid('Saved.');
      }
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  const tz = timeZones(form.settings.time_zone);
  return html`<form class="camp-builder" onSubmit=${onSubmit} novalidate aria-label=${isNew ? 'New campaign' : 'Edit campaign'}>
    <section class="card" aria-labelledby="camp-about-h">
      <h2 id="camp-about-h">Campaign</h2>
      <div class="camp-grid">
        <div class="field">
          <label for="camp-name">Name</label>
          <input id="camp-name" ref=${nameRef} class="input" value=${form.name} onInput=${set('name')} maxLength="200" required />
        </div>
        <div class="field">
          <label for="camp-category">Category</label>
          <input id="camp-category" class="input" value=${form.category} onInput=${set('category')} maxLength="100" />
        </div>
        <div class="field">
          <label for="camp-sharing">Shared with</label>
          <select id="camp-sharing" value=${form.sharing} onChange=${set('sharing')}>
            ${SHARING.map(([k, label]) => html`<option key=${k} value=${k}>${label}</option>`)}
          </select>
        </div>
        <div class="field">
          <label for="camp-sender">Send as</label>
          <select id="camp-sender" value=${form.sender_id} onChange=${set('sender_id')}>
            <option value="">The owner’s first sender</option>
            ${senders.map((s) => html`<option key=${s.id} value=${String(s.id)}>${senderLabel(s)}</option>`)}
          </select>
        </div>
      </div>
    </section>
    <section class="card" aria-labelledby="camp-settings-h">
      <h2 id="camp-settings-h">Settings</h2>
      <div class="camp-grid">
        <div class="field">
          <label for="camp-tz">Time zone</label>
          <select id="camp-tz" value=${form.settings.time_zone} onChange=${setSetting('time_zone')}>
            ${tz.map((z) => html`<option key=${z} value=${z}>${z}</option>`)}
          </select>
        </div>
      </div>
      <ul class="camp-checks">
        ${SETTINGS.map(([k, label]) => html`<li key=${k}><label class="tpl-check">
          <input type="checkbox" checked=${!!form.settings[k]} onChange=${setSetting(k)} />
          <span>${label}</span>
        </label></li>`)}
      </ul>
      <p class="muted">A person who unsubscribes always leaves the campaign. No email is sent and no task falls due on the holidays an admin sets.</p>
    </section>
    <section class="card" aria-labelledby="camp-steps-h">
      <h2 id="camp-steps-h">Steps</h2>
      ${templates.length === 0 ? html`<p class="notice">You have no templates yet: an email step needs one. <${Link} href="/templates/new">New template</${Link}></p>` : null}
      <ol class="camp-days" aria-label="Days">
        ${groupByDay(form.steps).map((g) => html`<li key=${g.day} class="camp-day">
          <h3 class="camp-day-h">Day ${g.day}</h3>
          <div class="camp-day-steps">
            ${g.items.map(({ step, index }) => html`<${StepCard} key=${step.key} step=${step} index=${index}
              steps=${form.steps} templates=${templates} onChange=${changeStep} onRemove=${removeStep} onMove=${moveStep} />`)}
          </div>
          <button type="button" class="button button-quiet" onClick=${() => addStep(g.day)}>Add a step to day ${g.day}</button>
        </li>`)}
      </ol>
      <button type="button" class="button" onClick=${addDay}>Add a day</button>
    </section>
    ${error ? html`<div class="form-error" role="alert" tabindex="-1" ref=${errorRef}>
      <p>${isNew ? 'Could not create the campaign: ' : 'Could not save the campaign: '}${error.message}</p></div>` : null}
    <div class="camp-actions">
      <p class="tpl-saved" role="status">${said}</p>
      <button type="submit" class="button button-primary" disabled=${busy}>${isNew ? 'Create campaign' : 'Save campaign'}</button>
      <${Link} href=${isNew ? '/campaigns' : `/campaigns/${campaign.id}`} class="button">${isNew ? 'Cancel' : 'Back to the campaign'}</${Link}>
    </div>
  </form>`;
}

export function CampaignBuilderPage({ params }) {
  const isNew = !params.id;
  const [state, retry] = useResource(isNew ? null : `/api/v1/campaigns/${encodeURIComponent(params.id)}`);
  const [templates, retryTemplates] = useResource('/api/v1/templates?limit=200');
  const [senders] = useResource('/api/v1/senders?limit=200');
  const [me] = useResource('/api/v1/me');

  const title = isNew ? 'New campaign' : state.status === 'ready' ? `Edit ${state.data.name}` : 'Edit campaign';
  const back = html`<${Link} href="/campaigns">All campaigns</${Link}>`;
  if (!isNew && state.status === 'error') {
    const e = state.error;
    if (e.status === 404 || e.status === 400) {
      return html`<${Page} title="Campaign not found"><${Empty}><p>${e.message}</p><p>${back}</p></${Empty}></${Page}>`;
    }
    return html`<${Page} title="Campaign"><${ErrorState} error=${e} onRetry=${retry} /></${Page}>`;
  }
  if (templates.status === 'error') {
    return html`<${Page} title=${title}><${ErrorState} error=${templates.error} onRetry=${retryTemplates} /></${Page}>`;
  }
  const meReady = me.status !== 'loading';
  if ((!isNew && state.status !== 'ready') || templates.status !== 'ready' || senders.status === 'loading' || !meReady) {
    return html`<${Page} title=${title} subtitle=${back}><${Loading} label="Loading the builder…" /></${Page}>`;
  }
  const campaign = isNew ? null : state.data;
  if (campaign && !canChange(campaign, currentUser.value)) {
    return html`<${Page} title=${title} subtitle=${back}>
      <p class="notice">Only its owner (${campaign.owner.name}) or an admin can change this campaign.</p>
      <p><${Link} href=${`/campaigns/${campaign.id}`}>Back to the campaign</${Link}></p>
    </${Page}>`;
  }
  const tz = (me.status === 'ready' && me.data.time_zone) || 'UTC';
  return html`<${Page} title=${title} wide subtitle=${back}>
    <${Builder} key=${campaign ? `${campaign.id}:${campaign.updated_at}` : 'new'} campaign=${campaign}
      templates=${templates.data.data} senders=${senders.status === 'ready' ? senders.data.data : []} timeZone=${tz} />
  </${Page}>`;
}
