import request from 'supertest';
import { UsersService } from '../src';
import { createUser, loggedInUser, login, PASSWORD, startTestApp, TestApp } from './support/test-app';

const COOKIE = '__Host-tessera_session';
const ALLOWED = 'https://app.example.test';

function expectError(res: { status: number; body: unknown }, status: number, code: string) {
  expect({ status: res.status, code: (res.body as { code?: string }).code }).toEqual({ status, code });
}

/** The Set-Cookie lines of a response for one cookie name. */
function setCookies(res: { headers: Record<string, unknown> }, name = COOKIE): string[] {
  const all = (res.headers['set-cookie'] as string[] | undefined) ?? [];
  return all.filter((line) => line.startsWith(`${name}=`));
}

function cookieValue(line: string): string {
  return decodeURIComponent(line.slice(line.indexOf('=') + 1, line.indexOf(';')));
}

/** A Set-Cookie that makes the browser drop the cookie: empty value, expiry in the past or Max-Age=0. */
function isClearing(line: string): boolean {
  const expires = /Expires=([^;]+)/i.exec(line)?.[1];
  return cookieValue(line) === '' && (/Max-Age=0/i.test(line) || (expires !== undefined && new Date(expires).getTime() < Date.now()));
}

describe('cookie mode', () => {
  let t: TestApp;
  let base: string;
  const http = () => request(base);

  beforeAll(async () => {
    t = await startTestApp({ ALLOWED_ORIGINS: ALLOWED });
    await t.app.listen(0, '127.0.0.1');
    base = await t.app.getUrl();
    base = base.replace('[::1]', '127.0.0.1');
  });
  afterAll(() => t.close());

  /** Logs in with `cookie: true`; returns the cookie's UST and the session. */
  async function cookieLogin(username: string, currentApp = 'crm') {
    const res = await http().post('/auth/login').send({ username, password: PASSWORD, currentApp, cookie: true });
    expect(res.status).toBe(201);
    const [line] = setCookies(res);
    return { res, line, ust: cookieValue(line), session: res.body.session as { id: string; absoluteExpiresAt: string } };
  }

  const withCookie = (ust: string) => `${COOKIE}=${ust}`;
  const attrInDb = async (sessionId: string, name: string) =>
    (await t.pg.query('SELECT 1 FROM sso_session_attr WHERE owner_id = $1 AND name = $2', [sessionId, name])).rowCount;
  const sessionInDb = async (id: string) => (await t.pg.query('SELECT 1 FROM sso_session WHERE id = $1', [id])).rowCount === 1;

  describe('login', () => {
    it('sets an HttpOnly, Secure, SameSite=Lax, Path=/ cookie with the __Host- prefix, and leaves the UST out of the body', async () => {
      const user = await createUser(t);
      const { res, line, ust, session } = await cookieLogin(user.username);
      expect(line).toMatch(/; HttpOnly/i);
      expect(line).toMatch(/; Secure/i);
      expect(line).toMatch(/; SameSite=Lax/i);
      expect(line).toMatch(/; Path=\/(;|$)/);
      expect(line).not.toMatch(/Domain=/i);
      expect(new Date(/Expires=([^;]+)/i.exec(line)![1]).toISOString().slice(0, 19)).toBe(session.absoluteExpiresAt.slice(0, 19));
      expect(Object.keys(res.body).sort()).toEqual(['session', 'warnings']);
      expect(JSON.stringify(res.body)).not.toContain(ust);
      const current = await http().get('/sessions/current').set('Cookie', withCookie(ust));
      expect(current.status).toBe(200);
      expect(current.body.id).toBe(session.id);
    });

    it('sets no cookie when the login does not ask (LOGIN_COOKIE=optional)', async () => {
      const user = await createUser(t);
      const res = await http().post('/auth/login').send({ username: user.username, password: PASSWORD, currentApp: 'crm' });
      expect(res.status).toBe(201);
      expect(res.headers['set-cookie']).toBeUndefined();
      expect(typeof res.body.ust).toBe('string');
    });

    it('sets no cookie on a failed login', async () => {
      const user = await createUser(t);
      const res = await http().post('/auth/login').send({ username: user.username, password: 'wrong password', currentApp: 'crm', cookie: true });
      expectError(res, 401, 'invalid_credentials');
      expect(res.headers['set-cookie']).toBeUndefined();
    });

    it('still refuses a form-encoded login: the JSON API takes JSON only', async () => {
      const user = await createUser(t);
      const res = await http().post('/auth/login').type('form').send({ username: user.username, password: PASSWORD, currentApp: 'crm', cookie: 'true' });
      expectError(res, 415, 'unsupported_media_type');
    });
  });

  describe('attributes and sessions through the cookie', () => {
    it('reads and writes session and user attributes with the cookie, Origin and X-Tessera-CSRF', async () => {
      const user = await createUser(t);
      const { ust, session } = await cookieLogin(user.username);
      const put = await http().put('/sessions/current/attrs/cart').set('Cookie', withCookie(ust)).set('Origin', base).set('X-Tessera-CSRF', '1').send({ value: ['tea'] });
      expect(put.status).toBe(200);
      const get = await http().get('/sessions/current/attrs/cart').set('Cookie', withCookie(ust));
      expect(get.status).toBe(200);
      expect(get.body.value).toEqual(['tea']);
      expect(await attrInDb(session.id, 'cart')).toBe(1);
      const userPut = await http().put('/users/me/attrs/theme').set('Cookie', withCookie(ust)).set('Origin', ALLOWED).set('X-Tessera-CSRF', '1').send({ value: 'dark' });
      expect(userPut.status).toBe(200);
      const userGet = await http().get('/users/me/attrs/theme').set('Cookie', withCookie(ust));
      expect(userGet.body.value).toBe('dark');
    });

    it('takes the Referer when there is no Origin', async () => {
      const user = await createUser(t);
      const { ust, session } = await cookieLogin(user.username);
      const res = await http().post('/sessions/current/attrs').set('Cookie', withCookie(ust)).set('Referer', `${base}/account?x=1`).set('X-Tessera-CSRF', '1').send({ name: 'a', value: 1 });
      expect(res.status).toBe(201);
      expect(await attrInDb(session.id, 'a')).toBe(1);
    });

    it('refuses without X-Tessera-CSRF with csrf_failed and writes nothing', async () => {
      const user = await createUser(t);
      const { ust, session } = await cookieLogin(user.username);
      const res = await http().put('/sessions/current/attrs/cart').set('Cookie', withCookie(ust)).set('Origin', base).send({ value: 1 });
      expectError(res, 403, 'csrf_failed');
      expect(await attrInDb(session.id, 'cart')).toBe(0);
    });

    it.each([
      ['another origin', { Origin: 'https://evil.example.test' }],
      ['an allowed host on another port', { Origin: 'https://app.example.test:8443' }],
      ['Origin: null (a sandboxed or privacy-redirected form)', { Origin: 'null' }],
      ['another Referer and no Origin', { Referer: 'https://evil.example.test/page' }],
      ['neither Origin nor Referer', {}],
    ])('refuses %s with csrf_failed and writes nothing, even with the header', async (_what, headers) => {
      const user = await createUser(t);
      const { ust, session } = await cookieLogin(user.username);
      const res = await http().post('/sessions/current/attrs/batch/set').set('Cookie', withCookie(ust)).set(headers).set('X-Tessera-CSRF', '1').send({ data: [{ name: 'x', value: 1 }] });
      expectError(res, 403, 'csrf_failed');
      expect(await attrInDb(session.id, 'x')).toBe(0);
    });

    it('refuses a cookie logout without CSRF proof and the session lives on', async () => {
      const user = await createUser(t);
      const { ust, session } = await cookieLogin(user.username);
      expectError(await http().post('/auth/logout').set('Cookie', withCookie(ust)).set('Origin', base), 403, 'csrf_failed');
      expectError(await http().delete('/sessions').set('Cookie', withCookie(ust)).set('Origin', 'https://evil.example.test').set('X-Tessera-CSRF', '1'), 403, 'csrf_failed');
      expect(await sessionInDb(session.id)).toBe(true);
    });

    it('lets bearer calls change state without any CSRF proof', async () => {
      const { auth, session } = await loggedInUser(t);
      const res = await http().put('/sessions/current/attrs/cart').set('Authorization', auth).send({ value: 2 });
      expect(res.status).toBe(200);
      expect(await attrInDb(session.id, 'cart')).toBe(1);
    });

    it('prefers the bearer header when both are sent, even a bad one', async () => {
      const user = await createUser(t);
      const byCookie = await cookieLogin(user.username);
      const byBearer = await login(t, user.username);
      const res = await http().get('/sessions/current').set('Cookie', withCookie(byCookie.ust)).set('Authorization', `Bearer ${byBearer.ust}`);
      expect(res.body.id).toBe(byBearer.session.id);
      // Authenticated by bearer: no CSRF check applies, and the cookie is not cleared on logout.
      const out = await http().post('/auth/logout').set('Cookie', withCookie(byCookie.ust)).set('Authorization', `Bearer ${byBearer.ust}`);
      expect(out.status).toBe(204);
      expect(setCookies(out)).toEqual([]);
      expect(await sessionInDb(byBearer.session.id)).toBe(false);
      expect(await sessionInDb(byCookie.session.id)).toBe(true);
      const bad = await http().get('/sessions/current').set('Cookie', withCookie(byCookie.ust)).set('Authorization', 'Bearer nonsense');
      expectError(bad, 401, 'session_invalid');
    });
  });

  describe('ending and renewing', () => {
    const proof = (req: request.Test, ust: string) => req.set('Cookie', withCookie(ust)).set('Origin', base).set('X-Tessera-CSRF', '1');

    it('clears the cookie on logout and the UST stops working', async () => {
      const user = await createUser(t);
      const { ust, session } = await cookieLogin(user.username);
      const res = await proof(http().post('/auth/logout'), ust);
      expect(res.status).toBe(204);
      const [line] = setCookies(res);
      expect(isClearing(line)).toBe(true);
      expect(line).toMatch(/; Path=\//);
      expect(line).toMatch(/; Secure/i);
      expect(await sessionInDb(session.id)).toBe(false);
      expectError(await http().get('/sessions/current').set('Cookie', withCookie(ust)), 401, 'session_invalid');
    });

    it('clears the cookie when its own session is revoked by id, not when another one is', async () => {
      const user = await createUser(t);
      const { ust, session } = await cookieLogin(user.username);
      const other = await login(t, user.username);
      const revokeOther = await proof(http().delete(`/sessions/${other.session.id}`), ust);
      expect(revokeOther.status).toBe(204);
      expect(setCookies(revokeOther)).toEqual([]);
      const revokeOwn = await proof(http().delete(`/sessions/${session.id.toUpperCase()}`), ust);
      expect(revokeOwn.status).toBe(204);
      expect(isClearing(setCookies(revokeOwn)[0])).toBe(true);
      expect(await sessionInDb(session.id)).toBe(false);
    });

    it('clears the cookie on DELETE /sessions, but not with keepCurrent=true', async () => {
      const user = await createUser(t);
      const { ust, session } = await cookieLogin(user.username);
      const keep = await proof(http().delete('/sessions?keepCurrent=true'), ust);
      expect(keep.status).toBe(204);
      expect(setCookies(keep)).toEqual([]);
      const all = await proof(http().delete('/sessions'), ust);
      expect(all.status).toBe(204);
      expect(isClearing(setCookies(all)[0])).toBe(true);
      expect(await sessionInDb(session.id)).toBe(false);
    });

    it('stops accepting the cookie of a locked user', async () => {
      const user = await createUser(t);
      const { ust } = await cookieLogin(user.username);
      expect((await http().get('/sessions/current').set('Cookie', withCookie(ust))).status).toBe(200);
      await t.app.get(UsersService).setLocked(user.id, true);
      expectError(await http().get('/sessions/current').set('Cookie', withCookie(ust)), 401, 'session_invalid');
      expectError(await http().get('/sessions/current/attrs').set('Cookie', withCookie(ust)), 401, 'session_invalid');
    });

    it('re-issues the same UST on renew, with fresh attributes', async () => {
      const user = await createUser(t);
      const { ust, session } = await cookieLogin(user.username);
      await t.pg.query(`UPDATE sso_session SET expires_at = now() + interval '5 minutes' WHERE id = $1`, [session.id]);
      const res = await proof(http().post('/sessions/current/renew'), ust);
      expect(res.status).toBe(200);
      const [line] = setCookies(res);
      expect(cookieValue(line)).toBe(ust);
      expect(line).toMatch(/HttpOnly/i);
      expect(new Date(res.body.expiresAt).getTime()).toBeGreaterThan(Date.now() + 30 * 60 * 1000);
      // By bearer, nothing to re-issue.
      const byBearer = await http().post('/sessions/current/renew').set('Authorization', `Bearer ${ust}`);
      expect(byBearer.status).toBe(200);
      expect(setCookies(byBearer)).toEqual([]);
    });
  });

  describe('CORS', () => {
    it('allows an allowed origin with credentials, and the CSRF header', async () => {
      const res = await http().options('/sessions/current/attrs/cart').set('Origin', ALLOWED).set('Access-Control-Request-Method', 'PUT').set('Access-Control-Request-Headers', 'content-type,x-tessera-csrf');
      expect(res.status).toBeLessThan(300);
      expect(res.headers['access-control-allow-origin']).toBe(ALLOWED);
      expect(res.headers['access-control-allow-credentials']).toBe('true');
      expect(res.headers['access-control-allow-headers']).toMatch(/x-tessera-csrf/i);
    });

    it('does not allow any other origin', async () => {
      const res = await http().options('/sessions/current/attrs/cart').set('Origin', 'https://evil.example.test').set('Access-Control-Request-Method', 'PUT');
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
      const get = await http().get('/sessions/current').set('Origin', 'https://evil.example.test');
      expect(get.headers['access-control-allow-origin']).toBeUndefined();
    });
  });
});

describe('cookie mode settings', () => {
  it('LOGIN_COOKIE=always sets the cookie besides the UST in the body', async () => {
    const t = await startTestApp({ LOGIN_COOKIE: 'always' });
    try {
      const user = await createUser(t);
      const res = await t.http().post('/auth/login').send({ username: user.username, password: PASSWORD, currentApp: 'crm' });
      expect(res.status).toBe(201);
      expect(cookieValue(setCookies(res)[0])).toBe(res.body.ust);
    } finally {
      await t.close();
    }
  });

  it('LOGIN_COOKIE=off refuses cookie: true and ignores a cookie', async () => {
    const t = await startTestApp({ LOGIN_COOKIE: 'off' });
    try {
      const user = await createUser(t);
      const asked = await t.http().post('/auth/login').send({ username: user.username, password: PASSWORD, currentApp: 'crm', cookie: true });
      expectError(asked, 400, 'validation_failed');
      const { ust } = await login(t, user.username);
      expectError(await t.http().get('/sessions/current').set('Cookie', withName(COOKIE, ust)), 401, 'session_invalid');
    } finally {
      await t.close();
    }
  });

  it('COOKIE_SECURE=false names the cookie tessera_session and leaves Secure off', async () => {
    const t = await startTestApp({ COOKIE_SECURE: 'false' });
    try {
      const user = await createUser(t);
      const res = await t.http().post('/auth/login').send({ username: user.username, password: PASSWORD, currentApp: 'crm', cookie: true });
      const [line] = setCookies(res, 'tessera_session');
      expect(line).toMatch(/HttpOnly/i);
      expect(line).not.toMatch(/Secure/i);
      expect(setCookies(res)).toEqual([]);
      expect((await t.http().get('/sessions/current').set('Cookie', withName('tessera_session', cookieValue(line)))).status).toBe(200);
    } finally {
      await t.close();
    }
  });
});

function withName(name: string, ust: string) {
  return `${name}=${ust}`;
}
