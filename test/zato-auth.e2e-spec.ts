import { generateSync } from 'otplib';
import { PasswordResetNotifier, PasswordResetRequest, TotpService, UsersService } from '../src';
import { createUser, PASSWORD, sleep, startTestApp, TestApp, uniqueName } from './support/test-app';
import { expectBadRequest, expectOk, expectZatoError, startZatoApp, zato, ZATO_TIME, zatoLogin, zatoUser } from './support/zato';

const DAY_MS = 24 * 3600 * 1000;
const KEY = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';

class Outbox implements PasswordResetNotifier {
  readonly sent: PasswordResetRequest[] = [];
  passwordResetRequested(request: PasswordResetRequest) {
    this.sent.push(request);
  }
}

describe('Zato login and logout (/zato/sso/user/login, /logout)', () => {
  let t: TestApp;
  const outbox = new Outbox();
  beforeAll(async () => (t = await startZatoApp({ SIGNUP_APPS: 'crm' }, { passwordResetNotifier: outbox })));
  afterAll(() => t.close());

  const loginAs = (username: unknown, extra: Record<string, unknown> = {}) =>
    zato(t, 'POST', 'user/login', { username, password: PASSWORD, current_app: 'crm', ...extra });

  it('answers the UST in Zato\'s envelope, HTTP 200', async () => {
    const user = await createUser(t);
    const res = await loginAs(user.username);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ cid: expect.stringMatching(/^[0-9a-f]{24}$/), status: 'ok', ust: expect.any(String) });
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('has no ust key at all on a failed login; a wrong password, an unknown user and an empty or null username are E005001', async () => {
    const user = await createUser(t);
    for (const res of [
      await loginAs(user.username, { password: 'wrong password' }),
      await loginAs(uniqueName()),
      await loginAs(''),
      await loginAs(null),
    ]) {
      expectZatoError(res, 'E005001');
      expect('ust' in res.body).toBe(false);
    }
  });

  it('answers the 400 bad-request envelope when a required field is missing', async () => {
    expectBadRequest(await zato(t, 'POST', 'user/login', { password: PASSWORD, current_app: 'crm' }));
    expectBadRequest(await zato(t, 'POST', 'user/login', { username: 'someone', current_app: 'crm' }));
    expectBadRequest(await zato(t, 'POST', 'user/login', { username: 'someone', password: PASSWORD }));
    expectBadRequest(await zato(t, 'POST', 'user/login'));
  });

  it('refuses an app that is not configured with E004001', async () => {
    const user = await createUser(t);
    expectZatoError(await loginAs(user.username, { current_app: 'elsewhere' }), 'E004001');
  });

  it('warns W003005 when the password expires within 30 days, and still carries the UST', async () => {
    const user = await createUser(t, { passwordExpiresAt: new Date(Date.now() + 10 * DAY_MS) });
    const res = await loginAs(user.username);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ cid: expect.any(String), status: 'warning', sub_status: ['W003005'], ust: expect.any(String) });
    expectOk(await zato(t, 'GET', 'user', { ust: res.body.ust, current_app: 'crm' }));
  });

  it('asks for a new password (E003007) when it must change or has expired, and logs in with new_password', async () => {
    const mustChange = await createUser(t, { passwordMustChange: true });
    expectZatoError(await loginAs(mustChange.username), 'E003007');
    const expired = await createUser(t, { passwordExpiresAt: new Date(Date.now() - 1000) });
    expectZatoError(await loginAs(expired.username), 'E003007');
    expectOk(await loginAs(expired.username, { new_password: 'a brand new password' }));
    expectOk(await zato(t, 'POST', 'user/login', { username: expired.username, password: 'a brand new password', current_app: 'crm' }));
  });

  it('needs the TOTP code when TOTP is on (missing E005008, wrong E005001); one code works many times within its step', async () => {
    const user = await createUser(t);
    await t.app.get(TotpService).enable(user.id, KEY);
    expectZatoError(await loginAs(user.username), 'E005008');
    expectZatoError(await loginAs(user.username, { totp_code: '000000' === generateSync({ secret: KEY }) ? '111111' : '000000' }), 'E005001');
    const code = generateSync({ secret: KEY });
    for (let i = 0; i < 3; i++) expectOk(await loginAs(user.username, { totp_code: code }));
  });

  it('ignores a totp_code sent while TOTP is off', async () => {
    const user = await createUser(t);
    expectOk(await loginAs(user.username, { totp_code: '123456' }));
  });

  it('tells a locked user nothing (E005001), an unapproved one E005004, an unconfirmed sign-up E005003', async () => {
    const locked = await createUser(t);
    await t.app.get(UsersService).setLocked(locked.id, true);
    expectZatoError(await loginAs(locked.username), 'E005001');
    const pending = await createUser(t, { approvalStatus: 'pending' });
    expectZatoError(await loginAs(pending.username), 'E005004');
    const username = uniqueName();
    expectOk(await zato(t, 'POST', 'user/signup', { username, password: PASSWORD, email: `${username}@example.com`, current_app: 'crm', app_list: ['crm'] }));
    expectZatoError(await loginAs(username), 'E005003');
  });

  it('logs the same super-user in many times in a row (login limits count failures, not logins)', async () => {
    const admin = await createUser(t, { isSuperUser: true });
    for (let i = 0; i < 12; i++) await zatoLogin(t, admin.username);
  });

  it('logs out and always answers ok, also for a UST of no session', async () => {
    const { ust } = await zatoUser(t);
    expect(expectOk(await zato(t, 'POST', 'user/logout', { ust, current_app: 'crm' }))).toEqual({ cid: expect.any(String), status: 'ok' });
    expectZatoError(await zato(t, 'GET', 'user', { ust, current_app: 'crm' }), 'E005001');
    expectOk(await zato(t, 'POST', 'user/logout', { ust, current_app: 'crm' }));
    expectOk(await zato(t, 'POST', 'user/logout', { ust: 'not a token', current_app: 'crm' }));
    expectBadRequest(await zato(t, 'POST', 'user/logout', { current_app: 'crm' }));
  });

  describe('sign-up (/zato/sso/user/signup)', () => {
    it('answers a confirm_token; PATCH confirms once (then E005007), an unknown token is E005006', async () => {
      const username = uniqueName();
      const res = await zato(t, 'POST', 'user/signup', { username, password: PASSWORD, email: `${username}@example.com`, current_app: 'crm', app_list: ['crm'] });
      const token = expectOk(res).confirm_token;
      expect(typeof token).toBe('string');
      expectOk(await zato(t, 'PATCH', 'user/signup', { confirm_token: token, current_app: 'crm' }));
      expectZatoError(await zato(t, 'PATCH', 'user/signup', { confirm_token: token, current_app: 'crm' }), 'E005007');
      expectZatoError(await zato(t, 'PATCH', 'user/signup', { confirm_token: 'x'.repeat(43), current_app: 'crm' }), 'E005006');
      // Approval is required by default: confirmed, but waiting for a decision.
      expectZatoError(await loginAs(username), 'E005004');
    });

    it('refuses an app of app_list that is not configured (E004001), a taken username (E001002), an app without sign-up (E004002)', async () => {
      const user = await createUser(t);
      expectZatoError(await zato(t, 'POST', 'user/signup', { username: uniqueName(), password: PASSWORD, current_app: 'crm', app_list: ['nowhere'] }), 'E004001');
      expectZatoError(await zato(t, 'POST', 'user/signup', { username: user.username, password: PASSWORD, current_app: 'crm', app_list: ['crm'] }), 'E001002');
      expectZatoError(await zato(t, 'POST', 'user/signup', { username: uniqueName(), password: PASSWORD, current_app: 'web', app_list: ['web'] }), 'E004002');
    });
  });

  describe('password reset (/zato/sso/password/reset)', () => {
    it('POST is always ok; PATCH opens the token for a reset_key; DELETE sets the password and ends every session', async () => {
      const { user, ust } = await zatoUser(t);
      expectOk(await zato(t, 'POST', 'password/reset', { credential: uniqueName(), current_app: 'crm' }));
      expectOk(await zato(t, 'POST', 'password/reset', { credential: user.username, current_app: 'crm' }));
      let token: string | undefined;
      for (let i = 0; i < 100 && !token; i++) {
        token = outbox.sent.find((r) => r.userId === user.id)?.token;
        if (!token) await sleep(10);
      }
      const opened = expectOk(await zato(t, 'PATCH', 'password/reset', { token, current_app: 'crm' }));
      expect(typeof opened.reset_key).toBe('string');
      expectZatoError(await zato(t, 'PATCH', 'password/reset', { token, current_app: 'crm' }), 'E010001');
      expectOk(await zato(t, 'DELETE', 'password/reset', { token, reset_key: opened.reset_key, password: 'the reset password', current_app: 'crm' }));
      expectZatoError(await zato(t, 'GET', 'user', { ust, current_app: 'crm' }), 'E005001');
      await zatoLogin(t, user.username, 'the reset password');
      expectBadRequest(await zato(t, 'DELETE', 'password/reset', { token, password: 'x', current_app: 'crm' }));
    });
  });
});

