import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchPath, findRoute, safeNext, signInUrl, withQuery } from '../../app/lib/paths.js';

test('matchPath matches literal and :param segments', () => {
  assert.deepEqual(matchPath('/people', '/people'), {});
  assert.deepEqual(matchPath('/people', '/people/'), {});
  assert.deepEqual(matchPath('/people/:id', '/people/12'), { id: '12' });
  assert.deepEqual(matchPath('/accounts/:id', '/accounts/001%20X'), { id: '001 X' });
  assert.equal(matchPath('/people/:id', '/people'), null);
  assert.equal(matchPath('/people/:id', '/people/1/2'), null);
  assert.equal(matchPath('/people/:id', '/people/%E0%A4%A'), null);
  assert.equal(matchPath('/people', '/accounts'), null);
  assert.deepEqual(matchPath('/', '/'), {});
});

test('findRoute takes the first match; prefix routes take everything under them', () => {
  const routes = [
    { pattern: '/', name: 'root' },
    { pattern: '/people', name: 'people' },
    { pattern: '/people/:id', name: 'person' },
    { pattern: '/admin', prefix: true, name: 'admin' },
    { pattern: '/tokens', name: 'tokens' },
  ];
  const name = (p) => { const f = findRoute(routes, p); return f && [f.route.name, f.params]; };
  assert.deepEqual(name('/'), ['root', {}]);
  assert.deepEqual(name('/people/7'), ['person', { id: '7' }]);
  assert.deepEqual(name('/admin'), ['admin', {}]);
  assert.deepEqual(name('/admin/teams/3'), ['admin', {}]);
  assert.equal(name('/administrator'), null);
  assert.deepEqual(name('/tokens'), ['tokens', {}]);
  assert.equal(name('/nope'), null);
});

test('safeNext only allows paths on this origin', () => {
  assert.equal(safeNext('/people/3?x=1'), '/people/3?x=1');
  assert.equal(safeNext('/admin/users'), '/admin/users');
  for (const bad of [null, undefined, '', 'people', 'https://evil.example/', '//evil.example/x',
    '/\\evil.example', 'javascript:alert(1)', '/sign-in', '/sign-in?next=/people', '/a\nb']) {
    assert.equal(safeNext(bad), '/people', String(bad));
  }
});

test('signInUrl keeps where the user was', () => {
  assert.equal(signInUrl('/people/3?tab=calls'), '/sign-in?next=%2Fpeople%2F3%3Ftab%3Dcalls');
  assert.equal(signInUrl('/people'), '/sign-in?next=%2Fpeople');
  assert.equal(signInUrl('/'), '/sign-in');
  assert.equal(signInUrl('//evil.example'), '/sign-in?next=%2Fpeople');
  assert.equal(signInUrl('/sign-in?next=/x'), '/sign-in?next=%2Fpeople');
});

test('withQuery sets and removes parameters', () => {
  assert.equal(withQuery('?q=ann&scope=mine', { q: 'bob' }), '?q=bob&scope=mine');
  assert.equal(withQuery('?q=ann&scope=mine', { q: null, scope: '' }), '');
  assert.equal(withQuery('', { q: 'a b' }), '?q=a+b');
});
