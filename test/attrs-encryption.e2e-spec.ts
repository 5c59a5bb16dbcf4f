import { randomBytes } from 'node:crypto';
import { SessionAttrService, UserAttrService } from '../src';
import { KeyRotationService } from '../src';
import { loggedInUser, login, startTestApp, TestApp } from './support/test-app';

type Caller = Awaited<ReturnType<typeof loggedInUser>>;

const sentinel = () => `sentinel-${randomBytes(8).toString('hex')}`;

const OWNERS = [
  { kind: 'session', base: '/sessions/current/attrs', table: 'sso_session_attr', ownerId: (c: Caller) => c.session.id },
  { kind: 'user', base: '/users/me/attrs', table: 'sso_user_attr', ownerId: (c: Caller) => c.user.id },
] as const;

interface Row {
  value: string | null;
  sealed: Buffer | null;
  key_id: string | null;
  text: string;
}

/** One stored row, with the whole row cast to text to look for a plaintext anywhere in it. */
async function row(app: TestApp, table: string, ownerId: string, name: string): Promise<Row> {
  const { rows } = await app.pg.query(`SELECT a.value, a.sealed, a.key_id, a::text AS text FROM ${table} a WHERE owner_id = $1 AND name = $2`, [ownerId, name]);
  expect(rows).toHaveLength(1);
  return rows[0];
}

function expectSealed(r: Row, plaintext: string, keyId?: string) {
  expect(r.value).toBeNull();
  expect(r.sealed).not.toBeNull();
  if (keyId) expect(r.key_id).toBe(keyId);
  else expect(r.key_id).not.toBeNull();
  expect(r.text).not.toContain(plaintext);
  expect(r.sealed!.toString('latin1')).not.toContain(plaintext);
}

function expectPlain(r: Row, plaintext: string) {
  expect(r.sealed).toBeNull();
  expect(r.key_id).toBeNull();
  expect(r.value).toContain(plaintext);
}

/** Moves the ciphertext of one row onto another, as someone with database access might. */
async function copySealed(app: TestApp, from: { table: string; ownerId: string; name: string }, to: { table: string; ownerId: string; name: string }) {
  const source = await row(app, from.table, from.ownerId, from.name);
  const result = await app.pg.query(`UPDATE ${to.table} SET value = NULL, sealed = $3, key_id = $4 WHERE owner_id = $1 AND name = $2`, [
    to.ownerId,
    to.name,
    source.sealed,
    source.key_id,
  ]);
  expect(result.rowCount).toBe(1);
}

const key = (fill: number) => Buffer.alloc(32, fill).toString('base64');
// Fixed keys, so rows a previous run left on a shared database stay readable to the next one.
const K1 = key(0x4b);
const K2 = key(0x5c);

