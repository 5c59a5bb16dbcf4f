import { loggedInUser, startTestApp, TestApp } from './support/test-app';

type Caller = Awaited<ReturnType<typeof loggedInUser>>;

const OWNERS = [
  { kind: 'session', base: '/sessions/current/attrs', table: 'sso_session_attr', ownerId: (c: Caller) => c.session.id },
  { kind: 'user', base: '/users/me/attrs', table: 'sso_user_attr', ownerId: (c: Caller) => c.user.id },
] as const;

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** A deterministic shuffle (seeded), so a failing run can be repeated. */
function shuffled<T>(items: T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

function tally(statuses: number[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const status of statuses) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}

describe('concurrent attribute writes', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
    // Listen once up front so parallel supertest calls share one server.
    await t.app.listen(0, '127.0.0.1');
  });
  afterAll(() => t.close());

  describe.each(OWNERS)('$kind attributes', ({ base, table, ownerId }) => {
    it('keeps all 50 of 50 parallel sets of different names', async () => {
      const c = await loggedInUser(t);
      const results = await Promise.all(
        range(50).map((i) => t.http().put(`${base}/key-${i}`).set('Authorization', c.auth).send({ value: { i } })),
      );
      expect(tally(results.map((r) => r.status))).toEqual({ 200: 50 });
      const list = await t.http().get(base).set('Authorization', c.auth);
      expect(list.body.attrs).toHaveLength(50);
      const got = await t.http().post(`${base}/batch/get`).set('Authorization', c.auth).send({ data: range(50).map((i) => `key-${i}`) });
      expect(got.body.attrs.map((a: { value: { i: number } }) => a.value.i)).toEqual(range(50));
    });

    it('gives exactly one success to 50 parallel creates of one name, and attr_exists to the rest', async () => {
      const c = await loggedInUser(t);
      const results = await Promise.all(
        range(50).map((i) => t.http().post(base).set('Authorization', c.auth).send({ name: 'race', value: `writer-${i}` })),
      );
      expect(tally(results.map((r) => r.status))).toEqual({ 201: 1, 409: 49 });
      expect(results.filter((r) => r.status === 409).every((r) => r.body.code === 'attr_exists')).toBe(true);
      const winner = results.findIndex((r) => r.status === 201);
      expect((await t.http().get(`${base}/race`).set('Authorization', c.auth)).body.value).toBe(`writer-${winner}`);
      const { rows } = await t.pg.query(`SELECT count(*)::int AS n FROM ${table} WHERE owner_id = $1`, [ownerId(c)]);
      expect(rows[0].n).toBe(1);
    });

    it('answers 50 parallel updates of one attribute with 200 each and keeps one of the sent values', async () => {
      const c = await loggedInUser(t);
      await t.http().put(`${base}/counter`).set('Authorization', c.auth).send({ value: 'initial' });
      const sent = range(50).map((i) => ({ writer: i }));
      const results = await Promise.all(
        sent.map((value) => t.http().patch(`${base}/counter`).set('Authorization', c.auth).send({ value })),
      );
      expect(tally(results.map((r) => r.status))).toEqual({ 200: 50 });
      const final = (await t.http().get(`${base}/counter`).set('Authorization', c.auth)).body.value;
      expect(sent).toContainEqual(final);
    });

    it('completes parallel batch sets of overlapping names in different orders without a deadlock', async () => {
      const c = await loggedInUser(t);
      const pool = range(40).map((i) => `shared-${i}`);
      const batches = range(20).map((b) => shuffled(pool, b + 1).slice(0, 30));
      const results = await Promise.all(
        batches.map((names, b) =>
          t.http()
            .post(`${base}/batch/set`)
            .set('Authorization', c.auth)
            .send({ data: names.map((name) => ({ name, value: { batch: b, name } })), encrypt: b % 2 === 0 }),
        ),
      );
      expect(tally(results.map((r) => r.status))).toEqual({ 200: 20 });
      const written = new Set(batches.flat());
      const got = await t.http().post(`${base}/batch/get`).set('Authorization', c.auth).send({ data: [...written] });
      for (const attr of got.body.attrs) {
        // Each name holds a value one of the batches that named it wrote.
        expect(batches[attr.value.batch]).toContain(attr.name);
        expect(attr.value.name).toBe(attr.name);
      }
    });

    it('completes parallel createMany, updateMany and deleteMany of overlapping names with only 2xx, 404 and 409 answers', async () => {
      const c = await loggedInUser(t);
      const pool = range(20).map((i) => `n-${i}`);
      await t.http().post(`${base}/batch/set`).set('Authorization', c.auth).send({ data: pool.slice(0, 10).map((name) => ({ name, value: 0 })) });
      const calls = range(30).map((k) => {
        const names = shuffled(pool, k + 7).slice(0, 8);
        const op = ['create', 'update', 'delete'][k % 3];
        const data = op === 'delete' ? names : names.map((name) => ({ name, value: k }));
        return t.http().post(`${base}/batch/${op}`).set('Authorization', c.auth).send({ data });
      });
      const statuses = (await Promise.all(calls)).map((r) => r.status);
      expect(statuses.filter((s) => ![200, 201, 404, 409].includes(s))).toEqual([]);
    });

    it('gives exactly one success to parallel deletes of one name', async () => {
      const c = await loggedInUser(t);
      await t.http().put(`${base}/once`).set('Authorization', c.auth).send({ value: 1 });
      const results = await Promise.all(range(20).map(() => t.http().delete(`${base}/once`).set('Authorization', c.auth)));
      expect(tally(results.map((r) => r.status))).toEqual({ 204: 1, 404: 19 });
    });
  });

  it('keeps the writes of parallel callers on different sessions of one user apart', async () => {
    const c = await loggedInUser(t);
    const others = await Promise.all(range(5).map(() => t.http().post('/auth/login').send({ username: c.user.username, password: c.user.password, currentApp: 'crm' })));
    const usts = [c.ust, ...others.map((r) => r.body.ust as string)];
    await Promise.all(
      usts.flatMap((ust, s) => range(10).map((i) => t.http().put(`/sessions/current/attrs/k${i}`).set('Authorization', `Bearer ${ust}`).send({ value: s }))),
    );
    for (const [s, ust] of usts.entries()) {
      const got = await t.http().post('/sessions/current/attrs/batch/get').set('Authorization', `Bearer ${ust}`).send({ data: range(10).map((i) => `k${i}`) });
      expect(got.body.attrs.map((a: { value: number }) => a.value)).toEqual(range(10).map(() => s));
    }
  });
});
