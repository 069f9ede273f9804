// The app's entry point: finds out who is signed in, then renders the sign-in page or the
// shell with the page for the current path.

// Every module of the app (but the lazily loaded admin pages) and of its packages is named
// here, so the browser finds the whole graph in this one file and fetches it at once
// instead of one round trip per level of imports (a unit test keeps the list complete).
import 'preact';
import 'preact/hooks';
import 'htm';
import '@preact/signals';
import '@preact/signals-core';
import './lib/request.js';
import './lib/paths.js';
import './lib/format.js';
import './lib/latest.js';
import './lib/pager.js';
import './lib/html.js';
import './lib/router.js';
import './lib/api.js';
import './lib/app-info.js';
import './lib/use-resource.js';
import './lib/feed.js';
import './components/logo.js';
import './components/states.js';
import './components/page.js';
import './components/tabs.js';
import './components/paged.js';
import './components/search-list.js';
import './components/people-table.js';
import './components/people-list.js';
import './components/lazy.js';
import './components/task-dialog.js';
import './components/feed-panel.js';
import './components/history.js';
import './components/insight.js';
import './components/shell.js';
import './pages/sign-in.js';
import './pages/not-found.js';
import './pages/people.js';
import './pages/person.js';
import './pages/accounts.js';
import './pages/account.js';
import './pages/opportunity.js';
import './pages/compose-rules.js';
import './pages/compose-editor.js';
import './pages/compose-preview.js';
import './pages/compose.js';
import './pages/emails-format.js';
import './pages/emails.js';
import './pages/templates-common.js';
import './pages/templates.js';
import './pages/templates-editor.js';
import './pages/tasks-rules.js';
import './pages/tasks-nav.js';
import './pages/calls-format.js';
import './pages/calls-dialog.js';
import './pages/calls-form.js';
import './pages/calls.js';
import './pages/tasks-email.js';
import './pages/tasks-work.js';
import './pages/tasks.js';
import './pages/campaigns-rules.js';
import './pages/campaigns.js';
import './pages/campaigns-builder.js';
import './pages/campaigns-detail.js';
import './pages/campaigns-person.js';
import './pages/campaigns-add.js';
import './pages/best-bets.js';
import './pages/reports.js';
import './pages/panel.js';
import './pages/filters-rules.js';
import './pages/filters.js';
import './pages/triggers-panel.js';
import './routes.js';

import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from './lib/html.js';
import { location, navigate } from './lib/router.js';
import { currentUser, loadSession } from './lib/api.js';
import { findRoute, safeNext, signInUrl } from './lib/paths.js';
import { routes } from './routes.js';
import { Shell } from './components/shell.js';
import { Logo } from './components/logo.js';
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
      <h1 class="boot-title"><${Logo} /><span>hail</span></h1>
      <${ErrorState} error=${boot.error} onRetry=${() => setAttempt(attempt + 1)} />
      <p class="muted boot-hint">The app could not start. If this goes on, check that hail is running.</p>
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
  if (found && found.route.bare) return body;
  return html`<${Shell} user=${user}>${body}</${Shell}>`;
}

const root = document.getElementById('app');
if (root) {
  root.textContent = '';
  render(html`<${App} />`, root);
}
