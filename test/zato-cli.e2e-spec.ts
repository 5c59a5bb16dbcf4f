import { generateSync } from 'otplib';
import { cliWith } from './support/cli';
import { TestApp, uniqueName } from './support/test-app';
import { expectOk, expectZatoError, startZatoApp, zato } from './support/zato';

const KEY = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const PASSWORD = 'the operator password';

/** What operators moving from Zato run (docs/zato.md), then Zato's calls on what it made. Needs `npm run build`. */
describe("the CLI for Zato's clients", () => {
  let t: TestApp;
  beforeAll(async () => (t = await startZatoApp()));
  afterAll(() => t.close());

  it('create-super-user and totp-reset --key give the super-user Zato\'s tests log in as, again and again with one code', async () => {
    const username = uniqueName('admin');
    expect((await cliWith(t, { SSO_PASSWORD: PASSWORD }, 'create-super-user', username)).code).toBe(0);
    const totp = await cliWith(t, {}, 'totp-reset', username, '--key', KEY);
    expect(totp.code).toBe(0);
    expect(totp.stdout).not.toContain(KEY);

    const login = { username, password: PASSWORD, current_app: 'crm' };
    expectZatoError(await zato(t, 'POST', 'user/login', login), 'E005008');
    const code = generateSync({ secret: KEY });
    const usts: string[] = [];
    for (let i = 0; i < 5; i++) usts.push(expectOk(await zato(t, 'POST', 'user/login', { ...login, totp_code: code })).ust);
    const me = expectOk(await zato(t, 'GET', 'user', { ust: usts[0], current_app: 'crm' }));
    expect(me).toMatchObject({
      username, is_super_user: true, approval_status: 'approved', approval_status_mod_by: 'auto', is_approval_needed: false, is_totp_enabled: true,
    });
  });

  it('password-reset-token gives a token that Zato\'s password reset opens and completes', async () => {
    const username = uniqueName('admin');
    expect((await cliWith(t, { SSO_PASSWORD: PASSWORD }, 'create-super-user', username)).code).toBe(0);
    const run = await cliWith(t, {}, 'password-reset-token', username);
    expect(run.code).toBe(0);
    const token = run.stdout.trim();
    const { reset_key } = expectOk(await zato(t, 'PATCH', 'password/reset', { token, current_app: 'crm' }));
    expectOk(await zato(t, 'DELETE', 'password/reset', { token, reset_key, password: 'reset by the operator', current_app: 'crm' }));
    expectOk(await zato(t, 'POST', 'user/login', { username, password: 'reset by the operator', current_app: 'crm' }));
  });
});
