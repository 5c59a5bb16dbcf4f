import { createHash } from 'node:crypto';
import { PasswordResetNotifier, PasswordResetRequest, PasswordResetService } from '../src';
import { createUser, login, PASSWORD, sleep, startTestApp, TestApp, uniqueName } from './support/test-app';

/** A notifier as a host would write one: it keeps what it was asked to deliver. */
class Outbox implements PasswordResetNotifier {
  readonly sent: PasswordResetRequest[] = [];
  passwordResetRequested(request: PasswordResetRequest) {
    this.sent.push(request);
  }
}

function expectError(res: { status: number; body: { code?: string } }, status: number, code: string) {
  expect({ status: res.status, code: res.body.code }).toEqual({ status, code });
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest();

describe('password reset', () => {
  let t: TestApp;
  const outbox = new Outbox();
  beforeAll(async () => (t = await startTestApp({}, [], { passwordResetNotifier: outbox })));
  afterAll(() => t.close());

  /** Asks for a reset and waits for the notifier, which runs after the answer. */
  async function tokenFor(credential: string, userId: string): Promise<string> {
    const res = await t.http().post('/auth/password-reset').send({ credential });
    expect(res.status).toBe(202);
    for (let i = 0; i < 100; i++) {
      const found = outbox.sent.filter((r) => r.userId === userId).at(-1);
      if (found) return found.token;
      await sleep(10);
    }
    throw new Error('the notifier was not called');
  }
  const access = (token: string) => t.http().patch('/auth/password-reset').send({ token });
  const complete = (token: string, resetKey: string, password: string) =>
    t.http().delete('/auth/password-reset').send({ token, resetKey, password });
  const loginAs = (username: string, password: string) => t.http().post('/auth/login').send({ username, password, currentApp: 'crm' });
  const resetRows = async (userId: string) => (await t.pg.query('SELECT * FROM sso_password_reset WHERE user_id = $1', [userId])).rows;

  it('resets in three steps: request, access (reset key), new password; every session ends', async () => {
    const user = await createUser(t, { email: `${uniqueName('mail')}@example.com` });
    await login(t, user.username);
    await login(t, user.username, PASSWORD, 'web');
    const token = await tokenFor(user.username, user.id);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(outbox.sent.at(-1)).toMatchObject({ userId: user.id, username: user.username, email: user.email });

    const opened = await access(token);
    expect(opened.status).toBe(200);
    expect(opened.headers['cache-control']).toBe('no-store');
    expect(Object.keys(opened.body).sort()).toEqual(['expiresAt', 'resetKey']);
    expect(new Date(opened.body.expiresAt).getTime()).toBeLessThanOrEqual(Date.now() + 600_000 + 5_000);

    const done = await complete(token, opened.body.resetKey, 'a password after reset');
    expect(done.status).toBe(204);
    const { rows } = await t.pg.query('SELECT count(*)::int AS n FROM sso_session WHERE user_id = $1', [user.id]);
    expect(rows[0].n).toBe(0);
    expectError(await loginAs(user.username, PASSWORD), 401, 'invalid_credentials');
    expect((await loginAs(user.username, 'a password after reset')).status).toBe(201);
    expect(await resetRows(user.id)).toEqual([]);
  });

  it('finds the user by e-mail too, in any case', async () => {
    const email = `${uniqueName('mail')}@example.com`;
    const user = await createUser(t, { email });
    const token = await tokenFor(email.toUpperCase(), user.id);
    expect((await access(token)).status).toBe(200);
  });

  it('answers an unknown user exactly like a known one, and stores and sends nothing', async () => {
    const user = await createUser(t);
    const known = await t.http().post('/auth/password-reset').send({ credential: user.username });
    const before = outbox.sent.length;
    const unknown = await t.http().post('/auth/password-reset').send({ credential: uniqueName('nobody') });
    expect({ status: unknown.status, body: unknown.body }).toEqual({ status: known.status, body: known.body });
    expect(unknown.body).toEqual({ status: 'requested' });
    await sleep(50);
    expect(outbox.sent.length).toBe(before);
    const { rows } = await t.pg.query(
      "SELECT outcome, reason, user_id, username FROM sso_audit_event WHERE type = 'password_reset_requested' AND remote_addr IS NOT NULL ORDER BY id DESC LIMIT 1");
    expect(rows).toEqual([{ outcome: 'failure', reason: 'user_not_found', user_id: null, username: null }]);
  });

  it('issues no token to a locked user (same answer)', async () => {
    const user = await createUser(t);
    await t.pg.query('UPDATE sso_user SET is_locked = true WHERE id = $1', [user.id]);
    const res = await t.http().post('/auth/password-reset').send({ credential: user.username });
    expect({ status: res.status, body: res.body }).toEqual({ status: 202, body: { status: 'requested' } });
    expect(await resetRows(user.id)).toEqual([]);
  });

  it('stores only SHA-256 of the token and of the reset key, and logs neither', async () => {
    const user = await createUser(t);
    const token = await tokenFor(user.username, user.id);
    const [stored] = await resetRows(user.id);
    expect(stored.token_hash).toEqual(sha256(token));
    expect(JSON.stringify(stored)).not.toContain(token);
    const { resetKey } = (await access(token)).body;
    const [opened] = await resetRows(user.id);
    expect(opened.reset_key_hash).toEqual(sha256(resetKey));
    const logs = t.logs.join('\n');
    expect(logs).not.toContain(token);
    expect(logs).not.toContain(resetKey);
  });

  it('opens a token once and spends it with the new password', async () => {
    const user = await createUser(t);
    const token = await tokenFor(user.username, user.id);
    const { resetKey } = (await access(token)).body;
    expectError(await access(token), 400, 'password_reset_invalid');
    expect((await complete(token, resetKey, 'first new password')).status).toBe(204);
    expectError(await complete(token, resetKey, 'second new password'), 400, 'password_reset_invalid');
    expect((await loginAs(user.username, 'first new password')).status).toBe(201);
  });

  it('refuses an expired token and an expired reset key', async () => {
    const user = await createUser(t);
    const token = await tokenFor(user.username, user.id);
    await t.pg.query("UPDATE sso_password_reset SET expires_at = now() - interval '1 second' WHERE user_id = $1", [user.id]);
    expectError(await access(token), 400, 'password_reset_invalid');

    const second = await tokenFor(user.username, user.id);
    const { resetKey } = (await access(second)).body;
    await t.pg.query("UPDATE sso_password_reset SET expires_at = now() - interval '1 second' WHERE user_id = $1", [user.id]);
    expectError(await complete(second, resetKey, 'never set password'), 400, 'password_reset_invalid');
    expect((await loginAs(user.username, PASSWORD)).status).toBe(201);
  });

  it('gives tokens PASSWORD_RESET_TTL (default one hour) to live', async () => {
    const user = await createUser(t);
    await tokenFor(user.username, user.id);
    const [row] = await resetRows(user.id);
    expect(Math.abs(new Date(row.expires_at).getTime() - Date.now() - 3600_000)).toBeLessThan(60_000);
  });

  it('refuses a wrong reset key, a too-short password or garbage without spending the token', async () => {
    const user = await createUser(t);
    const token = await tokenFor(user.username, user.id);
    const { resetKey } = (await access(token)).body;
    expectError(await complete(token, 'x'.repeat(43), 'a fine password'), 400, 'password_reset_invalid');
    expectError(await complete(token, resetKey, 'short'), 400, 'validation_failed');
    expectError(await complete('not a token', resetKey, 'a fine password'), 400, 'password_reset_invalid');
    expectError(await t.http().delete('/auth/password-reset').send({ token, resetKey }), 400, 'validation_failed');
    expectError(await t.http().patch('/auth/password-reset').send({ token: 42 }), 400, 'validation_failed');
    expectError(await t.http().post('/auth/password-reset').send({}), 400, 'validation_failed');
    expect((await complete(token, resetKey, 'a fine password')).status).toBe(204);
  });

  it('spends every other outstanding token of the user with the reset', async () => {
    const user = await createUser(t);
    const first = await tokenFor(user.username, user.id);
    const second = await tokenFor(user.username, user.id);
    const { resetKey } = (await access(second)).body;
    expect((await complete(second, resetKey, 'after the second token')).status).toBe(204);
    expectError(await access(first), 400, 'password_reset_invalid');
  });

  it('records request, access and reset in the audit trail', async () => {
    const user = await createUser(t);
    const token = await tokenFor(user.username, user.id);
    const { resetKey } = (await access(token)).body;
    await complete(token, resetKey, 'audited new password');
    const { rows } = await t.pg.query(
      "SELECT type, outcome FROM sso_audit_event WHERE user_id = $1 AND type LIKE 'password%' ORDER BY id", [user.id]);
    expect(rows.map((r) => r.type)).toEqual(['password_reset_requested', 'password_reset_accessed', 'password_changed', 'password_reset']);
  });

  it('issues a token in process for an operator, without the notifier', async () => {
    const user = await createUser(t);
    const before = outbox.sent.length;
    const issued = await t.app.get(PasswordResetService).issueToken(user.username.toUpperCase());
    expect(issued?.userId).toBe(user.id);
    expect((await access(issued!.token)).status).toBe(200);
    expect(await t.app.get(PasswordResetService).issueToken(uniqueName('nobody'))).toBeNull();
    expect(outbox.sent.length).toBe(before);
  });
});

/** A notifier given as a class, as a host with its own dependencies would. */
class ClassOutbox implements PasswordResetNotifier {
  static readonly sent: PasswordResetRequest[] = [];
  passwordResetRequested(request: PasswordResetRequest) {
    ClassOutbox.sent.push(request);
  }
}

describe('password reset with a notifier class', () => {
  let t: TestApp;
  beforeAll(async () => (t = await startTestApp({}, [], { passwordResetNotifier: ClassOutbox })));
  afterAll(() => t.close());

  it('instantiates the class and hands it the token', async () => {
    const user = await createUser(t);
    await t.http().post('/auth/password-reset').send({ credential: user.username }).expect(202);
    for (let i = 0; i < 100 && !ClassOutbox.sent.some((r) => r.userId === user.id); i++) await sleep(10);
    const sent = ClassOutbox.sent.find((r) => r.userId === user.id)!;
    expect((await t.http().patch('/auth/password-reset').send({ token: sent.token })).status).toBe(200);
  });
});

describe('password reset with the default notifier', () => {
  let t: TestApp;
  beforeAll(async () => (t = await startTestApp()));
  afterAll(() => t.close());

  it('delivers nothing and logs only that a user asked, never a token', async () => {
    const user = await createUser(t);
    const from = t.logs.length;
    const res = await t.http().post('/auth/password-reset').send({ credential: user.username });
    expect(res.status).toBe(202);
    let lines: string[] = [];
    for (let i = 0; i < 100 && !lines.some((l) => l.includes('password reset requested')); i++) {
      await sleep(10);
      lines = t.logs.slice(from);
    }
    const line = lines.find((l) => l.includes('password reset requested'));
    expect(line).toContain(user.id);
    expect(lines.join('\n')).not.toMatch(/[A-Za-z0-9_-]{43}/);
    expect((await t.pg.query('SELECT count(*)::int AS n FROM sso_password_reset WHERE user_id = $1', [user.id])).rows[0].n).toBe(1);
  });
});

describe('password reset tokens and the sweeper', () => {
  let t: TestApp;
  beforeAll(async () => (t = await startTestApp()));
  afterAll(() => t.close());

  it('deletes expired tokens and keeps live ones', async () => {
    const user = await createUser(t);
    const service = t.app.get(PasswordResetService);
    await service.issueToken(user.username);
    await service.issueToken(user.username);
    await t.pg.query(
      "UPDATE sso_password_reset SET expires_at = now() - interval '1 second' WHERE token_hash = (SELECT token_hash FROM sso_password_reset WHERE user_id = $1 LIMIT 1)", [user.id]);
    await service.sweepExpired(1000);
    const { rows } = await t.pg.query('SELECT expires_at > now() AS live FROM sso_password_reset WHERE user_id = $1', [user.id]);
    expect(rows).toEqual([{ live: true }]);
  });
});

describe('password reset requests are limited like failed logins (no mailbox flooding)', () => {
  let t: TestApp;
  const outbox = new Outbox();
  beforeAll(async () => (t = await startTestApp({ LOGIN_MAX_FAILURES_PER_ACCOUNT: '3', LOGIN_BLOCK_SECONDS: '60' }, [], { passwordResetNotifier: outbox })));
  afterAll(() => t.close());

  const ask = (credential: string) => t.http().post('/auth/password-reset').send({ credential });

  it('refuses a fourth request for one credential with 429 and Retry-After, found or not, and sends nothing more', async () => {
    const user = await createUser(t);
    for (const credential of [user.username, uniqueName('nobody')]) {
      for (let i = 0; i < 3; i++) expect((await ask(credential)).status).toBe(202);
      const refused = await ask(credential);
      expect(refused.status).toBe(429);
      expect(refused.body.code).toBe('rate_limited');
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    }
    await sleep(100);
    expect(outbox.sent.filter((r) => r.userId === user.id)).toHaveLength(3);
    // Any case of the username is the same credential; another user is not affected.
    expect((await ask(user.username.toUpperCase())).status).toBe(429);
    expect((await ask((await createUser(t)).username)).status).toBe(202);
  });
});
