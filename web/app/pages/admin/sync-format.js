// Pure text for the Marketo sync page, from GET /api/v1/sync/marketo's
// SyncStatus (docs/openapi.json, docs/sync.md). Unit-tested by
// web/test/unit/admin-sync-format.test.mjs.

// 12345 -> "12,345" (grouping done here: the same in every locale and runtime).
export function formatCount(n) {
  const s = String(Math.trunc(Number(n) || 0));
  const neg = s.startsWith('-');
  const digits = neg ? s.slice(1) : s;
  return (neg ? '-' : '') + digits.replace(/\B(?=(\d{3})+$)/g, ',');
}

// "1 person", "12,345 people"; `one`/`many` for other nouns.
export function plural(n, one, many) {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

// Seconds -> "4 s", "2 min 5 s", "1 h 3 min".
export function formatSeconds(sec) {
  const s = Math.max(0, Math.round(Number(sec) || 0));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60), r = s % 60;
  if (m < 60) return r ? `${m} min ${r} s` : `${m} min`;
  const h = Math.floor(m / 60), rm = m % 60;
  return rm ? `${h} h ${rm} min` : `${h} h`;
}

// How long a run took, or null when it has no start or end.
export function runDuration(run) {
  if (!run || !run.started_at || !run.finished_at) return null;
  const ms = Date.parse(run.finished_at) - Date.parse(run.started_at);
  return Number.isFinite(ms) ? formatSeconds(ms / 1000) : null;
}

// interval_s -> "every 5 minutes", "every 30 seconds", "every 1.5 seconds".
export function intervalText(sec) {
  const s = Number(sec);
  if (!Number.isFinite(s) || s <= 0) return 'not scheduled';
  if (s >= 3600 && s % 3600 === 0) return s === 3600 ? 'every hour' : `every ${s / 3600} hours`;
  if (s >= 60 && s % 60 === 0) return s === 60 ? 'every minute' : `every ${s / 60} minutes`;
  return s === 1 ? 'every second' : `every ${s} seconds`;
}

const PHASES = {
  connecting: 'Connecting to Marketo',
  exporting: 'Waiting for Marketo’s export',
  importing: 'Importing people',
  changes: 'Reading changed people',
  deleted: 'Reading deleted people',
  done: 'Finishing',
};

export function phaseLabel(phase) {
  if (PHASES[phase]) return PHASES[phase];
  return phase ? `${phase[0].toUpperCase()}${phase.slice(1)}` : 'Working';
}

// 0–100, or null when the total is not known.
export function progressPercent(progress) {
  if (!progress || !(progress.total > 0)) return null;
  return Math.min(100, Math.floor((progress.people * 100) / progress.total));
}

// The live line while a sync runs, or null when none does.
export function progressText(status) {
  if (!status || !status.running) return null;
  const p = status.progress;
  if (!p) {
    return status.running_pid
      ? `A sync is running in another process (pid ${status.running_pid}).`
      : 'A sync is running.';
  }
  const pct = progressPercent(p);
  const count = p.total > 0
    ? `${formatCount(p.people)} of ${plural(p.total, 'person', 'people')} (${pct}%)`
    : plural(p.people, 'person', 'people');
  return `${phaseLabel(p.phase)} · ${count}`;
}

// "120 people seen · 118 written · 2 deactivated · 5 API calls · 1 error"
export function runCounts(run) {
  if (!run) return '';
  const parts = [
    plural(run.people_seen, 'person seen', 'people seen'),
    `${formatCount(run.people_written)} written`,
    `${formatCount(run.people_deactivated)} deactivated`,
    plural(run.api_calls, 'API call', 'API calls'),
  ];
  if (run.error) parts.push('1 error');
  return parts.join(' · ');
}

// "Incremental sync, started by the server" for the last run.
export function runTitle(run) {
  if (!run) return '';
  const kind = run.kind === 'full' ? 'Full sync' : 'Incremental sync';
  const by = { server: 'the server', api: 'the web app or API', cli: 'the command line' }[run.origin];
  return by ? `${kind}, started by ${by}` : `${kind}, started by ${run.origin}`;
}

export function runStatusLabel(run) {
  if (!run) return 'Never run';
  return { running: 'Running', ok: 'Succeeded', failed: 'Failed' }[run.status] || run.status;
}

// The one-word state shown at the top of the page.
export function stateLabel(status) {
  if (!status) return 'Unknown';
  if (status.running) return 'Syncing';
  if (!status.configured) return 'Not configured';
  if (status.last_run && status.last_run.status === 'failed') return 'Last run failed';
  if (!status.last_run) return 'Never synced';
  return 'Idle';
}

// "12,345 people · 12,000 active"
export function peopleText(people) {
  if (!people) return '';
  return `${plural(people.total, 'person', 'people')} · ${formatCount(people.active)} active`;
}

// What the live region says after a status change from `prev` to `next`:
// the progress while a run goes on, its outcome once it ends (also for a
// run that began and ended between two polls: a new last_run id), else null
// (nothing new to announce).
export function liveMessage(prev, next) {
  if (!next) return null;
  if (next.running) return progressText(next);
  const runId = (s) => (s && s.last_run ? s.last_run.id : null);
  if (prev && (prev.running || (runId(next) !== null && runId(next) !== runId(prev)))) {
    const run = next.last_run;
    if (!run) return 'Sync finished.';
    if (run.status === 'failed') return `Sync failed: ${run.error || 'no reason given'}`;
    return `Sync finished: ${runCounts(run)}.`;
  }
  return null;
}
