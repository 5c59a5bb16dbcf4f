import { LinkedAuthService } from '../src';
import { createUser, loggedInUser, startTestApp, TestApp, uniqueName } from './support/test-app';

function expectError(res: { status: number; body: unknown }, status: number, code: string) {
  expect({ status: res.status, code: (res.body as { code?: string }).code }).toEqual({ status, code });
}

const NO_SUCH_USER = '00000000-0000-4000-8000-000000000000';

describe('linked auth records', () => {
  let t: TestApp;
  let admin: Awaited<ReturnType<typeof loggedInUser>>;
  beforeAll(async () => {
    t = await startTestApp();
    admin = await loggedInUser(t, { isSuperUser: true });
  });
  afterAll(() => t.close());

  const rows = async (userId: string) =>
    (await t.pg.query('SELECT auth_type, auth_username, is_active FROM sso_linked_auth WHERE user_id = $1 ORDER BY auth_type, auth_username', [userId])).rows;
  const add = (userId: string, body: Record<string, unknown>, auth = admin.auth) =>
    t.http().post(`/users/${userId}/linked`).set('Authorization', auth).send(body);
  const remove = (userId: string, body: Record<string, unknown>, auth = admin.auth) =>
    t.http().delete(`/users/${userId}/linked`).set('Authorization', auth).send(body);
  const auditTypes = async (userId: string) =>
    (await t.pg.query("SELECT type, actor_id FROM sso_audit_event WHERE user_id = $1 AND type LIKE 'linked_auth_%' ORDER BY id", [userId])).rows;

  it('links, lists (super-user, and the user as me) and unlinks records, auditing each change', async () => {
    const user = await loggedInUser(t);
    const name = uniqueName('ext');
    const created = await add(user.user.id, { authType: 'basic_auth', authUsername: name });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ userId: user.user.id, authType: 'basic_auth', authUsername: name, isActive: true });
    expect(Math.abs(Date.parse(created.body.createdAt) - Date.now())).toBeLessThan(60_000);
    await add(user.user.id, { authType: 'jwt', authUsername: name, isActive: false }).expect(201);

    const listed = await t.http().get(`/users/${user.user.id}/linked`).set('Authorization', admin.auth);
    expect(listed.status).toBe(200);
    expect(listed.body.linked.map((l: { authType: string; isActive: boolean }) => [l.authType, l.isActive])).toEqual([['basic_auth', true], ['jwt', false]]);
    const mine = await t.http().get('/users/me/linked').set('Authorization', user.auth);
    expect(mine.body).toEqual(listed.body);

    await remove(user.user.id, { authType: 'basic_auth', authUsername: name }).expect(204);
    expect(await rows(user.user.id)).toEqual([{ auth_type: 'jwt', auth_username: name, is_active: false }]);
    expectError(await remove(user.user.id, { authType: 'basic_auth', authUsername: name }), 404, 'linked_auth_not_found');
    expect(await auditTypes(user.user.id)).toEqual([
      { type: 'linked_auth_added', actor_id: admin.user.id },
      { type: 'linked_auth_added', actor_id: admin.user.id },
      { type: 'linked_auth_removed', actor_id: admin.user.id },
    ]);
  });

  it('keeps one record per (user, type, username): a second link is linked_auth_exists and changes nothing', async () => {
    const user = await createUser(t);
    const other = await createUser(t);
    const name = uniqueName('ext');
    await add(user.id, { authType: 'jwt', authUsername: name }).expect(201);
    expectError(await add(user.id, { authType: 'jwt', authUsername: name, isActive: false }), 409, 'linked_auth_exists');
    expect(await rows(user.id)).toEqual([{ auth_type: 'jwt', auth_username: name, is_active: true }]);
    // The same external name under another type, or for another user, is another record.
    await add(user.id, { authType: 'basic_auth', authUsername: name }).expect(201);
    await add(other.id, { authType: 'jwt', authUsername: name }).expect(201);
    expect(await rows(user.id)).toHaveLength(2);
  });

  it('goes with the user when the user is deleted', async () => {
    const user = await createUser(t);
    await add(user.id, { authType: 'jwt', authUsername: uniqueName('ext') }).expect(201);
    await t.http().delete(`/users/${user.id}`).set('Authorization', admin.auth).expect(204);
    expect(await rows(user.id)).toEqual([]);
  });

  it('refuses bad input, other users and unknown users, changing nothing', async () => {
    const user = await loggedInUser(t);
    const name = uniqueName('ext');
    expectError(await add(user.user.id, { authType: 'ldap', authUsername: name }), 400, 'validation_failed');
    expectError(await add(user.user.id, { authType: 'jwt', authUsername: '' }), 400, 'validation_failed');
    expectError(await add(user.user.id, { authType: 'jwt' }), 400, 'validation_failed');
    expectError(await add(user.user.id, { authType: 'jwt', authUsername: name, isActive: null }), 400, 'validation_failed');
    expectError(await add(user.user.id, { authType: 'jwt', authUsername: name, extra: 1 }), 400, 'validation_failed');
    expectError(await add(user.user.id, { authType: 'jwt', authUsername: name }, user.auth), 403, 'forbidden');
    expectError(await add(NO_SUCH_USER, { authType: 'jwt', authUsername: name }), 404, 'user_not_found');
    expectError(await add('nope', { authType: 'jwt', authUsername: name }), 400, 'validation_failed');
    expect(await rows(user.user.id)).toEqual([]);

    await add(user.user.id, { authType: 'jwt', authUsername: name }).expect(201);
    expectError(await remove(user.user.id, { authType: 'jwt', authUsername: name }, user.auth), 403, 'forbidden');
    expectError(await remove(user.user.id, { authType: 'jwt' }), 400, 'validation_failed');
    expectError(await remove(NO_SUCH_USER, { authType: 'jwt', authUsername: name }), 404, 'user_not_found');
    expect(await rows(user.user.id)).toHaveLength(1);

    expectError(await t.http().get(`/users/${user.user.id}/linked`).set('Authorization', user.auth), 403, 'forbidden');
    expectError(await t.http().get(`/users/${NO_SUCH_USER}/linked`).set('Authorization', admin.auth), 404, 'user_not_found');
    expectError(await t.http().get('/users/me/linked'), 401, 'session_invalid');
  });

  it('works in-process through LinkedAuthService', async () => {
    const user = await createUser(t);
    const linked = t.app.get(LinkedAuthService);
    const name = uniqueName('ext');
    await linked.add(user.id, { authType: 'basic_auth', authUsername: name });
    expect((await linked.list(user.id)).map((l) => l.authUsername)).toEqual([name]);
    await expect(linked.add(user.id, { authType: 'basic_auth', authUsername: name })).rejects.toMatchObject({ code: 'linked_auth_exists' });
    await expect(linked.add(user.id, { authType: 'ldap' as 'jwt', authUsername: name })).rejects.toMatchObject({ code: 'validation_failed' });
    await linked.remove(user.id, { authType: 'basic_auth', authUsername: name });
    expect(await linked.list(user.id)).toEqual([]);
    expect(await auditTypes(user.id)).toEqual([
      { type: 'linked_auth_added', actor_id: null },
      { type: 'linked_auth_removed', actor_id: null },
    ]);
  });
});
