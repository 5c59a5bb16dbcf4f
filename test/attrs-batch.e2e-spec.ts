import { loggedInUser, startTestApp, TestApp } from './support/test-app';

type Res = { status: number; body: unknown };

function expectError(res: Res, status: number, code: string) {
  expect({ status: res.status, code: (res.body as { code?: string }).code }).toEqual({ status, code });
}

type Caller = Awaited<ReturnType<typeof loggedInUser>>;

const OWNERS = [
  { kind: 'session', base: '/sessions/current/attrs', table: 'sso_session_attr', ownerId: (c: Caller) => c.session.id },
  { kind: 'user', base: '/users/me/attrs', table: 'sso_user_attr', ownerId: (c: Caller) => c.user.id },
] as const;

const WRITE_OPS = ['create', 'set', 'update', 'set-expiry'] as const;
const NAME_OPS = ['get', 'exists', 'delete'] as const;

/** A valid batch body of the given names for any op. */
function body(op: string, names: string[], extra: object = {}) {
  if (op === 'set-expiry') return { data: names.map((name) => ({ name, expiration: 60 })) };
  if ((NAME_OPS as readonly string[]).includes(op)) return { data: names };
  return { data: names.map((name, i) => ({ name, value: `v${i}` })), ...extra };
}

describe('attribute batches', () => {
  let t: TestApp;
  let small: TestApp;
  beforeAll(async () => {
    [t, small] = await Promise.all([startTestApp(), startTestApp({ ATTR_MAX_BATCH: '5' })]);
  });
  afterAll(async () => {
    await Promise.all([t.close(), small.close()]);
  });

  describe.each(OWNERS)('$kind attributes', ({ base, table, ownerId }) => {
    /** Every stored column of every row of the owner, updated_at included. */
    async function rows(c: Caller) {
      const { rows } = await t.pg.query(
        `SELECT name, value, sealed, key_id, created_at, updated_at, expires_at FROM ${table} WHERE owner_id = $1 ORDER BY name`,
        [ownerId(c)],
      );
      return rows;
    }
    const batch = (app: TestApp, c: Caller, op: string, payload: object) =>
      app.http().post(`${base}/batch/${op}`).set('Authorization', c.auth).send(payload);

    async function seeded() {
      const c = await loggedInUser(t);
      const res = await batch(t, c, 'create', {
        data: [
          { name: 'a', value: 'A' },
          { name: 'b', value: { b: true }, expiration: 300 },
          { name: 'c', value: 'C', encrypt: true },
        ],
      });
      expect(res.status).toBe(201);
      return { c, before: await rows(c) };
    }

    describe('are all-or-nothing', () => {
      it('createMany with one existing name fails with attr_exists and writes nothing', async () => {
        const { c, before } = await seeded();
        const res = await batch(t, c, 'create', { data: [{ name: 'new-1', value: 1 }, { name: 'b', value: 'overwritten?' }, { name: 'new-2', value: 2 }] });
        expectError(res, 409, 'attr_exists');
        expect((res.body as { message: string }).message).toContain('b');
        expect(await rows(c)).toEqual(before);
      });

      it('updateMany with one missing name fails with attr_not_found and changes nothing', async () => {
        const { c, before } = await seeded();
        const res = await batch(t, c, 'update', {
          data: [{ name: 'a', value: 'changed' }, { name: 'missing', value: 1 }, { name: 'c', expiration: 5 }],
        });
        expectError(res, 404, 'attr_not_found');
        expect((res.body as { message: string }).message).toContain('missing');
        expect(await rows(c)).toEqual(before);
      });

      it('set-expiry with one missing name fails with attr_not_found and changes nothing', async () => {
        const { c, before } = await seeded();
        const res = await batch(t, c, 'set-expiry', { data: [{ name: 'a', expiration: 5 }, { name: 'b', expiration: null }, { name: 'zz', expiration: 5 }] });
        expectError(res, 404, 'attr_not_found');
        expect(await rows(c)).toEqual(before);
      });

      it('deleteMany with one missing name fails with attr_not_found and deletes nothing', async () => {
        const { c, before } = await seeded();
        expectError(await batch(t, c, 'delete', { data: ['a', 'missing', 'c'] }), 404, 'attr_not_found');
        expect(await rows(c)).toEqual(before);
      });

      it('setMany with one invalid item fails and writes nothing', async () => {
        const { c, before } = await seeded();
        const res = await batch(t, c, 'set', { data: [{ name: 'a', value: 'changed' }, { name: 'fresh', value: 1 }, { name: 'bad', value: 1, expiration: 0 }] });
        expectError(res, 400, 'validation_failed');
        expect(await rows(c)).toEqual(before);
      });

      it('a single-name write that fails leaves the other attributes alone', async () => {
        const { c, before } = await seeded();
        expectError(await t.http().post(base).set('Authorization', c.auth).send({ name: 'a', value: 'again' }), 409, 'attr_exists');
        expectError(await t.http().patch(`${base}/nope`).set('Authorization', c.auth).send({ value: 1 }), 404, 'attr_not_found');
        expect(await rows(c)).toEqual(before);
      });
    });

    describe('reject duplicate names', () => {
      it.each([...WRITE_OPS, ...NAME_OPS])('in %s with validation_failed, writing nothing', async (op) => {
        const { c, before } = await seeded();
        const res = await batch(t, c, op, body(op, ['a', 'x', 'a']));
        expectError(res, 400, 'validation_failed');
        expect(await rows(c)).toEqual(before);
      });
    });

    describe('hold at most ATTR_MAX_BATCH items (5 here)', () => {
      it.each([...WRITE_OPS, ...NAME_OPS])('rejects 6 items in %s with validation_failed, writing nothing', async (op) => {
        const c = await loggedInUser(small);
        const names = ['n1', 'n2', 'n3', 'n4', 'n5', 'n6'];
        await batch(small, c, 'set', body('set', names.slice(0, 5)));
        const before = await rows(c);
        expectError(await batch(small, c, op, body(op, names)), 400, 'validation_failed');
        expect(await rows(c)).toEqual(before);
      });

      it.each([...WRITE_OPS, ...NAME_OPS])('accepts 5 items in %s', async (op) => {
        const c = await loggedInUser(small);
        const names = ['n1', 'n2', 'n3', 'n4', 'n5'];
        if (op !== 'create') await batch(small, c, 'set', body('set', names));
        const res = await batch(small, c, op, body(op, names));
        expect(res.status).toBe(op === 'create' ? 201 : 200);
      });
    });

    describe('per-item options', () => {
      async function stored(c: Caller) {
        const { rows } = await t.pg.query(
          `SELECT name, sealed IS NOT NULL AS sealed, extract(epoch FROM expires_at - now()) AS ttl FROM ${table} WHERE owner_id = $1 ORDER BY name`,
          [ownerId(c)],
        );
        return Object.fromEntries(rows.map((r) => [r.name, { sealed: r.sealed, ttl: r.ttl === null ? null : Math.round(Number(r.ttl) / 100) * 100 }]));
      }

      it.each(['create', 'set'])('override the call defaults of expiration and encrypt in %s', async (op) => {
        const c = await loggedInUser(t);
        const res = await batch(t, c, op, {
          expiration: 1000,
          encrypt: true,
          data: [
            { name: 'defaults', value: 1 },
            { name: 'own-expiry', value: 2, expiration: 5000 },
            { name: 'no-expiry', value: 3, expiration: null },
            { name: 'plain', value: 4, encrypt: false },
          ],
        });
        expect(res.status).toBe(op === 'create' ? 201 : 200);
        expect((res.body as { attrs: Array<{ encrypted: boolean }> }).attrs.map((m) => m.encrypted)).toEqual([true, true, true, false]);
        expect(await stored(c)).toEqual({
          defaults: { sealed: true, ttl: 1000 },
          'own-expiry': { sealed: true, ttl: 5000 },
          'no-expiry': { sealed: true, ttl: null },
          plain: { sealed: false, ttl: 1000 },
        });
        const got = await batch(t, c, 'get', { data: ['defaults', 'own-expiry', 'no-expiry', 'plain'] });
        expect((got.body as { attrs: Array<{ value: unknown }> }).attrs.map((a) => a.value)).toEqual([1, 2, 3, 4]);
      });

      it('override the call defaults in update', async () => {
        const c = await loggedInUser(t);
        await batch(t, c, 'create', { data: ['defaults', 'own-expiry', 'no-expiry', 'plain'].map((name) => ({ name, value: 0, expiration: 3000 })) });
        const res = await batch(t, c, 'update', {
          expiration: 1000,
          encrypt: true,
          data: [
            { name: 'defaults', value: 1 },
            { name: 'own-expiry', value: 2, expiration: 5000 },
            { name: 'no-expiry', value: 3, expiration: null },
            { name: 'plain', value: 4, encrypt: false },
          ],
        });
        expect(res.status).toBe(200);
        expect(await stored(c)).toEqual({
          defaults: { sealed: true, ttl: 1000 },
          'own-expiry': { sealed: true, ttl: 5000 },
          'no-expiry': { sealed: true, ttl: null },
          plain: { sealed: false, ttl: 1000 },
        });
        const got = await batch(t, c, 'get', { data: ['defaults', 'own-expiry', 'no-expiry', 'plain'] });
        expect((got.body as { attrs: Array<{ value: unknown }> }).attrs.map((a) => a.value)).toEqual([1, 2, 3, 4]);
      });
    });

    it('creates 1000 attributes in one call, all readable', async () => {
      const c = await loggedInUser(t);
      const data = Array.from({ length: 1000 }, (_, i) => ({ name: `item-${String(i).padStart(4, '0')}`, value: { i, label: `value ${i}` } }));
      const res = await batch(t, c, 'create', { data: [...data].reverse() });
      expect(res.status).toBe(201);
      const created = (res.body as { attrs: Array<{ name: string }> }).attrs;
      expect(created.map((m) => m.name)).toEqual([...data].reverse().map((d) => d.name));

      const got = await batch(t, c, 'get', { data: data.map((d) => d.name) });
      expect(got.status).toBe(200);
      expect((got.body as { attrs: Array<{ value: unknown }> }).attrs.map((a) => a.value)).toEqual(data.map((d) => d.value));
      const list = await t.http().get(base).set('Authorization', c.auth);
      expect(list.body.attrs.map((m: { name: string }) => m.name)).toEqual(data.map((d) => d.name));
      const { rows: count } = await t.pg.query(`SELECT count(*)::int AS n FROM ${table} WHERE owner_id = $1`, [ownerId(c)]);
      expect(count[0].n).toBe(1000);

      // A second createMany of the same 1000 with one new name fails as a whole.
      expectError(await batch(t, c, 'create', { data: [...data, { name: 'one-more', value: 1 }].slice(1) }), 409, 'attr_exists');
      expect((await batch(t, c, 'exists', { data: ['one-more'] })).body).toEqual({ exists: [false] });
      expect((await batch(t, c, 'delete', { data: data.map((d) => d.name) })).status).toBe(200);
      expect((await t.http().get(base).set('Authorization', c.auth)).body).toEqual({ attrs: [] });
    });
  });
});
