import type { TesseraError } from '../src';
import { AttrService, SessionAttrService, UserAttrService } from '../src';
import type { JsonValue } from '../src';
import { loggedInUser, sleep, startTestApp, TestApp } from './support/test-app';

type Res = { status: number; body: unknown; text: string };

function expectError(res: Res, status: number, code: string) {
  expect({ status: res.status, code: (res.body as { code?: string }).code }).toEqual({ status, code });
  expect(Object.keys(res.body as object).sort()).toEqual(['code', 'message', 'statusCode']);
}

const META_KEYS = ['createdAt', 'encrypted', 'expiresAt', 'name', 'updatedAt'];
const ATTR_KEYS = [...META_KEYS, 'value'].sort();
const ISO_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

function expectMeta(meta: Record<string, unknown>, name: string) {
  expect(Object.keys(meta).sort()).toEqual(META_KEYS);
  expect(meta).toMatchObject({ name, encrypted: false });
  expect(meta.createdAt).toMatch(ISO_UTC);
  expect(meta.updatedAt).toMatch(ISO_UTC);
}

/** JSON text with key order kept: `toEqual` alone would accept reordered keys. */
const exactly = (value: unknown) => JSON.stringify(value);

type Caller = Awaited<ReturnType<typeof loggedInUser>>;

const OWNERS = [
  { kind: 'session', base: '/sessions/current/attrs', byId: (c: Caller) => `/sessions/${c.session.id}/attrs` },
  { kind: 'user', base: '/users/me/attrs', byId: (c: Caller) => `/users/${c.user.id}/attrs` },
] as const;

const ROUND_TRIP_VALUES: Array<[string, JsonValue]> = [
  ['a string', 'hello world'],
  ['an empty string', ''],
  ['a string with quotes, backslashes and control characters', 'say "hi"\\ \n\t\u0000\u001f end'],
  ['zero', 0],
  ['a negative integer', -42],
  ['a float', 3.14159],
  ['a negative float', -0.000123],
  ['a large number', 1.7976931348623157e308],
  ['the largest safe integer', Number.MAX_SAFE_INTEGER],
  ['true', true],
  ['false', false],
  ['null', null],
  ['an empty object', {}],
  ['an empty array', []],
  ['a mixed array', [1, 'two', null, false, 0, '', { three: [3] }, [[]]]],
  ['a nested object', { user: { roles: ['admin', 'dev'], prefs: { theme: 'dark', size: 12.5, beta: false, x: null } } }],
  ['an object whose key order is not alphabetical', { zeta: 1, alpha: 2, mid: { y: 1, b: 2, a: [{ q: 1, c: 2 }] } }],
  ['unicode text', 'Grüße, naïve café, Ελληνικά, 日本語, Ω≈ç√'],
  ['emoji', '😀 👍🏽 👨‍👩‍👧‍👦 🏳️‍🌈'],
  ['right-to-left text', 'مرحبا بالعالم — שלום עולם'],
  ['unicode object keys', { 'ключ': 'значение', '🔑': '🚪', 'مفتاح': 'قيمة' }],
];

