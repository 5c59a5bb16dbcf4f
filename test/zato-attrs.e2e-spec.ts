import { roundTrips } from './support/round-trips';
import { createUser, sleep, TestApp } from './support/test-app';
import { expectBadRequest, expectOk, expectZatoError, startZatoApp, zato, ZATO_TIME, zatoLogin, zatoUser } from './support/zato';

const zusr = (id: string) => `zusr${id.replace(/-/g, '')}`;

describe('Zato user attributes (/zato/sso/user/attr*)', () => {
  let t: TestApp;
  let admin: { ust: string; user: { id: string } };
  beforeAll(async () => {
    t = await startZatoApp();
    admin = await zatoUser(t, { isSuperUser: true });
  });
  afterAll(() => t.close());

  const call = (method: string, path: string, ust: string, fields: Record<string, unknown>) => zato(t, method, `user/${path}`, { ust, current_app: 'crm', ...fields });

  it('create, get, set, update, exists, names and delete of one name, with Zato\'s answers', async () => {
    const { ust } = await zatoUser(t);
    expect(expectOk(await call('POST', 'attr', ust, { name: 'color', value: 'red' }))).toEqual({ cid: expect.any(String), status: 'ok' });
    const got = expectOk(await call('GET', 'attr', ust, { name: 'color' }));
    expect(got).toEqual({
      cid: expect.any(String), status: 'ok', found: true, name: 'color', value: 'red', creation_time: expect.stringMatching(ZATO_TIME),
      last_modified: expect.stringMatching(ZATO_TIME), expiration_time: null, is_encrypted: false,
    });
    expectOk(await call('PUT', 'attr', ust, { name: 'color', value: { shade: 'blue' } }));
    expectOk(await call('PATCH', 'attr', ust, { name: 'color', value: ['green'], expiration: 3600 }));
    const updated = expectOk(await call('GET', 'attr', ust, { name: 'color' }));
    expect(updated).toMatchObject({ value: ['green'], expiration_time: expect.stringMatching(ZATO_TIME) });
    expect(expectOk(await call('GET', 'attr/exists', ust, { name: 'color' })).result).toBe(true);
    expectOk(await call('PUT', 'attr', ust, { name: 'alpha', value: 0 }));
    expect(expectOk(await call('GET', 'attr/names', ust, {})).result).toEqual(['alpha', 'color']);
    expectOk(await call('DELETE', 'attr', ust, { name: 'color' }));
    expect(expectOk(await call('GET', 'attr', ust, { name: 'color' }))).toEqual({ cid: expect.any(String), status: 'ok', found: false });
    expect(expectOk(await call('GET', 'attr/exists', ust, { name: 'color' })).result).toBe(false);
  });

  it('keeps falsy values as values', async () => {
    const { ust } = await zatoUser(t);
    const data = [{ name: 'zero', value: 0 }, { name: 'empty', value: '' }, { name: 'no', value: false }, { name: 'nothing', value: null }];
    expectOk(await call('POST', 'attr', ust, { data }));
    const got = expectOk(await call('GET', 'attr', ust, { data: data.map((d) => d.name) }));
    expect(got.result.map((a: { name: string; value: unknown; found: boolean }) => [a.name, a.found, a.value])).toEqual(data.map((d) => [d.name, true, d.value]));
  });

  it('takes data[] batches: create, set, update, get (one entry per name), exists ({name: bool}), delete', async () => {
    const { ust } = await zatoUser(t);
    expectOk(await call('POST', 'attr', ust, { data: [{ name: 'a', value: 1 }, { name: 'b', value: 2, expiration: 60 }], encrypt: true }));
    expectOk(await call('PUT', 'attr', ust, { data: [{ name: 'b', value: 20 }, { name: 'c', value: 3, encrypt: false }] }));
    expectOk(await call('PATCH', 'attr', ust, { data: [{ name: 'a', value: 10 }, { name: 'c', value: 30 }] }));
    const got = expectOk(await call('GET', 'attr', ust, { data: ['a', 'b', 'c', 'missing'] }));
    expect(got.result).toEqual([
      expect.objectContaining({ found: true, name: 'a', value: 10, is_encrypted: true }),
      expect.objectContaining({ found: true, name: 'b', value: 20, expiration_time: null }),
      expect.objectContaining({ found: true, name: 'c', value: 30, is_encrypted: false }),
      { found: false, name: 'missing' },
    ]);
    expect(expectOk(await call('GET', 'attr/exists', ust, { data: ['a', 'missing'] })).result).toEqual({ a: true, missing: false });
    expectOk(await call('DELETE', 'attr', ust, { data: ['a', 'b'] }));
    expect(expectOk(await call('GET', 'attr/names', ust, {})).result).toEqual(['c']);
  });

  it('answers E009001 for a second create and E009002 for an update or delete of a missing name; a failed batch writes nothing', async () => {
    const { ust } = await zatoUser(t);
    expectOk(await call('POST', 'attr', ust, { name: 'taken', value: 1 }));
    expectZatoError(await call('POST', 'attr', ust, { name: 'taken', value: 2 }), 'E009001');
    expectZatoError(await call('POST', 'attr', ust, { data: [{ name: 'fresh', value: 1 }, { name: 'taken', value: 2 }] }), 'E009001');
    expectZatoError(await call('PATCH', 'attr', ust, { name: 'missing', value: 1 }), 'E009002');
    expectZatoError(await call('DELETE', 'attr', ust, { name: 'missing' }), 'E009002');
    expect(expectOk(await call('GET', 'attr/names', ust, {})).result).toEqual(['taken']);
  });

  it('creates a name again once it has expired', async () => {
    const { ust } = await zatoUser(t);
    expectOk(await call('POST', 'attr', ust, { name: 'brief', value: 1, expiration: 1 }));
    await sleep(1100);
    expect(expectOk(await call('GET', 'attr', ust, { name: 'brief' })).found).toBe(false);
    expectOk(await call('POST', 'attr', ust, { name: 'brief', value: 2 }));
  });

  it("refuses another user's attributes to a regular user (E005001); a super-user reaches them by user_id", async () => {
    const owner = await zatoUser(t);
    const stranger = await zatoUser(t);
    expectOk(await call('PUT', 'attr', owner.ust, { name: 'private', value: 'mine' }));
    for (const [method, path, fields] of [
      ['GET', 'attr', { name: 'private' }], ['PUT', 'attr', { name: 'private', value: 'theirs' }], ['GET', 'attr/names', {}], ['GET', 'attr/exists', { name: 'private' }],
    ] as const) {
      expectZatoError(await call(method, path, stranger.ust, { user_id: zusr(owner.user.id), ...fields }), 'E005001');
    }
    expectZatoError(await call('GET', 'attr', stranger.ust, { user_id: zusr('00000000-0000-4000-8000-000000000000'), name: 'x' }), 'E005001');
    expect(expectOk(await call('GET', 'attr', admin.ust, { user_id: zusr(owner.user.id), name: 'private' })).value).toBe('mine');
    expectOk(await call('PUT', 'attr', admin.ust, { user_id: zusr(owner.user.id), name: 'from-admin', value: 1 }));
    expect(expectOk(await call('GET', 'attr/names', owner.ust, {})).result).toEqual(['from-admin', 'private']);
  });

  it('answers E008002 without name or data, E005001 for a dead UST, 400 without ust', async () => {
    const { ust } = await zatoUser(t);
    expectZatoError(await call('POST', 'attr', ust, { value: 1 }), 'E008002');
    expectZatoError(await call('POST', 'attr', ust, { name: 'v' }), 'E008002');
    expectZatoError(await call('POST', 'attr', ust, { data: 'not a list' }), 'E008002');
    expectZatoError(await call('POST', 'attr', ust, { name: 'bad/name', value: 1 }), 'E008002');
    expectZatoError(await call('POST', 'attr', 'x'.repeat(43), { name: 'v', value: 1 }), 'E005001');
    expectBadRequest(await zato(t, 'POST', 'user/attr', { current_app: 'crm', name: 'v', value: 1 }));
  });

  it('takes one database round trip for a get, a set and a 100-item create, the UST check included', async () => {
    const { ust } = await zatoUser(t);
    const data = Array.from({ length: 100 }, (_, i) => ({ name: `n${i}`, value: i }));
    const set = await roundTrips(() => call('PUT', 'attr', ust, { name: 'cart', value: [1] }));
    const get = await roundTrips(() => call('GET', 'attr', ust, { name: 'cart' }));
    const createMany = await roundTrips(() => call('POST', 'attr', ust, { data }));
    expect({ set, get, createMany }).toEqual({ set: 1, get: 1, createMany: 1 });
  });
});

