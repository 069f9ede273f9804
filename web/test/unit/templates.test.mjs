// The Templates pages' pure parts: views from the URL, sharing labels, analytics
// formatting, who may edit, the routes, and the preview outside a browser.
import { test } from 'node:test';
import assert from 'node:assert/strict';

const common = await import('../../app/pages/templates-common.js');

test('views: only the known ones, else all', () => {
  const q = (s) => new URLSearchParams(s);
  assert.equal(common.viewOf(q('view=mine')), 'mine');
  assert.equal(common.viewOf(q('view=archived')), 'archived');
  assert.equal(common.viewOf(q('view=everything')), '');
  assert.equal(common.viewOf(q('')), '');
  assert.deepEqual(common.VIEWS.map(([k]) => k), ['', 'mine', 'shared', 'favorites', 'archived']);
});

test('analytics: success rate and shares of the sent emails', () => {
  assert.equal(common.formatRate({ sent: 0, success_rate: 0 }), '—');
  assert.equal(common.formatRate({ sent: 4, success_rate: 0.25 }), '25%');
  assert.equal(common.formatRate({ sent: 40, success_rate: 0.025 }), '2.5%');
  assert.equal(common.formatRate({ sent: 3, success_rate: 0 }), '0%');
  assert.equal(common.formatShare(0, 0), '0');
  assert.equal(common.formatShare(2, 4), '2 (50%)');
  assert.equal(common.sharingLabel('teams'), 'My teams');
  assert.equal(common.sharingLabel('odd'), 'odd');
});

test('only the owner or an admin edits', () => {
  const t = { owner: { id: 3 } };
  assert.equal(common.canEdit(t, { id: 3, role: 'rep' }), true);
  assert.equal(common.canEdit(t, { id: 4, role: 'rep' }), false);
  assert.equal(common.canEdit(t, { id: 4, role: 'manager' }), false);
  assert.equal(common.canEdit(t, { id: 4, role: 'admin' }), true);
  assert.equal(common.canEdit(null, { id: 4, role: 'admin' }), false);
});

test('routes: /templates and /templates/:id', async () => {
  const { routes } = await import('../../app/routes.js');
  const { findRoute } = await import('../../app/lib/paths.js');
  const { TemplatesPage } = await import('../../app/pages/templates.js');
  const { TemplateEditorPage } = await import('../../app/pages/templates-editor.js');
  assert.equal(findRoute(routes, '/templates').route.component, TemplatesPage);
  const one = findRoute(routes, '/templates/7');
  assert.deepEqual([one.route.component, one.params], [TemplateEditorPage, { id: '7' }]);
  assert.equal(findRoute(routes, '/templates/new').route.component, TemplateEditorPage);
});

test('the preview is its text outside a browser', () => {
  assert.equal(common.previewElements('<p>Hi</p>'), '<p>Hi</p>');
});
