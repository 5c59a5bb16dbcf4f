import { randomBytes, randomUUID } from 'node:crypto';
import type { Test } from 'supertest';
import { createUser, loggedInUser, login, startTestApp, TestApp } from './support/test-app';

type Res = { status: number; body: unknown; text: string };

/** HEAD answers carry no body, so only their status is compared. */
function expectError(res: Res, status: number, code: string, method?: string) {
  if (method === 'HEAD') return expect(res.status).toBe(status);
  expect({ status: res.status, code: (res.body as { code?: string }).code }).toEqual({ status, code });
  expect(Object.keys(res.body as object).sort()).toEqual(['code', 'message', 'statusCode']);
}

type Caller = Awaited<ReturnType<typeof loggedInUser>>;
type Route = [string, (base: string, auth: string | undefined) => Test];

/** Every attribute route, each with a valid body, so only access decides the answer. */
const ROUTES: Route[] = [
  ['GET {base}', (b, a) => withAuth(http().get(b), a)],
  ['POST {base}', (b, a) => withAuth(http().post(b), a).send({ name: 'planted', value: 'x' })],
  ['PUT {base}/{name}', (b, a) => withAuth(http().put(`${b}/planted`), a).send({ value: 'x' })],
  ['PATCH {base}/{name}', (b, a) => withAuth(http().patch(`${b}/secret`), a).send({ value: 'x' })],
  ['GET {base}/{name}', (b, a) => withAuth(http().get(`${b}/secret`), a)],
  ['HEAD {base}/{name}', (b, a) => withAuth(http().head(`${b}/secret`), a)],
  ['DELETE {base}/{name}', (b, a) => withAuth(http().delete(`${b}/secret`), a)],
  ['POST {base}/batch/create', (b, a) => withAuth(http().post(`${b}/batch/create`), a).send({ data: [{ name: 'planted', value: 1 }] })],
  ['POST {base}/batch/set', (b, a) => withAuth(http().post(`${b}/batch/set`), a).send({ data: [{ name: 'secret', value: 1 }] })],
  ['POST {base}/batch/update', (b, a) => withAuth(http().post(`${b}/batch/update`), a).send({ data: [{ name: 'secret', value: 1 }] })],
  ['POST {base}/batch/set-expiry', (b, a) => withAuth(http().post(`${b}/batch/set-expiry`), a).send({ data: [{ name: 'secret', expiration: 1 }] })],
  ['POST {base}/batch/get', (b, a) => withAuth(http().post(`${b}/batch/get`), a).send({ data: ['secret'] })],
  ['POST {base}/batch/exists', (b, a) => withAuth(http().post(`${b}/batch/exists`), a).send({ data: ['secret'] })],
  ['POST {base}/batch/delete', (b, a) => withAuth(http().post(`${b}/batch/delete`), a).send({ data: ['secret'] })],
];

let t: TestApp;
const http = () => t.http();
function withAuth(test: Test, auth: string | undefined): Test {
  return auth === undefined ? test : test.set('Authorization', auth);
}
const methodOf = (label: string) => label.split(' ')[0];

/** Sends every route and describes each answer as `route: status code`, HEAD by status only. */
async function outcomes(base: string, auth: string | undefined, extra: (test: Test) => Test = (test) => test): Promise<string[]> {
  const out: string[] = [];
  for (const [label, route] of ROUTES) {
    const res = await extra(route(base, auth));
    const code = methodOf(label) === 'HEAD' ? '' : ` ${res.body?.code}`;
    out.push(`${label}: ${res.status}${code}`);
  }
  return out;
}

const expected = (status: number, code: string) => ROUTES.map(([label]) => `${label}: ${status}${methodOf(label) === 'HEAD' ? '' : ` ${code}`}`);