describe('Zato request bodies', () => {
  let t: TestApp;
  beforeAll(async () => (t = await startZatoApp()));
  afterAll(() => t.close());

  it('reads JSON bodies of GET and DELETE sent without a Content-Type header', async () => {
    const { ust } = await zatoUser(t);
    expectOk(await zato(t, 'POST', 'user/attr', { ust, current_app: 'crm', name: 'a', value: 1 }));
    expect(expectOk(await zato(t, 'GET', 'user/attr', { ust, current_app: 'crm', name: 'a' })).value).toBe(1);
    expectOk(await zato(t, 'DELETE', 'user/attr', { ust, current_app: 'crm', name: 'a' }));
    expect(expectOk(await zato(t, 'GET', 'user/attr/exists', { ust, current_app: 'crm', name: 'a' })).result).toBe(false);
  });

  it('reads them whatever Content-Type is sent', async () => {
    const { ust } = await zatoUser(t);
    for (const type of ['application/json', 'text/plain', 'application/x-www-form-urlencoded']) {
      expectOk(await zato(t, 'PUT', 'user/attr', { ust, current_app: 'crm', name: 'a', value: type }, { 'content-type': type }));
      expect(expectOk(await zato(t, 'GET', 'user/attr', { ust, current_app: 'crm', name: 'a' }, { 'content-type': type })).value).toBe(type);
    }
  });

  it('answers the 400 bad-request envelope for a body that is not JSON, on every method, quoting nothing', async () => {
    for (const method of ['GET', 'POST', 'PATCH', 'PUT', 'DELETE']) {
      const res = await zato(t, method, 'user/attr', '{"ust": "secret-sentinel-value", broken');
      expectBadRequest(res);
      expect(res.text).not.toContain('sentinel');
    }
    expectBadRequest(await zato(t, 'GET', 'user', '[1, 2]'));
    expectBadRequest(await zato(t, 'POST', 'user/login', Buffer.from([0xff, 0xfe]).toString('latin1')));
  });

  it('keeps the native routes as they were: a body of another type, or of none, is 415; bad JSON is Tessera\'s 400', async () => {
    const res = await t.http().post('/auth/login').set('content-type', 'text/plain').send('{}');
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 415, code: 'unsupported_media_type' });
    const bare = await zato(t, 'POST', '/auth/login', '{"username":"a","password":"b","currentApp":"crm"}');
    expect({ status: bare.status, code: bare.body.code }).toEqual({ status: 415, code: 'unsupported_media_type' });
    const broken = await zato(t, 'POST', '/auth/login', '{broken', { 'content-type': 'application/json' });
    expect({ status: broken.status, code: broken.body.code }).toEqual({ status: 400, code: 'invalid_json' });
  });

  it('answers 413 for a GET body over the limit', async () => {
    const small = await startZatoApp({ BODY_LIMIT_BYTES: '1024' });
    try {
      const res = await zato(small, 'GET', 'user', JSON.stringify({ ust: 'x', current_app: 'crm', pad: 'y'.repeat(2000) }));
      expect(res.status).toBe(413);
    } finally {
      await small.close();
    }
  });

  it('writes timestamps in UTC without an offset', async () => {
    const { ust } = await zatoUser(t);
    const me = expectOk(await zato(t, 'PATCH', 'user/session', { ust, current_app: 'crm' }));
    expect(me.expiration_time).toMatch(ZATO_TIME);
  });
});

