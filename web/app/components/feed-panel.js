// The Live Feed: a panel docked beside every page (a full-screen sheet on a phone), opened and
// closed by the shell's "Live feed" button (remembered in localStorage, with the scope and the
// machine-events switch). While open it holds one EventSource on GET /api/v1/feed/stream and
// shows the first screen from GET /api/v1/feed (asked once the stream is open, so nothing
// falls between the two; repeats are merged away). Each entry: who, what, when, and the
// follow-up actions Email, Call, Add to campaign and Task. New entries are announced in a
// polite live region; the focus never moves for them. The pure part is lib/feed.js.
import { useEffect, useRef, useState } from 'preact/hooks';
import { signal } from '@preact/signals';
import { html } from '../lib/html.js';
import { api } from '../lib/api.js';
import { Link } from '../lib/router.js';
import {
  MAX_ENTRIES, announcement, canChooseScope, connectionLabel, describeEntry, listUrl, loadPrefs, mergeEntries,
  newestId, openFeedStream, savePrefs, scopeChoices, visibleWith,
} from '../lib/feed.js';
import { Loading, Empty, ErrorState } from './states.js';
import { TaskDialog } from './task-dialog.js';
import { Modal } from '../pages/calls-dialog.js';
import { CallForm } from '../pages/calls-form.js';
import { callsChanged } from '../pages/calls.js';

export const PANEL_ID = 'feed-panel';
export const TOGGLE_ID = 'feed-toggle';
const TICK_MS = 30000;
const ANNOUNCE_MS = 1000;
const FIRST_SCREEN_MS = 3000;

function storage() {
  try {
    return typeof window !== 'undefined' ? window.localStorage : null;
  } catch {
    return null;
  }
}

/** The dock's settings { open, scope, showMachine }, shared by the shell and the panel. */
export const feedPrefs = signal(loadPrefs(storage()));
// Set when the user opens the panel (not when a page loads with it open): focus moves into it.
let focusOnOpen = false;

export function setFeedPrefs(changes) {
  feedPrefs.value = { ...feedPrefs.value, ...changes };
  savePrefs(storage(), feedPrefs.value);
}

/** The shell's toggle: "Live feed", pressed while the panel is open. */
export function FeedToggle() {
  const open = feedPrefs.value.open;
  return html`<button type="button" id=${TOGGLE_ID} class="button button-quiet feed-toggle" aria-expanded=${open ? 'true' : 'false'}
    aria-controls=${open ? PANEL_ID : undefined} onClick=${() => {
      focusOnOpen = !open;
      setFeedPrefs({ open: !open });
    }}><span class="feed-dot" aria-hidden="true"></span>Live feed</button>`;
}

function closePanel() {
  setFeedPrefs({ open: false });
  // After the panel is gone (and the page behind it no longer inert).
  setTimeout(() => {
    const t = typeof document !== 'undefined' ? document.getElementById(TOGGLE_ID) : null;
    if (t) t.focus();
  }, 0);
}

export const SHEET_QUERY = '(max-width: 720px)';

// On a phone the panel covers the screen: what is behind it (the header and the page) is
// inert while it is open, so the keyboard and a screen reader stay in the sheet.
function useSheetInert() {
  useEffect(() => {
    if (typeof window === 'undefined' || typeof window.matchMedia !== 'function') return undefined;
    const mq = window.matchMedia(SHEET_QUERY);
    const behind = () => [...document.querySelectorAll('.topbar, .shell-page')];
    const apply = () => {
      for (const el of behind()) {
        if (mq.matches) el.setAttribute('inert', '');
        else el.removeAttribute('inert');
      }
    };
    apply();
    mq.addEventListener('change', apply);
    return () => {
      mq.removeEventListener('change', apply);
      for (const el of behind()) el.removeAttribute('inert');
    };
  }, []);
}

// Parts of a line with a space between them (read as words, not run together).
function spaced(parts) {
  const out = [];
  for (const p of parts) {
    if (!p) continue;
    if (out.length) out.push(' ');
    out.push(p);
  }
  return out;
}

