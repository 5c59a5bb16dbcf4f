import { Client, PoolClient } from 'pg';
import { AttrMeta, SessionAttrService, TesseraError, UserAttrService } from '../src';
import { buildAttrStatement, buildCallerReadMany } from '../src/attributes/attr-sql';
import { loggedInUser, sleep, startTestApp, TestApp } from './support/test-app';

/**
 * Group commit per owner (src/attributes/attr-call-groups.ts). To make merging deterministic, a
 * test holds a row lock in its own transaction: the first write to the owner goes out and waits on
 * that lock, the writes that follow queue behind it, and when the lock is released they go out
 * together. The statements the service sends are recorded by name (every query of every pg client
 * in this process goes through Client.prototype.query).
 */
function recordStatements() {
  const original = Client.prototype.query;
  const names: string[] = [];
  Client.prototype.query = function (this: Client, ...args: unknown[]) {
    const first = args[0] as { name?: string; text?: string } | string;
    // Through PgBouncer (DB_PREPARED_STATEMENTS=false) statements travel unnamed: known by their text.
    const name = typeof first === 'object' ? (first.name ?? STATEMENT_NAMES.get(first.text ?? '')) : undefined;
    if (name?.startsWith('attr_')) names.push(name);
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof original;
  return { names, restore: () => (Client.prototype.query = original) };
}

/** Every attribute statement's text and its name. */
const STATEMENT_NAMES = new Map<string, string>();
for (const kind of ['session', 'user'] as const) {
  for (const mode of ['direct', 'caller', 'caller_token'] as const) {
    if (kind === 'user' && mode === 'caller_token') continue;
    for (const op of ['create', 'set', 'update', 'updateEach', 'read', 'probe', 'list', 'delete', 'deleteEach'] as const) {
      for (const single of [true, false]) {
        const { name, text } = buildAttrStatement(kind, mode, op, single);
        STATEMENT_NAMES.set(text, name);
      }
    }
  }
  const { name, text } = buildCallerReadMany(kind);
  STATEMENT_NAMES.set(text, name);
}

type Settled<T> = { ok: true; value: T } | { ok: false; code: string };

function settle<T>(promise: Promise<T>): Promise<Settled<T>> {
  return promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, code: error instanceof TesseraError ? error.code : String(error) }),
  );
}

