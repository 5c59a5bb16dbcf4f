import { createGuardrails, generateSync } from 'otplib';
import { KeyRotationService, TotpService } from '../src';
import { createUser, loggedInUser, PASSWORD, startTestApp, TestApp } from './support/test-app';

const KEY = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';

function expectError(res: { status: number; body: { code?: string } }, status: number, code: string) {
  expect({ status: res.status, code: res.body.code }).toEqual({ status, code });
}

/** A code for `key` at a time step away from now (0: the current one). */
function codeFor(key: string, stepsFromNow = 0) {
  return generateSync({ secret: key, epoch: Math.floor(Date.now() / 1000) + 30 * stepsFromNow });
}

describe('TOTP', () => {
  let t: TestApp;
  beforeAll(async () => (t = await startTestApp()));
  afterAll(() => t.close());

  const loginWith = (username: string, extra: Record<string, unknown> = {}) =>
    t.http().post('/auth/login').send({ username, password: PASSWORD, currentApp: 'crm', ...extra });

  describe('enabling and disabling', () => {
    it('sets a given key and answers it once with an otpauth URI; login then needs a code', async () => {
      const me = await loggedInUser(t);
      const res = await t.http().put('/users/me/totp').set('Authorization', me.auth).send({ key: 'jbsw y3dp ehpk 3pxp jbsw y3dp ehpk 3pxp' });
      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body).toEqual({ key: KEY, uri: `otpauth://totp/Tessera:${me.user.username}?secret=${KEY}&issuer=Tessera` });

      expectError(await loginWith(me.user.username), 401, 'totp_required');
      expectError(await loginWith(me.user.username, { totpCode: '' }), 401, 'totp_required');
      const ok = await loginWith(me.user.username, { totpCode: codeFor(KEY) });
      expect(ok.status).toBe(201);
    });

    it('generates a base32 key when none is given', async () => {
      const me = await loggedInUser(t);
      const res = await t.http().put('/users/me/totp').set('Authorization', me.auth).send({});
      expect(res.status).toBe(200);
      expect(res.body.key).toMatch(/^[A-Z2-7]{26,}$/);
      expect((await loginWith(me.user.username, { totpCode: codeFor(res.body.key) })).status).toBe(201);
    });

    it('turns off: login without a code works again, and a code sent anyway is ignored', async () => {
      const me = await loggedInUser(t);
      await t.http().put('/users/me/totp').set('Authorization', me.auth).send({ key: KEY }).expect(200);
      await t.http().delete('/users/me/totp').set('Authorization', me.auth).expect(204);
      expect((await loginWith(me.user.username)).status).toBe(201);
      expect((await loginWith(me.user.username, { totpCode: '000000' })).status).toBe(201);
      expect(await t.app.get(TotpService).isEnabled(me.user.id)).toBe(false);
    });

    it('refuses a key that is not base32 of at least 10 bytes, changing nothing', async () => {
      const me = await loggedInUser(t);
      for (const key of ['JBSWY3DPEHPK3PX', 'JBSWY3DP', 'not base32 at all!!!!!!!!!!!!', 'A'.repeat(300), 42, null]) {
        const res = await t.http().put('/users/me/totp').set('Authorization', me.auth).send({ key });
        expectError(res, 400, 'validation_failed');
      }
      expect(await t.app.get(TotpService).isEnabled(me.user.id)).toBe(false);
      expect((await loginWith(me.user.username)).status).toBe(201);
    });

    it('takes an 80-bit key (16 characters, as older authenticators and Zato used) and logs in with its codes', async () => {
      const me = await loggedInUser(t);
      const short = 'JBSWY3DPEHPK3PXP';
      expect((await t.http().put('/users/me/totp').set('Authorization', me.auth).send({ key: short })).status).toBe(200);
      expectError(await loginWith(me.user.username), 401, 'totp_required');
      const code = generateSync({ secret: short, guardrails: createGuardrails({ MIN_SECRET_BYTES: 10 }) });
      expect((await loginWith(me.user.username, { totpCode: code })).status).toBe(201);
    });

    it("lets a super-user set and clear another user's TOTP, and only a super-user", async () => {
      const admin = await loggedInUser(t, { isSuperUser: true });
      const other = await loggedInUser(t);
      const target = await createUser(t);
      expectError(await t.http().put(`/users/${target.id}/totp`).set('Authorization', other.auth).send({ key: KEY }), 403, 'forbidden');
      const res = await t.http().put(`/users/${target.id}/totp`).set('Authorization', admin.auth).send({ key: KEY });
      expect(res.status).toBe(200);
      expectError(await loginWith(target.username), 401, 'totp_required');
      await t.http().delete(`/users/${target.id}/totp`).set('Authorization', admin.auth).expect(204);
      expect((await loginWith(target.username)).status).toBe(201);
      const unknown = '00000000-0000-4000-8000-000000000000';
      expectError(await t.http().put(`/users/${unknown}/totp`).set('Authorization', admin.auth).send({}), 404, 'user_not_found');
      expectError(await t.http().delete(`/users/${unknown}/totp`).set('Authorization', admin.auth), 404, 'user_not_found');
    });
  });

  describe('login', () => {
    it('answers a wrong code with invalid_credentials and opens no session', async () => {
      const user = await createUser(t);
      await t.app.get(TotpService).enable(user.id, KEY);
      const wrong = String((Number(codeFor(KEY)) + 1) % 1_000_000).padStart(6, '0');
      for (const totpCode of [wrong, codeFor(KEY, 5), 'abcdef', '1234567']) {
        expectError(await loginWith(user.username, { totpCode }), 401, 'invalid_credentials');
      }
      const { rows } = await t.pg.query('SELECT count(*)::int AS n FROM sso_session WHERE user_id = $1', [user.id]);
      expect(rows[0].n).toBe(0);
    });

    it('asks for a code only after the password checked out', async () => {
      const user = await createUser(t);
      await t.app.get(TotpService).enable(user.id, KEY);
      const res = await t.http().post('/auth/login').send({ username: user.username, password: 'wrong password', currentApp: 'crm' });
      expectError(res, 401, 'invalid_credentials');
    });

    it('refuses a code accepted once when it is sent again (replay protection, on by default)', async () => {
      const user = await createUser(t);
      await t.app.get(TotpService).enable(user.id, KEY);
      const code = codeFor(KEY);
      expect((await loginWith(user.username, { totpCode: code })).status).toBe(201);
      expectError(await loginWith(user.username, { totpCode: code }), 401, 'invalid_credentials');
      // An older step than the last accepted one is refused too.
      expectError(await loginWith(user.username, { totpCode: codeFor(KEY, -1) }), 401, 'invalid_credentials');
    });

    it('lets concurrent logins with one code open one session only', async () => {
      const user = await createUser(t);
      await t.app.get(TotpService).enable(user.id, KEY);
      const code = codeFor(KEY);
      const answers = await Promise.all([1, 2, 3].map(() => loginWith(user.username, { totpCode: code })));
      expect(answers.map((a) => a.status).sort()).toEqual([201, 401, 401]);
    });
  });

  describe('at rest and in logs', () => {
    it('stores the secret sealed: no column of the row holds the key, and the logs never carry it', async () => {
      const me = await loggedInUser(t);
      const res = await t.http().put('/users/me/totp').set('Authorization', me.auth).send({});
      const key: string = res.body.key;
      await loginWith(me.user.username, { totpCode: codeFor(key) });
      const { rows } = await t.pg.query('SELECT * FROM sso_user_totp WHERE user_id = $1', [me.user.id]);
      expect(rows).toHaveLength(1);
      const text = JSON.stringify(rows[0], (_k, v) => (v?.type === 'Buffer' ? Buffer.from(v.data).toString('latin1') : v));
      expect(text).not.toContain(key);
      expect(rows[0].secret_sealed.toString('latin1')).not.toContain(key);
      expect(rows[0].key_id).toBe('test2');
      const { rows: users } = await t.pg.query('SELECT * FROM sso_user WHERE id = $1', [me.user.id]);
      expect(JSON.stringify(users[0])).not.toContain(key);
      expect(t.logs.join('\n')).not.toContain(key);
    });

    it('binds the sealed secret to its user: a row copied to another user does not verify', async () => {
      const a = await createUser(t);
      const b = await createUser(t);
      await t.app.get(TotpService).enable(a.id, KEY);
      await t.app.get(TotpService).enable(b.id, 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
      await t.pg.query(
        'UPDATE sso_user_totp SET secret_sealed = (SELECT secret_sealed FROM sso_user_totp WHERE user_id = $1) WHERE user_id = $2', [a.id, b.id]);
      const res = await loginWith(b.username, { totpCode: codeFor(KEY) });
      expect(res.status).toBe(500);
    });

    it('records enabling and disabling in the audit trail', async () => {
      const me = await loggedInUser(t);
      await t.http().put('/users/me/totp').set('Authorization', me.auth).send({}).expect(200);
      await t.http().delete('/users/me/totp').set('Authorization', me.auth).expect(204);
      const { rows } = await t.pg.query('SELECT type, actor_id FROM sso_audit_event WHERE user_id = $1 AND type LIKE $2 ORDER BY id', [me.user.id, 'totp%']);
      expect(rows).toEqual([{ type: 'totp_enabled', actor_id: me.user.id }, { type: 'totp_disabled', actor_id: me.user.id }]);
    });
  });
});

