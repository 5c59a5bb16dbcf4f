import { randomBytes } from 'node:crypto';
import { PASSWORD, TestApp, uniqueName } from './support/test-app';
import { expectOk, startZatoApp, zato, zatoLogin, zatoUser } from './support/zato';

describe('Zato calls in logs', () => {
  let t: TestApp;
  // The most verbose level: whatever any logger writes is scanned.
  beforeAll(async () => (t = await startZatoApp({ LOG_LEVEL: 'trace' })));
  afterAll(() => t.close());

  it('never contain an attribute value, a UST, a password or a token, while every call is logged by path', async () => {
    const SENTINEL = `sentinel-${randomBytes(8).toString('hex')}`;
    const admin = await zatoUser(t, { isSuperUser: true });
    const { user, ust } = await zatoUser(t);
    const second = await zatoLogin(t, user.username);
    const first = t.logs.length;
    const app = { current_app: 'crm' };

    expectOk(await zato(t, 'POST', 'user/attr', { ust, ...app, name: 'a', value: { secret: SENTINEL } }));
    expectOk(await zato(t, 'PUT', 'user/attr', { ust, ...app, data: [{ name: 'b', value: SENTINEL, encrypt: true }] }));
    expectOk(await zato(t, 'GET', 'user/attr', { ust, ...app, data: ['a', 'b'] }));
    expectOk(await zato(t, 'POST', 'session/attr', { current_ust: ust, target_ust: second, ...app, name: 's', value: SENTINEL }));
    // Refusals and failures, each quoting the sentinel somewhere in its body.
    await zato(t, 'POST', 'user/attr', { ust, ...app, name: 'a', value: SENTINEL });
    await zato(t, 'PATCH', 'user/attr', { ust, ...app, name: `missing-${SENTINEL}`.slice(0, 100), value: SENTINEL });
    await zato(t, 'POST', 'user/attr', `{"ust": "${ust}", "value": "${SENTINEL}", broken`);
    await zato(t, 'POST', 'user/login', { username: user.username, password: `${SENTINEL}-wrong`, ...app });
    await zato(t, 'POST', 'user/login', { username: SENTINEL, password: SENTINEL, ...app });
    expectOk(await zato(t, 'PATCH', 'user/password', { ust: second, ...app, old_password: PASSWORD, new_password: `${SENTINEL}-new` }));
    expectOk(await zato(t, 'POST', 'user', { ust: admin.ust, ...app, username: uniqueName(), password: `${SENTINEL}-pw`, totp_key: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', totp_label: 'x' }));
    const listed = await zato(t, 'GET', 'user/session/list', { current_ust: admin.ust, target_ust: second, ...app });
    expectOk(listed);
    await zato(t, 'POST', 'user/logout', { ust: second, ...app });

    const lines = t.logs.slice(first);
    for (const secret of [SENTINEL, ust, second, admin.ust, PASSWORD, 'JBSWY3DPEHPK3PXP']) {
      expect(lines.filter((line) => line.includes(secret))).toEqual([]);
    }
    const paths = lines.flatMap((line) => {
      const parsed = JSON.parse(line) as { msg?: string; req?: { path: string } };
      return parsed.msg === 'request' && parsed.req ? [parsed.req.path] : [];
    });
    expect(paths.filter((path) => path.startsWith('/zato/sso/')).length).toBeGreaterThanOrEqual(13);
  });
});
