import type { Test } from 'supertest';
import { createUser, loggedInUser, PASSWORD, startTestApp, TestApp, uniqueName } from './support/test-app';

type Fixture = Awaited<ReturnType<typeof fixture>>;
type Case = [label: string, send: (f: Fixture) => Test, status: number, code: string];

/** An admin, a regular user (both logged in), a bystander user, and a prefix for usernames a rejected call tried to create. */
async function fixture(t: TestApp) {
  const admin = await loggedInUser(t, { isSuperUser: true });
  const me = await loggedInUser(t);
  const target = await createUser(t);
  const mustChange = await createUser(t, { passwordMustChange: true });
  return { t, admin, me, target, mustChange, prefix: uniqueName('rejected') };
}

/**
 * The rows a rejected call could have touched. Other test files write to the same database at the same
 * time, so whole-table counts would race; this looks at every row this fixture owns or could have created.
 */
async function state(f: Fixture) {
  const ids = [f.admin.user.id, f.me.user.id, f.target.id, f.mustChange.id];
  const users = await f.t.pg.query(
    `SELECT * FROM sso_user WHERE id = ANY($1::uuid[]) OR lower(username) LIKE lower($2) || '%' ORDER BY id`,
    [ids, f.prefix],
  );
  const sessions = await f.t.pg.query(`SELECT * FROM sso_session WHERE user_id = ANY($1::uuid[]) ORDER BY id`, [ids]);
  return { users: users.rows, sessions: sessions.rows };
}

/** Sends each case against one fixture; reports every case whose answer or database state is off, not just the first. */
async function expectRejected(t: TestApp, cases: Case[]) {
  const f = await fixture(t);
  const seen = [];
  const wanted = [];
  for (const [label, send, status, code] of cases) {
    const before = await state(f);
    const res = await send(f);
    const body = res.body as Record<string, unknown>;
    seen.push({
      label,
      status: res.status,
      code: body?.code,
      shape: Object.keys(body ?? {}).sort().join(','),
      statusInBody: body?.statusCode,
      message: typeof body?.message,
      unchanged: JSON.stringify(await state(f)) === JSON.stringify(before),
    });
    wanted.push({ label, status, code, shape: 'code,message,statusCode', statusInBody: status, message: 'string', unchanged: true });
  }
  expect(seen).toEqual(wanted);
}

const json = (req: Test, raw: string) => req.set('Content-Type', 'application/json').send(raw);

