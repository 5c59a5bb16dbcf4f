import { createUser, loggedInUser, PASSWORD, startTestApp, TestApp, uniqueName } from './support/test-app';

type Headers = Record<string, string | string[] | undefined>;

function expectSecurityHeaders(headers: Headers) {
  expect(headers['content-security-policy']).toBe("default-src 'none';frame-ancestors 'none'");
  expect(headers['x-content-type-options']).toBe('nosniff');
  expect(headers['x-frame-options']).toBe('DENY');
  expect(headers['strict-transport-security']).toMatch(/^max-age=\d+/);
  expect(headers['referrer-policy']).toBe('no-referrer');
  expect(headers['cross-origin-resource-policy']).toBe('same-origin');
  expect(headers['x-powered-by']).toBeUndefined();
  expect(headers['cache-control']).toBe('no-store');
}

describe('response headers', () => {
  let t: TestApp;
  beforeAll(async () => (t = await startTestApp()));
  afterAll(() => t.close());

  it('sends security headers and no-store with the UST of a login', async () => {
    const user = await createUser(t);
    const res = await t.http().post('/auth/login').send({ username: user.username, password: PASSWORD, currentApp: 'crm' });
    expect(res.status).toBe(201);
    expectSecurityHeaders(res.headers);
  });

  it('sends them on a refused login too', async () => {
    const res = await t.http().post('/auth/login').send({ username: uniqueName(), password: PASSWORD, currentApp: 'crm' });
    expect(res.status).toBe(401);
    expectSecurityHeaders(res.headers);
  });

  it('sends them on attribute writes and reads, on session and user views', async () => {
    const { auth } = await loggedInUser(t);
    const responses = [
      await t.http().put('/sessions/current/attrs/theme').set('Authorization', auth).send({ value: 'dark' }),
      await t.http().get('/sessions/current/attrs/theme').set('Authorization', auth),
      await t.http().get('/sessions/current/attrs').set('Authorization', auth),
      await t.http().get('/sessions/current').set('Authorization', auth),
      await t.http().get('/users/me').set('Authorization', auth),
    ];
    for (const res of responses) {
      expect(res.status).toBe(200);
      expectSecurityHeaders(res.headers);
    }
  });

  it('sends them on errors raised before any route runs, and on health and metrics', async () => {
    const responses = [
      await t.http().get('/no-such-route'),
      await t.http().post('/auth/login').set('Content-Type', 'application/json').send('{not json'),
      await t.http().get('/sessions/current').set('Authorization', 'Bearer nope'),
      await t.http().get('/health/ready'),
      await t.http().get('/metrics'),
    ];
    expect(responses.map((res) => res.status)).toEqual([404, 400, 401, 200, 200]);
    for (const res of responses) expectSecurityHeaders(res.headers);
  });
});
