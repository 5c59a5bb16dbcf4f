import { UsersService } from '../src';
import { createUser, loggedInUser, login, PASSWORD, startTestApp, TestApp } from './support/test-app';

const DAY_MS = 24 * 3600 * 1000;

function expectError(res: { status: number; body: { code?: string } }, status: number, code: string) {
  expect({ status: res.status, code: res.body.code }).toEqual({ status, code });
}

describe('password expiry and must-change', () => {
  let t: TestApp;
  beforeAll(async () => (t = await startTestApp()));
  afterAll(() => t.close());

  const loginAs = (username: string, extra: Record<string, unknown> = {}) =>
    t.http().post('/auth/login').send({ username, password: PASSWORD, currentApp: 'crm', ...extra });
  const sessionCount = async (userId: string) =>
    (await t.pg.query('SELECT count(*)::int AS n FROM sso_session WHERE user_id = $1', [userId])).rows[0].n as number;

  describe('the expiry warning (PASSWORD_EXPIRY_WARNING_DAYS, default 30 as Zato)', () => {
    it('warns with password_expiring within 30 days and not beyond', async () => {
      const soon = await createUser(t, { passwordExpiresAt: new Date(Date.now() + 29 * DAY_MS) });
      const warned = await loginAs(soon.username);
      expect(warned.status).toBe(201);
      expect(warned.body.warnings).toEqual(['password_expiring']);
      expect(warned.body.ust).toBeDefined();

      const later = await createUser(t, { passwordExpiresAt: new Date(Date.now() + 31 * DAY_MS) });
      const quiet = await loginAs(later.username);
      expect(quiet.status).toBe(201);
      expect(quiet.body.warnings).toEqual([]);
    });

    it('refuses an expired password with password_expired and logs in with newPassword', async () => {
      const user = await createUser(t, { passwordExpiresAt: new Date(Date.now() - 1000) });
      expectError(await loginAs(user.username), 403, 'password_expired');
      expect(await sessionCount(user.id)).toBe(0);
      const res = await loginAs(user.username, { newPassword: 'a brand new password' });
      expect(res.status).toBe(201);
      expect(res.body.warnings).toEqual([]);
      expect((await t.app.get(UsersService).get(user.id)).passwordExpiresAt).toBeNull();
    });
  });

  describe('a super-user setting a password: PUT /users/{id}/password', () => {
    it('sets the password, ends every session of the user, and the new one logs in', async () => {
      const admin = await loggedInUser(t, { isSuperUser: true });
      const user = await createUser(t);
      await login(t, user.username);
      await login(t, user.username, PASSWORD, 'web');
      expect(await sessionCount(user.id)).toBe(2);

      const res = await t.http().put(`/users/${user.id}/password`).set('Authorization', admin.auth).send({ password: 'set by the admin' });
      expect(res.status).toBe(204);
      expect(await sessionCount(user.id)).toBe(0);
      expectError(await loginAs(user.username), 401, 'invalid_credentials');
      const ok = await t.http().post('/auth/login').send({ username: user.username, password: 'set by the admin', currentApp: 'crm' });
      expect(ok.status).toBe(201);
      expect(ok.body.warnings).toEqual([]);
      const { rows } = await t.pg.query('SELECT type, actor_id FROM sso_audit_event WHERE user_id = $1 AND type = $2', [user.id, 'password_changed']);
      expect(rows).toEqual([{ type: 'password_changed', actor_id: admin.user.id }]);
    });

    it('with expiresInDays, the password expires then and login warns within the threshold', async () => {
      const admin = await loggedInUser(t, { isSuperUser: true });
      const user = await createUser(t);
      await t.http().put(`/users/${user.id}/password`).set('Authorization', admin.auth).send({ password: 'expires in ten days', expiresInDays: 10 }).expect(204);
      const view = await t.app.get(UsersService).get(user.id);
      expect(Math.abs(view.passwordExpiresAt!.getTime() - (Date.now() + 10 * DAY_MS))).toBeLessThan(60_000);
      expect(view.passwordMustChange).toBe(false);
      const res = await t.http().post('/auth/login').send({ username: user.username, password: 'expires in ten days', currentApp: 'crm' });
      expect(res.body.warnings).toEqual(['password_expiring']);
    });

    it('with mustChange, login needs newPassword', async () => {
      const admin = await loggedInUser(t, { isSuperUser: true });
      const user = await createUser(t);
      await t.http().put(`/users/${user.id}/password`).set('Authorization', admin.auth).send({ password: 'temporary password', mustChange: true }).expect(204);
      const refused = await t.http().post('/auth/login').send({ username: user.username, password: 'temporary password', currentApp: 'crm' });
      expectError(refused, 403, 'password_change_required');
      const ok = await t.http().post('/auth/login').send({ username: user.username, password: 'temporary password', currentApp: 'crm', newPassword: 'my own password' });
      expect(ok.status).toBe(201);
    });

    it('refuses bad input and a caller who is not a super-user, changing nothing', async () => {
      const admin = await loggedInUser(t, { isSuperUser: true });
      const user = await loggedInUser(t);
      const other = await loggedInUser(t);
      const bodies = [{}, { password: 'short' }, { password: 'long enough', expiresInDays: 0 }, { password: 'long enough', expiresInDays: 1.5 },
        { password: 'long enough', expiresInDays: '3' }, { password: 'long enough', mustChange: 'yes' }, { password: 'long enough', mustChange: null }];
      for (const body of bodies) {
        expectError(await t.http().put(`/users/${user.user.id}/password`).set('Authorization', admin.auth).send(body), 400, 'validation_failed');
      }
      expectError(await t.http().put(`/users/${user.user.id}/password`).set('Authorization', other.auth).send({ password: 'long enough' }), 403, 'forbidden');
      expectError(await t.http().put('/users/00000000-0000-4000-8000-000000000000/password').set('Authorization', admin.auth).send({ password: 'long enough' }), 404, 'user_not_found');
      expect(await sessionCount(user.user.id)).toBe(1);
      expect((await loginAs(user.user.username)).status).toBe(201);
    });

    it('is a method of UsersService for in-process callers', async () => {
      const user = await createUser(t);
      await login(t, user.username);
      await t.app.get(UsersService).adminSetPassword(user.id, 'set in process', { expiresInDays: 40, mustChange: true });
      expect(await sessionCount(user.id)).toBe(0);
      expect(await t.app.get(UsersService).get(user.id)).toMatchObject({ passwordMustChange: true });
    });
  });
});

