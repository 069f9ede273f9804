// hail's mark (the same drawing as /favicon.svg), decorative.
import { html } from '../lib/html.js';

export function Logo() {
  return html`<svg class="logo" viewBox="0 0 32 32" width="24" height="24" aria-hidden="true" focusable="false">
    <rect width="32" height="32" rx="7" class="logo-bg" />
    <path d="M10 8v16M22 8v16M10 16h12" class="logo-fg" />
  </svg>`;
}
