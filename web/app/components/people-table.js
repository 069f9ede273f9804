// The people table (Name, Title, Company, Email, Owner); the name links to the person.
// The whole row is also clickable with the mouse; the keyboard uses the name link.
// At phone width the table scrolls sideways inside a focusable, labelled region.
// `selection` (optional: { has(id), toggle(person), allOnPage, toggleAll() }) adds a first
// column of checkboxes, "Select <name>", and "Select all on this page" in its header.
import { html } from '../lib/html.js';
import { Link, navigate } from '../lib/router.js';
import { personName } from '../lib/format.js';

function rowClick(id) {
  return (event) => {
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.target.closest('a, button, input, select, textarea')) return;
    const selection = window.getSelection && window.getSelection();
    if (selection && String(selection) !== '') return;
    navigate(`/people/${id}`);
  };
}

function Cell({ value }) {
  return value ? value : html`<span class="muted">—</span>`;
}

export function PeopleTable({ label, rows, busy, showOwner = true, selection = null }) {
  return html`<div class=${busy ? 'table-wrap is-busy' : 'table-wrap'} role="region"
      aria-label=${`${label} (scrollable)`} tabindex="0">
    <table class="table table-people" aria-label=${label} aria-busy=${busy ? 'true' : 'false'}>
      <thead>
        <tr>
          ${selection ? html`<th scope="col" class="select-cell"><input type="checkbox" aria-label="Select all on this page"
            checked=${selection.allOnPage} onChange=${() => selection.toggleAll()} /></th>` : null}
          <th scope="col">Name</th>
          <th scope="col">Title</th>
          <th scope="col">Company</th>
          <th scope="col">Email</th>
          ${showOwner ? html`<th scope="col">Owner</th>` : null}
        </tr>
      </thead>
      <tbody>
        ${rows.map((p) => html`<tr key=${p.id} class="row-link" onClick=${rowClick(p.id)}>
          ${selection ? html`<td class="select-cell"><input type="checkbox" aria-label=${`Select ${personName(p)}${p.email ? ` (${p.email})` : ''}`}
            checked=${selection.has(p.id)} onChange=${() => selection.toggle(p)} /></td>` : null}
          <td class="cell-name"><${Link} href=${`/people/${p.id}`}>${personName(p)}</${Link}></td>
          <td><${Cell} value=${p.title} /></td>
          <td><${Cell} value=${p.company} /></td>
          <td class="cell-email"><${Cell} value=${p.email} /></td>
          ${showOwner ? html`<td class="cell-owner"><${Cell} value=${p.owner_email} /></td>` : null}
        </tr>`)}
      </tbody>
    </table>
  </div>`;
}
