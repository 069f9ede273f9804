// The paged people of an account or an opportunity (table + pager + states).
import { useEffect } from 'preact/hooks';
import { html } from '../lib/html.js';
import { api } from '../lib/api.js';
import { PeopleTable } from './people-table.js';
import { Pager, usePagedList } from './paged.js';
import { Loading, Empty, ErrorState } from './states.js';

export function PeopleOf({ path, label, emptyText }) {
  const list = usePagedList((filters, { cursor, limit, signal }) =>
    api('GET', filters.path, { query: { limit, cursor }, signal }));
  useEffect(() => {
    list.load({ path });
  }, [path]);

  const { state } = list;
  let body;
  if (state.status === 'error') body = html`<${ErrorState} error=${state.error} onRetry=${list.retry} />`;
  else if (state.status !== 'ready') body = html`<${Loading} label="Loading people…" />`;
  else if (state.rows.length === 0) body = html`<${Empty}><p>${emptyText}</p></${Empty}>`;
  else body = html`<${PeopleTable} label=${label} rows=${state.rows} busy=${state.busy} />`;
  return html`${body}<${Pager} list=${list} noun="people" />`;
}
