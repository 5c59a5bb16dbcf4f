import type { TesseraError } from '../src';
import { SessionAttrService, UserAttrService } from '../src';
import { SweeperService } from '../src';
import { loggedInUser, login, sleep, startTestApp, TestApp } from './support/test-app';

type Res = { status: number; body: unknown };

function expectError(res: Res, status: number, code: string) {
  expect({ status: res.status, code: (res.body as { code?: string }).code }).toEqual({ status, code });
}

type Caller = Awaited<ReturnType<typeof loggedInUser>>;

const code = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (error: TesseraError) => error.code,
  );

async function rowNames(t: TestApp, table: string, ownerId: string): Promise<string[]> {
  const { rows } = await t.pg.query(`SELECT name FROM ${table} WHERE owner_id = $1 ORDER BY name`, [ownerId]);
  return rows.map((r) => r.name);
}

const OWNERS = [
  { kind: 'session', base: '/sessions/current/attrs', table: 'sso_session_attr', ownerId: (c: Caller) => c.session.id },
  { kind: 'user', base: '/users/me/attrs', table: 'sso_user_attr', ownerId: (c: Caller) => c.user.id },
] as const;

describe('attribute expiry', () => {
  let t: TestApp;
  // Sessions idle out after 3 s, at most 6 s after login; every call slides the idle expiry.
  beforeAll(async () => (t = await startTestApp({ SESSION_TTL: '3', SESSION_MAX_TTL: '6', SESSION_TOUCH_INTERVAL: '0' })));
  afterAll(() => t.close());

  describe.each(OWNERS)('$kind attributes', ({ base, table, ownerId }) => {
    const http = (c: Caller) => ({
      post: (path: string, body: object) => t.http().post(`${base}${path}`).set('Authorization', c.auth).send(body),
      put: (name: string, body: object) => t.http().put(`${base}/${name}`).set('Authorization', c.auth).send(body),
      patch: (name: string, body: object) => t.http().patch(`${base}/${name}`).set('Authorization', c.auth).send(body),
      get: (name: string) => t.http().get(`${base}/${name}`).set('Authorization', c.auth),
      head: (name: string) => t.http().head(`${base}/${name}`).set('Authorization', c.auth),
      del: (name: string) => t.http().delete(`${base}/${name}`).set('Authorization', c.auth),
      list: () => t.http().get(base).set('Authorization', c.auth),
    });

    it('hides an expired attribute from every read, lets create and set reuse its name, and refuses to update or delete it', async () => {
      const c = await loggedInUser(t);
      const h = http(c);
      const firstSet = await h.put('reset', { value: 1, expiration: 1 });
      await h.post('/batch/create', { data: [{ name: 'brief', value: 'gone soon', expiration: 1 }, { name: 'lasting', value: 'stays' }] });
      await h.post('/batch/create', { data: [{ name: 'brief-2', value: 'gone too' }, { name: 'brief-3', value: 'and this' }], expiration: 1 });
      expect((await h.get('brief')).status).toBe(200);
      await sleep(1200);

      expectError(await h.get('brief'), 404, 'attr_not_found');
      expect((await h.head('brief')).status).toBe(404);
      expect((await h.list()).body).toEqual({ attrs: [expect.objectContaining({ name: 'lasting' })] });
      expect((await h.post('/batch/get', { data: ['brief', 'lasting', 'brief-2'] })).body.attrs.map((a: { value: unknown } | null) => a?.value ?? null)).toEqual([
        null,
        'stays',
        null,
      ]);
      expect((await h.post('/batch/exists', { data: ['brief', 'lasting', 'brief-3'] })).body).toEqual({ exists: [false, true, false] });
      expectError(await h.patch('brief', { value: 'revived' }), 404, 'attr_not_found');
      expectError(await h.post('/batch/update', { data: [{ name: 'brief-2', value: 'revived' }] }), 404, 'attr_not_found');
      expectError(await h.post('/batch/set-expiry', { data: [{ name: 'brief-3', expiration: 100 }] }), 404, 'attr_not_found');
      expectError(await h.del('brief'), 404, 'attr_not_found');
      expectError(await h.post('/batch/delete', { data: ['brief-2'] }), 404, 'attr_not_found');

      const recreated = await h.post('', { name: 'brief', value: 'new life' });
      expect(recreated.status).toBe(201);
      expect(Date.parse(recreated.body.createdAt)).toBeGreaterThan(Date.now() - 1000); // a new attribute, not the old one
      const got = (await h.get('brief')).body;
      expect(got.value).toBe('new life');
      expect(got.createdAt).toBe(recreated.body.createdAt);
      expect((await h.post('/batch/create', { data: [{ name: 'brief-2', value: 2 }, { name: 'brief-3', value: 3 }] })).status).toBe(201);
      const secondSet = await h.put('reset', { value: 2 });
      expect(secondSet.status).toBe(200);
      expect(Date.parse(secondSet.body.createdAt)).toBeGreaterThan(Date.parse(firstSet.body.createdAt) + 1000);
      expect((await h.list()).body.attrs.map((m: { name: string }) => m.name)).toEqual(['brief', 'brief-2', 'brief-3', 'lasting', 'reset']);
      expect(await rowNames(t, table, ownerId(c))).toEqual(['brief', 'brief-2', 'brief-3', 'lasting', 'reset']);
    });
  });

  describe('session attributes never outlive their session', () => {
    it('report the earlier of their own expiry and the session expiry', async () => {
      const c = await loggedInUser(t);
      const base = '/sessions/current/attrs';
      const shorter = await t.http().post(base).set('Authorization', c.auth).send({ name: 'shorter', value: 1, expiration: 1 });
      const later = await t.http().post(base).set('Authorization', c.auth).send({ name: 'later', value: 1, expiration: 100 });
      const none = await t.http().post(base).set('Authorization', c.auth).send({ name: 'none', value: 1 });
      // Each REST call above slides the session (touch interval 0), and the slide is written after
      // its answer: read the session's expiry before and after the in-process read, until no slide
      // lands in between, so both reads see the same session row.
      const sessionExpiryNow = async () =>
        ((await t.pg.query('SELECT expires_at FROM sso_session WHERE id = $1', [c.session.id])).rows[0].expires_at as Date).getTime();
      let inProcess: Awaited<ReturnType<SessionAttrService['get']>> = null;
      let sessionExpiry = 0;
      for (let attempt = 0; attempt < 20; attempt++) {
        const before = await sessionExpiryNow();
        inProcess = await t.app.get(SessionAttrService).get(c.session.id, 'none');
        sessionExpiry = await sessionExpiryNow();
        if (before === sessionExpiry) break;
      }

      expect(Date.parse(shorter.body.expiresAt)).toBeLessThan(sessionExpiry - 1000);
      // The session's expiry slid forward on each call; each answer reports the session expiry of its own call.
      expect(Date.parse(later.body.expiresAt)).toBeLessThanOrEqual(sessionExpiry);
      expect(Date.parse(later.body.expiresAt)).toBeGreaterThan(Date.now() + 2000);
      expect(Date.parse(none.body.expiresAt)).toBeLessThanOrEqual(sessionExpiry);
      expect(Date.parse(none.body.expiresAt)).toBeGreaterThan(Date.now() + 2000);
      expect(inProcess!.expiresAt!.getTime()).toBe(sessionExpiry);
      const fromDb = await t.pg.query(`SELECT name, expires_at FROM sso_session_attr WHERE owner_id = $1 AND name = 'none'`, [c.session.id]);
      expect(fromDb.rows[0].expires_at).toBeNull(); // the cap is computed on read, not stored
    });

    it('renewing the session extends attributes with no or a later own expiry without rewriting them; an earlier own expiry stays', async () => {
      const c = await loggedInUser(t);
      const attrs = t.app.get(SessionAttrService);
      await attrs.createMany(c.session.id, [
        { name: 'none', value: 'n' },
        { name: 'later', value: 'l', expiration: 100 },
        { name: 'earlier', value: 'e', expiration: 2 },
      ]);
      const before = await attrs.getMany(c.session.id, ['none', 'later', 'earlier']);
      await sleep(1100);

      const renew = await t.http().post('/sessions/current/renew').set('Authorization', c.auth);
      expect(renew.status).toBe(200);
      const renewedUntil = Date.parse(renew.body.expiresAt);
      expect(renewedUntil).toBeGreaterThan(before[0]!.expiresAt!.getTime() + 900);

      // Read in-process: that does not slide the session again.
      const after = await attrs.getMany(c.session.id, ['none', 'later', 'earlier']);
      expect(after[0]!.expiresAt!.getTime()).toBe(renewedUntil);
      expect(after[1]!.expiresAt!.getTime()).toBe(renewedUntil);
      expect(after[2]!.expiresAt!.getTime()).toBe(before[2]!.expiresAt!.getTime());
      expect(after[2]!.expiresAt!.getTime()).toBeLessThan(renewedUntil);
      for (const i of [0, 1, 2]) {
        expect(after[i]!.updatedAt).toEqual(before[i]!.updatedAt);
        expect(after[i]!.value).toBe(before[i]!.value);
      }
      // Over REST, a session attribute with no own expiry reports the session's expiresAt.
      // (The REST read slides the session; the slide is written just after the answer.)
      const rest = await t.http().get('/sessions/current/attrs/none').set('Authorization', c.auth);
      let current = await t.app.get(SessionAttrService).get(c.session.id, 'none');
      for (let i = 0; i < 20 && current!.expiresAt!.toISOString() !== rest.body.expiresAt; i++) {
        await sleep(25);
        current = await t.app.get(SessionAttrService).get(c.session.id, 'none');
      }
      expect(rest.body.expiresAt).toBe(current!.expiresAt!.toISOString());
    });

    it('is gone with its session when the session expires', async () => {
      // A second app whose sessions end 1 s after login, however they are used.
      const short = await startTestApp({ SESSION_TTL: '1', SESSION_MAX_TTL: '1', SESSION_TOUCH_INTERVAL: '0' });
      try {
        const c = await loggedInUser(short);
        const admin = await loggedInUser(short, { isSuperUser: true });
        await short.http().put('/sessions/current/attrs/a').set('Authorization', c.auth).send({ value: 'session bound' });
        await short.http().put('/users/me/attrs/u').set('Authorization', c.auth).send({ value: 'user bound' });
        await sleep(1200);

        expectError(await short.http().get('/sessions/current/attrs/a').set('Authorization', c.auth), 401, 'session_invalid');
        // A fresh session of a super-user sees the old session as missing.
        const fresh = await login(short, admin.user.username);
        expectError(await short.http().get(`/sessions/${c.session.id}/attrs/a`).set('Authorization', `Bearer ${fresh.ust}`), 404, 'session_not_found');
        expectError(await short.http().get(`/sessions/${c.session.id}/attrs`).set('Authorization', `Bearer ${fresh.ust}`), 404, 'session_not_found');
        const attrs = short.app.get(SessionAttrService);
        expect(await code(attrs.get(c.session.id, 'a'))).toBe('session_not_found');
        expect(await code(attrs.set(c.session.id, 'b', 1))).toBe('session_not_found');
        // The user attribute outlives the session.
        expect((await short.app.get(UserAttrService).get(c.user.id, 'u'))!.value).toBe('user bound');

        await short.app.get(SweeperService).sweepAll();
        expect(await rowNames(short, 'sso_session_attr', c.session.id)).toEqual([]);
        expect(await rowNames(short, 'sso_user_attr', c.user.id)).toEqual(['u']);
      } finally {
        await short.close();
      }
    });
  });

  describe('ending a session or user', () => {
    it('logout removes the session attribute rows and keeps the user attributes', async () => {
      const c = await loggedInUser(t);
      await t.http().post('/sessions/current/attrs/batch/set').set('Authorization', c.auth).send({ data: [{ name: 'a', value: 1 }, { name: 'b', value: 2 }] });
      await t.http().put('/users/me/attrs/profile').set('Authorization', c.auth).send({ value: { lang: 'en' } });
      expect(await rowNames(t, 'sso_session_attr', c.session.id)).toEqual(['a', 'b']);

      expect((await t.http().post('/auth/logout').set('Authorization', c.auth)).status).toBe(204);
      expect(await rowNames(t, 'sso_session_attr', c.session.id)).toEqual([]);
      expect(await rowNames(t, 'sso_user_attr', c.user.id)).toEqual(['profile']);

      const again = await login(t, c.user.username);
      const res = await t.http().get('/users/me/attrs/profile').set('Authorization', `Bearer ${again.ust}`);
      expect(res.body.value).toEqual({ lang: 'en' });
      expect((await t.http().get('/sessions/current/attrs').set('Authorization', `Bearer ${again.ust}`)).body).toEqual({ attrs: [] });
    });

    it('DELETE /sessions/{id} removes that session attribute rows only', async () => {
      const c = await loggedInUser(t);
      const other = await login(t, c.user.username);
      await t.http().put('/sessions/current/attrs/mine').set('Authorization', c.auth).send({ value: 1 });
      await t.http().put('/sessions/current/attrs/theirs').set('Authorization', `Bearer ${other.ust}`).send({ value: 2 });

      expect((await t.http().delete(`/sessions/${c.session.id}`).set('Authorization', `Bearer ${other.ust}`)).status).toBe(204);
      expect(await rowNames(t, 'sso_session_attr', c.session.id)).toEqual([]);
      expect(await rowNames(t, 'sso_session_attr', other.session.id)).toEqual(['theirs']);
    });

    it('DELETE /sessions removes the attribute rows of every revoked session', async () => {
      const c = await loggedInUser(t);
      const other = await login(t, c.user.username);
      await t.app.get(SessionAttrService).set(c.session.id, 'a', 1);
      await t.app.get(SessionAttrService).set(other.session.id, 'b', 2);
      expect((await t.http().delete('/sessions?keepCurrent=true').set('Authorization', c.auth)).status).toBe(204);
      expect(await rowNames(t, 'sso_session_attr', c.session.id)).toEqual(['a']);
      expect(await rowNames(t, 'sso_session_attr', other.session.id)).toEqual([]);
    });

    it('deleting a user removes its user attributes and its sessions attributes', async () => {
      const admin = await loggedInUser(t, { isSuperUser: true });
      const c = await loggedInUser(t);
      await t.http().put('/users/me/attrs/u').set('Authorization', c.auth).send({ value: 1 });
      await t.http().put('/sessions/current/attrs/s').set('Authorization', c.auth).send({ value: 2 });

      expect((await t.http().delete(`/users/${c.user.id}`).set('Authorization', admin.auth)).status).toBe(204);
      expect(await rowNames(t, 'sso_user_attr', c.user.id)).toEqual([]);
      expect(await rowNames(t, 'sso_session_attr', c.session.id)).toEqual([]);
    });
  });

  describe('the sweeper', () => {
    it('deletes expired attribute rows and keeps live ones', async () => {
      const c = await loggedInUser(t);
      const sessionAttrs = t.app.get(SessionAttrService);
      const userAttrs = t.app.get(UserAttrService);
      const items = [
        { name: 'expiring', value: 1, expiration: 100 },
        { name: 'live', value: 2, expiration: 100 },
        { name: 'forever', value: 3 },
      ];
      await sessionAttrs.setMany(c.session, items);
      await userAttrs.setMany(c.user, items);
      // Expired a second ago, without waiting for it.
      await t.pg.query(`UPDATE sso_session_attr SET expires_at = now() - interval '1 second' WHERE owner_id = $1 AND name = 'expiring'`, [c.session.id]);
      await t.pg.query(`UPDATE sso_user_attr SET expires_at = now() - interval '1 second' WHERE owner_id = $1 AND name = 'expiring'`, [c.user.id]);
      expect(await sessionAttrs.names(c.session)).toEqual(['forever', 'live']);

      const totals = await t.app.get(SweeperService).sweepAll();
      expect(typeof totals['session attributes']).toBe('number'); // another file may sweep the same rows first
      expect(await rowNames(t, 'sso_session_attr', c.session.id)).toEqual(['forever', 'live']);
      expect(await rowNames(t, 'sso_user_attr', c.user.id)).toEqual(['forever', 'live']);
      expect(await sessionAttrs.names(c.session)).toEqual(['forever', 'live']);
      expect(await userAttrs.names(c.user)).toEqual(['forever', 'live']);
    });
  });
});
