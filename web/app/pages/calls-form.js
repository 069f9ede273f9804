// The call-log form: outcome (the admin's, answered and not answered apart), reason,
// status, duration, number dialed, caller id used, voicemail drop and notes. The number and
// caller id start as the person's local-presence pair (GET /api/v1/people/{id}/dial, asked
// only when the person has a phone: `dial`). When
// the admin requires an outcome (GET /api/v1/calls/settings) the form says so and checks.
// `submit(input)` sends the CallInput (POST /api/v1/calls, or a call task's complete).
import { useEffect, useState } from 'preact/hooks';
import { html } from '../lib/html.js';
import { api } from '../lib/api.js';
import { Loading, ErrorState } from '../components/states.js';
import { CALL_STATUSES, callInput, outcomeGroups, statusForOutcome } from './calls-format.js';

export function listOf(reply) {
  if (Array.isArray(reply)) return reply;
  return (reply && reply.data) || [];
}

// Everything the form offers, loaded once per form. Voicemail drops and the settings may be
// missing (older servers, or no permission): the form goes on without them.
async function loadChoices(personId, withDial, signal) {
  const soft = (p) => p.catch((e) => {
    if (e.name === 'AbortError') throw e;
    return null;
  });
  const [outcomes, reasons, drops, settings, dial] = await Promise.all([
    api('GET', '/api/v1/call-outcomes', { signal }),
    api('GET', '/api/v1/call-reasons', { signal }),
    soft(api('GET', '/api/v1/voicemail-drops', { query: { limit: 200 }, signal })),
    soft(api('GET', '/api/v1/calls/settings', { signal })),
    withDial ? soft(api('GET', `/api/v1/people/${encodeURIComponent(personId)}/dial`, { signal })) : null,
  ]);
  return {
    outcomes: listOf(outcomes), reasons: listOf(reasons).filter((r) => !r.archived)
      .sort((a, b) => (a.position ?? 0) - (b.position ?? 0) || a.id - b.id),
    drops: listOf(drops), requireOutcome: !!(settings && settings.require_outcome), dial,
  };
}

