// Loading, empty and error states: no page is ever blank.
import { html } from '../lib/html.js';

export function Loading({ label = 'Loading…' } = {}) {
  return html`<div class="state state-loading" role="status">
    <span class="spinner" aria-hidden="true"></span>
    <span>${label}</span>
  </div>`;
}

export function Empty({ children }) {
  return html`<div class="state state-empty">${children}</div>`;
}

export function ErrorState({ error, onRetry }) {
  const message = (error && error.message) || 'Something went wrong.';
  return html`<div class="state state-error" role="alert">
    <p class="state-message">${message}</p>
    ${onRetry
      ? html`<button type="button" class="button" onClick=${() => onRetry()}>Try again</button>`
      : null}
  </div>`;
}
