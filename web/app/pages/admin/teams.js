// /admin/teams: create a team, list them by name (cursor paging); each
// name links to its page (/admin/teams/:id).
import { useRef, useState } from 'preact/hooks';
import { html } from '../../lib/html.js';
import { api } from '../../lib/api.js';
import { Link } from '../../lib/router.js';
import { formatDateTime } from '../../lib/format.js';
import { Page } from '../../components/page.js';
import { Loading, Empty, ErrorState } from '../../components/states.js';
import { useLoad } from './load.js';
import { Field } from './field.js';
import { Pager } from './pager.js';
import { AdminsOnly, isForbidden } from './admins-only.js';
import { validateTeamName, pagerStart, pagerNext, pagerPrev, pagerCursor } from './rules.js';

const PAGE = 50;

export function Teams({ nav }) {
  const [pager, setPager] = useState(pagerStart);
  const cursor = pagerCursor(pager);
  const list = useLoad(
    (signal) => api('GET', '/api/v1/teams', { query: { limit: PAGE, cursor }, signal }),
    [cursor],
  );
  const [name, setName] = useState('');
  const [error, setError] = useState(null); // the field's problem
  const [failure, setFailure] = useState(null); // the API's
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState('');
  const input = useRef(null);

  if (isForbidden(list.error)) return html`<${AdminsOnly} error=${list.error} />`;

  async function create(e) {
    e.preventDefault();
    setFailure(null);
    setNotice('');
    const problem = validateTeamName(name);
    setError(problem);
    if (problem) {
      input.current && input.current.focus();
      return;
    }
    setBusy(true);
    try {
      const team = await api('POST', '/api/v1/teams', { body: { name: name.trim() } });
      setName('');
      setNotice(`Team ${team.name} created.`);
      list.reload();
    } catch (err) {
      setFailure(err.message);
    } finally {
      setBusy(false);
    }
  }

  let body;
  if (list.error && !list.data) body = html`<${ErrorState} error=${list.error} onRetry=${list.reload} />`;
  else if (!list.data) body = html`<${Loading} label="Loading teams…" />`;
  else if (list.data.data.length === 0) body = html`<${Empty}>No teams yet. Create the first one above.<//>`;
  else
    body = html`
      <div class="admin-table-wrap">
        <table aria-label="Teams" class="admin-table admin-stack" aria-busy=${list.loading ? 'true' : 'false'}>
          <thead><tr><th scope="col">Name</th><th scope="col">Members</th><th scope="col">Created</th></tr></thead>
          <tbody>
            ${list.data.data.map((t) => html`
              <tr key=${t.id}>
                <td data-label="Name"><${Link} href=${`/admin/teams/${t.id}`}>${t.name}<//></td>
                <td data-label="Members">${t.members.length}</td>
                <td data-label="Created"><time datetime=${t.created_at}>${formatDateTime(t.created_at)}</time></td>
              </tr>`)}
          </tbody>
        </table>
      </div>
      ${list.error ? html`<${ErrorState} error=${list.error} onRetry=${list.reload} />` : null}
      <${Pager} pager=${pager} count=${list.data.data.length} size=${PAGE} noun="teams"
        nextCursor=${list.data.next_cursor} busy=${list.loading}
        onPrev=${() => setPager(pagerPrev(pager))} onNext=${() => setPager(pagerNext(pager, list.data.next_cursor))} />`;

  return html`
    <${Page} title="Teams">
      ${nav}
      <form class="admin-form admin-inline-form" onSubmit=${create} noValidate>
        <${Field} label="New team name" value=${name} inputRef=${input} error=${error} autocomplete="off"
          onInput=${(e) => setName(e.currentTarget.value)} />
        <button type="submit" class="admin-primary" disabled=${busy}>Create team</button>
      </form>
      <p role="status" class="admin-notice">${notice}</p>
      ${failure ? html`<p role="alert" class="admin-error">${failure}</p>` : null}
      ${body}
    <//>`;
}
