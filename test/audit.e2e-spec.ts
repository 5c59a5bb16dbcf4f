import { randomUUID } from 'node:crypto';
import { SweeperService } from '../src';
import { createUser, loggedInUser, login, PASSWORD, sleep, startTestApp, TestApp, uniqueName } from './support/test-app';

interface EventRow {
  type: string;
  outcome: string;
  reason: string | null;
  user_id: string | null;
  username: string | null;
  app: string | null;
  remote_addr: string | null;
  actor_id: string | null;
  session_id: string | null;
  changed: string[] | null;
}

const LOCAL = /^(::ffff:)?127\.0\.0\.1$|^::1$/;

function expectError(res: { status: number; body: { code?: string } }, status: number, code: string) {
  expect({ status: res.status, code: res.body.code }).toEqual({ status, code });
}

describe('audit trail', () => {
  let t: TestApp;
  beforeAll(async () => (t = await startTestApp({ LOGIN_MAX_FAILURES_PER_ACCOUNT: '2', AUDIT_RETENTION_DAYS: '30' })));
  afterAll(() => t.close());

  const eventsOf = async (userId: string): Promise<EventRow[]> =>
    (await t.pg.query('SELECT * FROM sso_audit_event WHERE user_id = $1 ORDER BY id', [userId])).rows;
  const eventsNamed = async (username: string): Promise<EventRow[]> =>
    (await t.pg.query('SELECT * FROM sso_audit_event WHERE username = $1 ORDER BY id', [username])).rows;
  const tryLogin = (username: string, password: string, currentApp = 'crm', extra: object = {}) =>
    t.http().post('/auth/login').send({ username, password, currentApp, ...extra });

  describe('logins', () => {
    it('records a successful login with user, username as given, app, address, actor and the new session', async () => {
      const user = await createUser(t);
      const res = await tryLogin(user.username.toUpperCase(), PASSWORD, 'web');
      expect(res.status).toBe(201);
      const [event] = (await eventsOf(user.id)).filter((e) => e.type === 'login');
      expect(event).toMatchObject({
        outcome: 'success',
        reason: null,
        user_id: user.id,
        username: user.username.toUpperCase(),
        app: 'web',
        actor_id: user.id,
        session_id: res.body.session.id,
        changed: null,
      });
      expect(event.remote_addr).toMatch(LOCAL);
    });

    it('records failed logins with their reason code', async () => {
      const user = await createUser(t);
      expectError(await tryLogin(user.username, 'wrong password'), 401, 'invalid_credentials');
      expectError(await tryLogin(user.username, PASSWORD, 'payroll'), 403, 'app_not_allowed');
      expectError(await tryLogin(user.username, 'wrong again'), 401, 'invalid_credentials');
      expectError(await tryLogin(user.username, PASSWORD), 429, 'rate_limited');

      const must = await createUser(t, { passwordMustChange: true });
      expectError(await tryLogin(must.username, PASSWORD), 403, 'password_change_required');

      const failures = (await eventsNamed(user.username)).map((e) => [e.type, e.outcome, e.reason, e.app]);
      expect(failures).toEqual([
        ['login', 'failure', 'invalid_credentials', 'crm'],
        ['login', 'failure', 'app_not_allowed', 'payroll'],
        ['login', 'failure', 'invalid_credentials', 'crm'],
        ['login', 'failure', 'rate_limited', 'crm'],
      ]);
      // The user is named where it was looked up (not for a refused app: no lookup happens).
      expect((await eventsNamed(user.username)).map((e) => e.user_id)).toEqual([user.id, null, user.id, user.id]);
      expect(await eventsNamed(must.username)).toMatchObject([
        { type: 'login', outcome: 'failure', reason: 'password_change_required', user_id: must.id, session_id: null },
      ]);
    });

    it('records a failed login of an unknown username with the username as attempted and no user', async () => {
      const ghost = uniqueName('ghost');
      expectError(await tryLogin(ghost, 'whatever it is'), 401, 'invalid_credentials');
      expect(await eventsNamed(ghost)).toMatchObject([{ type: 'login', outcome: 'failure', reason: 'invalid_credentials', user_id: null }]);
    });

    it('records a logout with the ended session', async () => {
      const { user, auth, session } = await loggedInUser(t);
      expect((await t.http().post('/auth/logout').set('Authorization', auth)).status).toBe(204);
      const [event] = (await eventsOf(user.id)).filter((e) => e.type === 'logout');
      expect(event).toMatchObject({ outcome: 'success', user_id: user.id, actor_id: user.id, session_id: session.id, app: 'crm' });
      expect(event.remote_addr).toMatch(LOCAL);
    });
  });

  describe('passwords, locks, sessions and users', () => {
    it('records password changes, their failures, and a change made at login', async () => {
      const { user, auth } = await loggedInUser(t);
      const wrong = await t.http().put('/users/me/password').set('Authorization', auth).send({ oldPassword: 'not it at all', newPassword: 'next password 1' });
      expectError(wrong, 401, 'invalid_credentials');
      expect((await t.http().put('/users/me/password').set('Authorization', auth).send({ oldPassword: PASSWORD, newPassword: 'next password 1' })).status).toBe(204);

      const must = await createUser(t, { passwordMustChange: true });
      expect((await tryLogin(must.username, PASSWORD, 'crm', { newPassword: 'next password 2' })).status).toBe(201);

      expect((await eventsOf(user.id)).filter((e) => e.type === 'password_changed')).toMatchObject([
        { outcome: 'failure', reason: 'invalid_credentials', actor_id: user.id, app: 'crm' },
        { outcome: 'success', reason: null, actor_id: user.id, app: 'crm' },
      ]);
      expect((await eventsOf(must.id)).map((e) => [e.type, e.outcome, e.actor_id])).toEqual([
        ['user_created', 'success', null],
        ['password_changed', 'success', must.id],
        ['login', 'success', must.id],
      ]);
    });

    it('records lock and unlock with the super-user who acted', async () => {
      const admin = await loggedInUser(t, { isSuperUser: true });
      const user = await createUser(t);
      expect((await t.http().post(`/users/${user.id}/lock`).set('Authorization', admin.auth)).status).toBe(200);
      expect((await t.http().delete(`/users/${user.id}/lock`).set('Authorization', admin.auth)).status).toBe(200);
      const events = (await eventsOf(user.id)).filter((e) => e.type.startsWith('user_') && e.type !== 'user_created');
      expect(events.map((e) => [e.type, e.actor_id, e.app])).toEqual([
        ['user_locked', admin.user.id, 'crm'],
        ['user_unlocked', admin.user.id, 'crm'],
      ]);
      for (const event of events) expect(event.remote_addr).toMatch(LOCAL);
    });

    it('records revoking one session (by its user or a super-user) and all of them', async () => {
      const admin = await loggedInUser(t, { isSuperUser: true });
      const { user, auth } = await loggedInUser(t);
      const second = await login(t, user.username);
      const third = await login(t, user.username);
      expect((await t.http().delete(`/sessions/${second.session.id}`).set('Authorization', auth)).status).toBe(204);
      expect((await t.http().delete(`/sessions/${third.session.id}`).set('Authorization', admin.auth)).status).toBe(204);
      expect((await t.http().delete('/sessions?keepCurrent=true').set('Authorization', auth)).status).toBe(204);
      // A session that is not there is not a revocation.
      expect((await t.http().delete(`/sessions/${randomUUID()}`).set('Authorization', auth)).status).toBe(404);

      const events = (await eventsOf(user.id)).filter((e) => e.type.startsWith('session'));
      expect(events.map((e) => [e.type, e.session_id, e.actor_id])).toEqual([
        ['session_revoked', second.session.id, user.id],
        ['session_revoked', third.session.id, admin.user.id],
        ['sessions_revoked', null, user.id],
      ]);
    });

    it('records users created, updated (the names of the fields changed, not their values) and deleted by a super-user', async () => {
      const admin = await loggedInUser(t, { isSuperUser: true });
      const username = uniqueName('managed');
      const created = await t.http().post('/users').set('Authorization', admin.auth).send({ username, password: 'a fine password' });
      expect(created.status).toBe(201);
      const id = created.body.id;
      const email = `${uniqueName('mail')}@example.com`;
      expect((await t.http().patch(`/users/${id}`).set('Authorization', admin.auth).send({ email, isSuperUser: true })).status).toBe(200);
      expect((await t.http().delete(`/users/${id}`).set('Authorization', admin.auth)).status).toBe(204);

      expect((await eventsOf(id)).map((e) => [e.type, e.actor_id, e.changed])).toEqual([
        ['user_created', admin.user.id, null],
        ['user_updated', admin.user.id, ['email', 'isSuperUser']],
        ['user_deleted', admin.user.id, null],
      ]);
      const { rows } = await t.pg.query('SELECT count(*)::int AS n FROM sso_audit_event e WHERE position($1 in e::text) > 0', [email]);
      expect(rows[0].n).toBe(0);
    });
  });

  describe('GET /audit', () => {
    it('is for super-users only', async () => {
      const { auth } = await loggedInUser(t);
      expectError(await t.http().get('/audit').set('Authorization', auth), 403, 'forbidden');
      expectError(await t.http().get('/audit'), 401, 'session_invalid');
    });

    it('filters by user and type, newest first, a page at a time', async () => {
      const admin = await loggedInUser(t, { isSuperUser: true });
      const user = await createUser(t);
      const sessions: string[] = [];
      for (let i = 0; i < 5; i++) sessions.push((await login(t, user.username)).session.id);
      await tryLogin(user.username, 'wrong password');

      const get = (query: string) => t.http().get(`/audit?${query}`).set('Authorization', admin.auth);
      const all = await get(`userId=${user.id}`);
      expect(all.status).toBe(200);
      expect(all.body).toMatchObject({ page: 1, pageSize: 50, hasMore: false });
      expect(all.body.events.map((e: { type: string; outcome: string }) => `${e.type}/${e.outcome}`)).toEqual([
        'login/failure', ...sessions.map(() => 'login/success'), 'user_created/success',
      ]);
      expect(Object.keys(all.body.events[0]).sort()).toEqual(
        ['actorId', 'app', 'changed', 'id', 'occurredAt', 'outcome', 'reason', 'remoteAddr', 'sessionId', 'type', 'userId', 'username'].sort(),
      );
      expect(all.body.events[0].occurredAt).toMatch(/^\d{4}-\d\d-\d\dT.*Z$/);

      const first = await get(`userId=${user.id}&type=login&pageSize=2`);
      const second = await get(`userId=${user.id}&type=login&pageSize=2&page=2`);
      const last = await get(`userId=${user.id}&type=login&pageSize=2&page=3`);
      expect([first.body.hasMore, second.body.hasMore, last.body.hasMore]).toEqual([true, true, false]);
      const paged = [...first.body.events, ...second.body.events, ...last.body.events];
      expect(paged.map((e: { sessionId: string | null }) => e.sessionId)).toEqual([null, ...[...sessions].reverse()]);
      expect(paged.every((e: { userId: string; type: string }) => e.userId === user.id && e.type === 'login')).toBe(true);
    });

    it('filters by time, from inclusive and to exclusive', async () => {
      const admin = await loggedInUser(t, { isSuperUser: true });
      const user = await createUser(t);
      const before = (await login(t, user.username)).session.id;
      await sleep(20);
      const { rows } = await t.pg.query('SELECT now() AS at');
      const cut = (rows[0].at as Date).toISOString();
      await sleep(20);
      const after = (await login(t, user.username)).session.id;

      const get = (query: string) => t.http().get(`/audit?userId=${user.id}&type=login&${query}`).set('Authorization', admin.auth);
      expect((await get(`from=${cut}`)).body.events.map((e: { sessionId: string }) => e.sessionId)).toEqual([after]);
      expect((await get(`to=${cut}`)).body.events.map((e: { sessionId: string }) => e.sessionId)).toEqual([before]);
      expect((await get(`from=${cut}&to=${cut}`)).body.events).toEqual([]);
    });

    it('refuses malformed filters with validation_failed', async () => {
      const admin = await loggedInUser(t, { isSuperUser: true });
      for (const query of ['userId=nope', 'type=password_seen', 'from=yesterday', 'page=0', 'pageSize=501', 'other=1']) {
        expectError(await t.http().get(`/audit?${query}`).set('Authorization', admin.auth), 400, 'validation_failed');
      }
    });
  });

  it('never holds a UST, password or attribute value', async () => {
    const secret = `pw-${uniqueName('secret')}`;
    const user = await createUser(t, { password: secret });
    const wrong = `wrong-${uniqueName('guess')}`;
    await tryLogin(user.username, wrong);
    const { ust } = await login(t, user.username, secret);
    const value = `value-${uniqueName('attr')}`;
    expect((await t.http().put('/sessions/current/attrs/note').set('Authorization', `Bearer ${ust}`).send({ value })).status).toBeLessThan(300);
    // The scan below finds a value where one is stored.
    const stored = await t.pg.query('SELECT count(*)::int AS n FROM sso_session_attr a WHERE position($1 in a::text) > 0', [value]);
    expect(stored.rows[0].n).toBe(1);
    const newPassword = `new-${uniqueName('pw')}`;
    await t.http().put('/users/me/password').set('Authorization', `Bearer ${ust}`).send({ oldPassword: secret, newPassword });
    await t.http().post('/auth/logout').set('Authorization', `Bearer ${ust}`);

    expect((await eventsOf(user.id)).length).toBeGreaterThanOrEqual(5);
    const decodedHex = Buffer.from(ust, 'base64url').toString('hex');
    for (const needle of [ust, decodedHex, secret, wrong, value, newPassword]) {
      const { rows } = await t.pg.query('SELECT count(*)::int AS n FROM sso_audit_event e WHERE position($1 in e::text) > 0', [needle]);
      expect(rows[0].n).toBe(0);
    }
  });

  it('is purged by the sweeper after AUDIT_RETENTION_DAYS', async () => {
    const old = randomUUID();
    const recent = randomUUID();
    await t.pg.query(
      `INSERT INTO sso_audit_event (occurred_at, type, outcome, user_id)
       VALUES (now() - interval '31 days', 'logout', 'success', $1), (now() - interval '29 days', 'logout', 'success', $2)`,
      [old, recent],
    );
    const totals = await t.app.get(SweeperService).sweepAll();
    expect(typeof totals['audit events']).toBe('number'); // another file's sweeper may take the same rows first
    expect(await eventsOf(old)).toEqual([]);
    expect(await eventsOf(recent)).toHaveLength(1);
  });
});