export function CallForm({ personId, dial = false, idPrefix = 'call', submit, onDone, submitLabel = 'Log call', onCancel }) {
  const [choices, setChoices] = useState({ status: 'loading' });
  const [attempt, setAttempt] = useState(0);
  const [form, setForm] = useState({ outcome: '', reason: '', notes: '', number: '', callerId: '', duration: '', status: 'completed', drop: '' });
  const [statusTouched, setStatusTouched] = useState(false);
  const [errors, setErrors] = useState({});
  const [failure, setFailure] = useState(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const ac = new AbortController();
    setChoices({ status: 'loading' });
    loadChoices(personId, dial, ac.signal).then(
      (data) => {
        setChoices({ status: 'ready', data });
        if (data.dial) setForm((f) => ({ ...f, number: f.number || data.dial.number || '', callerId: f.callerId || data.dial.caller_id || '' }));
      },
      (error) => error.name !== 'AbortError' && setChoices({ status: 'error', error }),
    );
    return () => ac.abort();
  }, [personId, dial, attempt]);

  if (choices.status === 'loading') return html`<${Loading} label="Loading the call form…" />`;
  if (choices.status === 'error') return html`<${ErrorState} error=${choices.error} onRetry=${() => setAttempt(attempt + 1)} />`;
  const c = choices.data;
  const id = (name) => `${idPrefix}-${name}`;
  const set = (name) => (e) => {
    const value = e.currentTarget.value;
    setForm((f) => {
      const next = { ...f, [name]: value };
      if (name === 'outcome' && !statusTouched) {
        const o = c.outcomes.find((x) => String(x.id) === value);
        next.status = statusForOutcome(o) || f.status;
      }
      return next;
    });
    if (name === 'status') setStatusTouched(true);
  };
  const describe = (name, hint) => [hint ? id(`${name}-hint`) : null, errors[name] ? id(`${name}-err`) : null].filter(Boolean).join(' ') || undefined;
  const err = (name) => (errors[name] ? html`<span class="field-error" id=${id(`${name}-err`)}>${errors[name]}</span>` : null);

  async function onSubmit(e) {
    e.preventDefault();
    setFailure(null);
    const r = callInput(form, { personId, requireOutcome: c.requireOutcome });
    if (r.errors) {
      setErrors(r.errors);
      const first = Object.keys(r.errors)[0];
      const el = document.getElementById(id(first));
      if (el) el.focus();
      return;
    }
    setErrors({});
    setBusy(true);
    try {
      const result = await submit(r.input);
      onDone(result);
    } catch (error) {
      setFailure(error.message);
    } finally {
      setBusy(false);
    }
  }

  const groups = outcomeGroups(c.outcomes);
  return html`<form class="form call-form" onSubmit=${onSubmit} noValidate>
    <div class="field-pair">
      <div class="field">
        <label for=${id('outcome')}>Outcome${c.requireOutcome ? ' (required)' : ''}</label>
        <select id=${id('outcome')} value=${form.outcome} onChange=${set('outcome')}
          aria-describedby=${describe('outcome')} aria-invalid=${errors.outcome ? 'true' : undefined}>
          <option value="">${c.requireOutcome ? 'Choose an outcome…' : 'No outcome'}</option>
          ${groups.map((g) => html`<optgroup key=${g.label} label=${g.label}>
            ${g.items.map((o) => html`<option key=${o.id} value=${String(o.id)}>${o.name}</option>`)}
          </optgroup>`)}
        </select>
        ${err('outcome')}
      </div>
      <div class="field">
        <label for=${id('reason')}>Reason</label>
        <select id=${id('reason')} value=${form.reason} onChange=${set('reason')}>
          <option value="">No reason</option>
          ${c.reasons.map((r) => html`<option key=${r.id} value=${String(r.id)}>${r.name}</option>`)}
        </select>
      </div>
    </div>
    <div class="field-pair">
      <div class="field">
        <label for=${id('status')}>Status</label>
        <select id=${id('status')} value=${form.status} onChange=${set('status')}
          aria-describedby=${describe('status')} aria-invalid=${errors.status ? 'true' : undefined}>
          ${CALL_STATUSES.map(([v, label]) => html`<option key=${v} value=${v}>${label}</option>`)}
        </select>
        ${err('status')}
      </div>
      <div class="field">
        <label for=${id('duration')}>Duration</label>
        <input type="text" id=${id('duration')} value=${form.duration} onInput=${set('duration')} inputmode="numeric"
          placeholder="4:30" autocomplete="off" aria-describedby=${describe('duration', true)} aria-invalid=${errors.duration ? 'true' : undefined} />
        <span class="muted field-hint" id=${id('duration-hint')}>minutes:seconds, or seconds</span>
        ${err('duration')}
      </div>
    </div>
    <div class="field-pair">
      <div class="field">
        <label for=${id('number')}>Number dialed</label>
        <input type="text" id=${id('number')} value=${form.number} onInput=${set('number')} autocomplete="off" inputmode="tel" />
      </div>
      <div class="field">
        <label for=${id('callerId')}>Caller ID used</label>
        <input type="text" id=${id('callerId')} value=${form.callerId} onInput=${set('callerId')} autocomplete="off" inputmode="tel" />
      </div>
    </div>
    ${c.drops.length ? html`<div class="field">
      <label for=${id('drop')}>Voicemail drop</label>
      <select id=${id('drop')} value=${form.drop} onChange=${set('drop')}>
        <option value="">None</option>
        ${c.drops.map((d) => html`<option key=${d.id} value=${String(d.id)}>${d.name}</option>`)}
      </select>
    </div>` : null}
    <div class="field">
      <label for=${id('notes')}>Notes</label>
      <textarea id=${id('notes')} rows="4" value=${form.notes} onInput=${set('notes')}
        aria-describedby=${describe('notes')} aria-invalid=${errors.notes ? 'true' : undefined}></textarea>
      ${err('notes')}
    </div>
    ${failure ? html`<div class="form-error" role="alert"><p>Could not log the call: ${failure}</p></div>` : null}
    <div class="form-actions">
      <button type="submit" class="button button-primary" disabled=${busy}>${busy ? 'Logging…' : submitLabel}</button>
      ${onCancel ? html`<button type="button" class="button button-quiet" onClick=${onCancel} disabled=${busy}>Cancel</button>` : null}
    </div>
  </form>`;
}