describe('validation', () => {
  let t: TestApp;
  beforeAll(async () => (t = await startTestApp()));
  afterAll(() => t.close());

  const login = (body: object) => t.http().post('/auth/login').send(body);
  const valid = (f: Fixture) => ({ username: f.me.user.username, password: PASSWORD, currentApp: 'crm' });

  it('rejects bad login bodies with validation_failed and opens no session', async () => {
    await expectRejected(t, [
      ['empty object', () => login({}), 400, 'validation_failed'],
      ['missing currentApp', (f) => login({ username: f.me.user.username, password: PASSWORD }), 400, 'validation_failed'],
      ['username not a string', () => login({ username: 123, password: PASSWORD, currentApp: 'crm' }), 400, 'validation_failed'],
      ['username an array', (f) => login({ ...valid(f), username: [f.me.user.username] }), 400, 'validation_failed'],
      ['empty password', (f) => login({ ...valid(f), password: '' }), 400, 'validation_failed'],
      ['username too long', (f) => login({ ...valid(f), username: 'a'.repeat(129) }), 400, 'validation_failed'],
      ['password too long', (f) => login({ ...valid(f), password: 'a'.repeat(1025) }), 400, 'validation_failed'],
      ['newPassword not a string', (f) => login({ ...valid(f), newPassword: 5 }), 400, 'validation_failed'],
      ['unknown field with good credentials', (f) => login({ ...valid(f), isSuperUser: true }), 400, 'validation_failed'],
      ['JSON null', () => json(t.http().post('/auth/login'), 'null'), 400, 'validation_failed'],
      ['JSON array', () => json(t.http().post('/auth/login'), '[]'), 400, 'validation_failed'],
      ['JSON string', () => json(t.http().post('/auth/login'), '"hello"'), 400, 'validation_failed'],
      ['JSON number', () => json(t.http().post('/auth/login'), '42'), 400, 'validation_failed'],
      [
        'newPassword below the length policy',
        (f) => login({ username: f.mustChange.username, password: PASSWORD, currentApp: 'crm', newPassword: 'short' }),
        400,
        'validation_failed',
      ],
    ]);
  });

  it('rejects malformed JSON with invalid_json on every endpoint with a body', async () => {
    const bad = '{"username": "x", ';
    await expectRejected(t, [
      ['login', () => json(t.http().post('/auth/login'), bad), 400, 'invalid_json'],
      ['empty JSON body', () => json(t.http().post('/auth/login'), ''), 400, 'invalid_json'],
      ['verify', (f) => json(t.http().post('/sessions/verify').set('Authorization', f.admin.auth), bad), 400, 'invalid_json'],
      ['create user', (f) => json(t.http().post('/users').set('Authorization', f.admin.auth), bad), 400, 'invalid_json'],
      ['update me', (f) => json(t.http().patch('/users/me').set('Authorization', f.me.auth), bad), 400, 'invalid_json'],
      ['change password', (f) => json(t.http().put('/users/me/password').set('Authorization', f.me.auth), bad), 400, 'invalid_json'],
      ['update user', (f) => json(t.http().patch(`/users/${f.target.id}`).set('Authorization', f.admin.auth), bad), 400, 'invalid_json'],
    ]);
  });

  it('rejects a body that is not UTF-8 JSON with 415 unsupported_media_type: XML, text, a form, another charset', async () => {
    await expectRejected(t, [
      [
        'application/xml login',
        (f) => t.http().post('/auth/login').set('Content-Type', 'application/xml').send(`<login>${f.me.user.username}</login>`),
        415,
        'unsupported_media_type',
      ],
      [
        'text/plain login',
        (f) => t.http().post('/auth/login').set('Content-Type', 'text/plain').send(JSON.stringify(valid(f))),
        415,
        'unsupported_media_type',
      ],
      [
        // What `curl -d '{...}'` sends: a cross-site form could send the same.
        'form-encoded login',
        (f) => t.http().post('/auth/login').set('Content-Type', 'application/x-www-form-urlencoded').send(JSON.stringify(valid(f))),
        415,
        'unsupported_media_type',
      ],
      [
        'form-encoded attribute create',
        (f) => t.http().post('/sessions/current/attrs').set('Authorization', f.me.auth).type('form').send({ name: 'a', value: 'b' }),
        415,
        'unsupported_media_type',
      ],
      [
        'JSON declared as UTF-16',
        (f) => t.http().post('/auth/login').set('Content-Type', 'application/json; charset=utf-16').send(JSON.stringify(valid(f))),
        415,
        'unsupported_media_type',
      ],
    ]);
  });

  it('never quotes a request body in an error message, and names a missing field once as required', async () => {
    const f = await fixture(t);
    const secret = 'Sekrit-Passw0rd-Value';
    for (const type of ['application/x-www-form-urlencoded', 'text/plain', 'application/json']) {
      const body = type === 'application/json' ? `{"${secret}": 1}` : JSON.stringify({ username: f.me.user.username, password: secret });
      const res = await t.http().post('/auth/login').set('Content-Type', type).send(body);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(res.text).not.toContain(secret);
    }
    // An attribute body's unknown key is not quoted either unless it is plainly a field name.
    const odd = await t.http().put('/sessions/current/attrs/x').set('Authorization', f.me.auth).send({ value: 1, [`${secret} and more`]: 1 });
    expect({ status: odd.status, code: odd.body.code }).toEqual({ status: 400, code: 'validation_failed' });
    expect(odd.text).not.toContain(secret);
    const plain = await t.http().put('/sessions/current/attrs/x').set('Authorization', f.me.auth).send({ value: 1, valeu: 1 });
    expect(plain.body.message).toBe('body: property "valeu" should not exist');
    const missing = await t.http().post('/auth/login').send({ username: f.me.user.username, currentApp: 'crm' });
    expect(missing.status).toBe(400);
    expect(missing.body.message).toBe('password is required');
  });

  it('rejects bad verify bodies with validation_failed', async () => {
    const verify = (f: Fixture, body: object) => t.http().post('/sessions/verify').set('Authorization', f.admin.auth).send(body);
    await expectRejected(t, [
      ['missing ust', (f) => verify(f, {}), 400, 'validation_failed'],
      ['ust not a string', (f) => verify(f, { ust: 5 }), 400, 'validation_failed'],
      ['ust too long', (f) => verify(f, { ust: 'a'.repeat(513) }), 400, 'validation_failed'],
      ['unknown field', (f) => verify(f, { ust: f.me.ust, extra: 1 }), 400, 'validation_failed'],
    ]);
  });

  it('rejects bad session queries and path ids with validation_failed and revokes nothing', async () => {
    await expectRejected(t, [
      ['userId not a UUID', (f) => t.http().get('/sessions?userId=not-a-uuid').set('Authorization', f.admin.auth), 400, 'validation_failed'],
      [
        'userId twice',
        (f) => t.http().get(`/sessions?userId=${f.me.user.id}&userId=${f.me.user.id}`).set('Authorization', f.admin.auth),
        400,
        'validation_failed',
      ],
      ['unknown list parameter', (f) => t.http().get('/sessions?all=1').set('Authorization', f.me.auth), 400, 'validation_failed'],
      ['keepCurrent=yes', (f) => t.http().delete('/sessions?keepCurrent=yes').set('Authorization', f.me.auth), 400, 'validation_failed'],
      ['keepCurrent=1', (f) => t.http().delete('/sessions?keepCurrent=1').set('Authorization', f.me.auth), 400, 'validation_failed'],
      ['unknown revoke parameter', (f) => t.http().delete('/sessions?everyone=true').set('Authorization', f.me.auth), 400, 'validation_failed'],
      ['session id not a UUID', (f) => t.http().delete('/sessions/not-a-uuid').set('Authorization', f.me.auth), 400, 'validation_failed'],
      [
        'session id one digit short',
        (f) => t.http().delete(`/sessions/${f.me.session.id.slice(0, -1)}`).set('Authorization', f.me.auth),
        400,
        'validation_failed',
      ],
      ["session id with SQL", (f) => t.http().delete(`/sessions/${encodeURIComponent("' OR 1=1 --")}`).set('Authorization', f.admin.auth), 400, 'validation_failed'],
    ]);
  });

  it('rejects bad user creation bodies with validation_failed and creates nothing', async () => {
    const create = (f: Fixture, body: object) => t.http().post('/users').set('Authorization', f.admin.auth).send(body);
    const ok = (f: Fixture) => ({ username: `${f.prefix}-x`, password: 'a fine password' });
    await expectRejected(t, [
      ['empty object', (f) => create(f, {}), 400, 'validation_failed'],
      ['missing password', (f) => create(f, { username: `${f.prefix}-x` }), 400, 'validation_failed'],
      ['username with a space', (f) => create(f, { ...ok(f), username: `${f.prefix} x` }), 400, 'validation_failed'],
      ['username with a slash', (f) => create(f, { ...ok(f), username: `${f.prefix}/x` }), 400, 'validation_failed'],
      ['empty username', (f) => create(f, { ...ok(f), username: '' }), 400, 'validation_failed'],
      ['username too long', (f) => create(f, { ...ok(f), username: `${f.prefix}${'a'.repeat(128)}` }), 400, 'validation_failed'],
      ['empty password', (f) => create(f, { ...ok(f), password: '' }), 400, 'validation_failed'],
      ['password below the length policy', (f) => create(f, { ...ok(f), password: 'short' }), 400, 'validation_failed'],
      ['bad email', (f) => create(f, { ...ok(f), email: 'not-an-email' }), 400, 'validation_failed'],
      ['displayName too long', (f) => create(f, { ...ok(f), displayName: 'a'.repeat(257) }), 400, 'validation_failed'],
      ['isSuperUser not a boolean', (f) => create(f, { ...ok(f), isSuperUser: 'yes' }), 400, 'validation_failed'],
      ['unknown approvalStatus', (f) => create(f, { ...ok(f), approvalStatus: 'maybe' }), 400, 'validation_failed'],
      ['passwordExpiresAt not a date', (f) => create(f, { ...ok(f), passwordExpiresAt: 'soon' }), 400, 'validation_failed'],
      ['passwordMustChange not a boolean', (f) => create(f, { ...ok(f), passwordMustChange: 1 }), 400, 'validation_failed'],
      ['unknown field', (f) => create(f, { ...ok(f), role: 'admin' }), 400, 'validation_failed'],
      ['isLocked is not settable', (f) => create(f, { ...ok(f), isLocked: true }), 400, 'validation_failed'],
    ]);
  });

  it('rejects bad profile and password bodies with validation_failed and changes nothing', async () => {
    const patchMe = (f: Fixture, body: object) => t.http().patch('/users/me').set('Authorization', f.me.auth).send(body);
    const putPassword = (f: Fixture, body: object) => t.http().put('/users/me/password').set('Authorization', f.me.auth).send(body);
    await expectRejected(t, [
      ['bad email', (f) => patchMe(f, { email: 'nope' }), 400, 'validation_failed'],
      ['displayName not a string', (f) => patchMe(f, { displayName: 5 }), 400, 'validation_failed'],
      ['isSuperUser on me', (f) => patchMe(f, { isSuperUser: true }), 400, 'validation_failed'],
      ['unknown profile field', (f) => patchMe(f, { nickname: 'x', displayName: 'ok' }), 400, 'validation_failed'],
      ['empty password body', (f) => putPassword(f, {}), 400, 'validation_failed'],
      ['missing newPassword', (f) => putPassword(f, { oldPassword: PASSWORD }), 400, 'validation_failed'],
      ['newPassword below the length policy', (f) => putPassword(f, { oldPassword: PASSWORD, newPassword: 'short' }), 400, 'validation_failed'],
      [
        'unknown password field',
        (f) => putPassword(f, { oldPassword: PASSWORD, newPassword: 'a fine password', userId: f.target.id }),
        400,
        'validation_failed',
      ],
      ['wrong oldPassword', (f) => putPassword(f, { oldPassword: 'not it at all', newPassword: 'a fine password' }), 401, 'invalid_credentials'],
    ]);
  });

  it('rejects non-UUID user ids and bad admin bodies with validation_failed and changes nothing', async () => {
    const as = (f: Fixture, req: Test) => req.set('Authorization', f.admin.auth);
    const patchUser = (f: Fixture, body: object) => as(f, t.http().patch(`/users/${f.target.id}`)).send(body);
    await expectRejected(t, [
      ['GET /users/{bad}', (f) => as(f, t.http().get('/users/not-a-uuid')), 400, 'validation_failed'],
      ['PATCH /users/{bad}', (f) => as(f, t.http().patch('/users/not-a-uuid')).send({ displayName: 'x' }), 400, 'validation_failed'],
      ['DELETE /users/{bad}', (f) => as(f, t.http().delete('/users/12345')), 400, 'validation_failed'],
      ['POST /users/{bad}/lock', (f) => as(f, t.http().post('/users/not-a-uuid/lock')), 400, 'validation_failed'],
      ['DELETE /users/{bad}/lock', (f) => as(f, t.http().delete('/users/not-a-uuid/lock')), 400, 'validation_failed'],
      ['unknown approvalStatus', (f) => patchUser(f, { approvalStatus: 'maybe' }), 400, 'validation_failed'],
      ['bad username', (f) => patchUser(f, { username: 'two words' }), 400, 'validation_failed'],
      ['passwordExpiresAt not a date', (f) => patchUser(f, { passwordExpiresAt: 'soon' }), 400, 'validation_failed'],
      ['isLocked through PATCH', (f) => patchUser(f, { isLocked: true }), 400, 'validation_failed'],
      ['password through PATCH', (f) => patchUser(f, { password: 'a fine password' }), 400, 'validation_failed'],
      ['passwordHash through PATCH', (f) => patchUser(f, { passwordHash: '$argon2id$x' }), 400, 'validation_failed'],
      ['id through PATCH', (f) => patchUser(f, { id: f.admin.user.id }), 400, 'validation_failed'],
    ]);
  });

  it('rejects bad user list queries with validation_failed', async () => {
    const list = (f: Fixture, query: string) => t.http().get(`/users?${query}`).set('Authorization', f.admin.auth);
    await expectRejected(t, [
      ['page=0', (f) => list(f, 'page=0'), 400, 'validation_failed'],
      ['page=abc', (f) => list(f, 'page=abc'), 400, 'validation_failed'],
      ['page=1.5', (f) => list(f, 'page=1.5'), 400, 'validation_failed'],
      ['page twice', (f) => list(f, 'page=1&page=2'), 400, 'validation_failed'],
      ['pageSize=0', (f) => list(f, 'pageSize=0'), 400, 'validation_failed'],
      ['pageSize=101', (f) => list(f, 'pageSize=101'), 400, 'validation_failed'],
      ['pageSize=-1', (f) => list(f, 'pageSize=-1'), 400, 'validation_failed'],
      ['query too long', (f) => list(f, `query=${'a'.repeat(129)}`), 400, 'validation_failed'],
      ['unknown parameter', (f) => list(f, 'sort=password_hash'), 400, 'validation_failed'],
    ]);
  });

  // PostgreSQL text cannot hold U+0000 and timestamptz stops at 4713 BC: both must be caught before the database.
  it('rejects a NUL character in a text field or an out-of-range date with validation_failed, never 500', async () => {
    await expectRejected(t, [
      ['NUL in login username', (f) => login({ ...valid(f), username: `${f.me.user.username}\u0000` }), 400, 'validation_failed'],
      ['NUL in my displayName', (f) => t.http().patch('/users/me').set('Authorization', f.me.auth).send({ displayName: 'a\u0000b' }), 400, 'validation_failed'],
      [
        'NUL in a new user displayName',
        (f) =>
          t.http().post('/users').set('Authorization', f.admin.auth).send({ username: `${f.prefix}-nul`, password: 'a fine password', displayName: 'a\u0000b' }),
        400,
        'validation_failed',
      ],
      ['NUL in the user list query', (f) => t.http().get('/users?query=%00').set('Authorization', f.admin.auth), 400, 'validation_failed'],
      [
        'passwordExpiresAt before 4713 BC',
        (f) => t.http().patch(`/users/${f.target.id}`).set('Authorization', f.admin.auth).send({ passwordExpiresAt: '-271821-04-20T00:00:00.000Z' }),
        400,
        'validation_failed',
      ],
    ]);
  });

  it('answers an unknown route with not_found in the same error shape', async () => {
    await expectRejected(t, [
      ['GET /nope', () => t.http().get('/nope'), 404, 'not_found'],
      ['PUT /sessions/current', (f) => t.http().put('/sessions/current').set('Authorization', f.me.auth), 404, 'not_found'],
    ]);
  });

  it('never answers 500 to prototype-pollution keys, and grants nothing through them', async () => {
    const f = await fixture(t);
    const before = await state(f);
    const bodies = [
      `{"__proto__": {"isSuperUser": true}, "displayName": "x"}`,
      `{"constructor": {"prototype": {"isSuperUser": true}}, "displayName": "x"}`,
    ];
    for (const raw of bodies) {
      const res = await json(t.http().patch('/users/me').set('Authorization', f.me.auth), raw);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(['invalid_json', 'validation_failed']).toContain(res.body.code);
      expect(Object.keys(res.body).sort()).toEqual(['code', 'message', 'statusCode']);
    }
    expect(await state(f)).toEqual(before);
    const me = await t.http().get('/users/me').set('Authorization', f.me.auth);
    expect(me.body.isSuperUser).toBe(false);
  });

  describe('with BODY_LIMIT_BYTES 2048', () => {
    let small: TestApp;
    beforeAll(async () => (small = await startTestApp({ BODY_LIMIT_BYTES: '2048' })));
    afterAll(() => small.close());

    it('answers a body over the limit with 413 payload_too_large and writes nothing', async () => {
      await expectRejected(small, [
        [
          'login',
          (f) => small.http().post('/auth/login').send({ ...valid(f), currentApp: 'c'.repeat(3000) }),
          413,
          'payload_too_large',
        ],
        [
          'create user',
          (f) =>
            small
              .http()
              .post('/users')
              .set('Authorization', f.admin.auth)
              .send({ username: `${f.prefix}-big`, password: 'a fine password', displayName: 'd'.repeat(3000) }),
          413,
          'payload_too_large',
        ],
        [
          'update me',
          (f) => small.http().patch('/users/me').set('Authorization', f.me.auth).send({ displayName: 'd'.repeat(3000) }),
          413,
          'payload_too_large',
        ],
      ]);
    });

    it('accepts a body under the limit', async () => {
      const { auth } = await loggedInUser(small);
      const res = await small.http().patch('/users/me').set('Authorization', auth).send({ displayName: 'd'.repeat(200) });
      expect(res.status).toBe(200);
    });
  });
});
