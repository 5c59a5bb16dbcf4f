import { randomUUID } from 'node:crypto';
import { createUser, loggedInUser, login, PASSWORD, startTestApp, TestApp, uniqueName } from './support/test-app';

function expectError(res: { status: number; body: unknown }, status: number, code: string) {
  expect({ status: res.status, code: (res.body as { code?: string }).code }).toEqual({ status, code });
  expect(Object.keys(res.body as object).sort()).toEqual(['code', 'message', 'statusCode']);
}

const USER_VIEW_KEYS = [
  'approvalStatus',
  'approvalStatusModBy',
  'approvalStatusModTime',
  'createdAt',
  'displayName',
  'email',
  'firstName',
  'id',
  'isLocked',
  'isSuperUser',
  'lastName',
  'middleName',
  'passwordExpiresAt',
  'passwordLastSet',
  'passwordMustChange',
  'signUpStatus',
  'updatedAt',
  'username',
].sort();

function expectUserView(body: Record<string, unknown>) {
  expect(Object.keys(body).sort()).toEqual(USER_VIEW_KEYS);
  expect(JSON.stringify(body)).not.toMatch(/argon2|passwordHash|password_hash/);
  for (const field of ['createdAt', 'updatedAt', 'passwordLastSet']) expect(body[field]).toMatch(/^\d{4}-\d\d-\d\dT.*Z$/);
}

