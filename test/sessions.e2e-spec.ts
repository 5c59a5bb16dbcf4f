import { randomUUID } from 'node:crypto';
import { SweeperService } from '../src';
import { createUser, loggedInUser, login, sleep, startTestApp, TestApp } from './support/test-app';

function expectError(res: { status: number; body: unknown }, status: number, code: string) {
  expect({ status: res.status, code: (res.body as { code?: string }).code }).toEqual({ status, code });
  expect(Object.keys(res.body as object).sort()).toEqual(['code', 'message', 'statusCode']);
}

/** Every key anywhere in a JSON value, however deeply nested. */
function allKeys(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(allKeys);
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => [k, ...allKeys(v)]);
  return [];
}

const bearer = (ust: string) => `Bearer ${ust}`;

async function works(t: TestApp, ust: string): Promise<boolean> {
  const res = await t.http().get('/sessions/current').set('Authorization', bearer(ust));
  if (res.status === 200) return true;
  expectError(res, 401, 'session_invalid');
  return false;
}

/** expires_at as PostgreSQL has it (microseconds), to see whether a request wrote it. */
async function storedExpiry(t: TestApp, sessionId: string): Promise<string> {
  const { rows } = await t.pg.query(`SELECT extract(epoch FROM expires_at)::text AS e FROM sso_session WHERE id = $1`, [sessionId]);
  return rows[0].e;
}

