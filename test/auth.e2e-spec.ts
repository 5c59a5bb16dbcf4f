import { createHash } from 'node:crypto';
import { createUser, loggedInUser, login, PASSWORD, startTestApp, TestApp } from './support/test-app';

const UST_SHAPE = /^[A-Za-z0-9_-]{43}$/;

function expectError(res: { status: number; body: unknown }, status: number, code: string) {
  expect({ status: res.status, code: (res.body as { code?: string }).code }).toEqual({ status, code });
  expect(Object.keys(res.body as object).sort()).toEqual(['code', 'message', 'statusCode']);
}

describe('login and logout', () => {
  let t: TestApp;
  beforeAll(async () => (t = await startTestApp()));
  afterAll(() => t.close());

  const sessionCount = async (userId: string) =>
    Number((await t.pg.query('SELECT count(*) AS n FROM sso_session WHERE user_id = $1', [userId])).rows[0].n);

  describe('login', () => {
    it('answers 201 with a UST of 43 base64url characters, the session view and warnings', async () => {
      const user = await createUser(t);
      const res = await t.http().post('/auth/login').send({ username: user.username, password: PASSWORD, currentApp: 'crm' });

      expect(res.status).toBe(201);
      expect(Object.keys(res.body).sort()).toEqual(['session', 'ust', 'warnings']);
      expect(res.body.ust).toMatch(UST_SHAPE);
      expect(res.body.warnings).toEqual([]);
      const { session } = res.body;
      expect(session).toMatchObject({ userId: user.id, currentApp: 'crm' });
      expect(session.id).toMatch(/^[0-9a-f-]{36}$/);
      for (const key of Object.keys(session)) expect(key).not.toMatch(/token|ust|hash/i);
      expect(JSON.stringify(session)).not.toContain(res.body.ust);
      for (const field of ['createdAt', 'expiresAt', 'absoluteExpiresAt']) expect(session[field]).toMatch(/^\d{4}-\d\d-\d\dT.*Z$/);
    });

    it('gives each login its own session and UST', async () => {
      const user = await createUser(t);
      const first = await login(t, user.username);
      const second = await login(t, user.username);
      expect(first.ust).not.toBe(second.ust);
      expect(first.session.id).not.toBe(second.session.id);
      expect(await sessionCount(user.id)).toBe(2);
    });

    it('answers unknown user, wrong password and locked user with the same invalid_credentials', async () => {
      const locked = await createUser(t);
      await t.pg.query('UPDATE sso_user SET is_locked = true WHERE id = $1', [locked.id]);
      const known = await createUser(t);

      const attempts = [
        { username: 'no-such-user-' + known.username, password: PASSWORD },
        { username: known.username, password: PASSWORD + '!' },
        { username: locked.username, password: PASSWORD },
      ];
      const bodies = [];
      for (const attempt of attempts) {
        const res = await t.http().post('/auth/login').send({ ...attempt, currentApp: 'crm' });
        expectError(res, 401, 'invalid_credentials');
        bodies.push(res.body);
      }
      expect(bodies[1]).toEqual(bodies[0]);
      expect(bodies[2]).toEqual(bodies[0]);
      expect(await sessionCount(known.id)).toBe(0);
      expect(await sessionCount(locked.id)).toBe(0);
    });

    it('answers a user pending approval or rejected with not_approved only after the right password', async () => {
      for (const approvalStatus of ['pending', 'rejected'] as const) {
        const user = await createUser(t, { approvalStatus });
        const res = await t.http().post('/auth/login').send({ username: user.username, password: PASSWORD, currentApp: 'crm' });
        expectError(res, 403, 'not_approved');
        const wrong = await t.http().post('/auth/login').send({ username: user.username, password: 'wrong password', currentApp: 'crm' });
        expectError(wrong, 401, 'invalid_credentials');
        expect(wrong.body.message).toBe('invalid username or password');
        expect(await sessionCount(user.id)).toBe(0);
      }
    });

    it('treats the username case-insensitively', async () => {
      const user = await createUser(t, { username: `MixedCase-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}` });
      const res = await t.http().post('/auth/login').send({ username: user.username.toUpperCase(), password: PASSWORD, currentApp: 'crm' });
      expect(res.status).toBe(201);
      expect(res.body.session.userId).toBe(user.id);
      const lower = await t.http().post('/auth/login').send({ username: user.username.toLowerCase(), password: PASSWORD, currentApp: 'web' });
      expect(lower.status).toBe(201);
    });

    it('keeps the password case-sensitive', async () => {
      const user = await createUser(t);
      const res = await t.http().post('/auth/login').send({ username: user.username, password: PASSWORD.toUpperCase(), currentApp: 'crm' });
      expectError(res, 401, 'invalid_credentials');
    });

    it('refuses a currentApp that is not in SSO_APPS with app_not_allowed', async () => {
      const user = await createUser(t);
      const res = await t.http().post('/auth/login').send({ username: user.username, password: PASSWORD, currentApp: 'payroll' });
      expectError(res, 403, 'app_not_allowed');
      expect(await sessionCount(user.id)).toBe(0);
    });

    it('records the login app, remote address and user agent on the session', async () => {
      const user = await createUser(t);
      const res = await t
        .http()
        .post('/auth/login')
        .set('User-Agent', 'tessera-e2e/1.0 (auth spec)')
        .send({ username: user.username, password: PASSWORD, currentApp: 'web' });
      expect(res.status).toBe(201);
      expect(res.body.session).toMatchObject({ currentApp: 'web', userAgent: 'tessera-e2e/1.0 (auth spec)' });

      const { rows } = await t.pg.query('SELECT current_app, remote_addr, user_agent FROM sso_session WHERE id = $1', [res.body.session.id]);
      expect(rows).toHaveLength(1);
      expect(rows[0].current_app).toBe('web');
      expect(rows[0].user_agent).toBe('tessera-e2e/1.0 (auth spec)');
      expect(rows[0].remote_addr).toMatch(/^(::ffff:)?127\.0\.0\.1$|^::1$/);
      expect(res.body.session.remoteAddr).toBe(rows[0].remote_addr);
    });

    it('stores only the SHA-256 hash of the UST, never the UST itself', async () => {
      const { user, ust, session } = await loggedInUser(t);
      const { rows } = await t.pg.query('SELECT token_hash FROM sso_session WHERE id = $1', [session.id]);
      expect(Buffer.compare(rows[0].token_hash, createHash('sha256').update(ust).digest())).toBe(0);

      // No column of any session or user row holds the UST text (nor its hex or base64 decoding).
      const decodedHex = Buffer.from(ust, 'base64url').toString('hex');
      for (const table of ['sso_session', 'sso_user']) {
        const found = await t.pg.query(
          `SELECT count(*) AS n FROM ${table} r WHERE position($1 in r::text) > 0 OR position($2 in r::text) > 0`,
          [ust, decodedHex],
        );
        expect(Number(found.rows[0].n)).toBe(0);
      }
      const own = await t.pg.query('SELECT s::text AS row FROM sso_session s WHERE user_id = $1', [user.id]);
      expect(own.rows).toHaveLength(1);
      expect(own.rows[0].row).not.toContain(ust);
    });

    it('warns when the password expires within PASSWORD_EXPIRY_WARNING_DAYS and refuses an expired one', async () => {
      const soon = await createUser(t, { passwordExpiresAt: new Date(Date.now() + 2 * 24 * 3600 * 1000) });
      const warned = await t.http().post('/auth/login').send({ username: soon.username, password: PASSWORD, currentApp: 'crm' });
      expect(warned.status).toBe(201);
      expect(warned.body.warnings).toEqual(['password_expiring']);

      const expired = await createUser(t, { passwordExpiresAt: new Date(Date.now() - 1000) });
      const refused = await t.http().post('/auth/login').send({ username: expired.username, password: PASSWORD, currentApp: 'crm' });
      expectError(refused, 403, 'password_expired');
      expect(await sessionCount(expired.id)).toBe(0);
    });
  });

  describe('password that must change', () => {
    it('refuses login without newPassword with password_change_required, and opens no session', async () => {
      const user = await createUser(t, { passwordMustChange: true });
      const res = await t.http().post('/auth/login').send({ username: user.username, password: PASSWORD, currentApp: 'crm' });
      expectError(res, 403, 'password_change_required');
      expect(await sessionCount(user.id)).toBe(0);
    });

    it('does not reveal password_change_required to a caller with the wrong password', async () => {
      const user = await createUser(t, { passwordMustChange: true });
      const res = await t.http().post('/auth/login').send({ username: user.username, password: 'wrong password!', currentApp: 'crm' });
      expectError(res, 401, 'invalid_credentials');
      const withNew = await t
        .http()
        .post('/auth/login')
        .send({ username: user.username, password: 'wrong password!', newPassword: 'brand new secret 1', currentApp: 'crm' });
      expectError(withNew, 401, 'invalid_credentials');
      // The password did not change.
      const again = await t.http().post('/auth/login').send({ username: user.username, password: PASSWORD, currentApp: 'crm' });
      expectError(again, 403, 'password_change_required');
    });

    it('logs in with newPassword, after which the old password fails and the new one works', async () => {
      const user = await createUser(t, { passwordMustChange: true });
      const newPassword = 'brand new secret 2';
      const res = await t.http().post('/auth/login').send({ username: user.username, password: PASSWORD, newPassword, currentApp: 'crm' });
      expect(res.status).toBe(201);
      expect(res.body.ust).toMatch(UST_SHAPE);

      const me = await t.http().get('/users/me').set('Authorization', `Bearer ${res.body.ust}`);
      expect(me.status).toBe(200);
      expect(me.body.passwordMustChange).toBe(false);

      const old = await t.http().post('/auth/login').send({ username: user.username, password: PASSWORD, currentApp: 'crm' });
      expectError(old, 401, 'invalid_credentials');
      const fresh = await t.http().post('/auth/login').send({ username: user.username, password: newPassword, currentApp: 'crm' });
      expect(fresh.status).toBe(201);
    });
    // A password change is a password change: like PUT /users/me/password, it ends the other sessions
    // (the usual reason to force one is that someone else may know the old password).
    it('ends the other sessions of the user when the password is changed at login', async () => {
      const { user, ust } = await loggedInUser(t);
      await t.pg.query('UPDATE sso_user SET password_must_change = true WHERE id = $1', [user.id]);
      const res = await t
        .http()
        .post('/auth/login')
        .send({ username: user.username, password: PASSWORD, newPassword: 'brand new secret 3', currentApp: 'crm' });
      expect(res.status).toBe(201);
      const fresh = await t.http().get('/sessions/current').set('Authorization', `Bearer ${res.body.ust}`);
      expect(fresh.status).toBe(200);
      expectError(await t.http().get('/sessions/current').set('Authorization', `Bearer ${ust}`), 401, 'session_invalid');
    });
  });

  describe('X-Current-App', () => {
    it('accepts a configured app on an authenticated route', async () => {
      const { auth } = await loggedInUser(t);
      const res = await t.http().get('/sessions/current').set('Authorization', auth).set('X-Current-App', 'web');
      expect(res.status).toBe(200);
    });

    it('refuses an unknown app with app_not_allowed on an authenticated route', async () => {
      const { auth } = await loggedInUser(t);
      const res = await t.http().get('/sessions/current').set('Authorization', auth).set('X-Current-App', 'payroll');
      expectError(res, 403, 'app_not_allowed');
      const empty = await t.http().get('/users/me').set('Authorization', auth).set('X-Current-App', '');
      expectError(empty, 403, 'app_not_allowed');
    });
  });

  describe('bearer authentication', () => {
    it('answers a missing, malformed or unknown UST with session_invalid', async () => {
      const { ust } = await loggedInUser(t);
      const headers = [undefined, `Basic ${ust}`, 'Bearer', `Bearer ${ust}x`, `Bearer ${'A'.repeat(43)}`, `Bearer ${ust} extra`];
      for (const header of headers) {
        const req = t.http().get('/sessions/current');
        if (header !== undefined) req.set('Authorization', header);
        expectError(await req, 401, 'session_invalid');
      }
    });
  });

  describe('logout', () => {
    it('answers 204, after which the UST gives session_invalid and the session row is gone', async () => {
      const { auth, session } = await loggedInUser(t);
      const res = await t.http().post('/auth/logout').set('Authorization', auth);
      expect(res.status).toBe(204);
      expect(res.text).toBe('');

      expectError(await t.http().get('/sessions/current').set('Authorization', auth), 401, 'session_invalid');
      expectError(await t.http().post('/auth/logout').set('Authorization', auth), 401, 'session_invalid');
      const { rows } = await t.pg.query('SELECT id FROM sso_session WHERE id = $1', [session.id]);
      expect(rows).toHaveLength(0);
    });

    it('ends only the session it is called with', async () => {
      const { user, auth } = await loggedInUser(t);
      const other = await login(t, user.username);
      expect((await t.http().post('/auth/logout').set('Authorization', auth)).status).toBe(204);
      const res = await t.http().get('/sessions/current').set('Authorization', `Bearer ${other.ust}`);
      expect(res.status).toBe(200);
      expect(res.body.id).toBe(other.session.id);
    });

    it('needs a session', async () => {
      expectError(await t.http().post('/auth/logout'), 401, 'session_invalid');
    });
  });
});
