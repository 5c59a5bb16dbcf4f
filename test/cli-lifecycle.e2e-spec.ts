import { generateSync } from 'otplib';
import { TotpService } from '../src';
import { cli } from './support/cli';
import { createUser, PASSWORD, startTestApp, TestApp, uniqueName } from './support/test-app';

describe('CLI: user lifecycle commands', () => {
  let t: TestApp;
  beforeAll(async () => (t = await startTestApp()));
  afterAll(() => t.close());

  describe('password-reset-token <username>', () => {
    it('prints only a fresh token on stdout, which resets the password', async () => {
      const user = await createUser(t);
      const run = await cli(t, 'password-reset-token', user.username);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^[A-Za-z0-9_-]{43}\n$/);
      const token = run.stdout.trim();
      expect(run.stderr).not.toContain(token);
      const opened = await t.http().patch('/auth/password-reset').send({ token });
      expect(opened.status).toBe(200);
      await t.http().delete('/auth/password-reset').send({ token, resetKey: opened.body.resetKey, password: 'set via the operator' }).expect(204);
      expect((await t.http().post('/auth/login').send({ username: user.username, password: 'set via the operator', currentApp: 'crm' })).status).toBe(201);
      const { rows } = await t.pg.query('SELECT count(*)::int AS n FROM sso_audit_event WHERE user_id = $1 AND type = $2', [user.id, 'password_reset_requested']);
      expect(rows[0].n).toBe(1);
    });

    it('exits 1 for an unknown user and 2 on usage errors, printing no token', async () => {
      const [unknown, ...usage] = await Promise.all([[uniqueName('nobody')], ['a', 'b']].map((args) => cli(t, 'password-reset-token', ...args)));
      expect(unknown.code).toBe(1);
      expect(unknown.stdout).toBe('');
      for (const run of usage) {
        expect(run.code).toBe(2);
        expect(run.stdout).not.toMatch(/[A-Za-z0-9_-]{43}/);
      }
    });
  });

  describe('totp-reset <username> [--key <base32>]', () => {
    const KEY = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

    it('sets the given key without printing it', async () => {
      const user = await createUser(t);
      const run = await cli(t, 'totp-reset', user.username, '--key', KEY);
      expect(run.code).toBe(0);
      expect(run.stdout + run.stderr).not.toContain(KEY);
      const login = (totpCode?: string) => t.http().post('/auth/login').send({ username: user.username, password: PASSWORD, currentApp: 'crm', totpCode });
      expect((await login()).body.code).toBe('totp_required');
      expect((await login(generateSync({ secret: KEY }))).status).toBe(201);
    });

    it('generates a key and prints it with its otpauth URI', async () => {
      const user = await createUser(t);
      const run = await cli(t, 'totp-reset', user.username);
      expect(run.code).toBe(0);
      const [key, uri, ...rest] = run.stdout.split('\n');
      expect(key).toMatch(/^[A-Z2-7]{26,}$/);
      expect(uri).toBe(`otpauth://totp/Tessera:${user.username}?secret=${key}&issuer=Tessera`);
      expect(rest).toEqual(['']);
      expect(run.stderr).not.toContain(key);
      const res = await t.http().post('/auth/login').send({ username: user.username, password: PASSWORD, currentApp: 'crm', totpCode: generateSync({ secret: key }) });
      expect(res.status).toBe(201);
    });

    it('exits 1 for an unknown user and 2 for usage errors or a bad key, changing nothing', async () => {
      const user = await createUser(t);
      const cases = [[uniqueName('nobody')], [user.username, '--kee', KEY], [user.username, '--key', 'short!']];
      const runs = await Promise.all(cases.map((args) => cli(t, 'totp-reset', ...args)));
      expect(runs.map((run) => run.code)).toEqual([1, 2, 2]);
      expect(await t.app.get(TotpService).isEnabled(user.id)).toBe(false);
    });
  });
});