describe('PASSWORD_EXPIRY_WARNING_DAYS=5', () => {
  let t: TestApp;
  beforeAll(async () => (t = await startTestApp({ PASSWORD_EXPIRY_WARNING_DAYS: '5' })));
  afterAll(() => t.close());

  it('warns within 5 days only', async () => {
    const within = await createUser(t, { passwordExpiresAt: new Date(Date.now() + 4 * DAY_MS) });
    const beyond = await createUser(t, { passwordExpiresAt: new Date(Date.now() + 6 * DAY_MS) });
    const send = (username: string) => t.http().post('/auth/login').send({ username, password: PASSWORD, currentApp: 'crm' });
    expect((await send(within.username)).body.warnings).toEqual(['password_expiring']);
    expect((await send(beyond.username)).body.warnings).toEqual([]);
  });
});

describe('PASSWORD_EXPIRY_DAYS=730 (Zato\'s default): every password a user sets expires', () => {
  let t: TestApp;
  beforeAll(async () => (t = await startTestApp({ PASSWORD_EXPIRY_DAYS: '730', SIGNUP_APPS: 'web' })));
  afterAll(() => t.close());

  const expiresAt = async (userId: string) =>
    (await t.pg.query('SELECT password_expires_at AS at FROM sso_user WHERE id = $1', [userId])).rows[0].at as Date | null;
  const expectInAbout730Days = (at: Date | null) => expect(Math.abs(at!.getTime() - (Date.now() + 730 * DAY_MS))).toBeLessThan(60_000);

  it('on create, on sign-up, on a change of one\'s own password and on a super-user\'s set without days', async () => {
    const created = await createUser(t);
    expectInAbout730Days(await expiresAt(created.id));

    const username = `signup-${created.id.slice(0, 8)}`;
    expect((await t.http().post('/auth/signup').send({ username, password: PASSWORD, app: 'web' })).status).toBe(201);
    const { rows } = await t.pg.query('SELECT id FROM sso_user WHERE username = $1', [username]);
    expectInAbout730Days(await expiresAt(rows[0].id));

    const me = await loggedInUser(t, { passwordExpiresAt: new Date(Date.now() + DAY_MS) });
    await t.http().put('/users/me/password').set('Authorization', me.auth).send({ oldPassword: PASSWORD, newPassword: 'a new password of mine' }).expect(204);
    expectInAbout730Days(await expiresAt(me.user.id));

    const admin = await loggedInUser(t, { isSuperUser: true });
    await t.http().put(`/users/${created.id}/password`).set('Authorization', admin.auth).send({ password: 'set by the admin' }).expect(204);
    expectInAbout730Days(await expiresAt(created.id));
  });

  it('keeps an expiry given explicitly, and null when a caller says never', async () => {
    const given = new Date(Date.now() + 3 * DAY_MS);
    const user = await createUser(t, { passwordExpiresAt: given });
    expect((await expiresAt(user.id))!.getTime()).toBe(given.getTime());
    const never = await createUser(t, { passwordExpiresAt: null });
    expect(await expiresAt(never.id)).toBeNull();
  });
});

describe('PASSWORD_EXPIRY_DAYS unset (0): passwords never expire by themselves', () => {
  let t: TestApp;
  beforeAll(async () => (t = await startTestApp()));
  afterAll(() => t.close());

  it('creates users, and changes passwords, without an expiry', async () => {
    const me = await loggedInUser(t);
    await t.http().put('/users/me/password').set('Authorization', me.auth).send({ oldPassword: PASSWORD, newPassword: 'a new password of mine' }).expect(204);
    const { rows } = await t.pg.query('SELECT password_expires_at AS at FROM sso_user WHERE id = $1', [me.user.id]);
    expect(rows[0].at).toBeNull();
  });
});
