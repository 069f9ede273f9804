// Sign in with email and password (the session cookie + CSRF token), then back to `next`.
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../lib/html.js';
import { signIn, ApiError } from '../lib/api.js';
import { navigate } from '../lib/router.js';
import { safeNext } from '../lib/paths.js';
import { retryMessage } from '../lib/format.js';
import { Logo } from '../components/logo.js';

// The line the sign-in form shows for a failed attempt: the API's message; for a 429 first
// when to try again ("Too many attempts. Try again in 42 seconds. <message>").
export function signInError(error) {
  const message = (error && error.message) || 'Could not sign in.';
  if (error instanceof ApiError && error.status === 429) return `${retryMessage(error.retryAfter)} ${message}`;
  return message;
}

export function SignInPage({ query }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const emailRef = useRef(null);
  const passwordRef = useRef(null);
  const next = safeNext(query.get('next'));
  const expired = query.has('next');

  useEffect(() => {
    document.title = 'Sign in · hail';
    if (emailRef.current) emailRef.current.focus();
  }, []);

  async function submit(event) {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      await signIn(email.trim(), password);
      navigate(next, { replace: true });
    } catch (e) {
      setError(e);
      setBusy(false);
      setPassword('');
      if (passwordRef.current) passwordRef.current.focus();
    }
  }

  return html`<main id="main" tabindex="-1" class="signin">
    <div class="signin-card">
      <div class="signin-brand"><${Logo} /><span class="brand-name">hail</span></div>
      <h1>Sign in</h1>
      ${expired && !error
        ? html`<p class="signin-note">Sign in to continue where you were.</p>`
        : null}
      <form class="form" onSubmit=${submit} noValidate>
        <div class="field">
          <label for="signin-email">Email</label>
          <input id="signin-email" ref=${emailRef} type="email" name="email" autocomplete="username"
            required value=${email} onInput=${(e) => setEmail(e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="signin-password">Password</label>
          <input id="signin-password" ref=${passwordRef} type="password" name="password"
            autocomplete="current-password" required value=${password}
            onInput=${(e) => setPassword(e.currentTarget.value)} />
        </div>
        ${error
          ? html`<div class="form-error" role="alert"><p>${signInError(error)}</p></div>`
          : null}
        <button type="submit" class="button button-primary button-block" disabled=${busy}>
          ${busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </div>
  </main>`;
}
