import { TestApp } from './support/test-app';
import { expectBadRequest, expectOk, startZatoApp, zato, zatoUser } from './support/zato';

/** What a client may send that no valid client does: every answer is a 4xx in Zato's shape, never a 500. */
describe('hostile input to the Zato routes', () => {
  let t: TestApp;
  let admin: { ust: string };
  let ust: string;
  beforeAll(async () => {
    t = await startZatoApp();
    admin = await zatoUser(t, { isSuperUser: true });
    ({ ust } = await zatoUser(t));
  });
  afterAll(() => t.close());

  const refused = (res: { status: number; body: { status?: string; result?: string } }) => {
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.body.status === 'error' || res.body.result === 'Error').toBe(true);
  };

  it('refuses bodies that are not a JSON object, or nested too deeply, with the 400 envelope', async () => {
    for (const body of ['[]', '"text"', '42', 'null', '['.repeat(1000) + ']'.repeat(1000), `{"a":${'['.repeat(100)}${']'.repeat(100)}}`]) {
      expectBadRequest(await zato(t, 'POST', 'user/attr', body));
      expectBadRequest(await zato(t, 'GET', 'user', body));
    }
  });

  it('refuses fields of the wrong type, NUL characters and unpaired surrogates without a 500', async () => {
    const calls: Array<[string, string, Record<string, unknown>]> = [
      ['POST', 'user/login', { username: 'a\u0000b', password: 'x', current_app: 'crm' }],
      ['POST', 'user/login', { username: ['a'], password: { p: 1 }, current_app: 'crm' }],
      ['POST', 'user/login', { username: 'a\ud800', password: 'x', current_app: 'crm' }],
      ['POST', 'user/login', { username: 'a', password: 'x', current_app: ['crm'] }],
      ['POST', 'user', { ust: admin.ust, current_app: 'crm', username: 'nul\u0000name', password: 'long enough password' }],
      ['POST', 'user', { ust: admin.ust, current_app: 'crm', username: 'ok-name', display_name: 'x\ud800', password: 'long enough password' }],
      ['PATCH', 'user', { ust, current_app: 'crm', display_name: 'x\u0000' }],
      ['PATCH', 'user', { ust, current_app: 'crm', email: 42 }],
      ['PATCH', 'user', { ust: admin.ust, current_app: 'crm', user_id: { $ne: 1 }, display_name: 'x' }],
      ['GET', 'user', { ust: 42, current_app: 'crm' }],
      ['POST', 'user/attr', { ust, current_app: 'crm', name: 'n\u0000', value: 1 }],
      ['POST', 'user/attr', { ust, current_app: 'crm', name: 42, value: 1 }],
      ['POST', 'user/attr', { ust, current_app: 'crm', name: 'n', value: 1, expiration: -5 }],
      ['POST', 'user/attr', { ust, current_app: 'crm', name: 'n', value: 1, expiration: 'soon' }],
      ['POST', 'user/attr', { ust, current_app: 'crm', name: 'n', value: 1, encrypt: 'maybe' }],
      ['POST', 'user/attr', { ust, current_app: 'crm', data: [null, 1, 'x'] }],
      ['POST', 'user/attr', { ust, current_app: 'crm', data: [{ name: 'd', value: 1 }, { name: 'd', value: 2 }] }],
      ['GET', 'user/attr', { ust, current_app: 'crm', data: [null, { x: 1 }] }],
      ['GET', 'user/attr/exists', { ust, current_app: 'crm', name: { x: 1 } }],
      ['DELETE', 'user/attr', { ust, current_app: 'crm', data: 'n' }],
      ['GET', 'session/attr', { current_ust: ust, target_ust: 42, current_app: 'crm', name: 'n' }],
      ['GET', 'user/search', { ust: admin.ust, current_app: 'crm', page_size: 'many', cur_page: 1e300 }],
      ['GET', 'user/search', { ust: admin.ust, current_app: 'crm', approval_status: 'maybe' }],
      ['PATCH', 'user/totp', { ust, current_app: 'crm', totp_key: 42, totp_label: 'x' }],
      ['PATCH', 'user/password', { ust: admin.ust, current_app: 'crm', user_id: 'zusr', new_password: 'long enough password' }],
      ['PATCH', 'password/reset', { token: 42, current_app: 'crm' }],
      ['PATCH', 'user/signup', { confirm_token: 'x\u0000', current_app: 'crm' }],
      ['POST', 'user/linked', { ust: admin.ust, current_app: 'crm', user_id: 'zusr', auth_type: 'basic_auth', auth_username: 'x' }],
    ];
    for (const [method, path, body] of calls) {
      const res = await zato(t, method, path, body);
      try {
        refused(res);
      } catch (error) {
        throw new Error(`${method} ${path} answered ${res.status} ${res.text}`);
      }
      expect(res.text).not.toContain('\u0000');
    }
    expectOk(await zato(t, 'GET', 'user', { ust, current_app: 'crm' }));
  });

  it('stores a value holding a NUL character as any JSON value', async () => {
    expectOk(await zato(t, 'PUT', 'user/attr', { ust, current_app: 'crm', name: 'nul', value: 'v\u0000' }));
    expect(expectOk(await zato(t, 'GET', 'user/attr', { ust, current_app: 'crm', name: 'nul' })).value).toBe('v\u0000');
  });

  it('takes __proto__ and constructor as ordinary keys', async () => {
    expectOk(await zato(t, 'PUT', 'user/attr', `{"ust":"${ust}","current_app":"crm","name":"__proto__","value":{"constructor":{"polluted":true}}}`));
    const got = expectOk(await zato(t, 'GET', 'user/attr', { ust, current_app: 'crm', name: '__proto__' }));
    expect(got.value).toEqual({ constructor: { polluted: true } });
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
  });
});
