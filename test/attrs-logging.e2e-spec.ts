import { randomBytes } from 'node:crypto';
import { SessionAttrService, UserAttrService } from '../src';
import { SweeperService } from '../src';
import { loggedInUser, PASSWORD, startTestApp, TestApp } from './support/test-app';

const MAX_VALUE_BYTES = 2048;

interface RequestLine {
  msg: string;
  req?: { method: string; path: string };
  status?: number;
  sessionId?: string;
}

function parsed(lines: string[]): RequestLine[] {
  return lines.flatMap((line) => {
    try {
      return [JSON.parse(line) as RequestLine];
    } catch {
      return [];
    }
  });
}

describe('attribute values in logs', () => {
  let t: TestApp;
  // The most verbose level: whatever any logger writes is scanned.
  beforeAll(async () => (t = await startTestApp({ LOG_LEVEL: 'trace', ATTR_MAX_VALUE_BYTES: String(MAX_VALUE_BYTES) })));
  afterAll(() => t.close());

  it.each([
    { kind: 'session', base: '/sessions/current/attrs', table: 'sso_session_attr' },
    { kind: 'user', base: '/users/me/attrs', table: 'sso_user_attr' },
  ])('never contain a $kind attribute value or the UST, while every attribute request is logged', async ({ base, table }) => {
    const SENTINEL = `sentinel-${randomBytes(8).toString('hex')}`;
    const value = (i: number | string) => ({ secret: `${SENTINEL}-${i}`, list: [SENTINEL] });
    const c = await loggedInUser(t);
    const admin = await loggedInUser(t, { isSuperUser: true });
    const first = t.logs.length;
    const json = (method: 'post' | 'put' | 'patch', path: string, body: unknown, auth = c.auth) =>
      t.http()[method](path).set('Authorization', auth).send(body as object);
    const statuses: number[] = [];
    const expectStatus = async (promise: PromiseLike<{ status: number }>, status: number) => {
      const res = await promise;
      expect(res.status).toBe(status);
      statuses.push(status);
    };

    // Every operation, plain and encrypted.
    await expectStatus(json('post', base, { name: 'created', value: value(1) }), 201);
    await expectStatus(json('post', base, { name: 'created-sealed', value: value(2), encrypt: true, expiration: 60 }), 201);
    await expectStatus(json('put', `${base}/set`, { value: value(3) }), 200);
    await expectStatus(json('put', `${base}/set-sealed`, { value: value(4), encrypt: true }), 200);
    await expectStatus(json('patch', `${base}/set`, { value: value(5) }), 200);
    await expectStatus(json('patch', `${base}/set-sealed`, { value: value(6), encrypt: true, expiration: 30 }), 200);
    await expectStatus(t.http().get(`${base}/set-sealed`).set('Authorization', c.auth), 200);
    await expectStatus(t.http().head(`${base}/set`).set('Authorization', c.auth), 200);
    await expectStatus(t.http().get(base).set('Authorization', c.auth), 200);
    await expectStatus(json('post', `${base}/batch/create`, { data: [{ name: 'b1', value: value(7) }, { name: 'b2', value: value(8), encrypt: true }] }), 201);
    await expectStatus(json('post', `${base}/batch/set`, { data: [{ name: 'b3', value: value(9) }], encrypt: true }), 200);
    await expectStatus(json('post', `${base}/batch/update`, { data: [{ name: 'b1', value: value(10) }, { name: 'b2', expiration: 100 }] }), 200);
    await expectStatus(json('post', `${base}/batch/set-expiry`, { data: [{ name: 'b3', expiration: 50 }] }), 200);
    await expectStatus(json('post', `${base}/batch/get`, { data: ['b1', 'b2', 'b3', 'missing'] }), 200);
    await expectStatus(json('post', `${base}/batch/exists`, { data: ['b1', 'missing'] }), 200);
    await expectStatus(json('post', `${base}/batch/delete`, { data: ['b1'] }), 200);
    await expectStatus(t.http().delete(`${base}/created`).set('Authorization', c.auth), 204);

    // Failures, each carrying the value.
    await expectStatus(json('post', base, { name: 'set', value: value('dup') }), 409);
    await expectStatus(json('post', `${base}/batch/create`, { data: [{ name: 'new', value: value('dup-batch') }, { name: 'set-sealed', value: value('x') }] }), 409);
    await expectStatus(json('patch', `${base}/missing`, { value: value('missing') }), 404);
    await expectStatus(json('post', `${base}/batch/update`, { data: [{ name: 'missing', value: value('missing-batch') }] }), 404);
    await expectStatus(json('put', `${base}/big`, { value: `${SENTINEL}${'x'.repeat(MAX_VALUE_BYTES)}` }), 413);
    await expectStatus(json('post', `${base}/batch/set`, { data: [{ name: 'big', value: `${SENTINEL}${'y'.repeat(MAX_VALUE_BYTES)}`, encrypt: true }] }), 413);
    await expectStatus(json('put', `${base}/bad`, { value: value('bad'), expiration: -1 }), 400);
    await expectStatus(json('put', `${base}/bad`, { value: value('bad'), extra: SENTINEL }), 400);
    await expectStatus(json('post', base, { name: 'a/b', value: value('bad-name') }), 400);
    await expectStatus(json('post', `${base}/batch/set`, { data: [{ name: 'dup', value: value('d1') }, { name: 'dup', value: value('d2') }] }), 400);
    await expectStatus(json('post', `${base}/batch/nope`, { data: [{ name: 'x', value: value('op') }] }), 404);
    await expectStatus(
      t.http().put(`${base}/malformed`).set('Authorization', c.auth).set('Content-Type', 'application/json').send(`{"value": "${SENTINEL}`),
      400,
    );
    await expectStatus(t.http().put(`${base}/no-auth`).set('Authorization', `Bearer ${randomBytes(32).toString('base64url')}`).send({ value: value('no-auth') }), 401);
    await expectStatus(t.http().put(`${base}/bad-app`).set('Authorization', c.auth).set('X-Current-App', 'nope').send({ value: value('bad-app') }), 403);

    // A value that fails to decrypt (500) logs an error, without the value.
    const ownerId = base.startsWith('/users') ? c.user.id : c.session.id;
    await expectStatus(json('put', `${base}/moved`, { value: 'placeholder', encrypt: true }), 200);
    await t.pg.query(
      `UPDATE ${table} SET sealed = (SELECT sealed FROM ${table} WHERE owner_id = $1 AND name = 'set-sealed') WHERE owner_id = $1 AND name = 'moved'`,
      [ownerId],
    );
    await expectStatus(t.http().get(`${base}/moved`).set('Authorization', c.auth), 500);

    // A super-user's calls on the owner by id, and the in-process API.
    const byId = base.startsWith('/users') ? `/users/${c.user.id}/attrs` : `/sessions/${c.session.id}/attrs`;
    await expectStatus(json('put', `${byId}/admin`, { value: value('admin'), encrypt: true }, admin.auth), 200);
    await expectStatus(t.http().get(`${byId}/admin`).set('Authorization', admin.auth), 200);
    const attrs = t.app.get(base.startsWith('/users') ? UserAttrService : SessionAttrService).of(ownerId);
    await attrs.set('inproc', value('inproc'), { encrypt: true, expiration: 1 });
    await attrs.createMany([{ name: 'inproc-2', value: value('inproc-2') }]);
    await expect(attrs.create('inproc-2', value('inproc-dup'))).rejects.toMatchObject({ code: 'attr_exists' });
    await attrs.get('inproc');
    await t.app.get(SweeperService).sweepAll();

    const lines = t.logs.slice(first);
    expect(lines.filter((line) => line.includes(SENTINEL))).toEqual([]);
    for (const secret of [c.ust, admin.ust, PASSWORD]) expect(t.logs.filter((line) => line.includes(secret))).toEqual([]);

    // One request line per attribute call, with method, path, status and the caller's session.
    const requests = parsed(lines).filter((l) => l.msg === 'request' && l.req?.path.includes('/attrs'));
    expect(requests).toHaveLength(statuses.length);
    expect(requests.map((l) => l.status)).toEqual(statuses);
    expect(requests.every((l) => l.req!.path.startsWith(base) || l.req!.path.startsWith(byId))).toBe(true);
    expect(requests.find((l) => l.req!.method === 'PUT' && l.req!.path === `${base}/set` && l.status === 200)).toBeDefined();
    expect(requests.find((l) => l.status === 201)!.sessionId).toBe(c.session.id);
    // The decrypt failure is logged as an error that names the attribute.
    expect(parsed(lines).filter((l) => JSON.stringify(l).includes('"level":50') && l.msg.includes('"moved"')).length).toBeGreaterThanOrEqual(1);
  });
});
