// The body editor: the HTML in a textarea with a small toolbar (bold, italic, link, list,
// paragraph, a personalization field, a prompt) that wraps or inserts at the selection.
// The live preview beside it shows the result as the recipient reads it.
import { useRef, useState } from 'preact/hooks';
import { html } from '../lib/html.js';

// Every field the personalization engine fills (docs/mail.md).
export const FIELDS = [
  'first_name', 'last_name', 'email', 'phone', 'title', 'company', 'source', 'linkedin_url', 'owner_email',
  'my_name', 'my_email', 'my_signature', 'sfdc_lead_id', 'sfdc_contact_id', 'sfdc_account_id', 'sfdc_opportunity_id',
];

// Pure: the text with [before, after] around the selection [start, end); the new selection.
export function wrapSelection(text, start, end, before, after, placeholder = '') {
  const chosen = text.slice(start, end) || placeholder;
  const value = text.slice(0, start) + before + chosen + after + text.slice(end);
  const s = start + before.length;
  return { value, start: s, end: s + chosen.length };
}

// Pure: the selected lines as a bulleted list.
export function listOf(text, start, end) {
  const chosen = text.slice(start, end) || 'item';
  const items = chosen.split(/\n+/).map((l) => l.trim()).filter(Boolean).map((l) => `  <li>${l}</li>`);
  const block = `<ul>\n${items.join('\n')}\n</ul>`;
  return { value: text.slice(0, start) + block + text.slice(end), start, end: start + block.length };
}

export function BodyEditor({ id, value, onInput, describedBy, invalid }) {
  const area = useRef(null);
  const [field, setField] = useState('');

  function apply(fn) {
    const el = area.current;
    if (!el) return;
    const r = fn(el.value, el.selectionStart, el.selectionEnd);
    onInput(r.value);
    // After Preact writes the new value, put the selection back where the change is.
    requestAnimationFrame(() => {
      if (!area.current) return;
      area.current.focus();
      area.current.setSelectionRange(r.start, r.end);
    });
  }

  const wrap = (before, after, placeholder) => () =>
    apply((t, s, e) => wrapSelection(t, s, e, before, after, placeholder));

  function link() {
    const url = window.prompt('Link address (https://…)', 'https://');
    if (!url || !/^(https?:\/\/|mailto:)/i.test(url.trim())) return;
    const href = url.trim().replace(/"/g, '%22');
    apply((t, s, e) => wrapSelection(t, s, e, `<a href="${href}">`, '</a>', 'link text'));
  }

  function insertField(e) {
    const f = e.currentTarget.value;
    setField('');
    if (!f) return;
    apply((t, s, en) => wrapSelection(t, en, en, `{{${f}}}`, ''));
  }

  return html`<div class="editor">
    <div class="editor-toolbar" role="toolbar" aria-label="Formatting" aria-controls=${id}>
      <button type="button" class="button tool" aria-label="Bold" onClick=${wrap('<strong>', '</strong>', 'bold text')}><strong aria-hidden="true">B</strong></button>
      <button type="button" class="button tool" aria-label="Italic" onClick=${wrap('<em>', '</em>', 'italic text')}><em aria-hidden="true">I</em></button>
      <button type="button" class="button tool" onClick=${link}>Link</button>
      <button type="button" class="button tool" onClick=${() => apply(listOf)}>List</button>
      <button type="button" class="button tool" onClick=${wrap('<p>', '</p>\n', 'paragraph')}>Paragraph</button>
      <button type="button" class="button tool" onClick=${wrap('{{! ', '}}', 'write one line about …')}>Prompt</button>
      <label class="visually-hidden" for=${`${id}-field`}>Insert field</label>
      <select id=${`${id}-field`} class="tool-select" value=${field} onChange=${insertField}>
        <option value="">Insert field…</option>
        ${FIELDS.map((f) => html`<option key=${f} value=${f}>${f}</option>`)}
      </select>
    </div>
    <textarea id=${id} ref=${area} class="editor-area" rows="14" value=${value} spellcheck=${true}
      aria-describedby=${describedBy} aria-invalid=${invalid ? 'true' : undefined}
      onInput=${(e) => onInput(e.currentTarget.value)}></textarea>
  </div>`;
}