describe('group commit of concurrent single calls to one owner', () => {
  let t: TestApp;
  let attrs: SessionAttrService;
  let statements: ReturnType<typeof recordStatements>;
  let locker: PoolClient | undefined;

  beforeAll(async () => {
    t = await startTestApp();
    await t.app.listen(0, '127.0.0.1');
    attrs = t.app.get(SessionAttrService);
  });
  afterAll(() => t.close());
  beforeEach(() => (statements = recordStatements()));
  afterEach(async () => {
    statements.restore();
    if (locker) {
      await locker.query('ROLLBACK').catch(() => undefined);
      locker.release();
      locker = undefined;
    }
  });

  /** Locks rows in a transaction of the test's own until `release` or `commit`. */
  async function hold(sql: string, params: unknown[]) {
    locker = await t.pg.connect();
    await locker.query('BEGIN');
    const { rowCount } = await locker.query(sql, params);
    expect(rowCount).toBe(1);
    return locker;
  }
  const holdAttr = (table: string, ownerId: string, name: string) =>
    hold(`SELECT 1 FROM ${table} WHERE owner_id = $1 AND name = $2 FOR UPDATE`, [ownerId, name]);

  /** Waits until `count` writes (or reads) queue behind a statement in flight. */
  async function queuedBehind(service: SessionAttrService | UserAttrService, count: number, which: 'groups' | 'readGroups' | 'callerReads' = 'groups') {
    const groups = service[which];
    for (let i = 0; i < 500 && groups.queued < count; i++) await sleep(10);
    expect(groups.queued).toBe(count);
  }

  it("sends an idle owner's write straight out, as the one-item statement it always was", async () => {
    const { session } = await loggedInUser(t);
    await attrs.set(session, 'cart', [1]);
    expect(statements.names).toEqual(['attr_session_direct_set_1']);
  });

  it('merges sets of one name that queue behind a statement: one value wins, every caller gets 200 with a state at least as late as its own', async () => {
    const { session } = await loggedInUser(t);
    await attrs.set(session, 'hot', 'initial');
    await holdAttr('sso_session_attr', session.id, 'hot');
    statements.names.length = 0;

    const first = settle(attrs.set(session, 'hot', 'writer-0'));
    await sleep(50);
    const rest = Array.from({ length: 20 }, (_, i) => settle(attrs.set(session, 'hot', `writer-${i + 1}`)));
    await queuedBehind(attrs, 20);
    await locker!.query('COMMIT');

    const results = await Promise.all([first, ...rest]);
    expect(results.every((r) => r.ok)).toBe(true);
    // The first went out alone; the twenty that queued behind it went out as one statement.
    expect(statements.names).toEqual(['attr_session_direct_set_1', 'attr_session_direct_set_1']);
    const final = await attrs.get(session, 'hot');
    expect(final!.value).toBe('writer-20');
    const metas = results.map((r) => (r as { value: AttrMeta }).value);
    for (const meta of metas) expect(meta.updatedAt.getTime()).toBeLessThanOrEqual(final!.updatedAt.getTime());
    for (const meta of metas.slice(1)) expect(meta).toEqual({ ...final, value: undefined, ...meta });
    expect(metas.slice(1).every((m) => m.updatedAt.getTime() === final!.updatedAt.getTime())).toBe(true);
  });

  it('merges sets of different names into one statement and keeps every value', async () => {
    const { session } = await loggedInUser(t);
    await attrs.set(session, 'hot', 0);
    await holdAttr('sso_session_attr', session.id, 'hot');
    statements.names.length = 0;

    const first = settle(attrs.set(session, 'hot', 1));
    await sleep(50);
    const rest = Array.from({ length: 30 }, (_, i) => settle(attrs.set(session, `k${i}`, { i }, { encrypt: i % 2 === 0, expiration: 600 })));
    await queuedBehind(attrs, 30);
    await locker!.query('COMMIT');

    const results = await Promise.all(rest);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(results.map((r) => (r as { value: AttrMeta }).value.name)).toEqual(Array.from({ length: 30 }, (_, i) => `k${i}`));
    expect(results.map((r) => (r as { value: AttrMeta }).value.encrypted)).toEqual(Array.from({ length: 30 }, (_, i) => i % 2 === 0));
    expect((await first).ok).toBe(true);
    expect(statements.names).toEqual(['attr_session_direct_set_1', 'attr_session_direct_set']);
    const got = await attrs.getMany(session, Array.from({ length: 30 }, (_, i) => `k${i}`));
    expect(got.map((a) => a!.value)).toEqual(Array.from({ length: 30 }, (_, i) => ({ i })));
    expect(got.every((a) => a!.expiresAt !== null)).toBe(true);
  });

  it('merges REST PUTs of one session under one UST the same way', async () => {
    const c = await loggedInUser(t);
    const base = '/sessions/current/attrs';
    await t.http().put(`${base}/hot`).set('Authorization', c.auth).send({ value: 'initial' }).expect(200);
    await holdAttr('sso_session_attr', c.session.id, 'hot');
    statements.names.length = 0;

    const first = t.http().put(`${base}/hot`).set('Authorization', c.auth).send({ value: 'writer-0' }).then((r) => r);
    await sleep(100);
    const rest = Array.from({ length: 15 }, (_, i) =>
      t.http().put(`${base}/hot`).set('Authorization', c.auth).send({ value: `writer-${i + 1}` }).then((r) => r),
    );
    await queuedBehind(attrs, 15);
    await locker!.query('COMMIT');

    const responses = await Promise.all([first, ...rest]);
    expect(responses.map((r) => r.status)).toEqual(Array(16).fill(200));
    expect(statements.names).toEqual(['attr_session_caller_set_1', 'attr_session_caller_set_1']);
    const final = await t.http().get(`${base}/hot`).set('Authorization', c.auth).expect(200);
    expect(final.body.value).toBe('writer-15');
    for (const r of responses.slice(1)) expect(r.body.updatedAt).toBe(final.body.updatedAt);
  });

  it('fails every merged write with the same error when their owner is gone', async () => {
    const { session } = await loggedInUser(t);
    // Holding the session row blocks the first insert in its foreign-key check; the others queue.
    await hold('SELECT 1 FROM sso_session WHERE id = $1 FOR UPDATE', [session.id]);
    const first = settle(attrs.set(session, 'a', 1));
    await sleep(50);
    const rest = ['b', 'c', 'd', 'b'].map((name) => settle(attrs.set(session, name, name)));
    await queuedBehind(attrs, 4);
    await locker!.query('DELETE FROM sso_session WHERE id = $1', [session.id]);
    await locker!.query('COMMIT');

    expect(await first).toEqual({ ok: false, code: 'session_not_found' });
    expect(await Promise.all(rest)).toEqual(Array(4).fill({ ok: false, code: 'session_not_found' }));
    expect((await t.pg.query('SELECT count(*)::int AS n FROM sso_session_attr WHERE owner_id = $1', [session.id])).rows[0].n).toBe(0);
  });

  it('merges deletes: the first delete of a name succeeds, a second of the same name and one of a missing name get attr_not_found', async () => {
    const { session } = await loggedInUser(t);
    await attrs.setMany(session, [{ name: 'hot', value: 0 }, { name: 'a', value: 1 }, { name: 'b', value: 2 }]);
    await holdAttr('sso_session_attr', session.id, 'hot');
    statements.names.length = 0;

    const first = settle(attrs.delete(session, 'hot'));
    await sleep(50);
    const queued = [
      settle(attrs.delete(session, 'a')),
      settle(attrs.delete(session, 'missing')),
      settle(attrs.delete(session, 'a')),
      settle(attrs.delete(session, 'b')),
    ];
    await queuedBehind(attrs, 4);
    await locker!.query('COMMIT');

    expect(await first).toEqual({ ok: true, value: undefined });
    expect(await Promise.all(queued)).toEqual([
      { ok: true, value: undefined },
      { ok: false, code: 'attr_not_found' },
      { ok: false, code: 'attr_not_found' },
      { ok: true, value: undefined },
    ]);
    expect(statements.names).toEqual(['attr_session_direct_delete_1', 'attr_session_direct_deleteEach']);
    expect(await attrs.names(session)).toEqual([]);
  });

  it('merges expiry changes: last per name wins, a missing name fails alone', async () => {
    const { session } = await loggedInUser(t);
    await attrs.setMany(session, [{ name: 'hot', value: 0 }, { name: 'a', value: 1, expiration: 50 }]);
    await holdAttr('sso_session_attr', session.id, 'hot');
    statements.names.length = 0;

    const first = settle(attrs.setExpiry(session, 'hot', 100));
    await sleep(50);
    const queued = [
      settle(attrs.setExpiry(session, 'a', 200)),
      settle(attrs.setExpiry(session, 'missing', 5)),
      settle(attrs.setExpiry(session, 'a', null)),
    ];
    await queuedBehind(attrs, 3);
    await locker!.query('COMMIT');

    expect((await first).ok).toBe(true);
    const [a1, missing, a2] = await Promise.all(queued);
    expect(missing).toEqual({ ok: false, code: 'attr_not_found' });
    expect(statements.names).toEqual(['attr_session_direct_update_1', 'attr_session_direct_updateEach']);
    const final = (await attrs.get(session, 'a'))!;
    // The session's own expiry caps what an attribute reports: without its own, it reports the session's.
    expect(final.expiresAt!.getTime()).toBe(new Date(session.expiresAt).getTime());
    expect((a1 as { value: AttrMeta }).value.expiresAt).toEqual(final.expiresAt);
    expect((a2 as { value: AttrMeta }).value.expiresAt).toEqual(final.expiresAt);
  });

  it('merges gets of one owner that queue behind a read: each caller gets its own copy of what the next statement read', async () => {
    const { session } = await loggedInUser(t);
    await attrs.setMany(session, [{ name: 'a', value: { n: 1 } }, { name: 'b', value: 'bee', encrypt: true }]);
    await attrs.set(session, 'a', { n: 2 });
    // Reads take no row locks: the test's transaction holds the table itself for a moment.
    await hold('SELECT 1 AS one', []);
    await locker!.query('LOCK TABLE sso_session_attr IN ACCESS EXCLUSIVE MODE');
    statements.names.length = 0;

    const first = attrs.get(session, 'a');
    await sleep(50);
    const rest = ['a', 'b', 'missing', 'a'].map((name) => attrs.get(session, name));
    await queuedBehind(attrs, 4, 'readGroups');
    await locker!.query('COMMIT');

    const [one, a1, b, missing, a2] = await Promise.all([first, ...rest]);
    expect(statements.names).toEqual(['attr_session_direct_read_1', 'attr_session_direct_read']);
    expect([one!.value, a1!.value, b!.value, missing, a2!.value]).toEqual([{ n: 2 }, { n: 2 }, 'bee', null, { n: 2 }]);
    expect(b!.encrypted).toBe(true);
    (a1!.value as { n: number }).n = 99;
    expect(a2!.value).toEqual({ n: 2 });
  });

  it("shares one statement among REST callers' gets of different sessions, each answered on its own", async () => {
    const callers = await Promise.all(Array.from({ length: 6 }, () => loggedInUser(t)));
    for (const [i, c] of callers.entries()) await attrs.set(c.session, 'cart', { owner: i });
    const stranger = await loggedInUser(t);
    // Reads take no row locks: the test's transaction holds the table; two gets go out and wait.
    await hold('SELECT 1 AS one', []);
    await locker!.query('LOCK TABLE sso_session_attr IN ACCESS EXCLUSIVE MODE');
    statements.names.length = 0;
    const get = (auth: string, path = '/sessions/current/attrs/cart') => t.http().get(path).set('Authorization', auth).then((r) => r);
    const first = [get(callers[0].auth), get(callers[1].auth)];
    await sleep(100);
    const queued = [
      ...callers.slice(2).map((c) => get(c.auth)),
      get(callers[2].auth, '/sessions/current/attrs/missing'),
      get('Bearer ' + 'x'.repeat(43)),
      get(stranger.auth, `/sessions/${callers[3].session.id}/attrs/cart`),
    ];
    await queuedBehind(attrs, queued.length, 'callerReads');
    await locker!.query('COMMIT');

    const answers = await Promise.all([...first, ...queued]);
    expect(answers.slice(0, 6).map((r) => [r.status, r.body.value])).toEqual(callers.map((_, i) => [200, { owner: i }]));
    expect(answers.slice(6).map((r) => [r.status, r.body.code])).toEqual([[404, 'attr_not_found'], [401, 'session_invalid'], [404, 'session_not_found']]);
    expect(statements.names).toEqual(['attr_session_caller_read_1', 'attr_session_caller_read_1', 'attr_session_callers_read']);
  });

  it('never merges a batch: a failing createMany stays all-or-nothing while single sets around it succeed', async () => {
    const { session } = await loggedInUser(t);
    await attrs.setMany(session, [{ name: 'hot', value: 0 }, { name: 'taken', value: 1 }]);
    await holdAttr('sso_session_attr', session.id, 'hot');

    const first = settle(attrs.set(session, 'hot', 1));
    await sleep(50);
    const before = settle(attrs.set(session, 'x', 'x'));
    const batch = settle(attrs.createMany(session, [{ name: 'fresh', value: 1 }, { name: 'taken', value: 2 }]));
    const after = settle(attrs.set(session, 'y', 'y'));
    await queuedBehind(attrs, 2);
    await locker!.query('COMMIT');

    expect(await batch).toEqual({ ok: false, code: 'attr_exists' });
    expect((await before).ok && (await after).ok && (await first).ok).toBe(true);
    expect(await attrs.names(session)).toEqual(['hot', 'taken', 'x', 'y']);
    expect((await attrs.get(session, 'taken'))!.value).toBe(1);
  });

  it('still gives exactly one 201 to concurrent creates of one name', async () => {
    const { session } = await loggedInUser(t);
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => settle(attrs.create(session, 'race', i))));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok).every((r) => (r as { code: string }).code === 'attr_exists')).toBe(true);
  });

  it('never merges across owners: writes to another session go out while one owner waits', async () => {
    const one = await loggedInUser(t);
    const other = await loggedInUser(t);
    await attrs.set(one.session, 'hot', 0);
    await holdAttr('sso_session_attr', one.session.id, 'hot');

    const blocked = settle(attrs.set(one.session, 'hot', 1));
    await sleep(50);
    // Each of these would wait for the lock if it were merged into the blocked owner's queue.
    const others = await Promise.all(Array.from({ length: 5 }, (_, i) => attrs.set(other.session, `n${i}`, i)));
    expect(others).toHaveLength(5);
    const users = t.app.get(UserAttrService);
    await users.set(one.user, 'pref', 'dark');
    await locker!.query('COMMIT');
    expect((await blocked).ok).toBe(true);
  });

  it('does not merge writes of one session made through different USTs', async () => {
    const owner = await loggedInUser(t);
    const admin = await loggedInUser(t, { isSuperUser: true });
    const base = `/sessions/${owner.session.id}/attrs`;
    await t.http().put(`${base}/hot`).set('Authorization', owner.auth).send({ value: 0 }).expect(200);
    await holdAttr('sso_session_attr', owner.session.id, 'hot');

    const blocked = t.http().put(`${base}/hot`).set('Authorization', owner.auth).send({ value: 1 }).then((r) => r.status);
    await sleep(100);
    // The super-user's write to another name of the same session is not queued behind the owner's.
    await t.http().put(`${base}/other`).set('Authorization', admin.auth).send({ value: 2 }).expect(200);
    expect(attrs['groups'].queued).toBe(0);
    await locker!.query('COMMIT');
    expect(await blocked).toBe(200);
  });
});
