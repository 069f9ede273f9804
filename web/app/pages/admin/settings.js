// /settings: the signed-in user's own settings (any role). For now one: the time zone
// (GET /api/v1/me, GET /api/v1/time-zones, PATCH /api/v1/me {time_zone}), in which
// task queues count "today" and "tomorrow" and due dates show (docs/campaigns.md "Time").
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../../lib/html.js';
import { api, currentUser } from '../../lib/api.js';
import { Page } from '../../components/page.js';
import { Loading, ErrorState } from '../../components/states.js';
import { useLoad, useId } from './load.js';
import { browserZoneOffer, localTimeIn, zoneChoices } from './time-rules.js';

function browserZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || null;
  } catch {
    return null;
  }
}

export function Settings() {
  const data = useLoad(async (signal) => {
    const [me, zones] = await Promise.all([
      api('GET', '/api/v1/me', { signal }),
      api('GET', '/api/v1/time-zones', { signal }),
    ]);
    return { me, zones: zones.data };
  }, []);
  const [zone, setZone] = useState(null);
  const [failure, setFailure] = useState(null);
  const [notice, setNotice] = useState('');
  const [busy, setBusy] = useState(false);
  const selectId = useId('tz');
  const hintId = `${selectId}-hint`;
  const select = useRef(null);

  useEffect(() => {
    if (data.data && zone === null) setZone(data.data.me.time_zone);
  }, [data.data]);

  async function save(value) {
    setFailure(null);
    setNotice('');
    setBusy(true);
    try {
      const me = await api('PATCH', '/api/v1/me', { body: { time_zone: value } });
      data.setData((d) => ({ ...d, me }));
      setZone(me.time_zone);
      if (currentUser.value && currentUser.value.id === me.id) currentUser.value = { ...currentUser.value, time_zone: me.time_zone };
      setNotice(`Your time zone is now ${me.time_zone}.`);
    } catch (err) {
      setFailure(`Could not change your time zone: ${err.message}`);
      if (select.current) select.current.focus();
    } finally {
      setBusy(false);
    }
  }

  function submit(e) {
    e.preventDefault();
    save(zone);
  }

  let body;
  if (data.error && !data.data) body = html`<${ErrorState} error=${data.error} onRetry=${data.reload} />`;
  else if (!data.data || zone === null) body = html`<${Loading} label="Loading your settings…" />`;
  else {
    const { me, zones } = data.data;
    const offer = browserZoneOffer(zones, me.time_zone, browserZone());
    const there = localTimeIn(me.time_zone);
    body = html`
      <section class="admin-card admin-settings" aria-labelledby=${`${selectId}-title`}>
        <h2 id=${`${selectId}-title`}>Time zone</h2>
        <p class="admin-muted">Signed in as ${me.name || me.email} (${me.email}).</p>
        <form class="admin-form" onSubmit=${submit} noValidate>
          <div class="admin-field">
            <label for=${selectId}>Your time zone</label>
            <span id=${hintId} class="admin-hint">Your task queues (Overdue, Today, Tomorrow, Next 7 days) count days in this zone.</span>
            <select id=${selectId} ref=${select} aria-describedby=${hintId} value=${zone}
              onChange=${(e) => setZone(e.currentTarget.value)}>
              ${zoneChoices(zones, me.time_zone).map((z) => html`<option key=${z} value=${z}>${z}</option>`)}
            </select>
          </div>
          <div class="admin-actions">
            <button type="submit" class="admin-primary" disabled=${busy || zone === me.time_zone}>Save time zone</button>
            ${offer ? html`<button type="button" disabled=${busy} onClick=${() => save(offer)}>Use this browser's zone (${offer})</button>` : null}
          </div>
        </form>
        <p class="admin-muted">Now set: <strong class="admin-strong">${me.time_zone}</strong>${there ? html`, where it is ${there}` : null}.</p>
      </section>`;
  }

  return html`<${Page} title="My settings">
    <p role="status" class="admin-notice">${notice}</p>
    ${failure ? html`<p role="alert" class="admin-error">${failure}</p>` : null}
    ${body}
  <//>`;
}
