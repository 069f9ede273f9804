// A page: sets document.title to "<title> · hail" and renders <main> with the <h1>.
// `heading` overrides the visible h1 (default: title); `actions` sit beside the heading;
// `subtitle` sits under it.
import { useEffect } from 'preact/hooks';
import { html } from '../lib/html.js';

export function pageTitle(title) {
  return title ? `${title} · hail` : 'hail';
}

export function Page({ title, heading, subtitle, actions, children, wide }) {
  useEffect(() => {
    document.title = pageTitle(title);
  }, [title]);
  return html`<main id="main" tabindex="-1" class=${wide ? 'page page-wide' : 'page'}>
    <div class="page-head">
      <div class="page-head-text">
        <h1>${heading !== undefined ? heading : title}</h1>
        ${subtitle ? html`<p class="page-subtitle">${subtitle}</p>` : null}
      </div>
      ${actions ? html`<div class="page-actions">${actions}</div>` : null}
    </div>
    ${children}
  </main>`;
}
