import { generateSync } from 'otplib';
import request from 'supertest';
import { TotpService } from '../src';
import { createUser, login, PASSWORD, startTestApp, TestApp } from './support/test-app';

const COOKIE = '__Host-tessera_session';
const CSRF_COOKIE = '__Host-tessera_csrf';

function cookieFrom(res: { headers: Record<string, unknown> }, name: string): string | undefined {
  const line = ((res.headers['set-cookie'] as string[] | undefined) ?? []).find((l) => l.startsWith(`${name}=`));
  return line === undefined ? undefined : line.slice(name.length + 1, line.indexOf(';'));
}

/** The login and account pages over plain HTTP: headers, escaping, CSRF, redirects. The browser suite drives them for real. */
describe('pages over HTTP', () => {
  let t: TestApp;
  let base: string;
  const http = () => request(base);

  beforeAll(async () => {
    t = await startTestApp({ ALLOWED_ORIGINS: 'https://app.example.test' });
    await t.app.listen(0, '127.0.0.1');
    base = (await t.app.getUrl()).replace('[::1]', '127.0.0.1');
  });
  afterAll(() => t.close());

  /** A login form's CSRF cookie and token, as a browser gets them from GET /login. */
  async function loginForm() {
    const res = await http().get('/login');
    const secret = cookieFrom(res, CSRF_COOKIE)!;
    const token = /name="_csrf" value="([^"]+)"/.exec(res.text)![1];
    return { secret, token };
  }

  async function signIn(username: string, extra: Record<string, string> = {}) {
    const { secret, token } = await loginForm();
    const res = await http()
      .post('/login')
      .set('Cookie', `${CSRF_COOKIE}=${secret}`)
      .set('Origin', base)
      .type('form')
      .send({ _csrf: token, username, password: PASSWORD, currentApp: 'crm', ...extra });
    return { res, secret, token, ust: cookieFrom(res, COOKIE) };
  }

  it('tells a user pending approval, after the right password only, that they cannot sign in yet', async () => {
    const user = await createUser(t, { approvalStatus: 'pending' });
    const { res, ust } = await signIn(user.username);
    expect(res.status).toBe(403);
    expect(res.text).toContain('Your account has not been approved');
    expect(ust).toBeUndefined();
    const wrong = await signIn(user.username, { password: 'wrong password' });
    expect(wrong.res.status).toBe(401);
    expect(wrong.res.text).not.toContain('approved');
  });

  it('sends strict security headers with the pages', async () => {
    for (const path of ['/login', '/account']) {
      const res = await http().get(path);
      expect(res.headers['content-security-policy']).toBe(
        "default-src 'none'; style-src 'self'; form-action 'self' https://app.example.test; frame-ancestors 'none'; base-uri 'none'",
      );
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['referrer-policy']).toBe('same-origin');
    }
    const css = await http().get('/assets/tessera.css');
    expect(css.status).toBe(200);
    expect(css.headers['content-type']).toMatch(/^text\/css/);
  });

  it('renders an accessible login form with no inline script or style', async () => {
    const res = await http().get('/login');
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/<html lang="en">/);
    expect(res.text).toMatch(/<h1>Sign in<\/h1>/);
    for (const id of ['username', 'password', 'currentApp']) expect(res.text).toContain(`<label for="${id}">`);
    expect(res.text).toContain('<option value="crm" selected>crm</option><option value="web">web</option>');
    expect(res.text).not.toMatch(/<script|\sstyle=|<style|\son[a-z]+=/i);
  });

  it('signs in through the form: session cookie, redirect to /account', async () => {
    const user = await createUser(t);
    const { res, ust } = await signIn(user.username);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/account');
    expect(ust).toBeDefined();
    const account = await http().get('/account').set('Cookie', `${COOKIE}=${ust}`);
    expect(account.status).toBe(200);
    expect(account.text).toContain(user.username);
  });

  it.each([
    ['a path on this service', '/account?tab=1', '/account?tab=1'],
    ['a URL on an allowed origin', 'https://app.example.test/home', 'https://app.example.test/home'],
    ['another site', 'https://evil.example.test/', '/account'],
    ['a scheme-relative URL', '//evil.example.test/', '/account'],
  ])('after signing in goes to next when it is %s', async (_what, next, location) => {
    const user = await createUser(t);
    const { res } = await signIn(user.username, { next });
    expect(res.headers.location).toBe(location);
  });

  it('asks a user with TOTP on for the one-time code, and signs in with it', async () => {
    const key = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
    const user = await createUser(t);
    await t.app.get(TotpService).enable(user.id, key);
    const without = await signIn(user.username);
    expect(without.res.status).toBe(401);
    expect(without.ust).toBeUndefined();
    expect(without.res.text).toContain('Enter the one-time code from your authenticator app.');
    const withCode = await signIn(user.username, { totpCode: generateSync({ secret: key }) });
    expect(withCode.res.status).toBe(303);
    expect(withCode.ust).toBeDefined();
  });

  it('answers a wrong password and an unknown user with the same words, and sets no cookie', async () => {
    const user = await createUser(t);
    const wrong = await signIn(user.username, { password: 'wrong password' });
    const unknown = await signIn('nobody-' + user.username);
    for (const { res, ust } of [wrong, unknown]) {
      expect(res.status).toBe(401);
      expect(ust).toBeUndefined();
      expect(res.text).toContain('The username or password is not right.');
      expect(res.text).not.toMatch(/unknown user|wrong password|no such user/i);
    }
    // The username typed is kept (escaped); the password is never sent back.
    expect(wrong.res.text).toContain(`value="${user.username}"`);
    expect(wrong.res.text).not.toContain('wrong password');
  });

  it('shows a missing field next to that field', async () => {
    const { res } = await signIn('', { password: '' });
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/aria-describedby="username-error"[^>]*>\s*<p class="field-error" id="username-error">Enter your username\.<\/p>/);
    expect(res.text).toContain('<p class="field-error" id="password-error">Enter your password.</p>');
  });

  it('refuses a login form without a valid token, or from another origin', async () => {
    const user = await createUser(t);
    const { secret, token } = await loginForm();
    const form = { username: user.username, password: PASSWORD, currentApp: 'crm' };
    const noToken = await http().post('/login').set('Cookie', `${CSRF_COOKIE}=${secret}`).set('Origin', base).type('form').send(form);
    const badToken = await http().post('/login').set('Cookie', `${CSRF_COOKIE}=${secret}`).set('Origin', base).type('form').send({ ...form, _csrf: token + 'x' });
    const noSecret = await http().post('/login').set('Origin', base).type('form').send({ ...form, _csrf: token });
    const otherOrigin = await http().post('/login').set('Cookie', `${CSRF_COOKIE}=${secret}`).set('Origin', 'http://127.0.0.1:1').type('form').send({ ...form, _csrf: token });
    for (const res of [noToken, badToken, noSecret, otherOrigin]) {
      expect(res.status).toBe(403);
      expect(res.text).toContain('csrf_failed');
      expect(cookieFrom(res, COOKIE)).toBeUndefined();
    }
    const { rows } = await t.pg.query('SELECT count(*)::int AS n FROM sso_session WHERE user_id = $1', [user.id]);
    expect(rows[0].n).toBe(0);
  });

  it('escapes what users and clients chose (display name, user agent) on the account page', async () => {
    const user = await createUser(t, { displayName: '<img src=x onerror=alert(1)>' });
    const evilAgent = '"><script>alert(document.cookie)</script>';
    await t.http().post('/auth/login').set('User-Agent', evilAgent).send({ username: user.username, password: PASSWORD, currentApp: 'web' });
    const { ust } = await signIn(user.username);
    const res = await http().get('/account').set('Cookie', `${COOKIE}=${ust}`);
    expect(res.text).not.toContain('<script>');
    expect(res.text).not.toContain('<img src=x');
    expect(res.text).toContain('&quot;&gt;&lt;script&gt;alert(document.cookie)&lt;/script&gt;');
    expect(res.text).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('refuses an account action with the right origin but no token, and nothing changes', async () => {
    const user = await createUser(t);
    const { ust, secret } = await signIn(user.username);
    const other = await login(t, user.username);
    const res = await http()
      .post('/account/revoke-others')
      .set('Cookie', `${COOKIE}=${ust}; ${CSRF_COOKIE}=${secret}`)
      .set('Origin', base)
      .type('form')
      .send({});
    expect(res.status).toBe(403);
    expect((await t.http().get('/sessions/current').set('Authorization', `Bearer ${other.ust}`)).status).toBe(200);
  });

  it('takes form bodies on the pages only: the API still answers 415, the pages refuse JSON', async () => {
    const form = await http().post('/auth/logout').type('form').send({ a: '1' });
    expect(form.status).toBe(415);
    const json = await http().post('/login').set('Origin', base).send({ username: 'x' });
    expect(json.status).toBe(415);
  });

  it('sends a visitor without a session from /account to /login, and a signed-in one from /login to /account', async () => {
    const anonymous = await http().get('/account');
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.location).toBe('/login?next=%2Faccount');
    const user = await createUser(t);
    const { ust } = await signIn(user.username);
    const again = await http().get('/login').set('Cookie', `${COOKIE}=${ust}`);
    expect(again.status).toBe(303);
    expect(again.headers.location).toBe('/account');
  });
});

describe('pages switched off', () => {
  it('PAGES=false serves no page, and the API keeps working', async () => {
    const t = await startTestApp({ PAGES: 'false' });
    try {
      expect((await t.http().get('/login')).status).toBe(404);
      expect((await t.http().get('/account')).status).toBe(404);
      const user = await createUser(t);
      expect((await login(t, user.username)).ust).toBeDefined();
    } finally {
      await t.close();
    }
  });
});
