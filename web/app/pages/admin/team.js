// /admin/teams/:id: rename the team, add and remove members, delete it.
import { useRef, useState } from 'preact/hooks';
import { html } from '../../lib/html.js';
import { api } from '../../lib/api.js';
import { Link, navigate } from '../../lib/router.js';
import { Page } from '../../components/page.js';
import { Loading, Empty, ErrorState } from '../../components/states.js';
import { useLoad, fetchAll, useId } from './load.js';
import { Field } from './field.js';
import { ConfirmDialog } from './confirm-dialog.js';
import { AdminsOnly, isForbidden } from './admins-only.js';
import { validateTeamName, addableUsers } from './rules.js';

export function Team({ id, nav }) {
  const team = useLoad((signal) => api('GET', `/api/v1/teams/${id}`, { signal }), [id]);
  const users = useLoad((signal) => fetchAll('/api/v1/users', signal), []);
  if (isForbidden(team.error)) return html`<${AdminsOnly} error=${team.error} />`;

  const back = html`<p class="admin-back"><${Link} href="/admin/teams">All teams<//></p>`;
  if (team.error && !team.data)
    return html`
      <${Page} title="Team">
        ${nav}
        ${back}
        <${ErrorState} error=${team.error} onRetry=${team.reload} />
      <//>`;
  if (!team.data)
    return html`
      <${Page} title="Team">
        ${nav}
        <${Loading} label="Loading the team…" />
      <//>`;
  return html`<${TeamView} team=${team} users=${users} nav=${nav} back=${back} />`;
}

function TeamView({ team, users, nav, back }) {
  const t = team.data;
  const [name, setName] = useState(t.name);
  const [nameError, setNameError] = useState(null);
  const [pick, setPick] = useState('');
  const [notice, setNotice] = useState('');
  const [problem, setProblem] = useState(null);
  const [busy, setBusy] = useState(false);
  const [confirm, setConfirm] = useState(null); // { busy, error }
  const nameInput = useRef(null);
  const addSelect = useRef(null);
  const addId = useId('add-member');

  async function run(fn) {
    setProblem(null);
    setNotice('');
    setBusy(true);
    try {
      await fn();
    } catch (err) {
      setProblem(err.message);
    } finally {
      setBusy(false);
    }
  }

  function rename(e) {
    e.preventDefault();
    const p = validateTeamName(name);
    setNameError(p);
    if (p) {
      nameInput.current && nameInput.current.focus();
      return;
    }
    run(async () => {
      const updated = await api('PATCH', `/api/v1/teams/${t.id}`, { body: { name: name.trim() } });
      team.setData(updated);
      setName(updated.name);
      setNotice(`Renamed to ${updated.name}.`);
    });
  }

  function add(e) {
    e.preventDefault();
    if (!pick) {
      setProblem('Choose a user to add.');
      return;
    }
    const u = (users.data || []).find((x) => String(x.id) === pick);
    run(async () => {
      team.setData(await api('PUT', `/api/v1/teams/${t.id}/members/${pick}`));
      setPick('');
      setNotice(`${u ? u.email : 'The user'} added to ${t.name}.`);
    });
  }

  function remove(m) {
    run(async () => {
      team.setData(await api('DELETE', `/api/v1/teams/${t.id}/members/${m.id}`));
      setNotice(`${m.email} removed from ${t.name}.`);
      // Its "Remove" button is gone: keep the keyboard user in the members section.
      if (addSelect.current) addSelect.current.focus();
    });
  }

  async function del() {
    setConfirm({ busy: true, error: null });
    try {
      await api('DELETE', `/api/v1/teams/${t.id}`);
      setConfirm(null);
      navigate('/admin/teams');
    } catch (err) {
      setConfirm({ busy: false, error: err.message });
    }
  }

  let candidates;
  if (users.error && !users.data) candidates = html`<p class="admin-error">Users could not be loaded: ${users.error.message}</p>`;
  else if (!users.data) candidates = html`<${Loading} label="Loading users…" />`;
  else {
    const choices = addableUsers(users.data, t.members);
    candidates = html`
      <form class="admin-form admin-inline-form" onSubmit=${add}>
        <div class="admin-field">
          <label for=${addId}>Add member</label>
          <select id=${addId} ref=${addSelect} value=${pick} onChange=${(e) => setPick(e.currentTarget.value)} disabled=${choices.length === 0}>
            <option value="">${choices.length ? 'Choose a user…' : 'Every active user is a member'}</option>
            ${choices.map((u) => html`<option key=${u.id} value=${String(u.id)}>${u.name} (${u.email})</option>`)}
          </select>
        </div>
        <button type="submit" disabled=${busy || choices.length === 0}>Add</button>
      </form>`;
  }

  return html`
    <${Page} title=${t.name}>
      ${nav}
      ${back}
      <form class="admin-form admin-inline-form" onSubmit=${rename} noValidate>
        <${Field} label="Team name" value=${name} inputRef=${nameInput} error=${nameError} autocomplete="off"
          onInput=${(e) => setName(e.currentTarget.value)} />
        <button type="submit" disabled=${busy}>Rename</button>
      </form>
      <p role="status" class="admin-notice">${notice}</p>
      ${problem ? html`<p role="alert" class="admin-error">${problem}</p>` : null}
      <section class="admin-card" aria-labelledby=${`${addId}-h`}>
        <h2 id=${`${addId}-h`}>Members</h2>
        ${candidates}
        ${t.members.length === 0
          ? html`<${Empty}>No members yet.<//>`
          : html`
            <div class="admin-table-wrap">
              <table aria-label="Members" class="admin-table admin-stack">
                <thead><tr><th scope="col">Name</th><th scope="col">Email</th><th scope="col"><span class="admin-sr-only">Actions</span></th></tr></thead>
                <tbody>
                  ${t.members.map((m) => html`
                    <tr key=${m.id}>
                      <td data-label="Name">${m.name}</td>
                      <td data-label="Email" class="admin-wrap">${m.email}</td>
                      <td><button type="button" class="admin-small" aria-label=${`Remove ${m.email}`} disabled=${busy}
                        onClick=${() => remove(m)}>Remove</button></td>
                    </tr>`)}
                </tbody>
              </table>
            </div>`}
      </section>
      <section class="admin-card" aria-labelledby=${`${addId}-del`}>
        <h2 id=${`${addId}-del`}>Delete the team</h2>
        <p>Deleting the team keeps its members; they are just no longer in it.</p>
        <button type="button" class="admin-danger" onClick=${() => setConfirm({ busy: false, error: null })}>Delete team</button>
      </section>
      ${confirm
        ? html`<${ConfirmDialog} title=${`Delete ${t.name}?`} confirmLabel="Delete" busy=${confirm.busy}
            error=${confirm.error} onConfirm=${del} onCancel=${() => setConfirm(null)}>
            <p>${t.members.length === 0 ? 'The team has no members.'
              : t.members.length === 1 ? 'Its 1 member stays, without the team.'
              : `Its ${t.members.length} members stay, without the team.`}</p>
          <//>`
        : null}
    <//>`;
}