describe('sessions', () => {
  let t: TestApp;
  // A large touch interval: reading a session does not write its idle expiry.
  beforeAll(async () => (t = await startTestApp({ SESSION_TOUCH_INTERVAL: '600' })));
  afterAll(() => t.close());

  describe('current session', () => {
    it('returns the session view of the caller, without token or hash', async () => {
      const { user, auth, session } = await loggedInUser(t);
      const res = await t.http().get('/sessions/current').set('Authorization', auth);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: session.id, userId: user.id, currentApp: 'crm' });
      expect(Object.keys(res.body).sort()).toEqual(
        ['absoluteExpiresAt', 'createdAt', 'currentApp', 'expiresAt', 'id', 'remoteAddr', 'userAgent', 'userId'].sort(),
      );
      expect(res.body.expiresAt).toMatch(/Z$/);
    });
  });

  describe('ending a session', () => {
    it('makes the UST unusable after logout', async () => {
      const { ust } = await loggedInUser(t);
      expect((await t.http().post('/auth/logout').set('Authorization', bearer(ust))).status).toBe(204);
      expect(await works(t, ust)).toBe(false);
    });

    it('makes the UST unusable after DELETE /sessions/{id}', async () => {
      const { user, ust, session } = await loggedInUser(t);
      const other = await login(t, user.username);
      const res = await t.http().delete(`/sessions/${session.id}`).set('Authorization', bearer(other.ust));
      expect(res.status).toBe(204);
      expect(await works(t, ust)).toBe(false);
      expect(await works(t, other.ust)).toBe(true);
      // Deleting it again: it is gone.
      expectError(await t.http().delete(`/sessions/${session.id}`).set('Authorization', bearer(other.ust)), 404, 'session_not_found');
    });

    it('revokes its own session with DELETE /sessions/{id}', async () => {
      const { ust, session } = await loggedInUser(t);
      expect((await t.http().delete(`/sessions/${session.id}`).set('Authorization', bearer(ust))).status).toBe(204);
      expect(await works(t, ust)).toBe(false);
    });

    it('makes every UST of the user unusable after DELETE /sessions', async () => {
      const { user, ust } = await loggedInUser(t);
      const second = await login(t, user.username, undefined, 'web');
      const bystander = await loggedInUser(t);
      expect((await t.http().delete('/sessions').set('Authorization', bearer(ust))).status).toBe(204);
      expect(await works(t, ust)).toBe(false);
      expect(await works(t, second.ust)).toBe(false);
      expect(await works(t, bystander.ust)).toBe(true);
      const { rows } = await t.pg.query('SELECT id FROM sso_session WHERE user_id = $1', [user.id]);
      expect(rows).toHaveLength(0);
    });

    it('keeps the current session with DELETE /sessions?keepCurrent=true', async () => {
      const { user, ust, session } = await loggedInUser(t);
      const second = await login(t, user.username);
      const third = await login(t, user.username);
      expect((await t.http().delete('/sessions?keepCurrent=true').set('Authorization', bearer(ust))).status).toBe(204);
      expect(await works(t, ust)).toBe(true);
      expect(await works(t, second.ust)).toBe(false);
      expect(await works(t, third.ust)).toBe(false);
      const { rows } = await t.pg.query('SELECT id FROM sso_session WHERE user_id = $1', [user.id]);
      expect(rows.map((r) => r.id)).toEqual([session.id]);
    });

    it('treats keepCurrent=false like no keepCurrent', async () => {
      const { ust } = await loggedInUser(t);
      expect((await t.http().delete('/sessions?keepCurrent=false').set('Authorization', bearer(ust))).status).toBe(204);
      expect(await works(t, ust)).toBe(false);
    });

    it('makes the UST unusable when a super-user locks the user, and lets the user log in again after unlock', async () => {
      const admin = await loggedInUser(t, { isSuperUser: true });
      const { user, ust } = await loggedInUser(t);
      const lock = await t.http().post(`/users/${user.id}/lock`).set('Authorization', admin.auth);
      expect(lock.status).toBe(200);
      expect(lock.body.isLocked).toBe(true);
      expect(await works(t, ust)).toBe(false);
      const verify = await t.http().post('/sessions/verify').set('Authorization', admin.auth).send({ ust });
      expect(verify.body).toEqual({ valid: false });

      expect((await t.http().delete(`/users/${user.id}/lock`).set('Authorization', admin.auth)).status).toBe(200);
      const relogin = await login(t, user.username);
      expect(await works(t, relogin.ust)).toBe(true);
    });

    it('makes the UST unusable when the user is deleted', async () => {
      const admin = await loggedInUser(t, { isSuperUser: true });
      const { user, ust } = await loggedInUser(t);
      expect((await t.http().delete(`/users/${user.id}`).set('Authorization', admin.auth)).status).toBe(204);
      expect(await works(t, ust)).toBe(false);
    });
  });

  describe('listing sessions', () => {
    it('lists my live sessions and never a UST or token hash', async () => {
      const { user, ust, auth, session } = await loggedInUser(t);
      const second = await login(t, user.username, undefined, 'web');
      const other = await loggedInUser(t);

      const res = await t.http().get('/sessions').set('Authorization', auth);
      expect(res.status).toBe(200);
      expect(Object.keys(res.body)).toEqual(['sessions']);
      expect(res.body.sessions.map((s: { id: string }) => s.id).sort()).toEqual([session.id, second.session.id].sort());
      expect(res.body.sessions.every((s: { userId: string }) => s.userId === user.id)).toBe(true);
      expect(allKeys(res.body).filter((k) => /ust|token|hash/i.test(k))).toEqual([]);
      for (const secret of [ust, second.ust, other.ust]) expect(res.text).not.toContain(secret);
    });

    it('marks the caller’s own session current: true and every other false', async () => {
      const { user, auth, session } = await loggedInUser(t);
      const second = await login(t, user.username, undefined, 'web');
      const mine = await t.http().get('/sessions').set('Authorization', auth).expect(200);
      const flags = Object.fromEntries(mine.body.sessions.map((s: { id: string; current: boolean }) => [s.id, s.current]));
      expect(flags).toEqual({ [session.id]: true, [second.session.id]: false });
      const theirs = await t.http().get('/sessions').set('Authorization', `Bearer ${second.ust}`).expect(200);
      const flipped = Object.fromEntries(theirs.body.sessions.map((s: { id: string; current: boolean }) => [s.id, s.current]));
      expect(flipped).toEqual({ [session.id]: false, [second.session.id]: true });
    });

    it('lets a super-user list the sessions of another user with ?userId=', async () => {
      const admin = await loggedInUser(t, { isSuperUser: true });
      const { user, session } = await loggedInUser(t);
      const res = await t.http().get(`/sessions?userId=${user.id}`).set('Authorization', admin.auth);
      expect(res.status).toBe(200);
      expect(res.body.sessions.map((s: { id: string }) => s.id)).toEqual([session.id]);
      expect(allKeys(res.body).filter((k) => /ust|token|hash/i.test(k))).toEqual([]);
      const upper = await t.http().get(`/sessions?userId=${user.id.toUpperCase()}`).set('Authorization', admin.auth);
      expect(upper.body.sessions.map((s: { id: string }) => s.id)).toEqual([session.id]);
    });

    it('refuses a regular user asking for another userId with forbidden', async () => {
      const me = await loggedInUser(t);
      const other = await loggedInUser(t);
      expectError(await t.http().get(`/sessions?userId=${other.user.id}`).set('Authorization', me.auth), 403, 'forbidden');
      const own = await t.http().get(`/sessions?userId=${me.user.id}`).set('Authorization', me.auth);
      expect(own.status).toBe(200);
      expect(own.body.sessions).toHaveLength(1);
    });
  });

  describe('revoking another user’s session', () => {
    it('answers session_not_found to another regular user, and my session keeps working', async () => {
      const mine = await loggedInUser(t);
      const intruder = await loggedInUser(t);
      const res = await t.http().delete(`/sessions/${mine.session.id}`).set('Authorization', intruder.auth);
      expectError(res, 404, 'session_not_found');
      expect(await works(t, mine.ust)).toBe(true);
      // Same answer as for a session that does not exist at all.
      const missing = await t.http().delete(`/sessions/${randomUUID()}`).set('Authorization', intruder.auth);
      expect(missing.body).toEqual(res.body);
    });

    it('lets a super-user revoke any session', async () => {
      const admin = await loggedInUser(t, { isSuperUser: true });
      const victim = await loggedInUser(t);
      expect((await t.http().delete(`/sessions/${victim.session.id}`).set('Authorization', admin.auth)).status).toBe(204);
      expect(await works(t, victim.ust)).toBe(false);
    });

    it('does not let DELETE /sessions of one user touch another user’s sessions', async () => {
      const mine = await loggedInUser(t);
      const other = await loggedInUser(t);
      expect((await t.http().delete('/sessions').set('Authorization', other.auth)).status).toBe(204);
      expect(await works(t, mine.ust)).toBe(true);
    });
  });

  describe('verify', () => {
    it('answers {valid} for a UST to a super-user', async () => {
      const admin = await loggedInUser(t, { isSuperUser: true });
      const { ust } = await loggedInUser(t);
      const live = await t.http().post('/sessions/verify').set('Authorization', admin.auth).send({ ust });
      expect(live.status).toBe(200);
      expect(live.body).toEqual({ valid: true });

      for (const bogus of ['A'.repeat(43), 'short', '']) {
        const res = await t.http().post('/sessions/verify').set('Authorization', admin.auth).send({ ust: bogus });
        expect(res.status).toBe(200);
        expect(res.body).toEqual({ valid: false });
      }

      await t.http().post('/auth/logout').set('Authorization', bearer(ust));
      const ended = await t.http().post('/sessions/verify').set('Authorization', admin.auth).send({ ust });
      expect(ended.body).toEqual({ valid: false });
    });

    it('refuses a regular user with forbidden', async () => {
      const me = await loggedInUser(t);
      const res = await t.http().post('/sessions/verify').set('Authorization', me.auth).send({ ust: me.ust });
      expectError(res, 403, 'forbidden');
    });
  });

  describe('idle expiry throttling', () => {
    it('does not write expires_at on reads within the touch interval', async () => {
      const { auth, session } = await loggedInUser(t);
      const before = await storedExpiry(t, session.id);
      await sleep(20);
      for (let i = 0; i < 2; i++) expect((await t.http().get('/sessions/current').set('Authorization', auth)).status).toBe(200);
      expect(await storedExpiry(t, session.id)).toBe(before);
    });
  });

  describe('with a touch interval of 0 and SESSION_TTL 3', () => {
    let s: TestApp;
    beforeAll(async () => (s = await startTestApp({ SESSION_TTL: '3', SESSION_MAX_TTL: '60', SESSION_TOUCH_INTERVAL: '0' })));
    afterAll(() => s.close());

    it('slides expires_at forward on a read after 1.1 s', async () => {
      const { auth, session } = await loggedInUser(s);
      const before = Number(await storedExpiry(s, session.id));
      await sleep(1100);
      const res = await s.http().get('/sessions/current').set('Authorization', auth);
      expect(res.status).toBe(200);
      // The slide is written just after the answer, off the request path.
      let after = Number(await storedExpiry(s, session.id));
      for (let i = 0; i < 20 && after - before <= 1; i++) {
        await sleep(25);
        after = Number(await storedExpiry(s, session.id));
      }
      expect(after - before).toBeGreaterThan(1);
      expect(new Date(res.body.expiresAt).getTime() / 1000).toBeCloseTo(after, 2);
    });
  });

  describe('renew (SESSION_TTL 2, SESSION_MAX_TTL 3)', () => {
    let s: TestApp;
    beforeAll(async () => (s = await startTestApp({ SESSION_TTL: '2', SESSION_MAX_TTL: '3', SESSION_TOUCH_INTERVAL: '0' })));
    afterAll(() => s.close());

    it('moves expiresAt forward and never past absoluteExpiresAt', async () => {
      const { auth, session } = await loggedInUser(s);
      const absolute = session.absoluteExpiresAt;
      const loginExpiry = new Date(session.expiresAt).getTime();
      expect(new Date(absolute).getTime() - new Date(session.expiresAt).getTime()).toBeGreaterThan(900);

      await sleep(500);
      const first = await s.http().post('/sessions/current/renew').set('Authorization', auth);
      expect(first.status).toBe(200);
      expect(first.body.id).toBe(session.id);
      expect(new Date(first.body.expiresAt).getTime()).toBeGreaterThan(loginExpiry + 400);
      expect(new Date(first.body.expiresAt).getTime()).toBeLessThan(new Date(absolute).getTime());
      expect(first.body.absoluteExpiresAt).toBe(absolute);

      await sleep(700);
      const second = await s.http().post('/sessions/current/renew').set('Authorization', auth);
      expect(second.status).toBe(200);
      expect(second.body.expiresAt).toBe(absolute);
      expect(second.body.absoluteExpiresAt).toBe(absolute);
      const { rows } = await s.pg.query('SELECT expires_at <= absolute_expires_at AS capped FROM sso_session WHERE id = $1', [session.id]);
      expect(rows[0].capped).toBe(true);
    });

    it('ends the session at absoluteExpiresAt however often it is used', async () => {
      const { ust, auth } = await loggedInUser(s);
      const started = Date.now();
      while (Date.now() - started < 2500) {
        expect((await s.http().post('/sessions/current/renew').set('Authorization', auth)).status).toBe(200);
        await sleep(400);
      }
      await sleep(Math.max(0, 3100 - (Date.now() - started)));
      expect(await works(s, ust)).toBe(false);
      expectError(await s.http().post('/sessions/current/renew').set('Authorization', auth), 401, 'session_invalid');
    });
  });

  describe('idle expiry (SESSION_TTL 1)', () => {
    let s: TestApp;
    beforeAll(async () => (s = await startTestApp({ SESSION_TTL: '1', SESSION_MAX_TTL: '60' })));
    afterAll(() => s.close());

    it('makes the UST unusable once idle past SESSION_TTL, and stops listing it', async () => {
      const user = await createUser(s);
      const idle = await login(s, user.username);
      const live = await login(t, user.username); // through the app with the long TTL
      expect(await works(s, idle.ust)).toBe(true);
      await sleep(1100);
      expect(await works(s, idle.ust)).toBe(false);
      const list = await t.http().get('/sessions').set('Authorization', bearer(live.ust));
      expect(list.body.sessions.map((x: { id: string }) => x.id)).toEqual([live.session.id]);
    });

    it('lets the sweeper delete expired session rows and leave live ones', async () => {
      const user = await createUser(s);
      const doomed = await login(s, user.username);
      const kept = await login(t, user.username);
      await sleep(1100);
      const totals = await s.app.get(SweeperService).sweepAll();
      expect(typeof totals.sessions).toBe('number'); // another test file may sweep the same rows first
      const { rows } = await s.pg.query('SELECT id FROM sso_session WHERE user_id = $1', [user.id]);
      expect(rows.map((r) => r.id)).toEqual([kept.session.id]);
      expect(doomed.session.id).not.toBe(kept.session.id);
      expect(await works(t, kept.ust)).toBe(true);
    });
  });
});
