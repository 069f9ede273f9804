// /admin/users: every user (cursor paging), "New user", role changes at
// once, deactivate (confirmed) and reactivate.
import { useRef, useState } from 'preact/hooks';
import { html } from '../../lib/html.js';
import { api, currentUser } from '../../lib/api.js';
import { Page } from '../../components/page.js';
import { Loading, Empty, ErrorState } from '../../components/states.js';
import { useLoad, fetchAll } from './load.js';
import { ConfirmDialog } from './confirm-dialog.js';
import { Pager } from './pager.js';
import { UserForm } from './user-form.js';
import { AdminsOnly, isForbidden } from './admins-only.js';
import { ROLES, teamNames, roleChangedMessage, pagerStart, pagerNext, pagerPrev, pagerCursor } from './rules.js';

const PAGE = 50;

export function Users({ nav }) {
  const [pager, setPager] = useState(pagerStart);
  const cursor = pagerCursor(pager);
  const list = useLoad(
    (signal) => api('GET', '/api/v1/users', { query: { limit: PAGE, cursor }, signal }),
    [cursor],
  );
  const teams = useLoad((signal) => fetchAll('/api/v1/teams', signal), []);
  const [creating, setCreating] = useState(false);
  const [notice, setNotice] = useState('');
  const [problem, setProblem] = useState(null);
  const [saving, setSaving] = useState(null); // id of the user being changed
  const [confirm, setConfirm] = useState(null); // { user, busy, error }
  const newButton = useRef(null);

  if (isForbidden(list.error)) return html`<${AdminsOnly} error=${list.error} />`;

  const replaceUser = (u) => {
    list.setData((d) => d && { ...d, data: d.data.map((x) => (x.id === u.id ? u : x)) });
    // Your own role changed (another admin exists): the shell follows.
    const me = currentUser.value;
    if (me && me.id === u.id && me.role !== u.role) currentUser.value = { ...me, ...u };
  };

  async function changeRole(u, role) {
    setProblem(null);
    setNotice('');
    setSaving(u.id);
    try {
      replaceUser(await api('PATCH', `/api/v1/users/${u.id}`, { body: { role } }));
      setNotice(roleChangedMessage(u.email, role));
    } catch (err) {
      replaceUser({ ...u }); // puts the select back
      setProblem(`Could not change the role of ${u.email}: ${err.message}`);
    } finally {
      setSaving(null);
    }
  }

  async function deactivate() {
    const u = confirm.user;
    setConfirm({ ...confirm, busy: true, error: null });
    try {
      replaceUser(await api('DELETE', `/api/v1/users/${u.id}`));
      setConfirm(null);
      setProblem(null);
      setNotice(`${u.email} is deactivated: signed out, API tokens revoked.`);
    } catch (err) {
      setConfirm({ user: u, busy: false, error: err.message });
    }
  }

  async function reactivate(u) {
    setProblem(null);
    setNotice('');
    setSaving(u.id);
    try {
      replaceUser(await api('PATCH', `/api/v1/users/${u.id}`, { body: { active: true } }));
      setNotice(`${u.email} is active again.`);
    } catch (err) {
      setProblem(`Could not reactivate ${u.email}: ${err.message}`);
    } finally {
      setSaving(null);
    }
  }

  function created(u) {
    setCreating(false);
    setNotice(`Created ${u.email} (${u.role}).`);
    setProblem(null);
    list.reload();
    if (newButton.current) newButton.current.focus();
  }

  let body;
  if (list.error && !list.data) body = html`<${ErrorState} error=${list.error} onRetry=${list.reload} />`;
  else if (!list.data) body = html`<${Loading} label="Loading users…" />`;
  else if (list.data.data.length === 0) body = html`<${Empty}>No users yet.<//>`;
  else
    body = html`
      <div class="admin-table-wrap">
        <table aria-label="Users" class="admin-table admin-stack" aria-busy=${list.loading ? 'true' : 'false'}>
          <thead>
            <tr><th scope="col">Name</th><th scope="col">Email</th><th scope="col">Role</th><th scope="col">Teams</th><th scope="col">Status</th></tr>
          </thead>
          <tbody>
            ${list.data.data.map((u) => html`
              <tr key=${u.id}>
                <td data-label="Name">${u.name}</td>
                <td data-label="Email" class="admin-wrap">${u.email}</td>
                <td data-label="Role">
                  <select aria-label=${`Role of ${u.email}`} value=${u.role} disabled=${saving === u.id}
                    onChange=${(e) => changeRole(u, e.currentTarget.value)}>
                    ${ROLES.map((r) => html`<option key=${r} value=${r}>${r}</option>`)}
                  </select>
                </td>
                <td data-label="Teams">${teamNames(u) || html`<span class="admin-muted">none</span>`}</td>
                <td data-label="Status">
                  <span class=${u.active ? 'admin-badge admin-badge-ok' : 'admin-badge admin-badge-off'}>${u.active ? 'Active' : 'Inactive'}</span>
                  ${' '}
                  ${u.active
                    ? html`<button type="button" class="admin-small" aria-label=${`Deactivate ${u.email}`}
                        onClick=${() => setConfirm({ user: u, busy: false, error: null })}>Deactivate</button>`
                    : html`<button type="button" class="admin-small" aria-label=${`Reactivate ${u.email}`} disabled=${saving === u.id}
                        onClick=${() => reactivate(u)}>Reactivate</button>`}
                </td>
              </tr>`)}
          </tbody>
        </table>
      </div>
      ${list.error ? html`<${ErrorState} error=${list.error} onRetry=${list.reload} />` : null}
      <${Pager} pager=${pager} count=${list.data.data.length} size=${PAGE} noun="users"
        nextCursor=${list.data.next_cursor} busy=${list.loading}
        onPrev=${() => setPager(pagerPrev(pager))} onNext=${() => setPager(pagerNext(pager, list.data.next_cursor))} />`;

  return html`
    <${Page} title="Users">
      ${nav}
      <div class="admin-toolbar">
        <button type="button" ref=${newButton} aria-expanded=${creating ? 'true' : 'false'}
          onClick=${() => setCreating(!creating)}>New user</button>
      </div>
      ${creating
        ? html`<${UserForm} teams=${teams} onCreated=${created}
            onCancel=${() => { setCreating(false); if (newButton.current) newButton.current.focus(); }} />`
        : null}
      <p role="status" class="admin-notice">${notice}</p>
      ${problem ? html`<p role="alert" class="admin-error">${problem}</p>` : null}
      ${body}
      ${confirm
        ? html`<${ConfirmDialog} title=${`Deactivate ${confirm.user.email}?`} confirmLabel="Deactivate"
            busy=${confirm.busy} error=${confirm.error} onConfirm=${deactivate} onCancel=${() => setConfirm(null)}>
            <p>${confirm.user.name} is signed out at once, cannot sign in again and their API tokens are revoked.
              You can reactivate the account later; revoked tokens stay revoked.</p>
          <//>`
        : null}
    <//>`;
}