describe('TOTP secrets and key rotation', () => {
  let t: TestApp;
  let oldRing: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
    oldRing = await startTestApp({ ENCRYPTION_KEYS: `test1:${Buffer.alloc(32, 1).toString('base64')}` });
  });
  afterAll(async () => {
    await oldRing.close();
    await t.close();
  });

  it('rotate-keys re-seals a secret sealed under an older key with the newest, and it still verifies', async () => {
    const user = await createUser(t);
    await oldRing.app.get(TotpService).enable(user.id, KEY);
    const keyId = async () => (await t.pg.query('SELECT key_id FROM sso_user_totp WHERE user_id = $1', [user.id])).rows[0].key_id;
    expect(await keyId()).toBe('test1');
    const report = await t.app.get(KeyRotationService).rotate(2);
    expect(report.rotated).toBeGreaterThanOrEqual(1);
    expect(await keyId()).toBe('test2');
    const res = await t.http().post('/auth/login').send({ username: user.username, password: PASSWORD, currentApp: 'crm', totpCode: codeFor(KEY) });
    expect(res.status).toBe(201);
  });
});

describe('TOTP with TOTP_REPLAY_PROTECTION=false', () => {
  let t: TestApp;
  beforeAll(async () => (t = await startTestApp({ TOTP_REPLAY_PROTECTION: 'false' })));
  afterAll(() => t.close());

  it('accepts the same code again within its step, as Zato clients expect', async () => {
    const user = await createUser(t);
    await t.app.get(TotpService).enable(user.id, KEY);
    const code = codeFor(KEY);
    for (let i = 0; i < 3; i++) {
      const res = await t.http().post('/auth/login').send({ username: user.username, password: PASSWORD, currentApp: 'crm', totpCode: code });
      expect(res.status).toBe(201);
    }
  });
});