describe('attribute operations', () => {
  let t: TestApp;
  beforeAll(async () => (t = await startTestApp()));
  afterAll(() => t.close());

  describe.each(OWNERS)('$kind attributes over REST', ({ base, byId }) => {
    const call = (c: Caller) => ({
      post: (path: string, body: unknown) => t.http().post(`${base}${path}`).set('Authorization', c.auth).send(body as object),
      put: (name: string, body: unknown) => t.http().put(`${base}/${encodeURIComponent(name)}`).set('Authorization', c.auth).send(body as object),
      patch: (name: string, body: unknown) => t.http().patch(`${base}/${encodeURIComponent(name)}`).set('Authorization', c.auth).send(body as object),
      get: (name: string) => t.http().get(`${base}/${encodeURIComponent(name)}`).set('Authorization', c.auth),
      head: (name: string) => t.http().head(`${base}/${encodeURIComponent(name)}`).set('Authorization', c.auth),
      del: (name: string) => t.http().delete(`${base}/${encodeURIComponent(name)}`).set('Authorization', c.auth),
      list: () => t.http().get(base).set('Authorization', c.auth),
    });

    describe('values', () => {
      it('round-trips every JSON type exactly through create and get: strings, numbers, booleans, null, objects, arrays, unicode', async () => {
        const c = await loggedInUser(t);
        const seen: string[] = [];
        for (const [i, [label, value]] of ROUND_TRIP_VALUES.entries()) {
          expect((await call(c).post('', { name: `v${i}`, value })).status).toBe(201);
          const res = await call(c).get(`v${i}`);
          expect(Object.keys(res.body).sort()).toEqual(ATTR_KEYS);
          expect(res.body.value).toEqual(value);
          seen.push(`${label}: ${exactly(res.body.value)}`);
        }
        expect(seen).toEqual(ROUND_TRIP_VALUES.map(([label, value]) => `${label}: ${exactly(value)}`));
      });

      it('round-trips every value through set, batch set and batch get', async () => {
        const c = await loggedInUser(t);
        const data = ROUND_TRIP_VALUES.map(([, value], i) => ({ name: `item-${i}`, value }));
        expect((await call(c).post('/batch/set', { data })).status).toBe(200);
        const res = await call(c).post('/batch/get', { data: data.map((d) => d.name) });
        expect(res.status).toBe(200);
        expect(exactly(res.body.attrs.map((a: { value: unknown }) => a.value))).toBe(exactly(data.map((d) => d.value)));
        for (const [i, [, value]] of ROUND_TRIP_VALUES.entries()) {
          const put = await call(c).put(`single-${i}`, { value });
          expect(put.status).toBe(200);
          expect(exactly((await call(c).get(`single-${i}`)).body.value)).toBe(exactly(value));
        }
      });

      it.each([
        ['null', null],
        ['0', 0],
        ['false', false],
        ['""', ''],
      ])('treats %s as a value: get, exists, getMany and existsMany find it', async (_label, value) => {
        const c = await loggedInUser(t);
        expect((await call(c).post('', { name: 'falsy', value })).status).toBe(201);
        const got = await call(c).get('falsy');
        expect(got.status).toBe(200);
        expect(got.body.value).toBe(value);
        expect((await call(c).head('falsy')).status).toBe(200);
        const many = await call(c).post('/batch/get', { data: ['falsy'] });
        expect(many.body.attrs[0]).not.toBeNull();
        expect(many.body.attrs[0].value).toBe(value);
        expect((await call(c).post('/batch/exists', { data: ['falsy'] })).body).toEqual({ exists: [true] });
        expect((await call(c).list()).body.attrs.map((m: { name: string }) => m.name)).toEqual(['falsy']);
        // and is rejected as a duplicate like any other value
        expectError(await call(c).post('', { name: 'falsy', value: 1 }), 409, 'attr_exists');
      });

      it('keeps an update to a falsy value', async () => {
        const c = await loggedInUser(t);
        await call(c).post('', { name: 'n', value: 'something' });
        for (const value of [0, false, '', null]) {
          expect((await call(c).patch('n', { value })).status).toBe(200);
          expect((await call(c).get('n')).body.value).toBe(value);
        }
      });
    });

    describe('create', () => {
      it('answers 201 with the metadata and no value', async () => {
        const c = await loggedInUser(t);
        const res = await call(c).post('', { name: 'cart', value: { items: [1, 2] } });
        expect(res.status).toBe(201);
        expectMeta(res.body, 'cart');
        expect(res.body.createdAt).toBe(res.body.updatedAt);
      });

      it('rejects a second create of the same name with attr_exists and keeps the first value', async () => {
        const c = await loggedInUser(t);
        await call(c).post('', { name: 'cart', value: 'first' });
        const res = await call(c).post('', { name: 'cart', value: 'second' });
        expectError(res, 409, 'attr_exists');
        expect(res.text).not.toContain('second');
        expect((await call(c).get('cart')).body.value).toBe('first');
      });

      it('reports no own expiry for a user attribute and the session expiry for a session attribute', async () => {
        const c = await loggedInUser(t);
        const res = await call(c).post('', { name: 'plain', value: 1 });
        if (base.startsWith('/users')) expect(res.body.expiresAt).toBeNull();
        else expect(res.body.expiresAt).toBe((await t.http().get('/sessions/current').set('Authorization', c.auth)).body.expiresAt);
      });

      it('sets expiresAt about expiration seconds ahead', async () => {
        const c = await loggedInUser(t);
        const before = Date.now();
        const res = await call(c).post('', { name: 'short', value: 1, expiration: 120 });
        const expiresAt = Date.parse(res.body.expiresAt);
        expect(expiresAt).toBeGreaterThanOrEqual(before + 119_000);
        expect(expiresAt).toBeLessThanOrEqual(Date.now() + 121_000);
      });
    });

    describe('set', () => {
      it('creates a missing attribute', async () => {
        const c = await loggedInUser(t);
        const res = await call(c).put('theme', { value: 'dark' });
        expect(res.status).toBe(200);
        expectMeta(res.body, 'theme');
        expect((await call(c).get('theme')).body.value).toBe('dark');
      });

      it('replaces the value of a live attribute and keeps its createdAt', async () => {
        const c = await loggedInUser(t);
        const first = await call(c).put('theme', { value: 'dark' });
        await sleep(15);
        const second = await call(c).put('theme', { value: { mode: 'light' } });
        expect(second.status).toBe(200);
        expect(second.body.createdAt).toBe(first.body.createdAt);
        expect(Date.parse(second.body.updatedAt)).toBeGreaterThan(Date.parse(first.body.updatedAt));
        const got = (await call(c).get('theme')).body;
        expect(got.value).toEqual({ mode: 'light' });
        expect(got.createdAt).toBe(first.body.createdAt);
      });

      it('replaces the own expiry: a set without expiration removes an earlier one', async () => {
        const c = await loggedInUser(t);
        await call(c).put('x', { value: 1, expiration: 100 });
        const res = await call(c).put('x', { value: 2 });
        const session = (await t.http().get('/sessions/current').set('Authorization', c.auth)).body;
        expect(res.body.expiresAt).toBe(base.startsWith('/users') ? null : session.expiresAt);
      });
    });

    describe('update (PATCH)', () => {
      it('fails with attr_not_found for a missing name and creates nothing', async () => {
        const c = await loggedInUser(t);
        expectError(await call(c).patch('ghost', { value: 1 }), 404, 'attr_not_found');
        expectError(await call(c).patch('ghost', { expiration: 10 }), 404, 'attr_not_found');
        expectError(await call(c).get('ghost'), 404, 'attr_not_found');
      });

      it('changes the value, keeps createdAt and the own expiry', async () => {
        const c = await loggedInUser(t);
        const created = await call(c).post('', { name: 'n', value: 1, expiration: 100 });
        await sleep(15);
        const res = await call(c).patch('n', { value: 2 });
        expect(res.status).toBe(200);
        expectMeta(res.body, 'n');
        expect(res.body.createdAt).toBe(created.body.createdAt);
        expect(res.body.expiresAt).toBe(created.body.expiresAt);
        expect(Date.parse(res.body.updatedAt)).toBeGreaterThan(Date.parse(created.body.updatedAt));
        expect((await call(c).get('n')).body.value).toBe(2);
      });

      it('with only expiration changes the expiry and keeps the value', async () => {
        const c = await loggedInUser(t);
        const created = await call(c).post('', { name: 'n', value: { keep: 'me' }, expiration: 100 });
        const res = await call(c).patch('n', { expiration: 50 });
        expect(res.status).toBe(200);
        expect(Date.parse(res.body.expiresAt)).toBeLessThan(Date.parse(created.body.expiresAt) - 40_000);
        const got = (await call(c).get('n')).body;
        expect(got.value).toEqual({ keep: 'me' });
        expect(got.expiresAt).toBe(res.body.expiresAt);
      });

      it('with expiration null removes the own expiry', async () => {
        const c = await loggedInUser(t);
        await call(c).post('', { name: 'n', value: 'v', expiration: 100 });
        const res = await call(c).patch('n', { expiration: null });
        expect(res.status).toBe(200);
        const session = (await t.http().get('/sessions/current').set('Authorization', c.auth)).body;
        expect(res.body.expiresAt).toBe(base.startsWith('/users') ? null : session.expiresAt);
        expect((await call(c).get('n')).body.value).toBe('v');
      });
    });

    describe('get, exists, delete', () => {
      it('answers attr_not_found for a missing name on get and 404 on exists', async () => {
        const c = await loggedInUser(t);
        const res = await call(c).get('nope');
        expectError(res, 404, 'attr_not_found');
        expect((await call(c).head('nope')).status).toBe(404);
      });

      it('answers 200 with an empty body on exists', async () => {
        const c = await loggedInUser(t);
        await call(c).put('here', { value: 1 });
        const res = await call(c).head('here');
        expect(res.status).toBe(200);
        expect(res.text ?? '').toBe('');
      });

      it('deletes with 204, after which get, exists and a second delete answer 404', async () => {
        const c = await loggedInUser(t);
        await call(c).put('gone', { value: 1 });
        await call(c).put('stays', { value: 2 });
        const res = await call(c).del('gone');
        expect(res.status).toBe(204);
        expect(res.text).toBe('');
        expectError(await call(c).get('gone'), 404, 'attr_not_found');
        expect((await call(c).head('gone')).status).toBe(404);
        expectError(await call(c).del('gone'), 404, 'attr_not_found');
        expect((await call(c).get('stays')).body.value).toBe(2);
      });

      it('reaches names with spaces, unicode, emoji and URL syntax through the path', async () => {
        const c = await loggedInUser(t);
        const names = ['with space', 'ünïcødé', '😀 emoji', 'dots.and-dashes_', '%percent', 'q?uery#hash&a=b', '..', 'x'.repeat(100)];
        for (const name of names) expect((await call(c).put(name, { value: name })).status).toBe(200);
        for (const name of names) {
          const res = await call(c).get(name);
          expect(res.status).toBe(200);
          expect(res.body).toMatchObject({ name, value: name });
        }
        expect((await call(c).list()).body.attrs.map((m: { name: string }) => m.name).sort()).toEqual([...names].sort());
      });

      it.each([
        ['128 ASCII characters', 'n'.repeat(128)],
        ['128 accented letters', 'é'.repeat(128)],
        ['128 emoji', '😀'.repeat(128)],
      ])('reaches a name of the longest valid length (%s) through every path route', async (_label, name) => {
        const c = await loggedInUser(t);
        expect((await call(c).post('', { name, value: 'long' })).status).toBe(201);
        expect((await call(c).put(name, { value: 'longer' })).status).toBe(200);
        expect((await call(c).patch(name, { value: 'longest' })).status).toBe(200);
        const got = await call(c).get(name);
        expect(got.status).toBe(200);
        expect(got.body).toMatchObject({ name, value: 'longest' });
        expect((await call(c).head(name)).status).toBe(200);
        expect((await call(c).del(name)).status).toBe(204);
      });

      it('reaches the same attributes by the owner id as by the alias', async () => {
        const c = await loggedInUser(t);
        await call(c).put('a', { value: 'via alias' });
        const res = await t.http().get(`${byId(c)}/a`).set('Authorization', c.auth);
        expect(res.status).toBe(200);
        expect(res.body.value).toBe('via alias');
        const upper = await t.http().get(`${byId(c).replace(/[0-9a-f-]{36}/, (id) => id.toUpperCase())}/a`).set('Authorization', c.auth);
        expect(upper.status).toBe(200);
        expect(upper.body.value).toBe('via alias');
      });
    });

    describe('names and metadata', () => {
      it('lists live attributes sorted by name, with metadata and no value', async () => {
        const c = await loggedInUser(t);
        for (const name of ['delta', 'alpha', 'charlie', 'bravo']) await call(c).put(name, { value: `secret-${name}` });
        const res = await call(c).list();
        expect(res.status).toBe(200);
        expect(Object.keys(res.body)).toEqual(['attrs']);
        expect(res.body.attrs.map((m: { name: string }) => m.name)).toEqual(['alpha', 'bravo', 'charlie', 'delta']);
        for (const meta of res.body.attrs) expectMeta(meta, meta.name);
        expect(res.text).not.toContain('secret-');
      });

      it('lists nothing for an owner without attributes', async () => {
        const c = await loggedInUser(t);
        expect((await call(c).list()).body).toEqual({ attrs: [] });
      });
    });

    describe('batches', () => {
      it('createMany answers 201 with the metadata in the order given', async () => {
        const c = await loggedInUser(t);
        const res = await call(c).post('/batch/create', { data: [{ name: 'b', value: 1 }, { name: 'a', value: 2 }, { name: 'c', value: null }] });
        expect(res.status).toBe(201);
        expect(Object.keys(res.body)).toEqual(['attrs']);
        expect(res.body.attrs.map((m: { name: string }) => m.name)).toEqual(['b', 'a', 'c']);
        for (const meta of res.body.attrs) expectMeta(meta, meta.name);
      });

      it('setMany creates and replaces, answering 200 in the order given', async () => {
        const c = await loggedInUser(t);
        const created = await call(c).put('b', { value: 'old' });
        const res = await call(c).post('/batch/set', { data: [{ name: 'b', value: 'new' }, { name: 'a', value: 'fresh' }] });
        expect(res.status).toBe(200);
        expect(res.body.attrs.map((m: { name: string }) => m.name)).toEqual(['b', 'a']);
        expect(res.body.attrs[0].createdAt).toBe(created.body.createdAt);
        const got = await call(c).post('/batch/get', { data: ['a', 'b'] });
        expect(got.body.attrs.map((a: { value: unknown }) => a.value)).toEqual(['fresh', 'new']);
      });

      it('updateMany changes values and expiries; an item without value keeps its value', async () => {
        const c = await loggedInUser(t);
        await call(c).post('/batch/create', { data: [{ name: 'a', value: 1 }, { name: 'b', value: 2, expiration: 100 }] });
        const res = await call(c).post('/batch/update', { data: [{ name: 'b', expiration: 500 }, { name: 'a', value: 10 }] });
        expect(res.status).toBe(200);
        expect(res.body.attrs.map((m: { name: string }) => m.name)).toEqual(['b', 'a']);
        const got = (await call(c).post('/batch/get', { data: ['a', 'b'] })).body.attrs;
        expect(got.map((a: { value: unknown }) => a.value)).toEqual([10, 2]);
        expect(Date.parse(got[1].expiresAt) - Date.now()).toBeGreaterThan(400_000);
      });

      it('set-expiry changes only expiries and null removes one', async () => {
        const c = await loggedInUser(t);
        await call(c).post('/batch/create', { data: [{ name: 'a', value: 'A', expiration: 100 }, { name: 'b', value: 'B' }] });
        const res = await call(c).post('/batch/set-expiry', { data: [{ name: 'a', expiration: null }, { name: 'b', expiration: 30 }] });
        expect(res.status).toBe(200);
        expect(res.body.attrs.map((m: { name: string }) => m.name)).toEqual(['a', 'b']);
        const got = (await call(c).post('/batch/get', { data: ['a', 'b'] })).body.attrs;
        expect(got.map((a: { value: unknown }) => a.value)).toEqual(['A', 'B']);
        expect(Date.parse(got[1].expiresAt) - Date.now()).toBeLessThanOrEqual(30_000);
        if (base.startsWith('/users')) expect(got[0].expiresAt).toBeNull();
        else expect(Date.parse(got[0].expiresAt) - Date.now()).toBeGreaterThan(3_000_000); // the session's (1 h)
      });

      it('getMany answers one entry per asked name, in the order asked, null for missing ones', async () => {
        const c = await loggedInUser(t);
        await call(c).post('/batch/create', { data: [{ name: 'a', value: 'A' }, { name: 'c', value: null }] });
        const res = await call(c).post('/batch/get', { data: ['missing-1', 'c', 'a', 'missing-2'] });
        expect(res.status).toBe(200);
        expect(res.body.attrs).toHaveLength(4);
        expect(res.body.attrs[0]).toBeNull();
        expect(res.body.attrs[1]).toMatchObject({ name: 'c', value: null });
        expect(Object.keys(res.body.attrs[1]).sort()).toEqual(ATTR_KEYS);
        expect(res.body.attrs[2]).toMatchObject({ name: 'a', value: 'A' });
        expect(res.body.attrs[3]).toBeNull();
      });

      it('existsMany answers one boolean per asked name, in the order asked', async () => {
        const c = await loggedInUser(t);
        await call(c).post('/batch/create', { data: [{ name: 'a', value: false }, { name: 'c', value: 0 }] });
        const res = await call(c).post('/batch/exists', { data: ['c', 'x', 'a', { name: 'y' }] });
        expect(res.status).toBe(200);
        expect(res.body).toEqual({ exists: [true, false, true, false] });
      });

      it('deleteMany removes every name and answers the names deleted', async () => {
        const c = await loggedInUser(t);
        await call(c).post('/batch/create', { data: [{ name: 'a', value: 1 }, { name: 'b', value: 2 }, { name: 'c', value: 3 }] });
        const res = await call(c).post('/batch/delete', { data: ['c', 'a'] });
        expect(res.status).toBe(200);
        expect(res.body).toEqual({ deleted: ['c', 'a'] });
        expect((await call(c).list()).body.attrs.map((m: { name: string }) => m.name)).toEqual(['b']);
      });

      it('accepts an empty batch', async () => {
        const c = await loggedInUser(t);
        expect((await call(c).post('/batch/set', { data: [] })).body).toEqual({ attrs: [] });
        expect((await call(c).post('/batch/get', { data: [] })).body).toEqual({ attrs: [] });
        expect((await call(c).post('/batch/exists', { data: [] })).body).toEqual({ exists: [] });
      });
    });
  });

  describe.each([
    { kind: 'session', service: SessionAttrService, owner: (c: Caller) => c.session, missing: 'session_not_found' },
    { kind: 'user', service: UserAttrService, owner: (c: Caller) => c.user, missing: 'user_not_found' },
  ])('in-process $kind attribute API', ({ service, owner, missing, kind }) => {
    const attrs = () => t.app.get<AttrService>(service);

    const code = (promise: Promise<unknown>) =>
      promise.then(
        () => 'resolved',
        (error: TesseraError) => error.code,
      );

    it.each([
      ['the owner id', (c: Caller) => owner(c).id],
      ['the owner object', (c: Caller) => owner(c) as { id: string }],
    ])('offers all sixteen operations on %s', async (_label, ref) => {
      const c = await loggedInUser(t);
      const o = ref(c);
      const a = attrs();

      const created = await a.create(o, 'one', { n: 1 }, { expiration: 100 });
      expect(created).toMatchObject({ name: 'one', encrypted: false });
      expect(created.createdAt).toBeInstanceOf(Date);
      expect(created.expiresAt!.getTime() - Date.now()).toBeGreaterThan(90_000);
      expect(await code(a.create(o, 'one', 2))).toBe('attr_exists');

      const many = await a.createMany(o, [{ name: 'b', value: 'B' }, { name: 'a', value: 'A', encrypt: true }], { expiration: 200 });
      expect(many.map((m) => [m.name, m.encrypted])).toEqual([['b', false], ['a', true]]);

      expect((await a.set(o, 'one', 'replaced')).createdAt).toEqual(created.createdAt);
      expect((await a.setMany(o, [{ name: 's1', value: 1 }, { name: 's2', value: [2] }])).map((m) => m.name)).toEqual(['s1', 's2']);

      await a.update(o, 's1', false);
      expect(await code(a.update(o, 'ghost', 1))).toBe('attr_not_found');
      await a.updateMany(o, [{ name: 's2', value: null }, { name: 'b', expiration: 300 }]);

      expect(await a.get(o, 'one')).toMatchObject({ name: 'one', value: 'replaced', encrypted: false });
      expect(await a.get(o, 's1')).toMatchObject({ value: false });
      expect(await a.get(o, 'ghost')).toBeNull();
      const got = await a.getMany(o, ['a', 'ghost', 's2', 'b']);
      expect(got.map((x) => x && x.value)).toEqual(['A', null, null, 'B']);
      expect(got[1]).toBeNull();
      expect(got[2]).not.toBeNull();
      expect(got[0]!.encrypted).toBe(true);
      expect(got[3]!.expiresAt!.getTime() - Date.now()).toBeGreaterThan(250_000);

      expect(await a.exists(o, 's2')).toBe(true);
      expect(await a.exists(o, 'ghost')).toBe(false);
      expect(await a.existsMany(o, ['ghost', 'a', 's1'])).toEqual([false, true, true]);

      expect(await a.names(o)).toEqual(['a', 'b', 'one', 's1', 's2']);
      const list = await a.list(o);
      expect(list.map((m) => m.name)).toEqual(['a', 'b', 'one', 's1', 's2']);
      expect(list.every((m) => !('value' in m))).toBe(true);

      const expiry = await a.setExpiry(o, 'one', 10);
      expect(expiry.expiresAt!.getTime() - Date.now()).toBeLessThanOrEqual(10_000);
      expect((await a.get(o, 'one'))!.value).toBe('replaced');
      await a.setExpiryMany(o, [{ name: 'one', expiration: null }, { name: 's1', expiration: 20 }]);
      const afterExpiry = await a.getMany(o, ['one', 's1']);
      if (kind === 'user') expect(afterExpiry[0]!.expiresAt).toBeNull();
      else expect(afterExpiry[0]!.expiresAt!.getTime() - Date.now()).toBeGreaterThan(3_000_000);
      expect(afterExpiry[1]!.expiresAt!.getTime() - Date.now()).toBeLessThanOrEqual(20_000);

      await a.delete(o, 'one');
      expect(await code(a.delete(o, 'one'))).toBe('attr_not_found');
      await a.deleteMany(o, ['s1', 's2']);
      expect(await code(a.deleteMany(o, ['a', 'ghost']))).toBe('attr_not_found');
      expect(await a.names(o)).toEqual(['a', 'b']);
    });

    it('offers all sixteen operations on a bound handle', async () => {
      const c = await loggedInUser(t);
      const h = attrs().of(owner(c));

      expect(await h.create('one', 1, { expiration: 100 })).toMatchObject({ name: 'one' });
      expect(await code(h.create('one', 2))).toBe('attr_exists');
      expect((await h.createMany([{ name: 'b', value: 'B' }, { name: 'a', value: 'A' }])).map((m) => m.name)).toEqual(['b', 'a']);
      await h.set('one', { v: 'set' });
      await h.setMany([{ name: 's1', value: 1 }, { name: 's2', value: 2 }], { encrypt: true });
      await h.update('s1', 'updated', { encrypt: true });
      expect(await code(h.update('ghost', 1))).toBe('attr_not_found');
      await h.updateMany([{ name: 's2', value: 'updated too' }], { encrypt: true });
      expect(await h.get('one')).toMatchObject({ value: { v: 'set' } });
      expect((await h.getMany(['s2', 'ghost', 's1'])).map((x) => x && x.value)).toEqual(['updated too', null, 'updated']);
      expect(await h.exists('a')).toBe(true);
      expect(await h.existsMany(['ghost', 'b'])).toEqual([false, true]);
      expect(await h.names()).toEqual(['a', 'b', 'one', 's1', 's2']);
      expect((await h.list()).map((m) => [m.name, m.encrypted])).toEqual([['a', false], ['b', false], ['one', false], ['s1', true], ['s2', true]]);
      expect((await h.setExpiry('a', 50)).expiresAt!.getTime() - Date.now()).toBeLessThanOrEqual(50_000);
      await h.setExpiryMany([{ name: 'b', expiration: 60 }]);
      expect((await h.get('b'))!.expiresAt!.getTime() - Date.now()).toBeLessThanOrEqual(60_000);
      await h.delete('a');
      await h.deleteMany(['b', 's1']);
      expect(await h.names()).toEqual(['one', 's2']);
    });

    it('round-trips every JSON value exactly', async () => {
      const c = await loggedInUser(t);
      const h = attrs().of(owner(c));
      await h.setMany(ROUND_TRIP_VALUES.map(([, value], i) => ({ name: `v${i}`, value })));
      const got = await h.getMany(ROUND_TRIP_VALUES.map((_, i) => `v${i}`));
      expect(exactly(got.map((a) => a!.value))).toBe(exactly(ROUND_TRIP_VALUES.map(([, v]) => v)));
    });

    it('shares its attributes with the REST API', async () => {
      const c = await loggedInUser(t);
      await attrs().of(owner(c)).set('shared', { from: 'in-process' });
      const base = kind === 'session' ? '/sessions/current/attrs' : '/users/me/attrs';
      expect((await t.http().get(`${base}/shared`).set('Authorization', c.auth)).body.value).toEqual({ from: 'in-process' });
      await t.http().put(`${base}/rest`).set('Authorization', c.auth).send({ value: 'from REST' });
      expect((await attrs().get(owner(c).id, 'rest'))!.value).toBe('from REST');
    });

    it(`fails with ${missing} for an unknown or malformed owner`, async () => {
      expect(await code(attrs().get('00000000-0000-4000-8000-000000000000', 'x'))).toBe(missing);
      expect(await code(attrs().set('not-a-uuid', 'x', 1))).toBe(missing);
    });
  });
});
