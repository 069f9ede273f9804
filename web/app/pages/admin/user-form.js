// The "New user" form: name, email, password (optional: without one the
// user can only use API tokens), role and teams.
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../../lib/html.js';
import { api } from '../../lib/api.js';
import { Loading } from '../../components/states.js';
import { Field } from './field.js';
import { useId } from './load.js';
import { ROLES, validateUser, userCreateBody } from './rules.js';

const ORDER = ['name', 'email', 'password', 'role'];

export function UserForm({ teams, onCreated, onCancel }) {
  const [v, setV] = useState({ name: '', email: '', password: '', role: 'rep', teams: [] });
  const [errors, setErrors] = useState({});
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState(null);
  const refs = { name: useRef(null), email: useRef(null), password: useRef(null), role: useRef(null) };
  const roleId = useId('role');
  const formId = useId('new-user');

  useEffect(() => {
    if (refs.name.current) refs.name.current.focus();
  }, []);

  const set = (k) => (e) => setV({ ...v, [k]: e.currentTarget.value });
  const toggleTeam = (id) => (e) =>
    setV({ ...v, teams: e.currentTarget.checked ? [...v.teams, id] : v.teams.filter((t) => t !== id) });

  async function submit(e) {
    e.preventDefault();
    setFailure(null);
    const errs = validateUser(v);
    setErrors(errs);
    const first = ORDER.find((k) => errs[k]);
    if (first) {
      refs[first].current && refs[first].current.focus();
      return;
    }
    setBusy(true);
    try {
      const user = await api('POST', '/api/v1/users', { body: userCreateBody(v) });
      onCreated(user);
    } catch (err) {
      setFailure(err.message);
      setBusy(false);
    }
  }

  let teamChoices;
  if (teams.error && !teams.data) teamChoices = html`<p class="admin-error">Teams could not be loaded: ${teams.error.message}</p>`;
  else if (!teams.data) teamChoices = html`<${Loading} label="Loading teams…" />`;
  else if (teams.data.length === 0) teamChoices = html`<p class="admin-muted">No teams yet: create them under Teams.</p>`;
  else
    teamChoices = html`
      <ul class="admin-checks">
        ${teams.data.map((t) => html`
          <li key=${t.id}>
            <label><input type="checkbox" checked=${v.teams.includes(t.id)} onChange=${toggleTeam(t.id)} /> ${t.name}</label>
          </li>`)}
      </ul>`;

  return html`
    <form class="admin-form admin-card" onSubmit=${submit} noValidate aria-labelledby=${formId}>
      <h2 id=${formId}>New user</h2>
      <${Field} label="Name" value=${v.name} onInput=${set('name')} error=${errors.name} inputRef=${refs.name}
        autocomplete="off" />
      <${Field} label="Email" type="email" value=${v.email} onInput=${set('email')} error=${errors.email}
        inputRef=${refs.email} autocomplete="off" />
      <${Field} label="Password" type="password" value=${v.password} onInput=${set('password')}
        error=${errors.password} inputRef=${refs.password} autocomplete="new-password"
        hint="At least 8 characters. Leave it empty for an account that only uses API tokens." />
      <div class="admin-field">
        <label for=${roleId}>Role</label>
        <select id=${roleId} ref=${refs.role} value=${v.role} onChange=${set('role')}>
          ${ROLES.map((r) => html`<option key=${r} value=${r}>${r}</option>`)}
        </select>
        ${errors.role ? html`<span class="admin-field-error">${errors.role}</span>` : null}
      </div>
      <fieldset class="admin-fieldset">
        <legend>Teams</legend>
        ${teamChoices}
      </fieldset>
      ${failure ? html`<p role="alert" class="admin-error">${failure}</p>` : null}
      <div class="admin-actions">
        <button type="submit" class="admin-primary" disabled=${busy}>${busy ? 'Creating user…' : 'Create user'}</button>
        <button type="button" onClick=${onCancel} disabled=${busy}>Cancel</button>
      </div>
    </form>`;
}
