import { UsersService } from '../src';
import { createUser, loggedInUser, login, PASSWORD, startTestApp, TestApp, uniqueName } from './support/test-app';

function expectError(res: { status: number; body: unknown }, status: number, code: string) {
  expect({ status: res.status, code: (res.body as { code?: string }).code }).toEqual({ status, code });
}

const recent = (time: string | Date) => Math.abs(new Date(time).getTime() - Date.now()) < 60_000;

describe('approval', () => {
  let t: TestApp;
  beforeAll(async () => (t = await startTestApp()));
  afterAll(() => t.close());

  const userRow = async (id: string) => (await t.pg.query('SELECT * FROM sso_user WHERE id = $1', [id])).rows[0];
  const sessionCount = async (userId: string) =>
    Number((await t.pg.query('SELECT count(*) FROM sso_session WHERE user_id = $1', [userId])).rows[0].count);
  const logIn = (username: string, password = PASSWORD) => t.http().post('/auth/login').send({ username, password, currentApp: 'crm' });
  const auditOf = async (userId: string, type: string) =>
    (await t.pg.query('SELECT * FROM sso_audit_event WHERE user_id = $1 AND type = $2', [userId, type])).rows;

  it('gates login: pending and rejected refused with not_approved (only after the right password), approved allowed', async () => {
    const admin = await loggedInUser(t, { isSuperUser: true });
    const user = await createUser(t, { approvalStatus: 'pending' });
    expectError(await logIn(user.username), 403, 'not_approved');
    expectError(await logIn(user.username, 'wrong password'), 401, 'invalid_credentials');

    const approved = await t.http().post(`/users/${user.id}/approve`).set('Authorization', admin.auth);
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ id: user.id, approvalStatus: 'approved', approvalStatusModBy: admin.user.id });
    expect(recent(approved.body.approvalStatusModTime)).toBe(true);
    const row = await userRow(user.id);
    expect(row).toMatchObject({ approval_status: 'approved', approval_status_mod_by: admin.user.id });
    expect(recent(row.approval_status_mod_time)).toBe(true);
    expect(await auditOf(user.id, 'user_approved')).toEqual([expect.objectContaining({ actor_id: admin.user.id, outcome: 'success' })]);
    const { ust } = await login(t, user.username);

    const rejected = await t.http().post(`/users/${user.id}/reject`).set('Authorization', admin.auth);
    expect(rejected.status).toBe(200);
    expect(rejected.body).toMatchObject({ approvalStatus: 'rejected', approvalStatusModBy: admin.user.id });
    // Rejection ends the user's sessions at once.
    expect(await sessionCount(user.id)).toBe(0);
    expect((await t.http().get('/sessions/current').set('Authorization', `Bearer ${ust}`)).status).toBe(401);
    expectError(await logIn(user.username), 403, 'not_approved');
    expect(await auditOf(user.id, 'user_rejected')).toHaveLength(1);
  });

  it('lets only super-users approve or reject; a refused call changes nothing', async () => {
    const regular = await loggedInUser(t);
    const user = await createUser(t, { approvalStatus: 'pending' });
    const before = await userRow(user.id);
    for (const action of ['approve', 'reject']) {
      expectError(await t.http().post(`/users/${user.id}/${action}`).set('Authorization', regular.auth), 403, 'forbidden');
      expectError(await t.http().post(`/users/${user.id}/${action}`), 401, 'session_invalid');
    }
    expect(await userRow(user.id)).toEqual(before);
    expect(await auditOf(user.id, 'user_approved')).toHaveLength(0);
  });

  it('answers user_not_found for no such user, validation_failed for a bad id, and a super-user cannot reject themself', async () => {
    const admin = await loggedInUser(t, { isSuperUser: true });
    expectError(await t.http().post('/users/00000000-0000-4000-8000-000000000000/approve').set('Authorization', admin.auth), 404, 'user_not_found');
    expectError(await t.http().post('/users/nope/approve').set('Authorization', admin.auth), 400, 'validation_failed');
    expectError(await t.http().post(`/users/${admin.user.id}/reject`).set('Authorization', admin.auth), 403, 'forbidden');
    expect((await userRow(admin.user.id)).approval_status).toBe('approved');
  });

  it('records who created an approved user: the super-user over REST, auto in-process (the CLI)', async () => {
    const admin = await loggedInUser(t, { isSuperUser: true });
    const res = await t.http().post('/users').set('Authorization', admin.auth).send({ username: uniqueName('by-admin'), password: PASSWORD });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ approvalStatus: 'approved', approvalStatusModBy: admin.user.id, signUpStatus: 'final' });
    expect(recent(res.body.approvalStatusModTime)).toBe(true);
    const cli = await t.app.get(UsersService).create({ username: uniqueName('by-cli'), password: PASSWORD });
    expect(cli).toMatchObject({ approvalStatus: 'approved', approvalStatusModBy: 'auto', signUpStatus: 'final' });
  });

  it('records who changed approvalStatus through PATCH /users/{id}, and leaves it alone for other changes', async () => {
    const admin = await loggedInUser(t, { isSuperUser: true });
    const user = await createUser(t);
    await t.http().patch(`/users/${user.id}`).set('Authorization', admin.auth).send({ displayName: 'x' }).expect(200);
    expect((await userRow(user.id)).approval_status_mod_by).toBe('auto');
    const res = await t.http().patch(`/users/${user.id}`).set('Authorization', admin.auth).send({ approvalStatus: 'pending' });
    expect(res.body).toMatchObject({ approvalStatus: 'pending', approvalStatusModBy: admin.user.id });
    expectError(await logIn(user.username), 403, 'not_approved');
  });
});