/** Everything stored for an owner, to show a refused request wrote nothing. */
async function snapshot(table: string, ownerId: string) {
  const { rows } = await t.pg.query(
    `SELECT name, value, sealed, key_id, created_at, updated_at, expires_at FROM ${table} WHERE owner_id = $1 ORDER BY name`,
    [ownerId],
  );
  return rows;
}

async function withSecret(c: Caller) {
  await http().put('/sessions/current/attrs/secret').set('Authorization', c.auth).send({ value: 'session secret' });
  await http().put('/users/me/attrs/secret').set('Authorization', c.auth).send({ value: 'user secret' });
}

describe('attribute access', () => {
  beforeAll(async () => (t = await startTestApp()));
  afterAll(() => t.close());

  describe("another user's session", () => {
    it('answers every route with session_not_found, never shows a value, and writes nothing', async () => {
      const a = await loggedInUser(t);
      const b = await loggedInUser(t);
      await withSecret(a);
      const before = await snapshot('sso_session_attr', a.session.id);

      expect(await outcomes(`/sessions/${a.session.id}/attrs`, b.auth)).toEqual(expected(404, 'session_not_found'));
      expect(await snapshot('sso_session_attr', a.session.id)).toEqual(before);
      expect(await snapshot('sso_session_attr', b.session.id)).toEqual([]);
      const get = await http().get(`/sessions/${a.session.id}/attrs/secret`).set('Authorization', b.auth);
      expect(get.text).not.toContain('session secret');
    });

    it('answers the same for a session id that does not exist, so session ids cannot be probed', async () => {
      const b = await loggedInUser(t);
      const a = await loggedInUser(t);
      const existing = await http().get(`/sessions/${a.session.id}/attrs/secret`).set('Authorization', b.auth);
      const unknown = await http().get(`/sessions/${randomUUID()}/attrs/secret`).set('Authorization', b.auth);
      expectError(existing, 404, 'session_not_found');
      expect(unknown.body).toEqual(existing.body);
    });
  });

  describe("the same user's sessions", () => {
    it("reach each other's session attributes by session id", async () => {
      const c = await loggedInUser(t);
      const other = await login(t, c.user.username, undefined, 'web');
      const put = await http().put(`/sessions/${other.session.id}/attrs/note`).set('Authorization', c.auth).send({ value: 'from the first' });
      expect(put.status).toBe(200);
      const res = await http().get('/sessions/current/attrs/note').set('Authorization', `Bearer ${other.ust}`);
      expect(res.body.value).toBe('from the first');
      expect((await http().get(`/sessions/${c.session.id}/attrs`).set('Authorization', `Bearer ${other.ust}`)).status).toBe(200);
    });

    it('do not share session attributes', async () => {
      const c = await loggedInUser(t);
      const other = await login(t, c.user.username);
      await http().put('/sessions/current/attrs/cart').set('Authorization', c.auth).send({ value: [1, 2] });
      expectError(await http().get('/sessions/current/attrs/cart').set('Authorization', `Bearer ${other.ust}`), 404, 'attr_not_found');
      expect((await http().get('/sessions/current/attrs').set('Authorization', `Bearer ${other.ust}`)).body).toEqual({ attrs: [] });
      // and the same name is free in the other session
      expect((await http().post('/sessions/current/attrs').set('Authorization', `Bearer ${other.ust}`).send({ name: 'cart', value: [] })).status).toBe(201);
      expect((await http().get('/sessions/current/attrs/cart').set('Authorization', c.auth)).body.value).toEqual([1, 2]);
    });

    it('share user attributes', async () => {
      const c = await loggedInUser(t);
      const other = await login(t, c.user.username, undefined, 'web');
      await http().put('/users/me/attrs/lang').set('Authorization', c.auth).send({ value: 'fr' });
      expect((await http().get('/users/me/attrs/lang').set('Authorization', `Bearer ${other.ust}`)).body.value).toBe('fr');
      await http().patch('/users/me/attrs/lang').set('Authorization', `Bearer ${other.ust}`).send({ value: 'de' });
      expect((await http().get(`/users/${c.user.id}/attrs/lang`).set('Authorization', c.auth)).body.value).toBe('de');
    });
  });

  describe("another user's attributes", () => {
    it('answer every route with forbidden for a user who is not a super-user, and nothing is written', async () => {
      const a = await loggedInUser(t);
      const b = await loggedInUser(t);
      await withSecret(a);
      const before = await snapshot('sso_user_attr', a.user.id);

      expect(await outcomes(`/users/${a.user.id}/attrs`, b.auth)).toEqual(expected(403, 'forbidden'));
      expect(await snapshot('sso_user_attr', a.user.id)).toEqual(before);
      expect(await snapshot('sso_user_attr', b.user.id)).toEqual([]);
      const get = await http().get(`/users/${a.user.id}/attrs/secret`).set('Authorization', b.auth);
      expect(get.text).not.toContain('user secret');
    });

    it('answer forbidden to a user who is not a super-user for an unknown user id too, so user ids cannot be probed', async () => {
      const b = await loggedInUser(t);
      expectError(await http().get(`/users/${randomUUID()}/attrs/secret`).set('Authorization', b.auth), 403, 'forbidden');
      expectError(await http().put(`/users/${randomUUID()}/attrs/x`).set('Authorization', b.auth).send({ value: 1 }), 403, 'forbidden');
    });
  });

  describe('a super-user', () => {
    it("reads and writes another user's user attributes", async () => {
      const admin = await loggedInUser(t, { isSuperUser: true });
      const c = await loggedInUser(t);
      await withSecret(c);
      const base = `/users/${c.user.id}/attrs`;
      expect((await http().get(`${base}/secret`).set('Authorization', admin.auth)).body.value).toBe('user secret');
      expect((await http().put(`${base}/granted`).set('Authorization', admin.auth).send({ value: 'by admin', encrypt: true })).status).toBe(200);
      expect((await http().post(`${base}/batch/set`).set('Authorization', admin.auth).send({ data: [{ name: 'x', value: 1 }] })).status).toBe(200);
      expect((await http().get('/users/me/attrs/granted').set('Authorization', c.auth)).body.value).toBe('by admin');
      expect((await http().get(base).set('Authorization', admin.auth)).body.attrs.map((m: { name: string }) => m.name)).toEqual(['granted', 'secret', 'x']);
      expect((await http().delete(`${base}/x`).set('Authorization', admin.auth)).status).toBe(204);
      // nothing landed on the super-user's own attributes
      expect(await snapshot('sso_user_attr', admin.user.id)).toEqual([]);
    });

    it("reads and writes another user's session attributes, encrypted ones included", async () => {
      const admin = await loggedInUser(t, { isSuperUser: true });
      const c = await loggedInUser(t);
      await http().put('/sessions/current/attrs/sealed').set('Authorization', c.auth).send({ value: 'sealed by owner', encrypt: true });
      // The id in upper case names the same session.
      const base = `/sessions/${c.session.id.toUpperCase()}/attrs`;
      expect((await http().get(`${base}/sealed`).set('Authorization', admin.auth)).body.value).toBe('sealed by owner');
      expect((await http().put(`${base}/by-admin`).set('Authorization', admin.auth).send({ value: 'sealed by admin', encrypt: true })).status).toBe(200);
      const res = await http().get('/sessions/current/attrs/by-admin').set('Authorization', c.auth);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ value: 'sealed by admin', encrypted: true });
      expect(await snapshot('sso_session_attr', admin.session.id)).toEqual([]);
    });

    it('gets user_not_found and session_not_found for owners that do not exist', async () => {
      const admin = await loggedInUser(t, { isSuperUser: true });
      expectError(await http().get(`/users/${randomUUID()}/attrs`).set('Authorization', admin.auth), 404, 'user_not_found');
      expectError(await http().put(`/users/${randomUUID()}/attrs/x`).set('Authorization', admin.auth).send({ value: 1 }), 404, 'user_not_found');
      expectError(await http().get(`/sessions/${randomUUID()}/attrs`).set('Authorization', admin.auth), 404, 'session_not_found');
      expectError(await http().put(`/sessions/${randomUUID()}/attrs/x`).set('Authorization', admin.auth).send({ value: 1 }), 404, 'session_not_found');
    });
  });

  describe('an unknown session id', () => {
    it('answers every route with session_not_found', async () => {
      const c = await loggedInUser(t);
      expect(await outcomes(`/sessions/${randomUUID()}/attrs`, c.auth)).toEqual(expected(404, 'session_not_found'));
    });
  });

  describe.each([
    { kind: 'session', base: '/sessions/current/attrs', table: 'sso_session_attr' },
    { kind: 'user', base: '/users/me/attrs', table: 'sso_user_attr' },
  ])('$kind attributes without a valid UST', ({ base, table }) => {
    const badAuth: Array<[string, (c: Caller) => Promise<string | undefined>]> = [
      ['no Authorization header', async () => undefined],
      ['a non-bearer scheme', async (c) => `Basic ${c.ust}`],
      ['an empty bearer', async () => 'Bearer '],
      ['a malformed token', async () => 'Bearer not a token'],
      ['an unknown well-formed token', async () => `Bearer ${randomBytes(32).toString('base64url')}`],
      [
        'the UST of a logged-out session',
        async (c) => {
          const other = await login(t, c.user.username);
          await http().post('/auth/logout').set('Authorization', `Bearer ${other.ust}`);
          return `Bearer ${other.ust}`;
        },
      ],
    ];

    it.each(badAuth)('answers every route with session_invalid for %s and writes nothing', async (_label, auth) => {
      const c = await loggedInUser(t);
      await withSecret(c);
      const ownerId = table === 'sso_session_attr' ? c.session.id : c.user.id;
      const before = await snapshot(table, ownerId);
      expect(await outcomes(base, await auth(c))).toEqual(expected(401, 'session_invalid'));
      expect(await snapshot(table, ownerId)).toEqual(before);
    });

    it('answers session_invalid for the UST of a locked user', async () => {
      const admin = await loggedInUser(t, { isSuperUser: true });
      const c = await loggedInUser(t);
      await http().post(`/users/${c.user.id}/lock`).set('Authorization', admin.auth);
      expectError(await http().get(`${base}/secret`).set('Authorization', c.auth), 401, 'session_invalid');
      expectError(await http().put(`${base}/x`).set('Authorization', c.auth).send({ value: 1 }), 401, 'session_invalid');
    });
  });

  describe('X-Current-App', () => {
    it('not in SSO_APPS answers every route with app_not_allowed and writes nothing', async () => {
      const c = await loggedInUser(t);
      await withSecret(c);
      const before = [await snapshot('sso_session_attr', c.session.id), await snapshot('sso_user_attr', c.user.id)];
      for (const base of ['/sessions/current/attrs', '/users/me/attrs']) {
        expect(await outcomes(base, c.auth, (test) => test.set('X-Current-App', 'not-an-app'))).toEqual(expected(403, 'app_not_allowed'));
      }
      expect([await snapshot('sso_session_attr', c.session.id), await snapshot('sso_user_attr', c.user.id)]).toEqual(before);
    });

    it('on the list is accepted', async () => {
      const c = await loggedInUser(t);
      await withSecret(c);
      const res = await http().get('/sessions/current/attrs/secret').set('Authorization', c.auth).set('X-Current-App', 'web');
      expect(res.status).toBe(200);
      expect(res.body.value).toBe('session secret');
    });
  });

  it('keeps a new user without attributes isolated from existing ones', async () => {
    const user = await createUser(t);
    const { ust } = await login(t, user.username);
    expect((await http().get('/users/me/attrs').set('Authorization', `Bearer ${ust}`)).body).toEqual({ attrs: [] });
  });
});
