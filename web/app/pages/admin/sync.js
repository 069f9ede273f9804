// /admin/sync: the Marketo sync — state, last run, counts, errors,
// "Sync now", and live progress (Server-Sent Events, else polling).
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../../lib/html.js';
import { api } from '../../lib/api.js';
import { formatDateTime, relativeTime } from '../../lib/format.js';
import { Page } from '../../components/page.js';
import { Loading, ErrorState } from '../../components/states.js';
import { AdminsOnly, isForbidden } from './admins-only.js';
import { watchSyncStatus } from './sync-feed.js';
import {
  stateLabel, progressText, progressPercent, liveMessage, runCounts, runTitle, runStatusLabel,
  runDuration, intervalText, peopleText, formatCount,
} from './sync-format.js';

const STATUS_URL = '/api/v1/sync/marketo';

function When({ iso, empty = 'never' }) {
  if (!iso) return html`<span class="admin-muted">${empty}</span>`;
  return html`<time datetime=${iso}>${formatDateTime(iso)}</time> <span class="admin-muted">(${relativeTime(iso)})</span>`;
}

export function Sync({ nav }) {
  const [status, setStatus] = useState(null);
  const [error, setError] = useState(null); // the first load's
  const [feedError, setFeedError] = useState(null); // a later poll's
  const [mode, setMode] = useState('connecting');
  const [live, setLive] = useState('');
  const [starting, setStarting] = useState(false);
  const [failure, setFailure] = useState(null); // "Sync now" refused
  const [round, setRound] = useState(0);
  const last = useRef(null);

  function take(s) {
    const msg = liveMessage(last.current, s);
    last.current = s;
    setStatus(s);
    setError(null);
    if (msg) setLive(msg);
    if (s.running) setStarting(false);
  }

  useEffect(() => {
    const ac = new AbortController();
    api('GET', STATUS_URL, { signal: ac.signal }).then(
      (s) => !ac.signal.aborted && !last.current && take(s),
      (err) => !ac.signal.aborted && !last.current && setError(err),
    );
    const stop = watchSyncStatus({
      onStatus: take,
      onError: setFeedError,
      onMode: setMode,
      poll: () => api('GET', STATUS_URL, { signal: ac.signal }),
    });
    return () => {
      ac.abort();
      stop();
    };
  }, [round]);

  // aria-disabled, not disabled, while a run goes on: the button keeps the focus.
  const blocked = starting || !!(status && status.running);

  async function syncNow() {
    if (blocked) return;
    setFailure(null);
    setStarting(true);
    setLive('Starting a sync…');
    try {
      take(await api('POST', STATUS_URL));
      setStarting(false);
    } catch (err) {
      setStarting(false);
      setLive('');
      setFailure(err.message);
    }
  }

  if (isForbidden(error)) return html`<${AdminsOnly} error=${error} />`;
  if (!status)
    return html`
      <${Page} title="Marketo sync">
        ${nav}
        ${error
          ? html`<${ErrorState} error=${error} onRetry=${() => { setError(null); setRound((n) => n + 1); }} />`
          : html`<${Loading} label="Loading the sync status…" />`}
      <//>`;

  const s = status;
  const run = s.last_run;
  const pct = s.running ? progressPercent(s.progress) : null;
  const state = stateLabel(s);
  const stateClass = s.running ? 'admin-badge-busy'
    : !s.configured || (run && run.status === 'failed') ? 'admin-badge-off' : 'admin-badge-ok';

  return html`
    <${Page} title="Marketo sync">
      ${nav}
      <section class="admin-card admin-sync-now" aria-labelledby="sync-state-h">
        <h2 id="sync-state-h">State: <span class=${`admin-badge ${stateClass}`}>${state}</span></h2>
        ${!s.configured
          ? html`<p>Marketo is not configured. Set HAIL_MARKETO_URL, HAIL_MARKETO_CLIENT_ID and
              HAIL_MARKETO_CLIENT_SECRET for <code>hail serve</code> and restart it.</p>`
          : null}
        <div class="admin-actions">
          <button type="button" class="admin-primary" onClick=${syncNow} aria-disabled=${blocked ? 'true' : 'false'}
            aria-describedby="sync-now-note">Sync now</button>
          <span id="sync-now-note" class="admin-hint">
            ${s.running ? 'A sync is running.' : 'Runs an incremental sync now (changes since the last one).'}
          </span>
        </div>
        ${failure ? html`<p role="alert" class="admin-error">${failure}</p>` : null}
        <p role="status" class="admin-live">${live}</p>
        ${pct !== null
          ? html`<progress class="admin-progress" max="100" value=${pct} aria-label="Sync progress">${pct}%</progress>`
          : null}
        <p class="admin-muted admin-small-text">
          ${mode === 'live' ? 'Live updates on.'
            : mode === 'polling' ? 'Updating every 2 seconds.' : 'Connecting for live updates…'}
          ${feedError ? ` Could not update: ${feedError.message}. Trying again.` : ''}
        </p>
      </section>

      <section class="admin-card" aria-labelledby="sync-last-h">
        <h2 id="sync-last-h">Last run</h2>
        ${!run
          ? html`<p class="admin-muted">No sync has run yet.</p>`
          : html`
            <dl class="admin-dl">
              <dt>Result</dt><dd><span class=${`admin-badge ${run.status === 'ok' ? 'admin-badge-ok' : run.status === 'failed' ? 'admin-badge-off' : 'admin-badge-busy'}`}>${runStatusLabel(run)}</span></dd>
              <dt>Kind</dt><dd>${runTitle(run)}</dd>
              <dt>Started</dt><dd><${When} iso=${run.started_at} empty="not known" /></dd>
              <dt>Finished</dt><dd><${When} iso=${run.finished_at} empty=${run.status === 'running' ? 'still running' : 'not known'} /></dd>
              ${runDuration(run) ? html`<dt>Took</dt><dd>${runDuration(run)}</dd>` : null}
              <dt>Counts</dt><dd>${runCounts(run)}</dd>
              <dt>Errors</dt>
              <dd>${run.error ? html`<span class="admin-error-text">${run.error}</span>` : 'none'}</dd>
            </dl>`}
      </section>

      <section class="admin-card" aria-labelledby="sync-sched-h">
        <h2 id="sync-sched-h">Schedule and people</h2>
        <dl class="admin-dl">
          <dt>Last success</dt><dd><${When} iso=${s.last_success_at} /></dd>
          <dt>Next run</dt><dd>${s.running ? 'after this one' : html`<${When} iso=${s.next_run_at} empty="not scheduled" />`}</dd>
          <dt>Interval</dt><dd>${s.configured ? intervalText(s.interval_s) : 'not scheduled'}</dd>
          ${s.running && s.running_pid ? html`<dt>Process</dt><dd>pid ${s.running_pid}</dd>` : null}
          <dt>People</dt><dd>${peopleText(s.people)}</dd>
          ${s.running && s.progress ? html`<dt>This run so far</dt><dd>${progressText(s) || formatCount(s.progress.people)}</dd>` : null}
        </dl>
      </section>
    <//>`;
}
