import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Browser, BrowserContext, chromium, Page } from 'playwright-core';
import request from 'supertest';
import { createUser, login, startTestApp, TestApp } from './support/test-app';

const COOKIE = '__Host-tessera_session';
/** docs/img holds the pages as the tests saw them; a run rewrites them only when asked (UPDATE_SCREENSHOTS=1). */
const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === '1' ? join(__dirname, '..', 'docs', 'img') : mkdtempSync(join(tmpdir(), 'tessera-pages-'));

/** The login and account pages in a real headless Chromium, against the service on a loopback port. */
describe('login and account pages in a browser', () => {
  let t: TestApp;
  let base: string;
  let browser: Browser;
  let attacker: Server;
  let attackerUrl: string;
  /** What the attacker's page posts where: set per test. */
  let attack = { action: '', fields: {} as Record<string, string> };

  beforeAll(async () => {
    t = await startTestApp();
    await t.app.listen(0, '127.0.0.1');
    base = (await t.app.getUrl()).replace('[::1]', '127.0.0.1');
    // Another origin (another port on the same loopback host: same site, so SameSite=Lax does not
    // stop the cookie; only the CSRF protection can).
    attacker = createServer((_req, res) => {
      const inputs = Object.entries(attack.fields).map(([k, v]) => `<input type="hidden" name="${k}" value="${v}">`).join('');
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<!doctype html><html><body><form id="f" method="post" action="${attack.action}">${inputs}</form><script>document.getElementById('f').submit()</script></body></html>`);
    });
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    attackerUrl = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}/`;
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => attacker?.close(resolve));
    await t?.close();
  });

  const api = () => request(base);
  const sessionWorks = async (ust: string) => (await api().get('/sessions/current').set('Authorization', `Bearer ${ust}`)).status === 200;

  async function signIn(context: BrowserContext, username: string, password: string, app = 'web'): Promise<Page> {
    const page = await context.newPage();
    await page.goto(`${base}/login`);
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(password);
    await page.getByLabel('Application').selectOption(app);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${base}/account`);
    return page;
  }

  async function browserUst(context: BrowserContext): Promise<string | undefined> {
    return (await context.cookies(base)).find((c) => c.name === COOKIE)?.value;
  }

  it('signs in through the form into an HttpOnly cookie, lists both sessions, revokes the other, logs out', async () => {
    const user = await createUser(t, { displayName: 'Zoë <Tester>' });
    const context = await browser.newContext({ userAgent: 'Mozilla/5.0 TesseraBrowserTest' });
    // CSP violations (an inline style or script) show as console errors.
    const consoleErrors: string[] = [];
    context.on('console', (message) => void (message.type() === 'error' && consoleErrors.push(message.text())));
    try {
      // The login page, once with an error (which field was wrong is not said), then signing in.
      const page = await context.newPage();
      await page.goto(`${base}/login`);
      await page.getByLabel('Username').fill(user.username);
      await page.getByLabel('Password').fill('not the password');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await expectText(page.getByRole('alert'), 'The username or password is not right.');
      await page.goto(`${base}/login`);
      await page.screenshot({ path: join(SCREENSHOTS, 'login.png'), fullPage: true });
      await page.close();

      const account = await signIn(context, user.username, user.password);
      const cookie = (await context.cookies(base)).find((c) => c.name === COOKIE)!;
      expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Lax', path: '/' });
      // Runs in the page: what the page's own scripts could read.
      const visible = await account.evaluate(() => (globalThis as unknown as { document: { cookie: string } }).document.cookie);
      expect(visible).not.toContain('tessera_session');
      expect(visible).not.toContain(cookie.value);
      const ust = cookie.value;
      expect(await sessionWorks(ust)).toBe(true);

      // A second session of the same user, from the API (app crm).
      const other = await login(t, user.username, user.password, 'crm');
      await account.reload();
      const rows = account.locator('tbody tr');
      expect(await rows.count()).toBe(2);
      const mine = account.locator('tbody tr', { hasText: 'This device' });
      expect(await mine.count()).toBe(1);
      await expectText(mine.locator('td').first(), 'web');
      await expectText(mine, 'TesseraBrowserTest');
      await expectText(account.locator('main'), 'Zoë <Tester>');
      await account.screenshot({ path: join(SCREENSHOTS, 'account.png'), fullPage: true });

      // Revoke the other one: its UST stops working, ours does not.
      await account.locator('tbody tr', { hasText: 'crm' }).getByRole('button', { name: /Revoke/ }).click();
      await account.waitForURL(/\/account\?done=revoked$/);
      await expectText(account.getByRole('status'), 'The session was revoked.');
      expect(await account.locator('tbody tr').count()).toBe(1);
      expect(await sessionWorks(other.ust)).toBe(false);
      expect(await sessionWorks(ust)).toBe(true);

      // Log out: the cookie is gone, the session ended, /account sends us to /login.
      await account.getByRole('button', { name: 'Log out' }).click();
      await account.waitForURL(`${base}/login`);
      expect(await browserUst(context)).toBeUndefined();
      expect(await sessionWorks(ust)).toBe(false);
      await account.goto(`${base}/account`);
      expect(account.url()).toBe(`${base}/login?next=%2Faccount`);
      expect(consoleErrors.filter((m) => !/status of 401/.test(m))).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it.each([
    ['log out', '/account/logout', {}],
    ['revoke all other sessions', '/account/revoke-others', {}],
    ['revoke a session', '/account/revoke', { session: 'OTHER' }],
  ])('refuses a form on another origin that tries to %s, and nothing changes', async (_what, path, fields) => {
    const user = await createUser(t);
    const context = await browser.newContext();
    try {
      const account = await signIn(context, user.username, user.password);
      const ust = (await browserUst(context))!;
      const other = await login(t, user.username, user.password, 'crm');
      attack = { action: `${base}${path}`, fields: Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, v === 'OTHER' ? other.session.id : v])) };

      const refused = account.waitForResponse((res) => res.url() === `${base}${path}` && res.request().method() === 'POST');
      await account.goto(attackerUrl);
      const response = await refused;
      expect(response.status()).toBe(403);
      await account.waitForLoadState();
      await expectText(account.locator('h1'), 'Request refused');

      // The browser did send the cookie (same site); the refusal came from the CSRF protection.
      expect((await response.request().allHeaders()).cookie).toContain(COOKIE);
      expect(await sessionWorks(ust)).toBe(true);
      expect(await sessionWorks(other.ust)).toBe(true);
      const { rows } = await t.pg.query('SELECT count(*)::int AS n FROM sso_session WHERE user_id = $1', [user.id]);
      expect(rows[0].n).toBe(2);
      await account.goto(`${base}/account`);
      expect(await account.locator('tbody tr').count()).toBe(2);
    } finally {
      await context.close();
    }
  });
});

async function expectText(locator: import('playwright-core').Locator, text: string) {
  expect(await locator.innerText()).toContain(text);
}