function Entry({ entry, now, onCall, onTask }) {
  const d = describeEntry(entry, now);
  const person = entry.person || { id: d.personId };
  const hidden = html`<span class="visually-hidden"> ${d.who}</span>`;
  return html`<li class=${d.machine ? 'feed-item feed-item-machine' : 'feed-item'}>
    <div class="feed-item-head">
      <${Link} href=${`/people/${encodeURIComponent(d.personId)}`} class="feed-who">${d.who}</${Link}>${' '}
      ${d.when ? html`<time class="feed-when" datetime=${d.when} title=${d.whenTitle}>${d.whenText}</time>` : null}
    </div>
    ${d.company ? html`<p class="feed-company">${d.company}</p>` : null}
    <p class="feed-what">${spaced([
      html`<span class=${`type-badge feed-type-${d.type}`}>${d.what}</span>`,
      d.machine ? html`<span class="badge badge-off feed-machine" title=${d.machineReason || undefined}>machine</span>` : null,
      d.subject ? html`<${Link} href=${`/people/${encodeURIComponent(d.personId)}?tab=emails`} class="feed-subject">“${d.subject}”</${Link}>` : null,
    ])}</p>
    ${d.link || d.campaign || d.detail || d.by ? html`<p class="feed-meta">${spaced([
      d.link ? html`<span>Link: <a href=${d.link} rel="noopener noreferrer" target="_blank" class="break">${d.link}</a></span>` : null,
      d.campaign ? html`<span>Campaign: <${Link} href=${`/campaigns/${encodeURIComponent(d.campaign.id)}`}>${d.campaign.name}</${Link}></span>` : null,
      d.detail ? html`<span>${d.detail}</span>` : null,
      d.by ? html`<span>by ${d.by}</span>` : null,
    ])}</p>` : null}
    <div class="feed-actions" role="group" aria-label=${`Follow up with ${d.who}`}>
      <${Link} href=${`/compose?person=${encodeURIComponent(d.personId)}`} class="button feed-action">Email${hidden}</${Link}>
      <button type="button" class="button feed-action" onClick=${() => onCall(person)}>Call${hidden}</button>
      <${Link} href=${`/campaigns/add?person=${encodeURIComponent(d.personId)}`} class="button feed-action">Add to campaign${hidden}</${Link}>
      <button type="button" class="button feed-action" onClick=${() => onTask(person)}>Task${hidden}</button>
    </div>
  </li>`;
}