describe('Zato session attributes (/zato/sso/session/attr*)', () => {
  let t: TestApp;
  let admin: { ust: string; user: { id: string } };
  beforeAll(async () => {
    t = await startZatoApp({ SESSION_TTL: '60' });
    admin = await zatoUser(t, { isSuperUser: true });
  });
  afterAll(() => t.close());

  const call = (method: string, path: string, current: string, target: string, fields: Record<string, unknown>) =>
    zato(t, method, `session/${path}`, { current_ust: current, target_ust: target, current_app: 'crm', ...fields });

  it('works on the session of target_ust for the same user, exists and names included', async () => {
    const { user, ust } = await zatoUser(t);
    const other = await zatoLogin(t, user.username);
    expectOk(await call('POST', 'attr', ust, other, { name: 'step', value: 1 }));
    expectOk(await call('PUT', 'attr', ust, other, { data: [{ name: 'cart', value: [] }] }));
    expect(expectOk(await call('GET', 'attr/names', ust, other, {})).result).toEqual(['cart', 'step']);
    expect(expectOk(await call('GET', 'attr/exists', ust, other, { data: ['cart', 'x'] })).result).toEqual({ cart: true, x: false });
    // The caller's own session has none of them.
    expect(expectOk(await call('GET', 'attr/names', ust, ust, {})).result).toEqual([]);
    expect(expectOk(await zato(t, 'GET', 'session/attr/names', { current_ust: other, current_app: 'crm' })).result).toEqual(['cart', 'step']);
  });

  it('caps an attribute\'s expiry by its session and reports the effective one', async () => {
    const { ust } = await zatoUser(t);
    expectOk(await call('POST', 'attr', ust, ust, { name: 'long', value: 1, expiration: 86400 }));
    const got = expectOk(await call('GET', 'attr', ust, ust, { name: 'long' }));
    const expires = new Date(`${got.expiration_time}Z`).getTime();
    expect(expires).toBeLessThanOrEqual(Date.now() + 61_000);
    expect(expires).toBeGreaterThan(Date.now() + 50_000);
    const session = expectOk(await zato(t, 'GET', 'user/session', { current_ust: ust, target_ust: ust, current_app: 'crm' }));
    expect(got.expiration_time).toBe(session.expiration_time);
  });

  it("refuses another user's session to a regular user (E005001), changing nothing; a super-user reaches it", async () => {
    const owner = await zatoUser(t);
    const stranger = await zatoUser(t);
    expectOk(await call('PUT', 'attr', owner.ust, owner.ust, { name: 'secret', value: 's' }));
    expectZatoError(await call('GET', 'attr', stranger.ust, owner.ust, { name: 'secret' }), 'E005001');
    expectZatoError(await call('PUT', 'attr', stranger.ust, owner.ust, { name: 'secret', value: 'changed' }), 'E005001');
    expectZatoError(await call('GET', 'attr', stranger.ust, 'x'.repeat(43), { name: 'secret' }), 'E005001');
    expect(expectOk(await call('GET', 'attr', admin.ust, owner.ust, { name: 'secret' })).value).toBe('s');
    expectOk(await call('PUT', 'attr', admin.ust, owner.ust, { name: 'sealed', value: 'x', encrypt: true }));
    expect(expectOk(await call('GET', 'attr', owner.ust, owner.ust, { name: 'sealed' }))).toMatchObject({ value: 'x', is_encrypted: true });
  });

  it('takes one database round trip for a set and a get on another session of the user', async () => {
    const { user, ust } = await zatoUser(t);
    const other = await zatoLogin(t, user.username);
    const set = await roundTrips(() => call('PUT', 'attr', ust, other, { name: 'a', value: 1 }));
    const get = await roundTrips(() => call('GET', 'attr', ust, other, { name: 'a' }));
    expect({ set, get }).toEqual({ set: 1, get: 1 });
  });

  it('ends with the session: logout removes its attributes', async () => {
    const { user, ust } = await zatoUser(t);
    const other = await zatoLogin(t, user.username);
    expectOk(await call('PUT', 'attr', ust, other, { name: 'a', value: 1 }));
    expectOk(await zato(t, 'POST', 'user/logout', { ust: other, current_app: 'crm' }));
    expectZatoError(await call('GET', 'attr', ust, other, { name: 'a' }), 'E005001');
    const rows = await t.pg.query('SELECT count(*)::int AS n FROM sso_session_attr a JOIN sso_session s ON s.id = a.owner_id WHERE s.user_id = $1', [user.id]);
    expect(rows.rows[0].n).toBe(0);
  });
});
