// The admin modules as text: nothing the CSP forbids (inline styles, <style>, eval),
// no innerHTML, imports only of files that exist beside them, of the shared modules
// the contract names, or of import-map specifiers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'app', 'pages', 'admin');
const files = readdirSync(DIR).filter((f) => f.endsWith('.js')).sort();
const SHARED = new Set([
  '../../lib/api.js', '../../lib/html.js', '../../lib/router.js', '../../lib/format.js',
  '../../components/states.js', '../../components/page.js',
]);
const MAPPED = new Set(['preact', 'preact/hooks', 'htm', 'htm/preact', '@preact/signals', '@preact/signals-core']);

test('the admin folder has its pages and components', () => {
  for (const f of ['index.js', 'users.js', 'user-form.js', 'teams.js', 'team.js', 'tokens.js', 'sync.js',
    'confirm-dialog.js', 'rules.js', 'sync-format.js', 'sync-feed.js', 'admin.css'])
    assert.ok(existsSync(join(DIR, f)), `${f} is missing`);
});

test('nothing the CSP forbids, no innerHTML', () => {
  const bad = [];
  for (const f of files) {
    const text = readFileSync(join(DIR, f), 'utf8');
    for (const [re, what] of [
      [/\sstyle\s*=/, 'a style attribute'], [/<style/i, 'a <style> element'], [/\beval\s*\(/, 'eval'],
      [/new\s+Function\s*\(/, 'new Function'], [/innerHTML|dangerouslySetInnerHTML/, 'innerHTML'],
      [/<script/i, 'a <script> element'], [/javascript:/i, 'a javascript: URL'],
    ]) if (re.test(text)) bad.push(`${f}: ${what}`);
  }
  assert.deepEqual(bad, []);
});

test('imports are beside, shared (the contract), or mapped', () => {
  const bad = [];
  for (const f of files) {
    const text = readFileSync(join(DIR, f), 'utf8');
    for (const m of text.matchAll(/^import\s[^'"]*['"]([^'"]+)['"]/gm)) {
      const spec = m[1];
      if (spec.startsWith('./')) {
        if (!existsSync(join(DIR, spec))) bad.push(`${f}: ${spec} does not exist`);
      } else if (!SHARED.has(spec) && !MAPPED.has(spec)) {
        bad.push(`${f}: ${spec} is neither a shared module nor in the import map`);
      }
    }
  }
  assert.deepEqual(bad, []);
});

test('admin.css: classes only, nothing from another origin', () => {
  const css = readFileSync(join(DIR, 'admin.css'), 'utf8');
  assert.doesNotMatch(css, /url\(/);
  assert.doesNotMatch(css, /@import/);
});
