// The app's entry point: finds out who is signed in, then renders the sign-in page or the
// shell with the page for the current path.
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from './lib/html.js';
import { location, navigate } from './lib/router.js';
import { currentUser, loadSession } from './lib/api.js';
import { findRoute, safeNext, signInUrl } from './lib/paths.js';
import { routes } from './routes.js';
import { Shell } from './components/shell.js';
import { Lazy } from './components/lazy.js';
import { Loading, ErrorState } from './components/states.js';
import { SignInPage } from './pages/sign-in.js';
import { NotFoundPage } from './pages/not-found.js';

function Centered({ children }) {
  return html`<main id="main" tabindex="-1" class="page page-center">${children}</main>`;
}

function useFocusOnNavigation(path) {
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    const main = document.getElementById('main');
    if (main && !main.contains(document.activeElement)) main.focus({ preventScroll: true });
  }, [path]);
}

function App() {
  const [boot, setBoot] = useState({ state: 'loading' });
  const [attempt, setAttempt] = useState(0);
  const { path, query } = location.value;
  const user = currentUser.value;

  useEffect(() => {
    let live = true;
    setBoot({ state: 'loading' });
    loadSession().then(
      () => live && setBoot({ state: 'ready' }),
      (error) => live && setBoot({ state: 'error', error }),
    );
    return () => {
      live = false;
    };
  }, [attempt]);

  const found = findRoute(routes, path);
  const redirect = boot.state !== 'ready'
    ? null
    : path === '/sign-in'
      ? (user ? safeNext(query.get('next')) : null)
      : !user
        ? signInUrl(path + (query.toString() ? '?' + query.toString() : ''))
        : found && found.route.redirect
          ? found.route.redirect
          : null;

  useEffect(() => {
    if (redirect) navigate(redirect, { replace: true });
  }, [redirect]);

  useFocusOnNavigation(path);

  if (boot.state === 'error') {
    document.title = 'hail';
    return html`<${Centered}>
      <h1>hail</h1>
      <${ErrorState} error=${boot.error} onRetry=${() => setAttempt(attempt + 1)} />
    </${Centered}>`;
  }
  if (boot.state === 'loading' || redirect) {
    return html`<${Centered}><${Loading} label="Loading hail…" /></${Centered}>`;
  }
  if (path === '/sign-in') return html`<${SignInPage} query=${query} />`;

  let body;
  if (!found) {
    body = html`<${NotFoundPage} path=${path} />`;
  } else if (found.route.load) {
    body = html`<${Lazy} load=${found.route.load} props=${{ path, user, query }} />`;
  } else {
    const Component = found.route.component;
    body = html`<${Component} params=${found.params} query=${query} user=${user} path=${path} />`;
  }
  return html`<${Shell} user=${user}>${body}</${Shell}>`;
}

const root = document.getElementById('app');
if (root) {
  root.textContent = '';
  render(html`<${App} />`, root);
}
