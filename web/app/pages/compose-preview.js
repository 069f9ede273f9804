// An email's HTML shown inside the app, safely: parsed with DOMParser (inert: nothing
// runs, nothing loads), then rebuilt as Preact elements from a short list of tags and
// attributes. Styles, scripts, images and forms are left out (the CSP allows no inline
// style, and an image would load from elsewhere); links keep http(s)/mailto targets.
// Text marked ⟦…⟧ (compose-rules.js: unfilled fields and prompts) shows highlighted.
import { h } from 'preact';
import { html } from '../lib/html.js';
import { splitMarks } from './compose-rules.js';

const KEEP = new Set([
  'p', 'br', 'b', 'strong', 'i', 'em', 'u', 's', 'a', 'ul', 'ol', 'li', 'blockquote', 'div', 'span',
  'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'pre', 'code', 'hr', 'table', 'thead', 'tbody', 'tfoot', 'tr',
  'td', 'th', 'caption', 'small', 'sub', 'sup',
]);
const DROP = new Set(['script', 'style', 'head', 'title', 'iframe', 'object', 'embed', 'form', 'input',
  'button', 'select', 'textarea', 'svg', 'math', 'video', 'audio', 'source', 'link', 'meta', 'noscript', 'template']);
// Headings inside an email become emphasised text: the page's own outline stays intact.
const HEADINGS = new Set(['h1', 'h2', 'h3', 'h4', 'h5', 'h6']);

export function Marked({ text }) {
  const parts = splitMarks(text);
  return parts.map((p, i) => (p.mark !== undefined
    ? html`<mark key=${i} class="fill-mark">${p.mark}</mark>`
    : p.text));
}

function safeHref(href) {
  const v = String(href || '').trim();
  return /^(https?:\/\/|mailto:)/i.test(v) ? v : null;
}

function convert(node, key) {
  if (node.nodeType === 3) {
    const parts = splitMarks(node.nodeValue);
    if (parts.length === 1 && parts[0].text !== undefined) return parts[0].text;
    return parts.map((p, i) => (p.mark !== undefined
      ? h('mark', { key: `${key}-${i}`, class: 'fill-mark' }, p.mark)
      : p.text));
  }
  if (node.nodeType !== 1) return null;
  const tag = node.localName;
  if (DROP.has(tag)) return null;
  if (tag === 'img') {
    const alt = (node.getAttribute('alt') || '').trim();
    return alt ? h('span', { key, class: 'mail-img' }, `[image: ${alt}]`) : null;
  }
  const children = [];
  node.childNodes.forEach((c, i) => {
    const v = convert(c, `${key}.${i}`);
    if (v !== null && v !== undefined) children.push(v);
  });
  if (!KEEP.has(tag)) return children.length ? h('span', { key }, children) : null;
  if (HEADINGS.has(tag)) return h('p', { key, class: 'mail-heading' }, h('strong', null, children));
  const props = { key };
  if (tag === 'a') {
    const href = safeHref(node.getAttribute('href'));
    if (!href) return h('span', { key, class: 'mail-link' }, children);
    props.href = href;
    props.target = '_blank';
    props.rel = 'noopener noreferrer';
  }
  if (tag === 'td' || tag === 'th') {
    for (const a of ['colspan', 'rowspan']) {
      const v = node.getAttribute(a);
      if (v && /^[1-9][0-9]?$/.test(v)) props[a] = v;
    }
  }
  if (tag === 'table') props.role = 'presentation';
  return h(tag, props, children.length ? children : null);
}

// The HTML as Preact elements (in a browser); its text alone elsewhere.
export function htmlToElements(source) {
  if (typeof DOMParser === 'undefined') return String(source || '');
  const doc = new DOMParser().parseFromString(String(source || ''), 'text/html');
  const out = [];
  doc.body.childNodes.forEach((c, i) => {
    const v = convert(c, String(i));
    if (v !== null && v !== undefined) out.push(v);
  });
  return out;
}

// The email body as the recipient will read it, in a labelled, focusable region.
export function MailBody({ source, label }) {
  return html`<div class="mail-body" role="region" aria-label=${label} tabindex="0">
    ${htmlToElements(source)}
  </div>`;
}
