// Drives Debian's Chromium (headless, through playwright-core) over the member's console and the
// gateway's pools page. Run by ConsoleAndPoolsPageWorkInHeadlessChromiumTest with one argument, a
// JSON config: {members: [base URLs], operatorToken, readToken, gatewayAdmin, chromium, screenshots}.
// Prints "ok <step>" per step; on the first failure prints "FAIL <step>: <why>" and exits 1.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';

const config = JSON.parse(process.argv[2]);
const [m1, m2, m3] = config.members;
const STEP_TIMEOUT_MS = 15000;
let step = 'start';
const pageErrors = [];

function ok(what) {
  console.log('ok ' + what);
}

function check(condition, why) {
  if (!condition) throw new Error(why);
}

/** A call to the HTTP API from outside the browser (what another client does meanwhile). */
async function api(base, method, path, token, body) {
  const resp = await fetch(base + path, {
    method,
    headers: { Authorization: 'Bearer ' + token, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10000),
  });
  const text = await resp.text();
  check(resp.ok, `${method} ${path}: ${resp.status} ${text}`);
  return JSON.parse(text);
}

function register(base, service, id, port, extra = {}) {
  return api(base, 'PUT', `/v1/services/${service}/instances/${id}`, config.operatorToken,
    { instance: { host: '127.0.0.1', port, leaseTtlMs: 3600000, ...extra } });
}

async function text(page, selector) {
  return (await page.locator(selector).first().textContent({ timeout: STEP_TIMEOUT_MS })) || '';
}

async function waitForText(page, selector, needle, timeout = STEP_TIMEOUT_MS) {
  await page.waitForFunction(([s, n]) => {
    const el = document.querySelector(s);
    return el !== null && el.textContent.includes(n);
  }, [selector, needle], { timeout });
}

async function useToken(page, token) {
  await page.fill('#token', token);
  await page.click('#token-save');
}

async function shot(page, name) {
  await page.screenshot({ path: join(config.screenshots, name + '.png'), fullPage: true });
}

// an instance's health endpoint, flipped by the test
let healthy = true;
const healthServer = http.createServer((req, res) => {
  res.writeHead(healthy ? 200 : 500, { 'Content-Type': 'text/plain' });
  res.end(healthy ? 'UP' : 'DOWN');
});
await new Promise((resolve) => healthServer.listen(0, '127.0.0.1', resolve));
const healthPort = healthServer.address().port;