describe('attribute encryption at rest', () => {
  let t: TestApp;
  let byDefault: TestApp;
  let k1: TestApp;
  let k2k1: TestApp;
  let k2: TestApp;
  beforeAll(async () => {
    const small = { DB_POOL_SIZE: '3' };
    [t, byDefault, k1, k2k1, k2] = await Promise.all([
      startTestApp(),
      startTestApp({ ATTR_ENCRYPT_DEFAULT: 'true', ...small }),
      startTestApp({ ENCRYPTION_KEYS: `k1:${K1}`, ...small }),
      startTestApp({ ENCRYPTION_KEYS: `k2:${K2},k1:${K1}`, ...small }),
      startTestApp({ ENCRYPTION_KEYS: `k2:${K2}`, ...small }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([t, byDefault, k1, k2k1, k2].map((app) => app?.close()));
  });

  describe.each(OWNERS)('$kind attributes', ({ base, table, ownerId }) => {
    it('with encrypt: true stores no plaintext: value is NULL, sealed is set, and no column holds the value', async () => {
      const c = await loggedInUser(t);
      const secret = sentinel();
      const res = await t.http().put(`${base}/card`).set('Authorization', c.auth).send({ value: { pan: secret, nested: [secret] }, encrypt: true });
      expect(res.status).toBe(200);
      expect(res.body.encrypted).toBe(true);
      expectSealed(await row(t, table, ownerId(c), 'card'), secret, 'test2');

      const got = await t.http().get(`${base}/card`).set('Authorization', c.auth);
      expect(got.body).toMatchObject({ name: 'card', encrypted: true, value: { pan: secret, nested: [secret] } });
    });

    it('without encrypt stores the plaintext JSON', async () => {
      const c = await loggedInUser(t);
      const secret = sentinel();
      const res = await t.http().put(`${base}/plain`).set('Authorization', c.auth).send({ value: secret });
      expect(res.body.encrypted).toBe(false);
      expectPlain(await row(t, table, ownerId(c), 'plain'), secret);
    });

    it('seals every route that writes a value: create, set, update, and each batch write', async () => {
      const c = await loggedInUser(t);
      const secrets = Array.from({ length: 7 }, sentinel);
      const auth = (req: ReturnType<ReturnType<TestApp['http']>['post']>) => req.set('Authorization', c.auth);
      await auth(t.http().post(base)).send({ name: 'created', value: secrets[0], encrypt: true });
      await auth(t.http().put(`${base}/updated`)).send({ value: 'before', encrypt: true });
      await auth(t.http().patch(`${base}/updated`)).send({ value: secrets[1], encrypt: true });
      await auth(t.http().post(`${base}/batch/create`)).send({ data: [{ name: 'bc', value: secrets[2] }], encrypt: true });
      await auth(t.http().post(`${base}/batch/set`)).send({ data: [{ name: 'bs', value: secrets[3], encrypt: true }] });
      await auth(t.http().post(`${base}/batch/set`)).send({ data: [{ name: 'bu', value: 'before' }] });
      await auth(t.http().post(`${base}/batch/update`)).send({ data: [{ name: 'bu', value: secrets[4] }], encrypt: true });
      await t.app.get(base.startsWith('/users') ? UserAttrService : SessionAttrService).of(ownerId(c)).set('inproc', secrets[5], { encrypt: true });

      const names = ['bc', 'bs', 'bu', 'created', 'inproc', 'updated'];
      const { rows } = await t.pg.query(`SELECT name, value, a::text AS text FROM ${table} a WHERE owner_id = $1 ORDER BY name`, [ownerId(c)]);
      expect(rows.map((r) => r.name)).toEqual(names);
      for (const r of rows) {
        expect(r.value).toBeNull();
        for (const secret of secrets) expect(r.text).not.toContain(secret);
      }
      const got = await auth(t.http().post(`${base}/batch/get`)).send({ data: names });
      expect(got.body.attrs.map((a: { value: string }) => a.value)).toEqual([secrets[2], secrets[3], secrets[4], secrets[0], secrets[5], secrets[1]]);
    });

    it('keeps a value sealed when PATCH changes only its expiry, or its value with encrypt: true', async () => {
      const c = await loggedInUser(t);
      const secret = sentinel();
      await t.http().put(`${base}/x`).set('Authorization', c.auth).send({ value: secret, encrypt: true });
      expect((await t.http().patch(`${base}/x`).set('Authorization', c.auth).send({ expiration: 100 })).body.encrypted).toBe(true);
      expectSealed(await row(t, table, ownerId(c), 'x'), secret);
      const next = sentinel();
      expect((await t.http().patch(`${base}/x`).set('Authorization', c.auth).send({ value: next, encrypt: true })).body.encrypted).toBe(true);
      expectSealed(await row(t, table, ownerId(c), 'x'), next);
      expect((await t.http().get(`${base}/x`).set('Authorization', c.auth)).body.value).toBe(next);
    });

    it('re-seals the stored value in place with PATCH {encrypt: true}, and unseals it with {encrypt: false}, keeping value and expiry', async () => {
      const c = await loggedInUser(t);
      const secret = sentinel();
      const value = { card: secret, n: [1, 2] };
      const created = await t.http().put(`${base}/card`).set('Authorization', c.auth).send({ value, expiration: 600 }).expect(200);
      expectPlain(await row(t, table, ownerId(c), 'card'), secret);

      const sealed = await t.http().patch(`${base}/card`).set('Authorization', c.auth).send({ encrypt: true }).expect(200);
      expect(sealed.body).toMatchObject({ name: 'card', encrypted: true, expiresAt: created.body.expiresAt });
      expectSealed(await row(t, table, ownerId(c), 'card'), secret);
      expect((await t.http().get(`${base}/card`).set('Authorization', c.auth)).body.value).toEqual(value);

      const opened = await t.http().patch(`${base}/card`).set('Authorization', c.auth).send({ encrypt: false }).expect(200);
      expect(opened.body).toMatchObject({ encrypted: false, expiresAt: created.body.expiresAt });
      expectPlain(await row(t, table, ownerId(c), 'card'), secret);
      expect((await t.http().get(`${base}/card`).set('Authorization', c.auth)).body.value).toEqual(value);

      const missing = await t.http().patch(`${base}/nothing`).set('Authorization', c.auth).send({ encrypt: true });
      expect({ status: missing.status, code: missing.body.code }).toEqual({ status: 404, code: 'attr_not_found' });
    });

    describe('with ATTR_ENCRYPT_DEFAULT=true', () => {
      it('encrypts without the flag, and encrypt: false opts out', async () => {
        const c = await loggedInUser(byDefault);
        const [sealedSecret, plainSecret, batchSealed, batchPlain] = Array.from({ length: 4 }, sentinel);
        const put = (name: string, body: object) => byDefault.http().put(`${base}/${name}`).set('Authorization', c.auth).send(body);
        expect((await put('default', { value: sealedSecret })).body.encrypted).toBe(true);
        expect((await put('optout', { value: plainSecret, encrypt: false })).body.encrypted).toBe(false);
        const batch = await byDefault.http().post(`${base}/batch/set`).set('Authorization', c.auth).send({
          data: [{ name: 'b-default', value: batchSealed }, { name: 'b-optout', value: batchPlain, encrypt: false }],
        });
        expect(batch.body.attrs.map((m: { encrypted: boolean }) => m.encrypted)).toEqual([true, false]);
        const batchOff = await byDefault.http().post(`${base}/batch/set`).set('Authorization', c.auth).send({ data: [{ name: 'b-call-off', value: 1 }], encrypt: false });
        expect(batchOff.body.attrs[0].encrypted).toBe(false);

        expectSealed(await row(byDefault, table, ownerId(c), 'default'), sealedSecret);
        expectPlain(await row(byDefault, table, ownerId(c), 'optout'), plainSecret);
        expectSealed(await row(byDefault, table, ownerId(c), 'b-default'), batchSealed);
        expectPlain(await row(byDefault, table, ownerId(c), 'b-optout'), batchPlain);
        // An update without encrypt follows the default too: the value stays sealed.
        const next = sentinel();
        expect((await byDefault.http().patch(`${base}/default`).set('Authorization', c.auth).send({ value: next })).body.encrypted).toBe(true);
        expectSealed(await row(byDefault, table, ownerId(c), 'default'), next);
      });
    });

    describe('a ciphertext moved to another row', () => {
      async function expectDecryptFailure(app: TestApp, auth: string, path: string, secret: string) {
        const res = await app.http().get(path).set('Authorization', auth);
        expect(res.status).toBe(500);
        expect(res.body).toEqual({ statusCode: 500, code: 'attr_decrypt_failed', message: expect.any(String) });
        expect(res.text).not.toContain(secret);
      }

      it('does not decrypt under another name of the same owner', async () => {
        const c = await loggedInUser(t);
        const secret = sentinel();
        await t.http().put(`${base}/original`).set('Authorization', c.auth).send({ value: secret, encrypt: true });
        await t.http().put(`${base}/target`).set('Authorization', c.auth).send({ value: 'mine', encrypt: true });
        await copySealed(t, { table, ownerId: ownerId(c), name: 'original' }, { table, ownerId: ownerId(c), name: 'target' });

        await expectDecryptFailure(t, c.auth, `${base}/target`, secret);
        const many = await t.http().post(`${base}/batch/get`).set('Authorization', c.auth).send({ data: ['original', 'target'] });
        expect(many.status).toBe(500);
        expect(many.text).not.toContain(secret);
        // The original still reads, and metadata stays listable.
        expect((await t.http().get(`${base}/original`).set('Authorization', c.auth)).body.value).toBe(secret);
        expect((await t.http().get(base).set('Authorization', c.auth)).status).toBe(200);
        expect((await t.http().head(`${base}/target`).set('Authorization', c.auth)).status).toBe(200);
      });

      it('does not decrypt on a row that held a plaintext value', async () => {
        const c = await loggedInUser(t);
        const secret = sentinel();
        await t.http().put(`${base}/original`).set('Authorization', c.auth).send({ value: secret, encrypt: true });
        await t.http().put(`${base}/plain`).set('Authorization', c.auth).send({ value: 'plain' });
        await copySealed(t, { table, ownerId: ownerId(c), name: 'original' }, { table, ownerId: ownerId(c), name: 'plain' });
        await expectDecryptFailure(t, c.auth, `${base}/plain`, secret);
      });

      it('does not decrypt when altered by one bit', async () => {
        const c = await loggedInUser(t);
        const secret = sentinel();
        await t.http().put(`${base}/x`).set('Authorization', c.auth).send({ value: secret, encrypt: true });
        await t.pg.query(`UPDATE ${table} SET sealed = set_byte(sealed, 20, get_byte(sealed, 20) # 1) WHERE owner_id = $1 AND name = 'x'`, [ownerId(c)]);
        await expectDecryptFailure(t, c.auth, `${base}/x`, secret);
      });

      it(base.startsWith('/users') ? 'does not decrypt for another user' : 'does not decrypt in another session', async () => {
        const a = await loggedInUser(t);
        const b = base.startsWith('/users') ? await loggedInUser(t) : { ...(await login(t, a.user.username)), user: a.user };
        const bAuth = `Bearer ${b.ust}`;
        const bOwner = base.startsWith('/users') ? b.user.id : b.session.id;
        const secret = sentinel();
        await t.http().put(`${base}/same-name`).set('Authorization', a.auth).send({ value: secret, encrypt: true });
        await t.http().put(`${base}/same-name`).set('Authorization', bAuth).send({ value: 'theirs', encrypt: true });
        await copySealed(t, { table, ownerId: ownerId(a), name: 'same-name' }, { table, ownerId: bOwner, name: 'same-name' });
        await expectDecryptFailure(t, bAuth, `${base}/same-name`, secret);
      });
    });
  });

  it('does not decrypt a session ciphertext moved to a user attribute of the same name', async () => {
    const c = await loggedInUser(t);
    const secret = sentinel();
    await t.http().put('/sessions/current/attrs/shared').set('Authorization', c.auth).send({ value: secret, encrypt: true });
    await t.http().put('/users/me/attrs/shared').set('Authorization', c.auth).send({ value: 'user', encrypt: true });
    await copySealed(t, { table: 'sso_session_attr', ownerId: c.session.id, name: 'shared' }, { table: 'sso_user_attr', ownerId: c.user.id, name: 'shared' });
    const res = await t.http().get('/users/me/attrs/shared').set('Authorization', c.auth);
    expect(res.status).toBe(500);
    expect(res.body.code).toBe('attr_decrypt_failed');
    expect(res.text).not.toContain(secret);
  });

  describe('key rotation', () => {
    it('re-seals values under the newest key, which alone then reads them; a value under an unknown key is reported and left alone', async () => {
      const c = await loggedInUser(k1);
      try {
        const secrets = Object.fromEntries(['s1', 's2', 's3', 'u1', 'u2', 'u3', 'orphan'].map((n) => [n, sentinel()]));
        const http = (app: TestApp) => ({
          get: (path: string) => app.http().get(path).set('Authorization', c.auth),
          post: (path: string, body: object) => app.http().post(path).set('Authorization', c.auth).send(body),
        });
        await http(k1).post('/sessions/current/attrs/batch/set', {
          data: [
            ...['s1', 's2', 's3'].map((name) => ({ name, value: { secret: secrets[name] }, encrypt: true })),
            { name: 'plain', value: 'not sealed' },
          ],
        });
        await http(k1).post('/users/me/attrs/batch/set', {
          data: [...['u1', 'u2', 'u3', 'orphan'].map((name) => ({ name, value: { secret: secrets[name] }, encrypt: true }))],
        });
        // A value under a key id that is no longer in any ring.
        await k1.pg.query(`UPDATE sso_user_attr SET key_id = 'retired' WHERE owner_id = $1 AND name = 'orphan'`, [c.user.id]);
        const orphanBefore = await row(k1, 'sso_user_attr', c.user.id, 'orphan');

        const keysOf = async () => {
          const { rows } = await k1.pg.query(
            `SELECT 's:' || name AS name, key_id FROM sso_session_attr WHERE owner_id = $1
             UNION ALL SELECT 'u:' || name, key_id FROM sso_user_attr WHERE owner_id = $2 ORDER BY 1`,
            [c.session.id, c.user.id],
          );
          return Object.fromEntries(rows.map((r) => [r.name, r.key_id]));
        };
        expect(await keysOf()).toEqual({ 's:plain': null, 's:s1': 'k1', 's:s2': 'k1', 's:s3': 'k1', 'u:orphan': 'retired', 'u:u1': 'k1', 'u:u2': 'k1', 'u:u3': 'k1' });

        const readAll = async (app: TestApp) => {
          const s = await http(app).post('/sessions/current/attrs/batch/get', { data: ['s1', 's2', 's3', 'plain'] });
          const u = await http(app).post('/users/me/attrs/batch/get', { data: ['u1', 'u2', 'u3'] });
          expect(s.status).toBe(200);
          expect(u.status).toBe(200);
          return [...s.body.attrs, ...u.body.attrs].map((a: { value: unknown }) => a.value);
        };
        const expected = [
          ...['s1', 's2', 's3'].map((n) => ({ secret: secrets[n] })),
          'not sealed',
          ...['u1', 'u2', 'u3'].map((n) => ({ secret: secrets[n] })),
        ];
        // Before rotation, the new ring still reads the old key's values; new writes use the new key.
        expect(await readAll(k2k1)).toEqual(expected);
        await http(k2k1).post('/sessions/current/attrs/batch/set', { data: [{ name: 'new', value: 'sealed with k2', encrypt: true }] });
        expect((await keysOf())['s:new']).toBe('k2');
        // The old key alone cannot read what the new key sealed.
        expect((await http(k1).get('/sessions/current/attrs/new')).body.code).toBe('attr_decrypt_failed');

        const report = await k2k1.app.get(KeyRotationService).rotate(2);
        expect(report.rotated).toBeGreaterThanOrEqual(6);
        expect(report.failed).toBeGreaterThanOrEqual(1);
        expect(report.remaining).toBeGreaterThanOrEqual(1);

        expect(await keysOf()).toEqual({ 's:new': 'k2', 's:plain': null, 's:s1': 'k2', 's:s2': 'k2', 's:s3': 'k2', 'u:orphan': 'retired', 'u:u1': 'k2', 'u:u2': 'k2', 'u:u3': 'k2' });
        const orphanAfter = await row(k1, 'sso_user_attr', c.user.id, 'orphan');
        expect(orphanAfter.sealed).toEqual(orphanBefore.sealed);
        expect(orphanAfter.key_id).toBe('retired');
        for (const name of ['s1', 's2', 's3']) expectSealed(await row(k1, 'sso_session_attr', c.session.id, name), secrets[name], 'k2');
        for (const name of ['u1', 'u2', 'u3']) expectSealed(await row(k1, 'sso_user_attr', c.user.id, name), secrets[name], 'k2');
        expectPlain(await row(k1, 'sso_session_attr', c.session.id, 'plain'), 'not sealed');

        expect(await readAll(k2k1)).toEqual(expected);
        expect(await readAll(k2)).toEqual(expected);
        expect((await http(k2).get('/sessions/current/attrs/new')).body.value).toBe('sealed with k2');
        // The retired key's value says so, without the value.
        const orphan = await http(k2k1).get('/users/me/attrs/orphan');
        expect(orphan.status).toBe(500);
        expect(orphan.body.code).toBe('attr_decrypt_failed');
        expect(orphan.text).not.toContain(secrets.orphan);
        // Rotation does not change what clients see of the metadata.
        const list = await http(k2).get('/users/me/attrs');
        expect(list.body.attrs.map((m: { name: string; encrypted: boolean }) => [m.name, m.encrypted])).toEqual([
          ['orphan', true],
          ['u1', true],
          ['u2', true],
          ['u3', true],
        ]);
        for (const app of [k1, k2k1, k2]) for (const secret of Object.values(secrets)) expect(app.logs.filter((l) => l.includes(secret))).toEqual([]);
      } finally {
        // The row under a retired key would otherwise be walked by every later rotation on a shared database.
        await k1.pg.query('DELETE FROM sso_user WHERE id = $1', [c.user.id]);
      }
    });
  });
});