describe('every Zato path', () => {
  let t: TestApp;
  beforeAll(async () => (t = await startZatoApp()));
  afterAll(() => t.close());

  const PATHS = [
    ['POST', 'user/login'], ['POST', 'user/logout'], ['GET', 'user'], ['POST', 'user'], ['PATCH', 'user'], ['DELETE', 'user'],
    ['PATCH', 'user/password'], ['POST', 'user/approve'], ['POST', 'user/reject'], ['POST', 'user/lock'], ['DELETE', 'user/lock'],
    ['PATCH', 'user/totp'], ['GET', 'user/search'], ['POST', 'user/signup'], ['PATCH', 'user/signup'],
    ['GET', 'user/linked'], ['POST', 'user/linked'], ['DELETE', 'user/linked'],
    ['POST', 'user/session'], ['PATCH', 'user/session'], ['GET', 'user/session'], ['GET', 'user/session/list'],
    ...['user/attr', 'session/attr'].flatMap((base) => [
      ['POST', base], ['PUT', base], ['PATCH', base], ['DELETE', base], ['GET', base], ['GET', `${base}/exists`], ['GET', `${base}/names`],
    ]),
    ['POST', 'password/reset'], ['PATCH', 'password/reset'], ['DELETE', 'password/reset'],
  ];
  // Every field some call requires, so that only current_app decides.
  const FIELDS = {
    ust: 'x', current_ust: 'x', target_ust: 'x', username: 'u', password: 'p', user_id: 'zusr', new_password: 'n', totp_key: 'k',
    totp_label: 'l', auth_type: 'jwt', auth_username: 'a', confirm_token: 'c', credential: 'c', token: 't', reset_key: 'r', name: 'n', value: 1,
  };

  it('checks current_app against the configured apps (E004001), and answers 400 without it', async () => {
    for (const [method, path] of PATHS) {
      const wrong = await zato(t, method, path, { ...FIELDS, current_app: 'nowhere' });
      expect(`${method} ${path}: ${wrong.status} ${wrong.body?.sub_status}`).toBe(`${method} ${path}: 403 E004001`);
      const missing = await zato(t, method, path, FIELDS);
      expect(`${method} ${path}: ${missing.status} ${missing.body?.details}`).toBe(`${method} ${path}: 400 Bad request`);
    }
  });
});

describe('ZATO_COMPAT off (the default)', () => {
  let t: TestApp;
  beforeAll(async () => (t = await startTestApp()));
  afterAll(() => t.close());

  it('serves no /zato/sso route: 404', async () => {
    const user = await createUser(t);
    for (const [method, path] of [['POST', 'user/login'], ['GET', 'user'], ['GET', 'user/attr'], ['PATCH', 'user/session']]) {
      const res = await zato(t, method, path, { username: user.username, password: PASSWORD, current_app: 'crm' }, { 'content-type': 'application/json' });
      expect(res.status).toBe(404);
    }
  });
});
