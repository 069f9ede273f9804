import { html } from '../lib/html.js';
import { Link } from '../lib/router.js';
import { Page } from '../components/page.js';
import { Empty } from '../components/states.js';

export function NotFoundPage({ path }) {
  return html`<${Page} title="Page not found">
    <${Empty}>
      <p>There is no page at <code>${path}</code>.</p>
      <p><${Link} href="/people">Go to People</${Link}></p>
    </${Empty}>
  </${Page}>`;
}
