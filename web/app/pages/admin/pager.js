// "Previous page" / "Next page" for a cursor-paged list, with "Showing 1–50".
import { html } from '../../lib/html.js';
import { rangeText } from './rules.js';

export function Pager({ pager, count, size, noun, nextCursor, onPrev, onNext, busy }) {
  const first = pager.index === 0;
  if (first && !nextCursor) return html`<p class="admin-range">${rangeText(0, count, size, noun)}</p>`;
  return html`
    <div class="admin-pager">
      <p class="admin-range">${rangeText(pager.index, count, size, noun)}</p>
      <button type="button" onClick=${onPrev} disabled=${first || busy}>Previous page</button>
      <button type="button" onClick=${onNext} disabled=${!nextCursor || busy}>Next page</button>
    </div>`;
}
