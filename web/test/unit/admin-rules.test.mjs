import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  adminRoute, validateUser, userCreateBody, validateTeamName, validateTokenName, emailProblem,
  diffIds, addableUsers, teamNames, roleChangedMessage, tokenLabel,
  pagerStart, pagerNext, pagerPrev, pagerCursor, rangeText, charCount,
} from '../../app/pages/admin/rules.js';

test('adminRoute maps every admin path and /tokens', () => {
  assert.deepEqual(adminRoute('/admin'), { page: 'users', redirect: '/admin/users' });
  assert.deepEqual(adminRoute('/admin/'), { page: 'users', redirect: '/admin/users' });
  assert.deepEqual(adminRoute('/admin/users'), { page: 'users' });
  assert.deepEqual(adminRoute('/admin/teams'), { page: 'teams' });
  assert.deepEqual(adminRoute('/admin/teams/42'), { page: 'team', id: 42 });
  assert.deepEqual(adminRoute('/admin/tokens'), { page: 'tokens' });
  assert.deepEqual(adminRoute('/admin/sync'), { page: 'sync' });
  assert.deepEqual(adminRoute('/tokens'), { page: 'tokens', own: true });
  assert.deepEqual(adminRoute('/admin/teams/0'), { page: 'not-found' });
  assert.deepEqual(adminRoute('/admin/teams/abc'), { page: 'not-found' });
  assert.deepEqual(adminRoute('/admin/nope'), { page: 'not-found' });
  assert.deepEqual(adminRoute(''), { page: 'not-found' });
});

test('validateUser: a valid user has no errors; password is optional', () => {
  assert.deepEqual(validateUser({ name: 'Rita', email: 'rita@example.com', password: '', role: 'rep' }), {});
  assert.deepEqual(validateUser({ name: 'Rita', email: 'rita@example.com', password: '12345678', role: 'admin' }), {});
});

test('validateUser: every field says what is wrong', () => {
  assert.deepEqual(validateUser({ name: '  ', email: '', password: 'short', role: 'boss' }), {
    name: 'Enter a name.',
    email: 'Enter an email address.',
    password: 'A password needs at least 8 characters, not 5.',
    role: 'Choose a role: admin, manager or rep.',
  });
  assert.deepEqual(validateUser({ name: 'x'.repeat(201), email: 'rita@example', password: 'p'.repeat(1025), role: 'rep' }), {
    name: 'A name can have at most 200 characters, not 201.',
    email: 'Enter an email address like rita@example.com.',
    password: 'A password can have at most 1024 characters, not 1025.',
  });
});

test('name lengths count characters, not UTF-16 units', () => {
  assert.equal(charCount('😀'.repeat(200)), 200);
  assert.deepEqual(validateUser({ name: '😀'.repeat(200), email: 'a@b.co', role: 'rep' }), {});
});

test('emailProblem follows the API pattern', () => {
  for (const ok of ['a@b.co', 'rita.rep+x@mail.example.com', "o'brien@example.org"])
    assert.equal(emailProblem(ok), null, ok);
  for (const bad of ['@b.co', 'a@b', 'a@.b.co', 'a@b.co.', 'a b@c.de', 'a@b@c.de', 'a<b@c.de', 'ü@b.co'])
    assert.equal(emailProblem(bad), 'Enter an email address like rita@example.com.', bad);
});

test('userCreateBody trims, drops an empty password and sorts unique team ids', () => {
  assert.deepEqual(
    userCreateBody({ name: ' Rita ', email: ' rita@example.com ', password: '', role: 'rep', teams: ['3', 1, 3] }),
    { name: 'Rita', email: 'rita@example.com', role: 'rep', teams: [1, 3] });
  assert.deepEqual(
    userCreateBody({ name: 'Rita', email: 'rita@example.com', password: 'a long password', role: 'manager', teams: [] }),
    { name: 'Rita', email: 'rita@example.com', role: 'manager', password: 'a long password', teams: [] });
});

test('team and token names', () => {
  assert.equal(validateTeamName('East'), null);
  assert.equal(validateTeamName(' '), 'Enter a team name.');
  assert.equal(validateTeamName('x'.repeat(101)), 'A team name can have at most 100 characters, not 101.');
  assert.equal(validateTokenName('laptop'), null);
  assert.equal(validateTokenName(''), 'Enter a token name.');
  assert.equal(validateTokenName('x'.repeat(101)), 'A token name can have at most 100 characters, not 101.');
});

test('diffIds says what to add and remove', () => {
  assert.deepEqual(diffIds([1, 2, 3], [3, 4, 1]), { add: [4], remove: [2] });
  assert.deepEqual(diffIds([], []), { add: [], remove: [] });
});

test('addableUsers: active non-members by name', () => {
  const users = [
    { id: 1, name: 'Zoe', email: 'z@x.io', active: true },
    { id: 2, name: 'Ann', email: 'a@x.io', active: true },
    { id: 3, name: 'Bob', email: 'b@x.io', active: false },
    { id: 4, name: 'Cid', email: 'c@x.io', active: true },
  ];
  assert.deepEqual(addableUsers(users, [{ id: 4 }]).map((u) => u.id), [2, 1]);
});

test('teamNames, roleChangedMessage, tokenLabel', () => {
  assert.equal(teamNames({ teams: [{ id: 1, name: 'East' }, { id: 2, name: 'West' }] }), 'East, West');
  assert.equal(teamNames({ teams: [] }), '');
  assert.equal(roleChangedMessage('rita@example.com', 'manager'), 'rita@example.com is now a manager.');
  assert.equal(roleChangedMessage('rita@example.com', 'admin'), 'rita@example.com is now an admin.');
  assert.equal(tokenLabel({ name: 'laptop', prefix: 'hail_abcdefg' }), 'laptop');
  assert.equal(tokenLabel({ name: null, prefix: 'hail_abcdefg' }), 'hail_abcdefg…');
});

test('pager keeps the cursors of the pages seen', () => {
  let p = pagerStart();
  assert.equal(pagerCursor(p), null);
  assert.equal(pagerPrev(p), p);
  p = pagerNext(p, 'c2');
  assert.equal(pagerCursor(p), 'c2');
  p = pagerNext(p, 'c3');
  assert.equal(pagerCursor(p), 'c3');
  p = pagerPrev(p);
  assert.equal(pagerCursor(p), 'c2');
  assert.equal(pagerNext(p, null), p);
  p = pagerNext(p, 'c3b');
  assert.deepEqual(p, { cursors: [null, 'c2', 'c3b'], index: 2 });
  assert.equal(rangeText(1, 50, 50, 'users'), 'Showing 51–100 users');
  assert.equal(rangeText(0, 3, 50, 'users'), 'Showing 1–3 users');
  assert.equal(rangeText(0, 0, 50, 'users'), 'No users.');
});