const userDataDir = mkdtempSync(join(tmpdir(), 'muster-chromium-'));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: config.chromium,
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
  viewport: { width: 1280, height: 800 },
});
let failed = false;
try {
  const page = context.pages()[0] || await context.newPage();
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('dialog', (d) => d.accept());

  step = 'without a token';
  await page.goto(m1 + '/ui/');
  await waitForText(page, '#message', '401 UNAUTHENTICATED');
  check((await text(page, '#message')).includes('token'), 'the 401 message names the token: ' + await text(page, '#message'));
  await shot(page, 'no-token');
  ok("without a token the server's 401 is shown");

  step = 'services page';
  await register(m2, 'shop', 's1', 8001, { tags: ['v1'], metadata: { version: '1.0.0' }, zone: 'z1', weight: 7 });
  await register(m3, 'other', 'o1', 8002);
  await useToken(page, config.readToken);
  await page.waitForSelector('#services tr[data-service="shop"]');
  await page.waitForSelector('#services tr[data-service="other"]');
  check(await page.locator('#message').isHidden(), 'no error with a read token: ' + await text(page, '#message'));
  check((await text(page, '#token-state')) === 'token set', 'the token is kept');
  await page.fill('#filter', 'sho');
  await page.waitForFunction(() => document.querySelectorAll('#services tbody tr').length === 1);
  check((await text(page, '#services tbody tr')).includes('shop'), 'the filter keeps shop');
  await shot(page, 'services');
  ok('services page renders');

  step = 'a registration on the open service page';
  await page.click('#services tr[data-service="shop"] a');
  await page.waitForSelector('#instances tr[data-id="s1"]');
  await waitForText(page, '#live', 'live');
  check((await text(page, '#instances tr[data-id="s1"]')).includes('version=1.0.0'), 'metadata shown');
  check((await text(page, '#instances tr[data-id="s1"]')).includes('z1'), 'zone shown');
  const t0 = Date.now();
  await register(m2, 'shop', 's2', 8003);
  await page.waitForSelector('#instances tr[data-id="s2"]', { timeout: 1000 });
  const appearedMs = Date.now() - t0;
  check(appearedMs <= 1000, `s2 appeared after ${appearedMs} ms`);
  check(await page.locator('#instances tr[data-id="s2"].changed').count() === 1, 'the new row is highlighted');
  await shot(page, 'service');
  console.log(`registration to row: ${appearedMs} ms`);
  ok('a registration appears on the open service page within 1000 ms');

  step = 'a health flip';
  await register(m3, 'shop', 's3', healthPort, {
    checks: [{ name: 'health', http: { path: '/health' }, intervalMs: 200, timeoutMs: 150, rise: 1, fall: 1 }],
  });
  await waitForText(page, '#instances tr[data-id="s3"] td.health', 'HEALTHY');
  healthy = false;
  await waitForText(page, '#instances tr[data-id="s3"] td.health', 'UNHEALTHY');
  const reason = await text(page, '#instances tr[data-id="s3"] .health-reason');
  check(reason.includes('500'), 'the reason names the status: ' + reason);
  check(await page.locator('#instances tr[data-id="s3"].changed').count() === 1, 'the flipped row is highlighted');
  await shot(page, 'health-flip');
  ok('a health flip shows');

  step = 'a read token acts';
  await page.click('#instances tr[data-id="s1"] button.deregister');
  await waitForText(page, '#message', '403 PERMISSION_DENIED');
  check((await text(page, '#message')).includes('lacks write on service "shop"'), 'the 403 names the rule: ' + await text(page, '#message'));
  check(await page.locator('#instances tr[data-id="s1"]').count() === 1, 's1 is still there');
  await shot(page, 'refused');
  ok("a read token's deregister is refused with the server's 403");

  step = 'an operator token acts';
  await useToken(page, config.operatorToken);
  await page.waitForSelector('#instances tr[data-id="s1"]');
  await waitForText(page, '#live', 'live');
  await page.click('#instances tr[data-id="s1"] button.maintenance-toggle');
  await waitForText(page, '#instances tr[data-id="s1"] td.health', 'maintenance: set in the console');
  await waitForText(page, '#message', 'maintenance on for s1');
  await page.click('#instances tr[data-id="s2"] button.deregister');
  await page.waitForSelector('#instances tr[data-id="s2"]', { state: 'detached' });
  await shot(page, 'actions');
  ok("an operator token's maintenance and deregister work");

  step = 'members page';
  await page.click('#nav-members');
  await page.waitForFunction(() => document.querySelectorAll('#members tbody tr').length === 3);
  const leader = await text(page, '#leader-id');
  check(/^n\d$/.test(leader), 'the leader is named: ' + leader);
  check(Number(await text(page, '#applied-index')) > 0, 'the applied index is shown');
  // every member's own applied index (the page's member asks each one): all alive, all past the
  // writes above, one number once they have all applied them
  await page.waitForFunction(() => {
    const rows = [...document.querySelectorAll('#members tbody tr')];
    const applied = rows.map((r) => Number(r.querySelector('td.applied-index')?.textContent));
    return rows.length === 3 && rows.every((r) => r.querySelector('td.health-HEALTHY') !== null)
      && applied.every((a) => a > 0 && a === applied[0])
      && rows.every((r) => Number(r.querySelector('td.term')?.textContent) > 0);
  }, null, { timeout: STEP_TIMEOUT_MS });
  const rows = await page.locator('#members tbody tr').evaluateAll((trs) => trs.map((r) => ({
    id: r.dataset.id, role: r.querySelector('td.role').textContent, applied: r.querySelector('td.applied-index').textContent,
  })));
  check(rows.filter((r) => r.role === 'leader').length === 1, 'one leader listed: ' + JSON.stringify(rows));
  console.log('members: ' + JSON.stringify(rows));
  const target = (await page.locator('#members tbody tr:not(:has(td.leader))').first().getAttribute('data-id'));
  await page.click(`#members tr[data-id="${target}"] button.transfer`);
  await waitForText(page, '#leader-id', target);
  await shot(page, 'members');
  ok("members page shows every member's applied index and leadership moves");

  step = "the gateway's pools page";
  await page.goto(config.gatewayAdmin + '/ui/');
  await page.waitForSelector('section.pool[data-service="web"] tr[data-id="web-1"]');
  await page.waitForSelector('section.pool[data-service="web"] tr[data-id="web-2"]');
  const row = await text(page, 'section.pool[data-service="web"] tr[data-id="web-1"]');
  check(row.includes('active') && row.includes('HEALTHY') && row.includes('ms'), 'an endpoint row: ' + row);
  await shot(page, 'gateway-pools');
  ok("the gateway's pools page renders");

  check(pageErrors.length === 0, 'script errors in the pages: ' + pageErrors.join('; '));
} catch (e) {
  failed = true;
  console.log(`FAIL ${step}: ${e.message}`);
  try {
    const page = context.pages()[0];
    if (page) {
      console.log('page text: ' + (await page.locator('body').innerText()).replace(/\s+/g, ' ').slice(0, 2000));
      await shot(page, 'failure');
    }
  } catch {
    // the page itself is gone
  }
} finally {
  await context.close();
  healthServer.close();
  rmSync(userDataDir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
