import { createHash } from 'node:crypto';
import { SweeperService } from '../src';
import { createUser, loggedInUser, newClientAddress, PASSWORD, startTestApp, TestApp, uniqueName } from './support/test-app';
import { expectOk, expectZatoError, startZatoApp, zato } from './support/zato';

function expectError(res: { status: number; body: unknown }, status: number, code: string) {
  expect({ status: res.status, code: (res.body as { code?: string }).code }).toEqual({ status, code });
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest();

describe('sign-up and confirmation', () => {
  let off: TestApp;
  let t: TestApp;
  let auto: TestApp;
  beforeAll(async () => {
    [off, t, auto] = await Promise.all([
      startTestApp(),
      startTestApp({ SIGNUP_APPS: 'web' }),
      startTestApp({ SIGNUP_APPS: 'web', SIGNUP_APPROVAL_REQUIRED: 'false' }),
    ]);
  });
  afterAll(() => Promise.all([off.close(), t.close(), auto.close()]));

  const userRows = async (app: TestApp, username: string) =>
    (await app.pg.query('SELECT * FROM sso_user WHERE lower(username) = lower($1)', [username])).rows;
  const tokenRows = async (app: TestApp, userId: string) =>
    (await app.pg.query('SELECT * FROM sso_signup_token WHERE user_id = $1', [userId])).rows;
  const signUp = (app: TestApp, fields: Record<string, unknown> = {}) =>
    app.http().post('/auth/signup').send({ username: uniqueName('signup'), password: PASSWORD, app: 'web', ...fields });
  const confirm = (app: TestApp, token: unknown) => app.http().patch('/auth/signup').send({ token });
  const logIn = (app: TestApp, username: string, password = PASSWORD) =>
    app.http().post('/auth/login').send({ username, password, currentApp: 'web' });

  it('is off by default: 403 signup_not_allowed, no user created', async () => {
    const username = uniqueName('signup-off');
    expectError(await signUp(off, { username }), 403, 'signup_not_allowed');
    expect(await userRows(off, username)).toHaveLength(0);
  });

  it('is open only to the apps of SIGNUP_APPS; an unknown app is app_not_allowed', async () => {
    const username = uniqueName('signup-app');
    expectError(await signUp(t, { username, app: 'crm' }), 403, 'signup_not_allowed');
    expectError(await signUp(t, { username, app: 'nope' }), 403, 'app_not_allowed');
    expect(await userRows(t, username)).toHaveLength(0);
  });

  it('creates an unconfirmed user who cannot log in, and answers the token, stored only as its hash', async () => {
    const username = uniqueName('signup-new');
    const res = await signUp(t, { username, email: 'new@example.com', displayName: 'New One' });
    expect(res.status).toBe(201);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(Object.keys(res.body).sort()).toEqual(['confirmToken', 'expiresAt']);
    const token: string = res.body.confirmToken;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const expiresIn = Date.parse(res.body.expiresAt) - Date.now();
    expect(expiresIn).toBeGreaterThan(86400_000 - 60_000);
    expect(expiresIn).toBeLessThanOrEqual(86400_000);

    const [user] = await userRows(t, username);
    expect(user).toMatchObject({ sign_up_status: 'before_confirmation', approval_status: 'pending', is_super_user: false, email: 'new@example.com' });
    const tokens = await tokenRows(t, user.id);
    expect(tokens).toHaveLength(1);
    expect(Buffer.compare(tokens[0].token_hash, sha256(token))).toBe(0);
    // The raw token is nowhere: not in the user's or token's row, the audit trail or the logs.
    const audit = (await t.pg.query('SELECT * FROM sso_audit_event WHERE user_id = $1', [user.id])).rows;
    expect(audit.map((e) => e.type)).toEqual(['signup']);
    const stored = JSON.stringify([user, tokens.map((r) => ({ ...r, token_hash: r.token_hash.toString('hex') })), audit]);
    expect(stored).not.toContain(token);
    expect(tokens[0].token_hash.toString('hex')).not.toContain(Buffer.from(token).toString('hex'));
    expect(t.logs.join('\n')).not.toContain(token);
    expect(t.logs.join('\n')).not.toContain(PASSWORD);

    expectError(await logIn(t, username), 403, 'signup_not_confirmed');
    // A wrong password still gets the one answer for every failed login.
    expectError(await logIn(t, username, 'wrong password'), 401, 'invalid_credentials');
  });

  it('confirms once (pending approval when approval is required); a second confirmation is signup_confirmed', async () => {
    const username = uniqueName('signup-confirm');
    const token = (await signUp(t, { username })).body.confirmToken;
    const res = await confirm(t, token);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ username, signUpStatus: 'final', approvalStatus: 'pending', approvalStatusModBy: null });
    expect(JSON.stringify(res.body)).not.toContain(token);
    expectError(await logIn(t, username), 403, 'not_approved');

    const before = (await userRows(t, username))[0];
    expectError(await confirm(t, token), 409, 'signup_confirmed');
    expect((await userRows(t, username))[0]).toEqual(before);
    const audit = (await t.pg.query('SELECT type FROM sso_audit_event WHERE user_id = $1 ORDER BY id', [before.id])).rows;
    expect(audit.map((e) => e.type)).toEqual(['signup', 'signup_confirmed', 'login']);
  });

  it('refuses an expired token with signup_token_expired and leaves the user unconfirmed', async () => {
    const username = uniqueName('signup-expired');
    const token = (await signUp(t, { username })).body.confirmToken;
    const [user] = await userRows(t, username);
    await t.pg.query(`UPDATE sso_signup_token SET expires_at = now() - interval '1 second' WHERE user_id = $1`, [user.id]);
    expectError(await confirm(t, token), 410, 'signup_token_expired');
    expect((await userRows(t, username))[0]).toEqual(user);
    expect((await tokenRows(t, user.id))[0].confirmed_at).toBeNull();
  });

  it('sweeps expired tokens: an unconfirmed user goes with theirs (the name is free again), a confirmed one stays', async () => {
    const unconfirmed = uniqueName('signup-swept');
    const confirmed = uniqueName('signup-kept');
    await signUp(t, { username: unconfirmed }).expect(201);
    await confirm(t, (await signUp(t, { username: confirmed })).body.confirmToken).expect(200);
    const ids = [(await userRows(t, unconfirmed))[0].id, (await userRows(t, confirmed))[0].id];
    // An hour past expiry: the sweeper leaves younger expired tokens (the test above keeps one).
    await t.pg.query(`UPDATE sso_signup_token SET expires_at = now() - interval '61 minutes' WHERE user_id = ANY($1)`, [ids]);
    const totals = await t.app.get(SweeperService).sweepAll();
    expect(typeof totals['sign-ups']).toBe('number'); // another file's sweeper may take the same rows first
    expect(await userRows(t, unconfirmed)).toHaveLength(0);
    expect(await userRows(t, confirmed)).toHaveLength(1);
    expect((await t.pg.query('SELECT count(*)::int AS n FROM sso_signup_token WHERE user_id = ANY($1)', [ids])).rows[0].n).toBe(0);
    await signUp(t, { username: unconfirmed }).expect(201);
  });

  it('refuses an unknown or malformed token with signup_token_invalid, and a missing one with validation_failed', async () => {
    expectError(await confirm(t, 'A'.repeat(43)), 404, 'signup_token_invalid');
    expectError(await confirm(t, 'short'), 404, 'signup_token_invalid');
    expectError(await confirm(t, undefined), 400, 'validation_failed');
    expectError(await confirm(t, 42), 400, 'validation_failed');
  });

  it('refuses a taken username (any case), a short password and bad fields, creating nothing', async () => {
    const taken = await createUser(t);
    const count = async () => Number((await t.pg.query('SELECT count(*) FROM sso_signup_token')).rows[0].count);
    const tokensBefore = await count();
    expectError(await signUp(t, { username: taken.username.toUpperCase() }), 409, 'user_exists');
    const username = uniqueName('signup-bad');
    expectError(await signUp(t, { username, password: 'short' }), 400, 'validation_failed');
    expectError(await signUp(t, { username, email: 'not an email' }), 400, 'validation_failed');
    expectError(await signUp(t, { username: 'has space' }), 400, 'validation_failed');
    expectError(await signUp(t, { username, isSuperUser: true }), 400, 'validation_failed');
    expect(await userRows(t, username)).toHaveLength(0);
    expect(await count()).toBe(tokensBefore);
  });

  it('approves on confirmation when SIGNUP_APPROVAL_REQUIRED=false (mod_by auto), and the user logs in', async () => {
    const username = uniqueName('signup-auto');
    const token = (await signUp(auto, { username })).body.confirmToken;
    const res = await confirm(auto, token);
    expect(res.body).toMatchObject({ signUpStatus: 'final', approvalStatus: 'approved', approvalStatusModBy: 'auto' });
    expect(Math.abs(Date.parse(res.body.approvalStatusModTime) - Date.now())).toBeLessThan(60_000);
    expect((await logIn(auto, username)).status).toBe(201);
  });

  it('keeps a rejection taken before confirmation, even when confirmation approves', async () => {
    const admin = await loggedInUser(auto, { isSuperUser: true });
    const username = uniqueName('signup-rejected');
    const token = (await signUp(auto, { username })).body.confirmToken;
    const [user] = await userRows(auto, username);
    await auto.http().post(`/users/${user.id}/reject`).set('Authorization', admin.auth).expect(200);
    const res = await confirm(auto, token);
    expect(res.body).toMatchObject({ signUpStatus: 'final', approvalStatus: 'rejected', approvalStatusModBy: admin.user.id });
    expectError(await logIn(auto, username), 403, 'not_approved');
  });

  it('lets a super-user approve a confirmed sign-up, after which the user logs in', async () => {
    const admin = await loggedInUser(t, { isSuperUser: true });
    const username = uniqueName('signup-approve');
    await confirm(t, (await signUp(t, { username })).body.confirmToken).expect(200);
    const [user] = await userRows(t, username);
    const res = await t.http().post(`/users/${user.id}/approve`).set('Authorization', admin.auth);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ approvalStatus: 'approved', approvalStatusModBy: admin.user.id });
    expect((await logIn(t, username)).status).toBe(201);
  });
});

