// What the Templates pages share: the list views, labels, analytics formatting, and the
// email preview — hail's filled HTML shown inside the app without running or loading
// anything: parsed with DOMParser (an inert document), then rebuilt as Preact elements
// from a short list of tags. Styles, scripts, images (their alt text is kept) and forms
// are left out; links keep only http(s) and mailto targets; hail's markers
// <mark class="hail-unfilled"> and <mark class="hail-prompt"> stay highlighted.
import { h } from 'preact';
import { html } from '../lib/html.js';

export const VIEWS = [
  ['', 'All'],
  ['mine', 'Mine'],
  ['shared', 'Shared with me'],
  ['favorites', 'Favorites'],
  ['archived', 'Archived'],
];

export function viewOf(query) {
  const v = query.get('view') || '';
  return VIEWS.some(([k]) => k === v) ? v : '';
}

export const SHARING = [
  ['private', 'Only me'],
  ['teams', 'My teams'],
  ['everyone', 'Everyone'],
];

export function sharingLabel(s) {
  const m = SHARING.find(([k]) => k === s);
  return m ? m[1] : s;
}

// "25%" (one decimal below 10%), or "—" when nothing was sent.
export function formatRate(a) {
  if (!a || !a.sent) return '—';
  const pct = a.success_rate * 100;
  return `${pct < 10 && pct > 0 ? pct.toFixed(1) : Math.round(pct)}%`;
}

// Opens or clicks as "n (p%)" of the sent emails.
export function formatShare(n, sent) {
  if (!sent) return String(n || 0);
  return `${n} (${Math.round((n / sent) * 100)}%)`;
}

// May this user change the template? Its owner or an admin.
export function canEdit(t, user) {
  return !!(t && user && (user.role === 'admin' || (t.owner && t.owner.id === user.id)));
}

const KEEP = new Set([
  'p', 'br', 'b', 'strong', 'i', 'em', 'u', 's', 'a', 'ul', 'ol', 'li', 'blockquote', 'div', 'span',
  'pre', 'code', 'hr', 'table', 'thead', 'tbody', 'tfoot', 'tr', 'td', 'th', 'small', 'sub', 'sup',
]);
const SKIP = new Set(['script', 'style', 'head', 'title', 'iframe', 'object', 'embed', 'form', 'input',
  'button', 'select', 'textarea', 'svg', 'math', 'video', 'audio', 'link', 'meta', 'noscript', 'template']);

function element(node, key) {
  if (node.nodeType === 3) return node.nodeValue;
  if (node.nodeType !== 1) return null;
  const tag = node.localName;
  if (SKIP.has(tag)) return null;
  if (tag === 'img') {
    const alt = (node.getAttribute('alt') || '').trim();
    return alt ? h('span', { key, class: 'tpl-img' }, `[${alt}]`) : null;
  }
  const children = [];
  node.childNodes.forEach((c, i) => {
    const v = element(c, `${key}.${i}`);
    if (v !== null && v !== undefined) children.push(v);
  });
  if (tag === 'mark') {
    const cls = node.getAttribute('class');
    if (cls === 'hail-unfilled') return h('mark', { key, class: 'tpl-unfilled' }, children);
    if (cls === 'hail-prompt') return h('mark', { key, class: 'tpl-prompt' }, children);
    return h('span', { key }, children);
  }
  if (/^h[1-6]$/.test(tag)) return h('p', { key }, h('strong', null, children));
  if (!KEEP.has(tag)) return children.length ? h('span', { key }, children) : null;
  const props = { key };
  if (tag === 'a') {
    const href = String(node.getAttribute('href') || '').trim();
    if (!/^(https?:\/\/|mailto:)/i.test(href)) return h('span', { key, class: 'tpl-link' }, children);
    props.href = href;
    props.target = '_blank';
    props.rel = 'noopener noreferrer';
  }
  if (tag === 'table') props.role = 'presentation';
  return h(tag, props, children.length ? children : null);
}

// The filled HTML as Preact elements (its text outside a browser).
export function previewElements(source) {
  if (typeof DOMParser === 'undefined') return String(source || '');
  const doc = new DOMParser().parseFromString(String(source || ''), 'text/html');
  const out = [];
  doc.body.childNodes.forEach((c, i) => {
    const v = element(c, String(i));
    if (v !== null && v !== undefined) out.push(v);
  });
  return out;
}

// A subject with its {{field}} and [prompt] gaps highlighted (the API marks them so in
// the subject); fields and prompts are the lists the preview returned.
export function SubjectLine({ text, unfilled = [], prompts = [] }) {
  const marks = [
    ...unfilled.map((f) => ({ s: `{{${f}}}`, cls: 'tpl-unfilled' })),
    ...prompts.map((p) => ({ s: `[${p}]`, cls: 'tpl-prompt' })),
  ];
  const parts = [];
  let rest = String(text || '');
  for (let guard = 0; rest && guard < 200; guard++) {
    let best = null;
    for (const m of marks) {
      const i = rest.indexOf(m.s);
      if (i >= 0 && (!best || i < best.i)) best = { ...m, i };
    }
    if (!best) break;
    if (best.i) parts.push(rest.slice(0, best.i));
    parts.push(html`<mark key=${parts.length} class=${best.cls}>${best.s}</mark>`);
    rest = rest.slice(best.i + best.s.length);
  }
  if (rest) parts.push(rest);
  return parts;
}