describe('users', () => {
  let t: TestApp;
  beforeAll(async () => (t = await startTestApp()));
  afterAll(() => t.close());

  const canLogIn = async (username: string, password = PASSWORD) =>
    (await t.http().post('/auth/login').send({ username, password, currentApp: 'crm' })).status === 201;
  const works = async (ust: string) => (await t.http().get('/sessions/current').set('Authorization', `Bearer ${ust}`)).status === 200;
  const userRow = async (id: string) => (await t.pg.query('SELECT * FROM sso_user WHERE id = $1', [id])).rows[0];

  describe('creating a user', () => {
    it('lets a super-user create a user (201, no password hash in the view) who can then log in', async () => {
      const admin = await loggedInUser(t, { isSuperUser: true });
      const username = uniqueName('created');
      const res = await t
        .http()
        .post('/users')
        .set('Authorization', admin.auth)
        .send({ username, password: 'a fine password', email: 'new@example.com', displayName: 'New Person' });
      expect(res.status).toBe(201);
      expectUserView(res.body);
      expect(res.body).toMatchObject({
        username,
        email: 'new@example.com',
        displayName: 'New Person',
        isSuperUser: false,
        isLocked: false,
        approvalStatus: 'approved',
        passwordMustChange: false,
        passwordExpiresAt: null,
      });
      expect(await canLogIn(username, 'a fine password')).toBe(true);
      const row = await userRow(res.body.id);
      expect(row.password_hash).toMatch(/^\$argon2id\$/);
      expect(row.password_hash).not.toContain('a fine password');
    });

    it('refuses a regular user with forbidden and creates nothing', async () => {
      const me = await loggedInUser(t);
      const username = uniqueName('sneaky');
      const res = await t.http().post('/users').set('Authorization', me.auth).send({ username, password: 'a fine password', isSuperUser: true });
      expectError(res, 403, 'forbidden');
      const { rows } = await t.pg.query('SELECT id FROM sso_user WHERE lower(username) = lower($1)', [username]);
      expect(rows).toHaveLength(0);
    });

    it('refuses a username differing only in case with user_exists', async () => {
      const admin = await loggedInUser(t, { isSuperUser: true });
      const existing = await createUser(t, { username: uniqueName('Taken') });
      const res = await t
        .http()
        .post('/users')
        .set('Authorization', admin.auth)
        .send({ username: existing.username.toUpperCase(), password: 'a fine password' });
      expectError(res, 409, 'user_exists');
      const { rows } = await t.pg.query('SELECT id FROM sso_user WHERE lower(username) = lower($1)', [existing.username]);
      expect(rows.map((r) => r.id)).toEqual([existing.id]);
    });
  });

  describe('me', () => {
    it('returns my own user view', async () => {
      const { user, auth } = await loggedInUser(t, { email: 'me@example.com' });
      const res = await t.http().get('/users/me').set('Authorization', auth);
      expect(res.status).toBe(200);
      expectUserView(res.body);
      expect(res.body).toMatchObject({ id: user.id, username: user.username, email: 'me@example.com', isSuperUser: false });
    });

    it('updates my profile fields with PATCH', async () => {
      const { user, auth } = await loggedInUser(t, { email: 'old@example.com', displayName: 'Old' });
      const res = await t.http().patch('/users/me').set('Authorization', auth).send({ displayName: 'Ada Lovelace' });
      expect(res.status).toBe(200);
      expectUserView(res.body);
      expect(res.body).toMatchObject({ displayName: 'Ada Lovelace', email: 'old@example.com' });

      const cleared = await t.http().patch('/users/me').set('Authorization', auth).send({ email: null });
      expect(cleared.status).toBe(200);
      expect(cleared.body.email).toBeNull();

      const me = await t.http().get('/users/me').set('Authorization', auth);
      expect(me.body).toMatchObject({ displayName: 'Ada Lovelace', email: null });
      const row = await userRow(user.id);
      expect(row.display_name).toBe('Ada Lovelace');
      expect(row.email).toBeNull();
    });

    it('does not let me make myself a super-user, unlock myself or rename myself', async () => {
      const { user, auth } = await loggedInUser(t);
      for (const body of [{ isSuperUser: true }, { isLocked: false }, { approvalStatus: 'approved' }, { username: uniqueName() }]) {
        expectError(await t.http().patch('/users/me').set('Authorization', auth).send(body), 400, 'validation_failed');
      }
      const row = await userRow(user.id);
      expect(row.is_super_user).toBe(false);
      expect(row.username).toBe(user.username);
    });
  });

  describe('changing my password', () => {
    it('refuses a wrong oldPassword with invalid_credentials and changes nothing', async () => {
      const { user, auth, ust } = await loggedInUser(t);
      const other = await login(t, user.username);
      const before = await userRow(user.id);
      const res = await t
        .http()
        .put('/users/me/password')
        .set('Authorization', auth)
        .send({ oldPassword: 'not my password', newPassword: 'another fine password' });
      expectError(res, 401, 'invalid_credentials');

      expect(await userRow(user.id)).toEqual(before);
      expect(await works(ust)).toBe(true);
      expect(await works(other.ust)).toBe(true);
      expect(await canLogIn(user.username, PASSWORD)).toBe(true);
      expect(await canLogIn(user.username, 'another fine password')).toBe(false);
    });

    it('answers 204, ends my other sessions, keeps the current one, and the new password logs in', async () => {
      const { user, auth, ust } = await loggedInUser(t);
      const other = await login(t, user.username, PASSWORD, 'web');
      const bystander = await loggedInUser(t);
      const res = await t
        .http()
        .put('/users/me/password')
        .set('Authorization', auth)
        .send({ oldPassword: PASSWORD, newPassword: 'another fine password' });
      expect(res.status).toBe(204);

      expect(await works(ust)).toBe(true);
      expect(await works(other.ust)).toBe(false);
      expect(await works(bystander.ust)).toBe(true);
      expect(await canLogIn(user.username, 'another fine password')).toBe(true);
      expect(await canLogIn(user.username, PASSWORD)).toBe(false);

      const me = await t.http().get('/users/me').set('Authorization', auth);
      expect(new Date(me.body.passwordLastSet).getTime()).toBeGreaterThan(new Date(user.passwordLastSet).getTime());
    });
  });

  describe('administration by a super-user', () => {
    it('reads a user by id, and answers user_not_found for an unknown id', async () => {
      const admin = await loggedInUser(t, { isSuperUser: true });
      const user = await createUser(t);
      const res = await t.http().get(`/users/${user.id}`).set('Authorization', admin.auth);
      expect(res.status).toBe(200);
      expectUserView(res.body);
      expect(res.body).toMatchObject({ id: user.id, username: user.username });
      const upper = await t.http().get(`/users/${user.id.toUpperCase()}`).set('Authorization', admin.auth);
      expect(upper.body.id).toBe(user.id);
      expectError(await t.http().get(`/users/${randomUUID()}`).set('Authorization', admin.auth), 404, 'user_not_found');
    });

    it('updates a user with PATCH, including admin-only fields', async () => {
      const admin = await loggedInUser(t, { isSuperUser: true });
      const user = await createUser(t);
      const renamed = uniqueName('renamed');
      const res = await t
        .http()
        .patch(`/users/${user.id}`)
        .set('Authorization', admin.auth)
        .send({ username: renamed, displayName: 'Renamed', passwordMustChange: true });
      expect(res.status).toBe(200);
      expectUserView(res.body);
      expect(res.body).toMatchObject({ id: user.id, username: renamed, displayName: 'Renamed', passwordMustChange: true });
      const row = await userRow(user.id);
      expect(row).toMatchObject({ username: renamed, display_name: 'Renamed', password_must_change: true });
      const login = await t.http().post('/auth/login').send({ username: renamed, password: PASSWORD, currentApp: 'crm' });
      expectError(login, 403, 'password_change_required');
      expectError(await t.http().patch(`/users/${randomUUID()}`).set('Authorization', admin.auth).send({ displayName: 'x' }), 404, 'user_not_found');
    });

    it('refuses renaming a user onto another username differing only in case with user_exists', async () => {
      const admin = await loggedInUser(t, { isSuperUser: true });
      const taken = await createUser(t);
      const user = await createUser(t);
      const res = await t.http().patch(`/users/${user.id}`).set('Authorization', admin.auth).send({ username: taken.username.toUpperCase() });
      expectError(res, 409, 'user_exists');
      expect((await userRow(user.id)).username).toBe(user.username);
    });

    it('stops the sessions of a user set back to pending approval', async () => {
      const admin = await loggedInUser(t, { isSuperUser: true });
      const { user, ust } = await loggedInUser(t);
      const res = await t.http().patch(`/users/${user.id}`).set('Authorization', admin.auth).send({ approvalStatus: 'pending' });
      expect(res.status).toBe(200);
      expect(await works(ust)).toBe(false);
      expect(await canLogIn(user.username)).toBe(false);
    });

    it('deletes a user with DELETE, together with its sessions', async () => {
      const admin = await loggedInUser(t, { isSuperUser: true });
      const { user, ust } = await loggedInUser(t);
      await login(t, user.username, PASSWORD, 'web');
      const before = await t.pg.query('SELECT id FROM sso_session WHERE user_id = $1', [user.id]);
      expect(before.rows).toHaveLength(2);

      const res = await t.http().delete(`/users/${user.id}`).set('Authorization', admin.auth);
      expect(res.status).toBe(204);
      expect((await t.pg.query('SELECT id FROM sso_session WHERE user_id = $1', [user.id])).rows).toHaveLength(0);
      expect(await userRow(user.id)).toBeUndefined();
      expect(await works(ust)).toBe(false);
      expect(await canLogIn(user.username)).toBe(false);
      expectError(await t.http().get(`/users/${user.id}`).set('Authorization', admin.auth), 404, 'user_not_found');
      expectError(await t.http().delete(`/users/${user.id}`).set('Authorization', admin.auth), 404, 'user_not_found');
    });

    it('locks and unlocks a user', async () => {
      const admin = await loggedInUser(t, { isSuperUser: true });
      const user = await createUser(t);
      const locked = await t.http().post(`/users/${user.id}/lock`).set('Authorization', admin.auth);
      expect(locked.status).toBe(200);
      expectUserView(locked.body);
      expect(locked.body.isLocked).toBe(true);
      expect(await canLogIn(user.username)).toBe(false);

      const unlocked = await t.http().delete(`/users/${user.id}/lock`).set('Authorization', admin.auth);
      expect(unlocked.status).toBe(200);
      expect(unlocked.body.isLocked).toBe(false);
      expect(await canLogIn(user.username)).toBe(true);
      expectError(await t.http().post(`/users/${randomUUID()}/lock`).set('Authorization', admin.auth), 404, 'user_not_found');
    });

    it('does not let a super-user lock or delete their own account', async () => {
      const admin = await loggedInUser(t, { isSuperUser: true });
      expectError(await t.http().post(`/users/${admin.user.id}/lock`).set('Authorization', admin.auth), 403, 'forbidden');
      expectError(await t.http().delete(`/users/${admin.user.id}`).set('Authorization', admin.auth), 403, 'forbidden');
      expect(await works(admin.ust)).toBe(true);
    });

    it('lists users matching ?query= page by page, sorted by username', async () => {
      const admin = await loggedInUser(t, { isSuperUser: true });
      const prefix = uniqueName('list');
      const names = [`${prefix}-c`, `${prefix}-a`, `${prefix}-b`];
      for (const username of names) await createUser(t, { username });

      const first = await t.http().get(`/users?query=${prefix.toUpperCase()}&page=1&pageSize=2`).set('Authorization', admin.auth);
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({ page: 1, pageSize: 2, total: 3 });
      expect(first.body.users.map((u: { username: string }) => u.username)).toEqual([`${prefix}-a`, `${prefix}-b`]);
      for (const user of first.body.users) expectUserView(user);

      const second = await t.http().get(`/users?query=${prefix}&page=2&pageSize=2`).set('Authorization', admin.auth);
      expect(second.body).toMatchObject({ page: 2, pageSize: 2, total: 3 });
      expect(second.body.users.map((u: { username: string }) => u.username)).toEqual([`${prefix}-c`]);

      const all = await t.http().get('/users').set('Authorization', admin.auth);
      expect(all.status).toBe(200);
      expect(all.body.total).toBeGreaterThanOrEqual(4);
    });

    it('treats % in ?query= literally', async () => {
      const admin = await loggedInUser(t, { isSuperUser: true });
      const res = await t.http().get(`/users?query=${encodeURIComponent('%')}`).set('Authorization', admin.auth);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ users: [], total: 0 });
    });
  });

  describe('super-user routes called by a regular user', () => {
    it('answers each with forbidden and changes nothing', async () => {
      const me = await loggedInUser(t);
      const target = await createUser(t);
      const before = await userRow(target.id);
      const calls = [
        () => t.http().post('/users').send({ username: uniqueName(), password: 'a fine password' }),
        () => t.http().get('/users'),
        () => t.http().get(`/users/${target.id}`),
        () => t.http().patch(`/users/${target.id}`).send({ displayName: 'hijacked' }),
        () => t.http().delete(`/users/${target.id}`),
        () => t.http().post(`/users/${target.id}/lock`),
        () => t.http().delete(`/users/${target.id}/lock`),
        () => t.http().get(`/users/${me.user.id}`),
        () => t.http().post('/sessions/verify').send({ ust: me.ust }),
      ];
      for (const call of calls) expectError(await call().set('Authorization', me.auth), 403, 'forbidden');
      expect(await userRow(target.id)).toEqual(before);
      expect(await canLogIn(target.username)).toBe(true);
    });

    it('answers each with session_invalid without a session', async () => {
      const target = await createUser(t);
      const calls = [
        t.http().post('/users').send({ username: uniqueName(), password: 'a fine password' }),
        t.http().get('/users'),
        t.http().get('/users/me'),
        t.http().get(`/users/${target.id}`),
        t.http().delete(`/users/${target.id}`),
        t.http().post(`/users/${target.id}/lock`),
      ];
      for (const call of calls) expectError(await call, 401, 'session_invalid');
    });
  });
});
