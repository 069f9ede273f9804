// End-to-end: the admin pages in Debian's Chromium against the real hail (with the fake
// Marketo). An admin creates a team and a rep in it; the rep signs in and has no Admin;
// role changes (and the last admin refused), deactivation through the confirmation dialog,
// teams (rename, members), API tokens (shown once, revoked), the Marketo sync with
// "Sync now" and live progress to the end; a second hail without Marketo shows the API's
// 409. checkPage() on every page (console, requests, axe, screenshot), and 390 px wide.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startHail, launchBrowser, newPage, signIn, checkPage, expectResponse, request, SKIP, SKIP_MARKETO, SLOW, expectTitle,
} from './harness.mjs';
import { runCounts } from '../../app/pages/admin/sync-format.js';

const REP = { name: 'Rita Rep', email: 'rita@example.com', password: 'rita-long-password' };

function status(page) {
  return page.getByRole('main').getByRole('status').filter({ hasText: /\S/ });
}

async function userByEmail(hail, email) {
  const r = await hail.api('GET', '/api/v1/users?limit=200');
  assert.equal(r.status, 200);
  return r.json.data.find((u) => u.email === email);
}

describe('admin pages', { skip: SKIP }, () => {
  let hail, browser, page;

  before(async () => {
    // The fake Marketo needs the Marketo contract files (HAIL_SHARED); without them only
    // the sync test is skipped.
    hail = await startHail({ marketo: !SKIP_MARKETO, leads: 30 });
    browser = await launchBrowser();
    page = await newPage(browser, hail);
    await signIn(page, 'admin@example.com');
  });

  after(async () => {
    await browser?.close();
    await hail?.stop();
  });

  it('/admin opens Users, with the admin navigation', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin', exact: true }).click();
    await page.waitForURL(/\/admin\/users$/);
    await page.getByRole('heading', { level: 1, name: 'Users' }).waitFor();
    await expectTitle(page, 'Users · hail');
    const nav = page.getByRole('navigation', { name: 'Admin' });
    assert.deepEqual(await nav.getByRole('link').allInnerTexts(), ['Users', 'Teams', 'API tokens', 'Marketo sync', 'Channels', 'Senders', 'Blocked domains', 'Mail settings', 'Holidays', 'Calls', 'Embedded panel', 'Integrations', 'Triggers']);
    assert.equal(await nav.getByRole('link', { name: 'Users' }).getAttribute('aria-current'), 'page');
    const table = page.getByRole('table', { name: 'Users' });
    await table.getByRole('cell', { name: 'rep2@example.com', exact: true }).waitFor();
    assert.deepEqual(await table.getByRole('columnheader').allInnerTexts(), ['Name', 'Email', 'Role', 'Teams', 'Status']);
    assert.equal(await table.getByRole('row').count(), 5); // header + 4 demo users
    await checkPage(page, 'admin-users');
  });

  it('creates a team, then a rep in it (the form checks its fields first)', async () => {
    await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Teams' }).click();
    await page.getByRole('heading', { level: 1, name: 'Teams' }).waitFor();
    await page.getByRole('table', { name: 'Teams' }).getByRole('link', { name: 'West' }).waitFor();
    await page.getByRole('button', { name: 'Create team' }).click();
    await page.getByText('Enter a team name.', { exact: true }).waitFor();
    await page.getByRole('textbox', { name: 'New team name' }).fill('East');
    await page.getByRole('button', { name: 'Create team' }).click();
    await status(page).getByText('Team East created.', { exact: true }).waitFor();
    await page.getByRole('table', { name: 'Teams' }).getByRole('link', { name: 'East' }).waitFor();
    await checkPage(page, 'admin-teams');

    await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Users' }).click();
    await page.getByRole('button', { name: 'New user' }).click();
    const name = page.getByRole('textbox', { name: 'Name', exact: true });
    await name.waitFor();
    assert.equal(await name.evaluate((el) => el === document.activeElement), true);
    await page.getByRole('checkbox', { name: 'East' }).waitFor();
    // Wrong fields are named before anything is sent.
    await page.getByRole('textbox', { name: 'Email', exact: true }).fill('rita@example');
    await page.getByLabel('Password', { exact: true }).fill('short');
    await page.getByRole('button', { name: 'Create user' }).click();
    await page.getByText('Enter a name.', { exact: true }).waitFor();
    await page.getByText('Enter an email address like rita@example.com.', { exact: true }).waitFor();
    await page.getByText('A password needs at least 8 characters, not 5.', { exact: true }).waitFor();
    assert.equal(await name.evaluate((el) => el === document.activeElement), true);
    await checkPage(page, 'admin-user-form');

    await name.fill(REP.name);
    await page.getByRole('textbox', { name: 'Email', exact: true }).fill(REP.email);
    await page.getByLabel('Password', { exact: true }).fill(REP.password);
    await page.getByRole('combobox', { name: 'Role', exact: true }).selectOption('rep');
    await page.getByRole('checkbox', { name: 'East' }).check();
    await page.getByRole('button', { name: 'Create user' }).click();
    await status(page).getByText(`Created ${REP.email} (rep).`, { exact: true }).waitFor();
    const row = page.getByRole('table', { name: 'Users' }).getByRole('row').filter({ hasText: REP.email });
    await row.waitFor();
    const cells = (await row.getByRole('cell').allInnerTexts()).map((t) => t.trim());
    assert.deepEqual([cells[0], cells[1], cells[3]], [REP.name, REP.email, 'East']);
    assert.match(cells[4], /^Active\s+Deactivate$/);
    assert.equal(await page.getByRole('combobox', { name: `Role of ${REP.email}` }).inputValue(), 'rep');
    const u = await userByEmail(hail, REP.email);
    assert.deepEqual({ name: u.name, role: u.role, active: u.active, teams: u.teams.map((t) => t.name) },
      { name: REP.name, role: 'rep', active: true, teams: ['East'] });
    // The same email again: the API's message.
    expectResponse(page, { method: 'POST', path: '/api/v1/users', status: 409 });
    await page.getByRole('button', { name: 'New user' }).click();
    await page.getByRole('textbox', { name: 'Name', exact: true }).fill('Another Rita');
    await page.getByRole('textbox', { name: 'Email', exact: true }).fill(REP.email);
    await page.getByRole('button', { name: 'Create user' }).click();
    const conflict = await request(hail.port, 'POST', '/api/v1/users', {
      body: { name: 'x', email: REP.email, role: 'rep' }, headers: { Authorization: `Bearer ${hail.adminToken}` },
    });
    assert.equal(conflict.status, 409);
    await page.getByRole('alert').getByText(conflict.json.error.message, { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Cancel' }).click();
    assert.equal(await page.getByRole('button', { name: 'New user' }).evaluate((el) => el === document.activeElement), true);
  });

  it('the new rep signs in, sees no Admin, and /admin says Admins only', async () => {
    const rep = await newPage(browser, hail);
    await signIn(rep, REP.email, REP.password);
    const main = rep.getByRole('navigation', { name: 'Main' });
    await main.getByRole('link', { name: 'People', exact: true }).waitFor();
    assert.equal(await main.getByRole('link', { name: 'Admin', exact: true }).count(), 0);
    // The page asks the API, which refuses with 403: its message is shown.
    expectResponse(rep, { method: 'GET', path: '/api/v1/users', status: 403 });
    await rep.goto('/admin');
    await rep.getByRole('heading', { level: 1, name: 'Admins only' }).waitFor();
    await expectTitle(rep, 'Admins only · hail');
    await rep.getByText('Only admins can manage users, teams and the Marketo sync. Ask an admin if you need to.', { exact: true }).waitFor();
    await rep.getByText('hail says: “this needs the admin role”', { exact: true }).waitFor();
    assert.equal(await rep.getByRole('navigation', { name: 'Admin' }).count(), 0);
    assert.equal(await rep.getByRole('table', { name: 'Users' }).count(), 0);
    await checkPage(rep, 'admin-denied');
    await rep.goto('/admin/sync');
    await rep.getByRole('heading', { level: 1, name: 'Admins only' }).waitFor();
    // Their own tokens, without the admin navigation.
    await rep.goto('/tokens');
    await rep.getByRole('heading', { level: 1, name: 'API tokens' }).waitFor();
    await rep.getByText('You have no API tokens.', { exact: true }).waitFor();
    assert.equal(await rep.getByRole('navigation', { name: 'Admin' }).count(), 0);
    await checkPage(rep, 'tokens-rep');
    await rep.context().close();
  });

  it('changes a role at once; the last admin cannot be demoted', async () => {
    const role = page.getByRole('combobox', { name: `Role of ${REP.email}` });
    await role.selectOption('manager');
    await status(page).getByText(`${REP.email} is now a manager.`, { exact: true }).waitFor();
    assert.equal((await userByEmail(hail, REP.email)).role, 'manager');

    expectResponse(page, { method: 'PATCH', path: /^\/api\/v1\/users\/\d+$/, status: 400 });
    const mine = page.getByRole('combobox', { name: 'Role of admin@example.com' });
    await mine.selectOption('rep');
    await page.getByRole('alert').getByText(
      'Could not change the role of admin@example.com: cannot demote or deactivate the last admin', { exact: true }).waitFor();
    assert.equal(await mine.inputValue(), 'admin');
    assert.equal((await userByEmail(hail, 'admin@example.com')).role, 'admin');
  });

  it('deactivates through a dialog: Escape cancels, focus comes back; the last admin is refused', async () => {
    const open = page.getByRole('button', { name: `Deactivate ${REP.email}` });
    await open.click();
    const dialog = page.getByRole('dialog', { name: `Deactivate ${REP.email}?` });
    await dialog.waitFor();
    assert.equal(await dialog.getByRole('button', { name: 'Cancel' }).evaluate((el) => el === document.activeElement), true);
    await checkPage(page, 'admin-deactivate-dialog');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    assert.equal(await open.evaluate((el) => el === document.activeElement), true);
    assert.equal((await userByEmail(hail, REP.email)).active, true);

    await open.click();
    await dialog.getByRole('button', { name: 'Deactivate', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });
    await status(page).getByText(`${REP.email} is deactivated: signed out, API tokens revoked.`, { exact: true }).waitFor();
    const row = page.getByRole('table', { name: 'Users' }).getByRole('row').filter({ hasText: REP.email });
    await row.getByText('Inactive', { exact: true }).waitFor();
    await row.getByRole('button', { name: `Reactivate ${REP.email}` }).waitFor();
    assert.equal((await userByEmail(hail, REP.email)).active, false);

    expectResponse(page, { method: 'DELETE', path: /^\/api\/v1\/users\/\d+$/, status: 400 });
    await page.getByRole('button', { name: 'Deactivate admin@example.com' }).click();
    const last = page.getByRole('dialog', { name: 'Deactivate admin@example.com?' });
    await last.getByRole('button', { name: 'Deactivate', exact: true }).click();
    await last.getByRole('alert').getByText('cannot demote or deactivate the last admin', { exact: true }).waitFor();
    await last.getByRole('button', { name: 'Cancel' }).click();
    await last.waitFor({ state: 'detached' });
    assert.equal((await userByEmail(hail, 'admin@example.com')).active, true);
    await checkPage(page, 'admin-users-after');

    await row.getByRole('button', { name: `Reactivate ${REP.email}` }).click();
    await status(page).getByText(`${REP.email} is active again.`, { exact: true }).waitFor();
    await row.getByRole('button', { name: `Deactivate ${REP.email}` }).waitFor();
    assert.equal((await userByEmail(hail, REP.email)).active, true);
  });

  it('a team page: rename, add and remove members', async () => {
    await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Teams' }).click();
    await page.getByRole('table', { name: 'Teams' }).getByRole('link', { name: 'East' }).click();
    await page.waitForURL(/\/admin\/teams\/\d+$/);
    await page.getByRole('heading', { level: 1, name: 'East' }).waitFor();
    const members = page.getByRole('table', { name: 'Members' });
    await members.getByRole('cell', { name: REP.email, exact: true }).waitFor();

    await page.getByRole('textbox', { name: 'Team name' }).fill('East Coast');
    await page.getByRole('button', { name: 'Rename' }).click();
    await status(page).getByText('Renamed to East Coast.', { exact: true }).waitFor();
    await page.getByRole('heading', { level: 1, name: 'East Coast' }).waitFor();
    await expectTitle(page, 'East Coast · hail');

    const add = page.getByRole('combobox', { name: 'Add member' });
    await add.selectOption({ label: 'Sam Rep (rep2@example.com)' });
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await status(page).getByText('rep2@example.com added to East Coast.', { exact: true }).waitFor();
    await members.getByRole('cell', { name: 'rep2@example.com', exact: true }).waitFor();
    await checkPage(page, 'admin-team');

    await page.getByRole('button', { name: `Remove ${REP.email}` }).click();
    await status(page).getByText(`${REP.email} removed from East Coast.`, { exact: true }).waitFor();
    await members.getByRole('cell', { name: REP.email, exact: true }).waitFor({ state: 'detached' });
    assert.equal(await add.evaluate((el) => el === document.activeElement), true);
    const teams = (await hail.api('GET', '/api/v1/teams?limit=200')).json.data;
    const east = teams.find((t) => t.name === 'East Coast');
    assert.deepEqual(east.members.map((m) => m.email), ['rep2@example.com']);

    // Deleting it (confirmed) keeps its members.
    const teamUrl = new URL(page.url()).pathname;
    await page.getByRole('button', { name: 'Delete team' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete East Coast?' });
    await dialog.getByText('Its 1 member stays, without the team.', { exact: true }).waitFor();
    await dialog.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.waitForURL(/\/admin\/teams$/);
    await page.getByRole('table', { name: 'Teams' }).getByRole('link', { name: 'West' }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'East Coast' }).count(), 0);
    const rep2 = await userByEmail(hail, 'rep2@example.com');
    assert.deepEqual(rep2.teams.map((t) => t.name), ['West']);

    // Its old address: the API's 404 message, no "Try again".
    expectResponse(page, { method: 'GET', path: teamUrl.replace('/admin/', '/api/v1/'), status: 404 });
    await page.goto(teamUrl);
    await page.getByRole('heading', { level: 1, name: 'Team not found' }).waitFor();
    await page.getByRole('alert').getByText(`no team with id ${teamUrl.split('/').pop()}`, { exact: true }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Try again' }).count(), 0);
    await page.getByRole('link', { name: 'All teams' }).waitFor();
  });

  it('pages through users 50 at a time', async () => {
    for (let i = 1; i <= 50; i++) {
      const r = await hail.api('POST', '/api/v1/users', { name: `Paged User ${i}`, email: `paged${i}@example.com`, role: 'rep' });
      assert.equal(r.status, 201);
    }
    await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Users' }).click();
    const table = page.getByRole('table', { name: 'Users' });
    await page.getByText('Showing 1–50 users', { exact: true }).waitFor();
    assert.equal(await table.getByRole('row').count(), 51);
    assert.equal(await page.getByRole('button', { name: 'Previous page' }).isDisabled(), true);
    await page.getByRole('button', { name: 'Next page' }).click();
    await page.getByText('Showing 51–55 users', { exact: true }).waitFor();
    await table.getByRole('cell', { name: 'paged50@example.com', exact: true }).waitFor();
    assert.equal(await table.getByRole('row').count(), 6);
    assert.equal(await page.getByRole('button', { name: 'Next page' }).isDisabled(), true);
    await page.getByRole('button', { name: 'Previous page' }).click();
    await page.getByText('Showing 1–50 users', { exact: true }).waitFor();
    await table.getByRole('cell', { name: 'admin@example.com', exact: true }).waitFor();
  });

  it('API tokens: created and shown once, then revoked through a dialog', async () => {
    await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'API tokens' }).click();
    await page.getByRole('heading', { level: 1, name: 'API tokens' }).waitFor();
    const table = page.getByRole('table', { name: 'Your API tokens' });
    await table.getByRole('button', { name: 'Revoke e2e' }).waitFor(); // the harness's CLI token
    assert.deepEqual((await table.getByRole('columnheader').allInnerTexts()).slice(0, 3), ['Name', 'Created', 'Last used']);

    await page.getByRole('textbox', { name: 'Token name' }).fill('laptop');
    await page.getByRole('button', { name: 'Create token' }).click();
    const secret = page.getByRole('textbox', { name: 'New token' });
    await secret.waitFor();
    const token = await secret.inputValue();
    assert.match(token, /^hail_[A-Za-z0-9_-]{43}$/);
    assert.equal(await secret.isEditable(), false);
    await page.getByText('Copy it now: it is shown only once. Keep it as secret as a password.', { exact: true }).waitFor();
    await table.getByRole('button', { name: 'Revoke laptop' }).waitFor();
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: hail.url });
    await page.getByRole('button', { name: 'Copy', exact: true }).click();
    await page.getByRole('status').getByText('Copied to the clipboard.', { exact: true }).waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), token);
    await checkPage(page, 'admin-tokens');
    const me = await request(hail.port, 'GET', '/api/v1/me', { headers: { Authorization: `Bearer ${token}` } });
    assert.equal(me.status, 200);
    assert.equal(me.json.email, 'admin@example.com');

    // Shown once: a reload lists it without the secret.
    await page.reload();
    await table.getByRole('button', { name: 'Revoke laptop' }).waitFor();
    assert.equal(await page.getByRole('textbox', { name: 'New token' }).count(), 0);
    assert.equal(await page.getByText(token).count(), 0);

    await table.getByRole('button', { name: 'Revoke laptop' }).click();
    const dialog = page.getByRole('dialog', { name: 'Revoke laptop?' });
    await dialog.getByRole('button', { name: 'Revoke', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });
    await status(page).getByText('Token laptop revoked: anything using it stops working now.', { exact: true }).waitFor();
    await table.getByRole('button', { name: 'Revoke laptop' }).waitFor({ state: 'detached' });
    const after = await request(hail.port, 'GET', '/api/v1/me', { headers: { Authorization: `Bearer ${token}` } });
    assert.equal(after.status, 401);
  });

  it('Marketo sync: state, "Sync now" and live progress to the end', { skip: SKIP_MARKETO }, async () => {
    // The worker's first sync (at start) has imported the fake's 30 leads.
    const deadline = Date.now() + 60000 * SLOW;
    let st;
    for (;;) {
      st = (await hail.api('GET', '/api/v1/sync/marketo')).json;
      if (!st.running && st.last_run && st.last_run.status === 'ok') break;
      assert.ok(Date.now() < deadline, `the first sync did not end: ${JSON.stringify(st)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Marketo sync' }).click();
    await page.getByRole('heading', { level: 1, name: 'Marketo sync' }).waitFor();
    await page.getByRole('heading', { name: 'State: Idle' }).waitFor();
    await page.getByText(runCounts(st.last_run), { exact: true }).waitFor();
    await page.getByText('Live updates on.', { exact: true }).waitFor();
    await checkPage(page, 'admin-sync');

    // New and changed leads, and a slow Marketo, so the run lasts long enough to watch.
    const leads = [];
    for (let i = 1; i <= 40; i++) {
      leads.push({ id: 600000 + i, firstName: `New${i}`, lastName: 'Lead', email: `new${i}@marketo.example`, company: 'Fabrikam' });
    }
    await hail.fake.addLeads(leads);
    await hail.fake.control('POST', '/_fake/config', { latency: 0.4 });
    await page.evaluate(() => {
      const region = document.querySelector('main .admin-live');
      window.__live = [];
      new MutationObserver(() => window.__live.push(region.textContent)).observe(region, { childList: true, subtree: true, characterData: true });
    });
    await page.getByRole('button', { name: 'Sync now' }).click();
    await page.getByRole('heading', { name: 'State: Syncing' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Sync now' }).isDisabled(), true);
    const live = page.locator('main .admin-live');
    await live.filter({ hasText: /^Sync finished: / }).waitFor({ timeout: 60000 * SLOW });
    await hail.fake.control('POST', '/_fake/config', { latency: 0 });
    const end = (await hail.api('GET', '/api/v1/sync/marketo')).json;
    assert.equal(end.running, false);
    assert.equal(end.last_run.status, 'ok');
    assert.equal(end.last_run.kind, 'incremental');
    assert.equal(end.last_run.origin, 'api');
    assert.equal(await live.getAttribute('role'), 'status');
    assert.equal(await live.innerText(), `Sync finished: ${runCounts(end.last_run)}.`);
    const seen = await page.evaluate(() => window.__live);
    assert.ok(seen.some((t) => /^(Connecting to Marketo|Reading changed people|Reading deleted people|Finishing) · /.test(t)),
      `no progress line among ${JSON.stringify(seen)}`);
    await page.getByRole('heading', { name: 'State: Idle' }).waitFor();
    await page.getByText('Incremental sync, started by the web app or API', { exact: true }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Sync now' }).isDisabled(), false);
    await checkPage(page, 'admin-sync-done');
  });

  it('works 390 px wide', async () => {
    const phone = await newPage(browser, hail, { viewport: { width: 390, height: 844 } });
    await signIn(phone, 'admin@example.com');
    await phone.goto('/admin/users');
    await phone.getByRole('table', { name: 'Users' }).getByRole('cell', { name: REP.email, exact: true }).waitFor();
    const wide = await phone.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(wide <= 390, `the page is ${wide} px wide`);
    await phone.getByRole('button', { name: 'New user' }).click();
    await phone.getByRole('textbox', { name: 'Name', exact: true }).waitFor();
    await checkPage(phone, 'admin-users-390');
    await phone.goto('/admin/sync');
    await phone.getByRole('heading', { name: 'State: Idle' }).waitFor();
    assert.ok(await phone.evaluate(() => document.documentElement.scrollWidth) <= 390);
    await checkPage(phone, 'admin-sync-390');
    await phone.context().close();
  });
});

describe('Marketo sync without Marketo configured', { skip: SKIP }, () => {
  let hail, browser, page;

  before(async () => {
    hail = await startHail({ marketo: false, people: false });
    browser = await launchBrowser();
    page = await newPage(browser, hail);
    await signIn(page, 'admin@example.com');
  });

  after(async () => {
    await browser?.close();
    await hail?.stop();
  });

  it('says so, and "Sync now" shows the API\'s 409 message', async () => {
    await page.goto('/admin/sync');
    await page.getByRole('heading', { name: 'State: Not configured' }).waitFor();
    await page.getByText('No sync has run yet.', { exact: true }).waitFor();
    await checkPage(page, 'admin-sync-unconfigured');
    expectResponse(page, { method: 'POST', path: '/api/v1/sync/marketo', status: 409 });
    await page.getByRole('button', { name: 'Sync now' }).click();
    await page.getByRole('alert').getByText(
      'Marketo is not configured (HAIL_MARKETO_URL, HAIL_MARKETO_CLIENT_ID, HAIL_MARKETO_CLIENT_SECRET)', { exact: true }).waitFor();
    assert.equal(await page.locator('main .admin-live').innerText(), '');
  });
});
