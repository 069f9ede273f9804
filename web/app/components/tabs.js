// An ARIA tablist: arrow keys, Home and End move between tabs (automatic activation),
// Tab moves into the panel. `initial`: the id of the tab selected first (default the first).
import { useRef, useState } from 'preact/hooks';
import { html } from '../lib/html.js';

export function Tabs({ label, idPrefix, tabs, initial }) {
  const [selected, setSelected] = useState(() => Math.max(0, tabs.findIndex((t) => t.id === initial)));
  const refs = useRef([]);

  function focusTab(i) {
    const n = tabs.length;
    const j = ((i % n) + n) % n;
    setSelected(j);
    const el = refs.current[j];
    if (el) el.focus();
  }

  function onKeyDown(event) {
    const keys = {
      ArrowRight: selected + 1, ArrowLeft: selected - 1, Home: 0, End: tabs.length - 1,
    };
    if (event.key in keys) {
      event.preventDefault();
      focusTab(keys[event.key]);
    }
  }

  return html`<div class="tabs">
    <div role="tablist" aria-label=${label} class="tablist" onKeyDown=${onKeyDown}>
      ${tabs.map((t, i) => html`<button type="button" role="tab" key=${t.id}
          id=${`${idPrefix}-tab-${t.id}`} aria-controls=${`${idPrefix}-panel-${t.id}`}
          aria-selected=${i === selected ? 'true' : 'false'} tabindex=${i === selected ? 0 : -1}
          class="tab" ref=${(el) => { refs.current[i] = el; }} onClick=${() => setSelected(i)}>
        ${t.label}
      </button>`)}
    </div>
    ${tabs.map((t, i) => html`<div role="tabpanel" key=${t.id} id=${`${idPrefix}-panel-${t.id}`}
        aria-labelledby=${`${idPrefix}-tab-${t.id}`} class="tabpanel" tabindex="0"
        hidden=${i !== selected}>
      ${t.content}
    </div>`)}
  </div>`;
}
