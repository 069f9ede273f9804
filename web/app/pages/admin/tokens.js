// /admin/tokens and /tokens: the signed-in user's own API tokens. Create
// (the secret is shown once, with a copy button), list, revoke (confirmed).
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../../lib/html.js';
import { api } from '../../lib/api.js';
import { formatDateTime } from '../../lib/format.js';
import { Page } from '../../components/page.js';
import { Loading, Empty, ErrorState } from '../../components/states.js';
import { useLoad, useId } from './load.js';
import { Field } from './field.js';
import { Pager } from './pager.js';
import { ConfirmDialog } from './confirm-dialog.js';
import { validateTokenName, tokenLabel, pagerStart, pagerNext, pagerPrev, pagerCursor } from './rules.js';

const PAGE = 50;

export function Tokens({ nav = null }) {
  const [pager, setPager] = useState(pagerStart);
  const cursor = pagerCursor(pager);
  const list = useLoad(
    (signal) => api('GET', '/api/v1/tokens', { query: { limit: PAGE, cursor }, signal }),
    [cursor],
  );
  const [name, setName] = useState('');
  const [nameError, setNameError] = useState(null);
  const [failure, setFailure] = useState(null);
  const [busy, setBusy] = useState(false);
  const [fresh, setFresh] = useState(null); // { name, token } just created
  const [notice, setNotice] = useState('');
  const [confirm, setConfirm] = useState(null); // { token, busy, error }
  const input = useRef(null);

  async function create(e) {
    e.preventDefault();
    setFailure(null);
    setNotice('');
    const p = validateTokenName(name);
    setNameError(p);
    if (p) {
      input.current && input.current.focus();
      return;
    }
    setBusy(true);
    try {
      const made = await api('POST', '/api/v1/tokens', { body: { name: name.trim() } });
      setFresh(made);
      setName('');
      list.reload();
    } catch (err) {
      setFailure(err.message);
    } finally {
      setBusy(false);
    }
  }

  async function revoke() {
    const t = confirm.token;
    setConfirm({ ...confirm, busy: true, error: null });
    try {
      await api('DELETE', `/api/v1/tokens/${t.id}`);
      setConfirm(null);
      if (fresh && fresh.id === t.id) setFresh(null);
      setNotice(`Token ${tokenLabel(t)} revoked: anything using it stops working now.`);
      list.reload();
    } catch (err) {
      setConfirm({ token: t, busy: false, error: err.message });
    }
  }

  let body;
  if (list.error && !list.data) body = html`<${ErrorState} error=${list.error} onRetry=${list.reload} />`;
  else if (!list.data) body = html`<${Loading} label="Loading your API tokens…" />`;
  else if (list.data.data.length === 0 && pager.index === 0) body = html`<${Empty}>You have no API tokens.<//>`;
  else
    body = html`
      <div class="admin-table-wrap">
        <table aria-label="Your API tokens" class="admin-table admin-stack" aria-busy=${list.loading ? 'true' : 'false'}>
          <thead>
            <tr><th scope="col">Name</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col"><span class="admin-sr-only">Actions</span></th></tr>
          </thead>
          <tbody>
            ${list.data.data.map((t) => html`
              <tr key=${t.id}>
                <td data-label="Name">${t.name != null ? t.name : html`<span class="admin-muted">no name</span>`}
                  ${' '}<code class="admin-prefix" title="the token starts with this">${t.prefix}…</code></td>
                <td data-label="Created"><time datetime=${t.created_at}>${formatDateTime(t.created_at)}</time></td>
                <td data-label="Last used">${t.last_used_at
                  ? html`<time datetime=${t.last_used_at}>${formatDateTime(t.last_used_at)}</time>`
                  : html`<span class="admin-muted">Never</span>`}</td>
                <td><button type="button" class="admin-small" aria-label=${`Revoke ${tokenLabel(t)}`}
                  onClick=${() => setConfirm({ token: t, busy: false, error: null })}>Revoke</button></td>
              </tr>`)}
          </tbody>
        </table>
      </div>
      ${list.error ? html`<${ErrorState} error=${list.error} onRetry=${list.reload} />` : null}
      <${Pager} pager=${pager} count=${list.data.data.length} size=${PAGE} noun="tokens"
        nextCursor=${list.data.next_cursor} busy=${list.loading}
        onPrev=${() => setPager(pagerPrev(pager))} onNext=${() => setPager(pagerNext(pager, list.data.next_cursor))} />`;

  return html`
    <${Page} title="API tokens">
      ${nav}
      <p>A token lets a script or another tool use hail’s API as you: send it as
        <code>Authorization: Bearer …</code>. It stops working when you revoke it or your account is deactivated.</p>
      <form class="admin-form admin-inline-form" onSubmit=${create} noValidate>
        <${Field} label="Token name" value=${name} inputRef=${input} error=${nameError} autocomplete="off"
          hint="What uses it, e.g. laptop or nightly export." onInput=${(e) => setName(e.currentTarget.value)} />
        <button type="submit" class="admin-primary" disabled=${busy}>Create token</button>
      </form>
      ${failure ? html`<p role="alert" class="admin-error">${failure}</p>` : null}
      ${fresh ? html`<${NewToken} made=${fresh} onDone=${() => setFresh(null)} />` : null}
      <p role="status" class="admin-notice">${notice}</p>
      ${body}
      ${confirm
        ? html`<${ConfirmDialog} title=${`Revoke ${tokenLabel(confirm.token)}?`} confirmLabel="Revoke"
            busy=${confirm.busy} error=${confirm.error} onConfirm=${revoke} onCancel=${() => setConfirm(null)}>
            <p>Anything that uses this token stops working at once. This cannot be undone.</p>
          <//>`
        : null}
    <//>`;
}

// The secret of a token just created: shown once, readonly, with "Copy".
function NewToken({ made, onDone }) {
  const id = useId('new-token');
  const box = useRef(null);
  const [copied, setCopied] = useState('');
  useEffect(() => {
    if (box.current) {
      box.current.focus();
      box.current.select();
    }
  }, [made.id]);

  async function copy() {
    try {
      await navigator.clipboard.writeText(made.token);
      setCopied('Copied to the clipboard.');
    } catch {
      box.current.select();
      setCopied('Select the token and copy it (Ctrl+C or ⌘C): the browser did not allow copying.');
    }
  }

  return html`
    <section class="admin-card admin-new-token" aria-labelledby=${`${id}-h`}>
      <h2 id=${`${id}-h`}>Token ${made.name} created</h2>
      <div class="admin-field">
        <label for=${id}>New token</label>
        <span id=${`${id}-note`} class="admin-hint admin-strong">Copy it now: it is shown only once. Keep it as secret as a password.</span>
        <input id=${id} ref=${box} class="admin-secret" readonly value=${made.token} aria-describedby=${`${id}-note`}
          spellcheck="false" autocomplete="off" onFocus=${(e) => e.currentTarget.select()} />
      </div>
      <div class="admin-actions">
        <button type="button" class="admin-primary" onClick=${copy}>Copy</button>
        <button type="button" onClick=${onDone}>Done</button>
      </div>
      <p role="status" class="admin-notice">${copied}</p>
    </section>`;
}
