// End-to-end: the docked Live Feed in Debian's Chromium against the real hail.
//
// Against hail's own routes (GET /api/v1/feed, GET /api/v1/feed/stream; skipped, naming the
// route, in a hail without them): the panel opens from the shell's "Live feed" button and
// stays open across a reload; a call logged over the API and an email's open (its tracking
// pixel, fetched as a browser would) appear without a reload, and are announced politely; a
// machine open (Apple's privacy proxy) shows only with "Show machine events", marked
// "machine"; the Email action opens the composer for the person, the Task action makes a task
// (POST /api/v1/tasks) and the Call action logs a call; a rep sees no scope choice; 390 px.
//
// With the feed routes answered in the page (playwright's page.route): the states (loading,
// empty, an error with "Try again", reconnecting), an entry streamed after the first screen,
// and the request's filters.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  startHail, launchBrowser, newPage, signIn, checkPage, expectText, waitFor, request, SKIP, SLOW,
} from './harness.mjs';

const CHROME_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36';

function filesUnder(dir) {
  let out = [];
  let names;
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const n of names) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) out = out.concat(filesUnder(p));
    else out.push(p);
  }
  return out;
}

// The open pixel's path in a message of the maildir channel (quoted-printable undone).
function pixelPath(file) {
  const raw = readFileSync(file, 'utf8');
  const text = raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
  const m = /https?:\/\/[^\s"'<>]+(\/t\/o\/[A-Za-z0-9_-]+)/.exec(text);
  return m ? m[1] : null;
}

const panelOf = (page) => page.getByRole('complementary', { name: 'Live feed' });
const listOf = (page) => panelOf(page).getByRole('list', { name: 'Activities' });

async function openPanel(page) {
  const toggle = page.getByRole('button', { name: 'Live feed', exact: true });
  if ((await toggle.getAttribute('aria-expanded')) !== 'true') await toggle.click();
  await panelOf(page).waitFor();
  return panelOf(page);
}

describe('live feed (hail’s routes)', { skip: SKIP }, () => {
  let hail, browser, page;
  let missing = false;
  let diego, senderId;

  before(async () => {
    hail = await startHail({ leads: 5 });
    browser = await launchBrowser();
    // The list and the stream come together (F's part of issue 10).
    const feed = await hail.api('GET', '/api/v1/feed?limit=1');
    if (feed.status === 404) missing = 'GET /api/v1/feed is not in this hail yet (404)';
    const r = await hail.api('GET', '/api/v1/people?q=diego');
    diego = r.json.data.find((p) => p.first_name === 'Diego' && p.last_name === 'Kowalczyk');
    assert.ok(diego, 'the demo person Diego Kowalczyk is imported');
    const s = await hail.api('POST', '/api/v1/senders', { address: 'ada@sales.example.com', display_name: 'Ada Admin', signature_html: '', channel_id: 1 });
    assert.equal(s.status, 201, s.body);
    senderId = s.json.id;
    page = await newPage(browser, hail);
    await signIn(page, 'admin@example.com');
  });

  after(async () => {
    await browser?.close();
    await hail?.stop();
  });

  it('activity arrives live without a reload; machine events on request; actions', async (t) => {
    if (missing) return t.skip(missing);
    await page.goto('/people');
    const panel = await openPanel(page);
    await expectText(panel.locator('.feed-state'), 'Live', 10000 * SLOW);
    // Remembered: open again after a reload.
    await page.reload();
    await expectText(panelOf(page).locator('.feed-state'), 'Live', 10000 * SLOW);
    assert.equal(await page.getByRole('button', { name: 'Live feed', exact: true }).getAttribute('aria-expanded'), 'true');

    // A call logged over the API shows up, announced politely.
    const call = await hail.api('POST', '/api/v1/calls', { person_id: diego.id, status: 'completed', notes: 'Feed e2e' });
    assert.equal(call.status, 201, call.body);
    const callItem = listOf(page).getByRole('listitem').filter({ hasText: 'Receive Sales Call' }).first();
    await callItem.waitFor({ timeout: 5000 * SLOW });
    await expectText(callItem.locator('.feed-who'), 'Diego Kowalczyk');
    await expectText(callItem.locator('.feed-meta'), /by Ada Admin/);
    await expectText(panel.locator('[aria-live="polite"]'), /^New activit(y: Receive Sales Call, Diego Kowalczyk\.|ies)/);
    assert.notEqual(await page.evaluate(() => document.activeElement && document.activeElement.closest('.feed-list') !== null), true,
      'the focus did not move to the new entry');

    // An email to Diego, then its open pixel: first by Apple's proxy (machine), then by a browser.
    const em = await hail.api('POST', '/api/v1/emails', { person_id: diego.id, sender_id: senderId, subject: 'Feed hello', body_html: '<p>Hi Diego</p>' });
    assert.equal(em.status, 201, em.body);
    await waitFor(async () => (await hail.api('GET', `/api/v1/emails/${em.json.id}`)).json.status === 'sent', 'the email to be sent', 30000 * SLOW);
    await listOf(page).getByRole('listitem').filter({ hasText: 'Send Sales Email' }).filter({ hasText: 'Feed hello' }).first().waitFor();
    const file = await waitFor(() => filesUnder(join(hail.dataDir, 'mail')).find((f) => /\/(new|cur)\//.test(f) && pixelPath(f)), 'the message in the maildir');
    const pixel = pixelPath(file);
    const proxy = await request(hail.port, 'GET', pixel, { headers: { 'User-Agent': 'Mozilla/5.0' } });
    assert.equal(proxy.status, 200, proxy.body);
    const human = await request(hail.port, 'GET', pixel, { headers: { 'User-Agent': CHROME_UA } });
    assert.equal(human.status, 200, human.body);
    const opens = listOf(page).getByRole('listitem').filter({ hasText: 'Open Sales Email' });
    await opens.first().waitFor({ timeout: 5000 * SLOW });
    await expectText(opens.first().locator('.feed-subject'), '“Feed hello”');
    // Machine events are hidden until asked for.
    assert.equal(await opens.count(), 1);
    assert.equal(await panel.getByText('machine', { exact: true }).count(), 0);
    await panel.getByRole('checkbox', { name: 'Show machine events' }).check();
    await waitFor(async () => (await opens.count()) === 2, 'the machine open to show');
    const machine = opens.filter({ has: page.locator('.feed-machine') });
    await expectText(machine.locator('.feed-machine'), 'machine');
    assert.equal(await machine.locator('.feed-machine').getAttribute('title'), 'Apple Mail Privacy Protection');
    await checkPage(page, 'feed-open');
    await panel.getByRole('checkbox', { name: 'Show machine events' }).uncheck();
    await waitFor(async () => (await opens.count()) === 1, 'the machine open to hide again');

    // Scope: an admin chooses between their own and everyone's.
    await panel.getByRole('radio', { name: 'Mine' }).check();
    await callItem.waitFor();
    await panel.getByRole('radio', { name: 'Everyone' }).check();

    // Task: a small dialog that makes a task for the person.
    await callItem.getByRole('button', { name: 'Task Diego Kowalczyk' }).click();
    const dialog = page.getByRole('dialog', { name: 'New task for Diego Kowalczyk' });
    await dialog.waitFor();
    await dialog.getByRole('textbox', { name: 'Task name' }).fill('');
    await dialog.getByRole('button', { name: 'Create task' }).click();
    await expectText(dialog.locator('.field-error'), 'Give the task a name.');
    await dialog.getByRole('textbox', { name: 'Task name' }).fill('Send Diego the pricing');
    await dialog.getByRole('combobox', { name: 'Priority' }).selectOption('high');
    await dialog.getByRole('button', { name: 'Create task' }).click();
    await expectText(panel.locator('.feed-said'), 'Task “Send Diego the pricing” created for Diego Kowalczyk.');
    const tasks = await hail.api('GET', `/api/v1/tasks?person=${diego.id}&assignee=me`);
    const task = tasks.json.data.find((x) => x.name === 'Send Diego the pricing');
    assert.ok(task, tasks.body);
    assert.deepEqual([task.type, task.priority, task.status, task.person.id], ['call', 'high', 'open', diego.id]);

    // Call: the call-log form in a dialog; the logged call arrives in the feed too.
    const before = await listOf(page).getByRole('listitem').filter({ hasText: 'Receive Sales Call' }).count();
    await callItem.getByRole('button', { name: 'Call Diego Kowalczyk' }).click();
    const callDialog = page.getByRole('dialog', { name: 'Log a call with Diego Kowalczyk' });
    await callDialog.getByRole('button', { name: 'Log call' }).click();
    await expectText(panel.locator('.feed-said'), 'Call with Diego Kowalczyk logged.');
    await waitFor(async () => (await listOf(page).getByRole('listitem').filter({ hasText: 'Receive Sales Call' }).count()) === before + 1,
      'the logged call in the feed');

    // Email: the composer for the person.
    await callItem.getByRole('link', { name: 'Email Diego Kowalczyk' }).click();
    await page.waitForURL(`**/compose?person=${diego.id}`);
    await page.getByRole('textbox', { name: 'Subject' }).waitFor();
    // Add to campaign: the campaign page for the person.
    assert.equal(await callItem.getByRole('link', { name: 'Add to campaign Diego Kowalczyk' }).getAttribute('href'),
      `/campaigns/add?person=${diego.id}`);
    await panel.waitFor(); // docked on every page
    await checkPage(page, 'feed-compose');
  });

  it('a rep has no scope choice; the panel is a sheet at 390 px and closes back to its button', async (t) => {
    if (missing) return t.skip(missing);
    const phone = await newPage(browser, hail, { viewport: { width: 390, height: 844 } });
    await signIn(phone, 'rep1@example.com');
    const panel = await openPanel(phone);
    assert.equal(await panel.getByRole('radio').count(), 0);
    const box = await panel.boundingBox();
    assert.deepEqual([Math.round(box.x), Math.round(box.width)], [0, 390]);
    await expectText(panel.locator('.feed-state'), 'Live', 10000 * SLOW);
    await checkPage(phone, 'feed-phone');
    await panel.getByRole('button', { name: 'Close the live feed' }).click();
    await panel.waitFor({ state: 'detached' });
    assert.equal(await phone.evaluate(() => document.activeElement && document.activeElement.id), 'feed-toggle');
    await phone.context().close();
  });
});

// The feed routes answered in the page: states the real server rarely shows.
describe('live feed (answered in the page)', { skip: SKIP }, () => {
  let hail, browser;

  before(async () => {
    hail = await startHail({ leads: 5, people: false });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await hail?.stop();
  });

  const event = (id, extra = {}) => ({
    id, type: 'email_click', type_name: 'Click Sales Email', person_id: 1, user_id: 1, email_id: 9, template_id: null,
    campaign_id: 4, call_id: null, occurred_at: new Date(Date.now() - 120000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    machine: false, attrs: { link: 'https://hail.example/pricing' },
    person: { id: 1, first_name: 'Nina', last_name: 'Okafor', company: 'Northwind', email: 'nina@northwind.example', owner_email: 'admin@example.com' },
    user: { id: 1, name: 'Ada Admin' }, email: { id: 9, subject: 'Pricing' }, campaign: { id: 4, name: 'Q4 push' }, ...extra,
  });

  it('loading, an error with "Try again", empty, streamed entries, reconnecting, filters in the requests', async () => {
    const page = await newPage(browser, hail);
    await signIn(page, 'admin@example.com');
    const lists = [], streams = [];
    let listReply = 'error';
    let streamEvents = [];
    await page.route((url) => url.pathname === '/api/v1/feed', async (route) => {
      lists.push(new URL(route.request().url()).search);
      if (listReply === 'error') {
        await route.fulfill({ status: 503, contentType: 'application/json', body: '{"error":{"code":"unavailable","message":"the database is busy"}}' });
      } else {
        await route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(listReply) });
      }
    });
    await page.route((url) => url.pathname === '/api/v1/feed/stream', async (route) => {
      streams.push(new URL(route.request().url()).search);
      const body = 'retry: 3000\n\n: hello\n\n' + streamEvents.map((e) => `id: ${e.id}\nevent: activity\ndata: ${JSON.stringify(e)}\n\n`).join('');
      streamEvents = [];
      await route.fulfill({ status: 200, headers: { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store' }, body });
    });
    page.e2e.expected.push({ method: 'GET', path: '/api/v1/feed', status: 503 });
    await page.goto('/people');
    const panel = await openPanel(page);
    const alert = panel.getByRole('alert');
    await expectText(alert.locator('.state-message'), 'the database is busy');
    listReply = { data: [], next: null };
    await alert.getByRole('button', { name: 'Try again' }).click();
    await panel.getByText('No activity yet.').waitFor();
    // The mocked stream ends after each answer: the panel says so and reconnects.
    await expectText(panel.locator('.feed-state'), /^Reconnecting in \d s…$/);
    streamEvents = [event(41)];
    await panel.getByRole('button', { name: 'Reconnect now' }).click();
    const item = listOf(page).getByRole('listitem').filter({ hasText: 'Nina Okafor' });
    await item.waitFor();
    await expectText(item.locator('.feed-what'), 'Click Sales Email “Pricing”');
    await expectText(item.locator('.feed-meta'), 'Link: https://hail.example/pricing Campaign: Q4 push by Ada Admin');
    await expectText(item.locator('time'), '2 minutes ago');
    assert.match(await item.locator('time').getAttribute('title'), /^\d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2}$/);
    assert.equal(await item.getByRole('link', { name: 'Q4 push' }).getAttribute('href'), '/campaigns/4');
    await expectText(panel.locator('[aria-live="polite"]'), 'New activity: Click Sales Email, Nina Okafor.');
    // It resumed after the newest entry it had (none yet: live from now), then after 41.
    assert.equal(streams[0], '?scope=team&human_only=true');
    await waitFor(() => streams.some((s) => s === '?scope=team&human_only=true&last_event_id=41'), 'a stream resumed after 41', 15000 * SLOW);
    assert.equal(lists[0], '?scope=team&human_only=true&limit=50');
    // The machine switch asks again with human_only=false, and a machine entry is marked.
    listReply = { data: [event(43, { machine: true, attrs: { machine_reason: 'scanner_user_agent', link: 'https://hail.example/pricing' } }), event(41)], next: null };
    await panel.getByRole('checkbox', { name: 'Show machine events' }).check();
    await panel.locator('.feed-machine').waitFor();
    assert.equal(lists[lists.length - 1], '?scope=team&human_only=false&limit=50');
    assert.equal(await panel.locator('.feed-machine').getAttribute('title'), 'a link scanner');
    await panel.getByRole('radio', { name: 'Mine' }).check();
    await waitFor(() => lists[lists.length - 1] === '?scope=mine&human_only=false&limit=50', 'the list asked for mine');
    await checkPage(page, 'feed-mocked');
    // A phone: a sheet over the whole screen, the page behind it inert; Close gives the focus back.
    await page.setViewportSize({ width: 390, height: 844 });
    const box = await panel.boundingBox();
    assert.deepEqual([Math.round(box.x), Math.round(box.y), Math.round(box.width)], [0, 0, 390]);
    assert.equal(await page.locator('.shell-page').getAttribute('inert'), '');
    await checkPage(page, 'feed-mocked-phone');
    await panel.getByRole('button', { name: 'Close the live feed' }).click();
    await panel.waitFor({ state: 'detached' });
    await waitFor(() => page.evaluate(() => document.activeElement && document.activeElement.id === 'feed-toggle'), 'the focus back on "Live feed"');
    assert.equal(await page.locator('.shell-page').getAttribute('inert'), null);
    await page.context().close();
  });
});
