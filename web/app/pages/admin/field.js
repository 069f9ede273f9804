// A labelled form field with an optional hint and error (aria-describedby).
import { html } from '../../lib/html.js';
import { useId } from './load.js';

export function Field({ label, hint, error, inputRef, ...input }) {
  const id = useId('f');
  const hintId = hint ? `${id}-hint` : null;
  const errId = error ? `${id}-err` : null;
  const describedBy = [hintId, errId].filter(Boolean).join(' ') || undefined;
  return html`
    <div class="admin-field">
      <label for=${id}>${label}</label>
      ${hint ? html`<span id=${hintId} class="admin-hint">${hint}</span>` : null}
      <input id=${id} ref=${inputRef} aria-describedby=${describedBy} aria-invalid=${error ? 'true' : undefined} ...${input} />
      ${error ? html`<span id=${errId} class="admin-field-error">${error}</span>` : null}
    </div>`;
}
