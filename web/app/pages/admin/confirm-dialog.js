// A modal confirmation: the native <dialog> (role "dialog", focus kept
// inside, Escape cancels). Focus moves to "Cancel" when it opens and back to
// the control that opened it when it closes.
import { useEffect, useRef } from 'preact/hooks';
import { html } from '../../lib/html.js';
import { useId, focusHeading } from './load.js';

export function ConfirmDialog({ title, children, confirmLabel, onConfirm, onCancel, busy = false, error = null }) {
  const ref = useRef(null);
  const cancelRef = useRef(null);
  const titleId = useId('dialog-title');
  const bodyId = useId('dialog-body');
  const cancelled = useRef(onCancel);
  cancelled.current = onCancel;

  useEffect(() => {
    const d = ref.current;
    const opener = document.activeElement;
    if (!d.open) d.showModal();
    if (cancelRef.current) cancelRef.current.focus();
    return () => {
      if (d.open) d.close();
      if (opener && opener.isConnected && opener !== document.body) opener.focus();
      else focusHeading();
    };
  }, []);

  // Escape: the browser fires "cancel"; keep the dialog under our control.
  const onCancelEvent = (e) => {
    e.preventDefault();
    if (!busy) cancelled.current();
  };
  // Closed by the browser anyway (a second Escape): treat as cancel.
  const onClose = () => {
    if (ref.current && !ref.current.isConnected) return;
    cancelled.current();
  };

  return html`
    <dialog ref=${ref} class="admin-dialog" aria-labelledby=${titleId} aria-describedby=${bodyId}
      onCancel=${onCancelEvent} onClose=${onClose}>
      <h2 id=${titleId} class="admin-dialog-title">${title}</h2>
      <div id=${bodyId}>${children}</div>
      ${error ? html`<p role="alert" class="admin-error">${error}</p>` : null}
      <div class="admin-actions">
        <button type="button" class="admin-danger" onClick=${onConfirm} disabled=${busy}>
          ${busy ? `${confirmLabel}…` : confirmLabel}
        </button>
        <button type="button" ref=${cancelRef} onClick=${() => cancelled.current()} disabled=${busy}>Cancel</button>
      </div>
    </dialog>`;
}
