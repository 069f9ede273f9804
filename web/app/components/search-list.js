// A searchable, paged list with views, as the Campaigns and Templates pages show it: the
// search box (?q=, debounced 200 ms, the URL replaced) and the views radio group (?view=,
// the default view left out of the URL), the list loaded again whenever either changes,
// and the body's loading, error and empty states.
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../lib/html.js';
import { navigate } from '../lib/router.js';
import { withQuery } from '../lib/paths.js';
import { usePagedList } from './paged.js';
import { Loading, Empty, ErrorState } from './states.js';

// path: the page's path ('/campaigns'); fetchPage: usePagedList's fetcher (filters {q, view});
// view: the current view (from the URL); defaultView: the one left out of the URL.
export function useSearchList({ path, fetchPage, query, view, defaultView }) {
  const urlQ = query.get('q') || '';
  const [text, setText] = useState(urlQ);
  const list = usePagedList(fetchPage);
  const timer = useRef(null);

  useEffect(() => {
    setText((t) => (t.trim() === urlQ.trim() ? t : urlQ));
    list.load({ q: urlQ.trim(), view });
  }, [urlQ, view]);
  useEffect(() => () => clearTimeout(timer.current), []);

  function onInput(event) {
    const value = event.currentTarget.value;
    setText(value);
    clearTimeout(timer.current);
    timer.current = setTimeout(() => {
      navigate(path + withQuery(window.location.search, { q: value.trim() || null }), { replace: true });
    }, 200);
  }

  function onView(event) {
    clearTimeout(timer.current);
    const v = event.currentTarget.value;
    navigate(path + withQuery(window.location.search, {
      q: text.trim() || null, view: v === defaultView ? null : v || null,
    }), { replace: true });
  }

  return { list, text, onInput, onView };
}

// The search box and the views (VIEWS: [[value, label]…]) above the list.
export function SearchToolbar({ id, label, placeholder, text, onInput, views, view, onView, name, viewsClass }) {
  return html`<div class="toolbar">
    <div class="search">
      <label for=${id} class="visually-hidden">${label}</label>
      <span class="search-icon" aria-hidden="true"></span>
      <input id=${id} type="search" class="input search-input" value=${text}
        onInput=${onInput} placeholder=${placeholder} maxLength="256"
        autocomplete="off" spellcheck=${false} />
    </div>
    <fieldset class=${viewsClass ? `segmented ${viewsClass}` : 'segmented'}>
      <legend class="visually-hidden">Show</legend>
      ${views.map(([k, text_]) => html`<label class="seg" key=${k || 'all'}>
        <input type="radio" name=${name} value=${k} checked=${view === k} onChange=${onView} />
        <span>${text_}</span>
      </label>`)}
    </fieldset>
  </div>`;
}

// The list's body: an error with "Try again", loading, empty (emptyText, or that nothing
// matches q), or table().
export function listBody(list, { noun, emptyText, table }) {
  const { state } = list;
  const q = (state.filters && state.filters.q) || '';
  if (state.status === 'error') return html`<${ErrorState} error=${state.error} onRetry=${list.retry} />`;
  if (state.status !== 'ready') return html`<${Loading} label=${`Loading ${noun}…`} />`;
  if (state.rows.length === 0) {
    return html`<${Empty}><p>${q ? `No ${noun} match “${q}”.` : emptyText}</p></${Empty}>`;
  }
  return table(state);
}
