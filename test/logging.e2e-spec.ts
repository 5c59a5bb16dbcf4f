import { createUser, loggedInUser, startTestApp, TestApp, uniqueName } from './support/test-app';

describe('logging', () => {
  let t: TestApp;
  beforeAll(async () => (t = await startTestApp({ LOG_LEVEL: 'trace' })));
  afterAll(() => t.close());

  it('never writes a UST, a password, the Authorization header or a request body to the log', async () => {
    const sentinel = (what: string) => `${what}-${uniqueName('SENTINEL')}`;
    const loginPassword = sentinel('login-password');
    const newPassword = sentinel('new-password');
    const wrongPassword = sentinel('wrong-password');
    const unknownFieldValue = sentinel('unknown-field');
    const malformedValue = sentinel('malformed');
    const displayName = sentinel('display-name');
    const nulValue = sentinel('nul-value');

    const admin = await loggedInUser(t, { isSuperUser: true });
    const user = await createUser(t, { password: loginPassword });
    const logsBefore = t.logs.length;

    const login = await t.http().post('/auth/login').send({ username: user.username, password: loginPassword, currentApp: 'crm' });
    expect(login.status).toBe(201);
    const ust: string = login.body.ust;
    const auth = `Bearer ${ust}`;

    expect((await t.http().get('/sessions/current').set('Authorization', auth)).status).toBe(200);
    expect((await t.http().get(`/sessions?userId=${login.body.session.userId}`).set('Authorization', auth)).status).toBe(200);
    expect((await t.http().patch('/users/me').set('Authorization', auth).send({ displayName })).status).toBe(200);
    expect((await t.http().post('/sessions/current/renew').set('Authorization', auth)).status).toBe(200);
    const change = await t.http().put('/users/me/password').set('Authorization', auth).send({ oldPassword: loginPassword, newPassword });
    expect(change.status).toBe(204);
    const wrongChange = await t
      .http()
      .put('/users/me/password')
      .set('Authorization', auth)
      .send({ oldPassword: wrongPassword, newPassword: `${newPassword}-again` });
    expect(wrongChange.status).toBe(401);

    const failed = await t.http().post('/auth/login').send({ username: user.username, password: wrongPassword, currentApp: 'crm' });
    expect(failed.status).toBe(401);
    const verify = await t.http().post('/sessions/verify').set('Authorization', admin.auth).send({ ust });
    expect(verify.body).toEqual({ valid: true });

    const unknownField = await t.http().patch('/users/me').set('Authorization', auth).send({ displayName: 'ok', secret: unknownFieldValue });
    expect(unknownField.status).toBe(400);
    const malformed = await t
      .http()
      .post('/auth/login')
      .set('Content-Type', 'application/json')
      .send(`{"username": "${user.username}", "password": "${malformedValue}", `);
    expect(malformed.status).toBe(400);
    // A value the database refuses (U+0000 in text) must not reach the error log either, whatever the status.
    await t.http().patch('/users/me').set('Authorization', auth).send({ displayName: `${nulValue}\u0000` });
    const wrongApp = await t.http().get('/users/me').set('Authorization', auth).set('X-Current-App', 'payroll');
    expect(wrongApp.status).toBe(403);
    expect((await t.http().post('/auth/logout').set('Authorization', auth)).status).toBe(204);
    expect((await t.http().get('/sessions/current').set('Authorization', auth)).status).toBe(401);

    const lines = t.logs.slice(logsBefore);
    const secrets = {
      ust,
      authorizationHeader: auth,
      loginPassword,
      newPassword,
      wrongPassword,
      unknownFieldValue,
      malformedValue,
      displayName,
      nulValue,
      adminUst: admin.ust,
    };
    const leaks = Object.entries(secrets).flatMap(([name, secret]) =>
      lines.filter((line) => line.includes(secret)).map((line) => `${name}: ${line}`),
    );
    expect(leaks).toEqual([]);
    expect(lines.filter((line) => /authorization|bearer/i.test(line))).toEqual([]);
    expect(lines.filter((line) => /SENTINEL/i.test(line))).toEqual([]);

    // One JSON line per request, with method, path and status.
    const requests = lines.map((line) => JSON.parse(line)).filter((entry) => entry.req && typeof entry.status === 'number');
    expect(requests.length).toBeGreaterThanOrEqual(14);
    expect(requests).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ req: { method: 'POST', path: '/auth/login' }, status: 201 }),
        expect.objectContaining({ req: { method: 'POST', path: '/auth/login' }, status: 401 }),
        expect.objectContaining({ req: { method: 'PUT', path: '/users/me/password' }, status: 204 }),
        expect.objectContaining({ req: { method: 'POST', path: '/sessions/verify' }, status: 200 }),
        expect.objectContaining({ req: { method: 'PATCH', path: '/users/me' }, status: 400 }),
        expect.objectContaining({ req: { method: 'POST', path: '/auth/logout' }, status: 204 }),
      ]),
    );
    // The query string is left out of the logged path.
    expect(requests.some((entry) => entry.req.path === '/sessions' && entry.status === 200)).toBe(true);
    expect(lines.some((line) => line.includes('userId='))).toBe(false);
    // Authenticated requests name the session by its public id, not by its UST.
    expect(requests.some((entry) => entry.sessionId === login.body.session.id)).toBe(true);
  });
});
