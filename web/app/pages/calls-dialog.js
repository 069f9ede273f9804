// A modal <dialog> for the call-log form and the task composer: focus moves into it when it
// opens (to `initialFocus` or its first field), Escape closes it, and focus goes back to the
// control that opened it. Labelled by its heading.
import { useEffect, useRef } from 'preact/hooks';
import { html } from '../lib/html.js';

let nextId = 0;

export function Modal({ title, onClose, children }) {
  const ref = useRef(null);
  const idRef = useRef(null);
  if (!idRef.current) idRef.current = `modal-${++nextId}`;
  const closing = useRef(onClose);
  closing.current = onClose;
  useEffect(() => {
    const d = ref.current;
    const opener = document.activeElement;
    if (d && !d.open && typeof d.showModal === 'function') d.showModal();
    const first = d && d.querySelector('select, input, textarea, button:not(.modal-close)');
    if (first) first.focus();
    return () => {
      if (d && d.open) d.close();
      if (opener && opener.isConnected && opener !== document.body) opener.focus();
    };
  }, []);
  const onCancel = (e) => {
    e.preventDefault();
    closing.current();
  };
  return html`<dialog ref=${ref} class="modal" aria-labelledby=${idRef.current} onCancel=${onCancel}>
    <div class="modal-head">
      <h2 id=${idRef.current}>${title}</h2>
      <button type="button" class="button button-quiet modal-close" onClick=${() => closing.current()}>Close</button>
    </div>
    ${children}
  </dialog>`;
}