export function FeedPanel({ user }) {
  const prefs = feedPrefs.value;
  const filters = { scope: canChooseScope(user) ? prefs.scope : 'team', showMachine: prefs.showMachine };
  const [entries, setEntries] = useState([]);
  const entriesRef = useRef([]);
  const [list, setList] = useState({ status: 'loading', error: null });
  const [hasOlder, setHasOlder] = useState(false);
  const [older, setOlder] = useState({ busy: false, error: null });
  const [conn, setConn] = useState({ state: 'connecting', retryInMs: null });
  const [dropped, setDropped] = useState(null);
  const [announce, setAnnounce] = useState('');
  const [now, setNow] = useState(() => Date.now());
  const [dialog, setDialog] = useState(null); // { kind: 'call' | 'task', person }
  const [said, setSaid] = useState('');
  const streamRef = useRef(null);
  const headingRef = useRef(null);
  const loadFirstRef = useRef(() => {});

  const update = (fn) => {
    entriesRef.current = fn(entriesRef.current);
    setEntries(entriesRef.current);
  };

  useSheetInert();

  useEffect(() => {
    if (focusOnOpen && headingRef.current) headingRef.current.focus();
    focusOnOpen = false;
    const t = setInterval(() => setNow(Date.now()), TICK_MS);
    return () => clearInterval(t);
  }, []);

  // The stream and the first screen, again whenever the filters change.
  useEffect(() => {
    let live = true;
    const ac = new AbortController();
    let asked = false;
    let queue = [];
    let announceTimer = null;
    entriesRef.current = [];
    setEntries([]);
    setList({ status: 'loading', error: null });
    setHasOlder(false);
    setOlder({ busy: false, error: null });
    setDropped(null);

    function loadFirst() {
      asked = true;
      setList({ status: 'loading', error: null });
      api('GET', listUrl(filters), { signal: ac.signal }).then((r) => {
        if (!live) return;
        const data = (r && Array.isArray(r.data) ? r.data : []).filter((e) => visibleWith(e, filters));
        const before = entriesRef.current.length;
        update((cur) => mergeEntries(cur, data));
        setHasOlder(!!(r && r.next) || before + data.length > MAX_ENTRIES);
        setList({ status: 'ready', error: null });
      }, (error) => {
        if (!live || error.name === 'AbortError') return;
        setList({ status: 'error', error });
      });
    }
    loadFirstRef.current = loadFirst;

    const stream = openFeedStream({
      filters,
      resumeFrom: () => newestId(entriesRef.current),
      onEvent: (ev) => {
        if (!live || !visibleWith(ev, filters)) return;
        const known = entriesRef.current.some((e) => e.id === ev.id);
        update((cur) => {
          const next = mergeEntries(cur, [ev]);
          if (cur.length >= MAX_ENTRIES) setHasOlder(true);
          return next;
        });
        if (known) return;
        queue.unshift(ev);
        if (announceTimer === null) {
          announceTimer = setTimeout(() => {
            announceTimer = null;
            if (!live) return;
            setAnnounce(announcement(queue));
            queue = [];
          }, ANNOUNCE_MS);
        }
      },
      onState: (state, info) => {
        if (!live) return;
        setConn({ state, retryInMs: info ? info.retryInMs : null });
        if (state === 'live') setDropped(null);
        // Failing again and again: perhaps the session ended. Asking for it sends the browser
        // to sign in when it did (api.js), and costs nothing when hail is simply away.
        if (state === 'reconnecting' && info && info.retryInMs !== null && info.attempt >= 2) {
          api('GET', '/api/v1/session', { signal: ac.signal }).catch(() => {});
        }
        // The first screen once the stream is open (or could not open): nothing in between.
        if (!asked && state !== 'connecting') loadFirst();
      },
      onDropped: (message) => live && setDropped(message),
    });
    streamRef.current = stream;
    // A stream that neither opens nor fails (a proxy holding it): the first screen anyway.
    const fallback = setTimeout(() => live && !asked && loadFirst(), FIRST_SCREEN_MS);
    return () => {
      live = false;
      clearTimeout(fallback);
      ac.abort();
      stream.stop();
      if (announceTimer !== null) clearTimeout(announceTimer);
      streamRef.current = null;
    };
  }, [filters.scope, filters.showMachine]);

  async function loadOlder() {
    const before = entriesRef.current.length ? entriesRef.current[entriesRef.current.length - 1].id : null;
    setOlder({ busy: true, error: null });
    try {
      const r = await api('GET', listUrl(filters, { before }));
      const data = (r && Array.isArray(r.data) ? r.data : []).filter((e) => visibleWith(e, filters));
      update((cur) => mergeEntries(cur, data));
      setHasOlder(!!(r && r.next) && entriesRef.current.length < MAX_ENTRIES);
      setOlder({ busy: false, error: null });
    } catch (error) {
      setOlder({ busy: false, error });
    }
  }

  const label = connectionLabel(conn.state, conn.retryInMs);
  const choices = scopeChoices(user);
  const shown = entries.filter((e) => visibleWith(e, filters));
  const onKeyDown = (e) => {
    if (e.key === 'Escape' && !e.defaultPrevented && !(e.target.closest && e.target.closest('dialog'))) closePanel();
  };

  let body;
  if (list.status === 'error' && !shown.length) {
    body = html`<${ErrorState} error=${list.error} onRetry=${() => loadFirstRef.current()} />`;
  } else if (list.status === 'loading' && !shown.length) {
    body = html`<${Loading} label="Loading the live feed…" />`;
  } else if (!shown.length) {
    body = html`<${Empty}><p>No activity yet.</p><p class="muted">Opens, clicks, replies and calls show up here as they happen.</p></${Empty}>`;
  } else {
    body = html`
      ${list.status === 'error' ? html`<${ErrorState} error=${list.error} onRetry=${() => loadFirstRef.current()} />` : null}
      <ol class="feed-list" aria-label="Activities">
        ${shown.map((e) => html`<${Entry} key=${e.id} entry=${e} now=${now}
          onCall=${(person) => setDialog({ kind: 'call', person })}
          onTask=${(person) => setDialog({ kind: 'task', person })} />`)}
      </ol>
      ${hasOlder && entries.length < MAX_ENTRIES
        ? html`<div class="feed-more">
            ${older.error ? html`<p class="field-error" role="alert">Could not load older activity: ${older.error.message}</p>` : null}
            <button type="button" class="button" onClick=${loadOlder} disabled=${older.busy}>${older.busy ? 'Loading…' : 'Show older activity'}</button>
          </div>`
        : entries.length >= MAX_ENTRIES
          ? html`<p class="muted feed-more">Showing the latest ${MAX_ENTRIES}. A person’s page has their whole history.</p>`
          : null}`;
  }

  const who = dialog ? describeEntry({ person: dialog.person, person_id: dialog.person.id }).who : '';
  return html`<aside id=${PANEL_ID} class="feed-panel" aria-labelledby="feed-title" onKeyDown=${onKeyDown}>
    <div class="feed-head">
      <h2 id="feed-title" tabindex="-1" ref=${headingRef}>Live feed</h2>
      <span class=${`badge badge-${label.tone === 'ok' ? 'ok' : label.tone === 'off' ? 'off' : 'wait'} feed-state`}>${label.text}</span>
      ${conn.state === 'reconnecting' && conn.retryInMs !== null
        ? html`<button type="button" class="button button-quiet feed-small" onClick=${() => streamRef.current && streamRef.current.reconnectNow()}>Reconnect now</button>`
        : null}
      <button type="button" class="button button-quiet feed-close" onClick=${closePanel}>Close<span class="visually-hidden"> the live feed</span></button>
    </div>
    <div class="feed-controls">
      ${choices.length ? html`<fieldset class="feed-scope">
        <legend class="visually-hidden">Whose activity</legend>
        ${choices.map(([value, text]) => html`<label key=${value} class="feed-radio">
          <input type="radio" name="feed-scope" value=${value} checked=${filters.scope === value}
            onChange=${() => setFeedPrefs({ scope: value })} /> ${text}
        </label>`)}
      </fieldset>` : null}
      <label class="feed-check">
        <input type="checkbox" checked=${filters.showMachine} onChange=${(e) => setFeedPrefs({ showMachine: e.currentTarget.checked })} />
        Show machine events
      </label>
    </div>
    ${dropped ? html`<p class="notice feed-notice" role="alert">${dropped}</p>` : null}
    <p class="feed-said" role="status">${said}</p>
    <div class="visually-hidden" aria-live="polite" aria-atomic="true">${announce}</div>
    <div class="feed-body">${body}</div>
    ${dialog && dialog.kind === 'task' ? html`<${TaskDialog} person=${dialog.person} idPrefix="feed-task"
      onClose=${() => setDialog(null)}
      onDone=${(task) => {
        setDialog(null);
        setSaid(`Task “${task.name}” created for ${who}.`);
      }} />` : null}
    ${dialog && dialog.kind === 'call' ? html`<${Modal} title=${`Log a call with ${who}`} onClose=${() => setDialog(null)}>
      <${CallForm} personId=${dialog.person.id} idPrefix="feed-call"
        submit=${(input) => api('POST', '/api/v1/calls', { body: input })}
        onCancel=${() => setDialog(null)}
        onDone=${() => {
          setDialog(null);
          setSaid(`Call with ${who} logged.`);
          callsChanged();
        }} />
    </${Modal}>` : null}
  </aside>`;
}

/** The dock: the panel when open (else nothing: no stream is held while it is closed). */
export function FeedDock({ user }) {
  if (!feedPrefs.value.open) return null;
  return html`<${FeedPanel} user=${user} />`;
}