describe('sign-ups are counted against the client address like failed logins', () => {
  // Each test uses addresses of its own (X-Forwarded-For, the apps trust the proxy): the counters
  // live in the database the test files share.
  const limits = { TRUST_PROXY: 'true', LOGIN_MAX_FAILURES_PER_ADDRESS: '3', LOGIN_BLOCK_SECONDS: '60' };
  let t: TestApp;
  let z: TestApp;
  beforeAll(async () => {
    [t, z] = await Promise.all([startTestApp({ SIGNUP_APPS: 'web', ...limits }), startZatoApp({ SIGNUP_APPS: 'crm', ...limits })]);
  });
  afterAll(() => Promise.all([t.close(), z.close()]));

  const users = async (app: TestApp, username: string) => (await app.pg.query('SELECT 1 FROM sso_user WHERE username = $1', [username])).rowCount;

  it('REST: the fourth sign-up from one address in the window is 429 rate_limited with Retry-After and makes no user; another address still signs up', async () => {
    const address = newClientAddress();
    const signUp = (username: string, from = address) =>
      t.http().post('/auth/signup').set('X-Forwarded-For', from).send({ username, password: PASSWORD, app: 'web' });
    for (let i = 0; i < 3; i++) expect((await signUp(uniqueName('limited'))).status).toBe(201);
    const username = uniqueName('limited');
    const refused = await signUp(username);
    expect({ status: refused.status, code: refused.body.code }).toEqual({ status: 429, code: 'rate_limited' });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(await users(t, username)).toBe(0);
    expect((await signUp(uniqueName('limited'), newClientAddress())).status).toBe(201);
  });

  it('Zato: the same count through /zato/sso/user/signup', async () => {
    const address = newClientAddress();
    const signUp = (username: string) =>
      zato(z, 'POST', 'user/signup', { username, password: PASSWORD, current_app: 'crm', app_list: ['crm'] }, { 'x-forwarded-for': address });
    for (let i = 0; i < 3; i++) expectOk(await signUp(uniqueName('zlimited')));
    const username = uniqueName('zlimited');
    expectZatoError(await signUp(username), 'E005001');
    expect(await users(z, username)).toBe(0);
  });
});
