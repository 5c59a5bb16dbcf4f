import { UsersService } from '../src';
import { createUser, loggedInUser, startTestApp, TestApp, uniqueName } from './support/test-app';

function expectError(res: { status: number; body: unknown }, status: number, code: string) {
  expect({ status: res.status, code: (res.body as { code?: string }).code }).toEqual({ status, code });
}

describe('user search', () => {
  let t: TestApp;
  let admin: Awaited<ReturnType<typeof loggedInUser>>;
  let prefix: string;
  let names: string[];
  let oddName: string;
  beforeAll(async () => {
    t = await startTestApp();
    admin = await loggedInUser(t, { isSuperUser: true });
    prefix = uniqueName('srch');
    // Seven users: names prefix-0 .. prefix-6; two pending, one rejected, one locked; emails and display names to match.
    names = [...Array(7).keys()].map((i) => `${prefix}-${i}`);
    const statuses = ['approved', 'pending', 'approved', 'pending', 'rejected', 'approved', 'approved'] as const;
    const users = await Promise.all(
      names.map((username, i) =>
        createUser(t, { username, approvalStatus: statuses[i], email: `${username}@${i % 2 ? 'odd' : 'even'}.example.com`, displayName: `Person ${prefix} ${i}` }),
      ),
    );
    await t.app.get(UsersService).setLocked(users[6].id, true);
    // No % in a stored name: users.e2e-spec expects none anywhere (its ?query=% finds nothing).
    oddName = (await createUser(t, { username: `${uniqueName('srch')}x_y` })).username;
  });
  afterAll(() => t.close());

  const search = (query: Record<string, string | number | boolean>) =>
    t.http().get('/users/search').query(query).set('Authorization', admin.auth);
  const usernames = (body: { users: Array<{ username: string }> }) => body.users.map((u) => u.username);

  it('pages through substring matches on the username, with total, pages and next/previous', async () => {
    const first = await search({ username: prefix.toUpperCase(), pageSize: 3 });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ total: 7, page: 1, pageSize: 3, numPages: 3, hasNextPage: true, hasPrevPage: false });
    expect(usernames(first.body)).toEqual(names.slice(0, 3));
    const last = await search({ username: prefix, pageSize: 3, page: 3 });
    expect(last.body).toMatchObject({ total: 7, page: 3, numPages: 3, hasNextPage: false, hasPrevPage: true });
    expect(usernames(last.body)).toEqual(names.slice(6));
    const beyond = await search({ username: prefix, pageSize: 3, page: 4 });
    expect(beyond.body).toMatchObject({ users: [], total: 7, hasNextPage: false, hasPrevPage: true });
    for (const user of first.body.users) expect(JSON.stringify(user)).not.toMatch(/passwordHash|argon2/);
  });

  it('defaults to pages of 50 and allows at most 500', async () => {
    expect((await search({ username: prefix })).body).toMatchObject({ pageSize: 50, numPages: 1, total: 7 });
    expect((await search({ username: prefix, pageSize: 500 })).status).toBe(200);
    expectError(await search({ username: prefix, pageSize: 501 }), 400, 'validation_failed');
    expectError(await search({ username: prefix, page: 0 }), 400, 'validation_failed');
  });

  it('matches whole fields (any case) with exact=true', async () => {
    expect(usernames((await search({ username: names[2].toUpperCase(), exact: true })).body)).toEqual([names[2]]);
    expect((await search({ username: prefix, exact: true })).body.total).toBe(0);
    expect(usernames((await search({ email: `${names[3]}@ODD.example.com`, exact: true })).body)).toEqual([names[3]]);
    expect(usernames((await search({ displayName: `person ${prefix} 4`, exact: true })).body)).toEqual([names[4]]);
    expectError(await search({ username: prefix, exact: 'maybe' }), 400, 'validation_failed');
  });

  it('matches parts of the email and display name, every criterion together', async () => {
    expect(usernames((await search({ email: `${prefix}`, displayName: 'PERSON' })).body)).toEqual(names);
    expect(usernames((await search({ username: prefix, email: '@odd.' })).body)).toEqual([names[1], names[3], names[5]]);
  });

  it('filters on approval status and lock', async () => {
    expect(usernames((await search({ username: prefix, approvalStatus: 'pending' })).body)).toEqual([names[1], names[3]]);
    expect(usernames((await search({ username: prefix, approvalStatus: 'rejected' })).body)).toEqual([names[4]]);
    expect(usernames((await search({ username: prefix, isLocked: true })).body)).toEqual([names[6]]);
    expect((await search({ username: prefix, isLocked: false })).body.total).toBe(6);
    expect((await search({ username: prefix, signUpStatus: 'before_confirmation' })).body.total).toBe(0);
    expectError(await search({ approvalStatus: 'maybe' }), 400, 'validation_failed');
    expectError(await search({ isLocked: 'yes' }), 400, 'validation_failed');
    expectError(await search({ nope: 1 }), 400, 'validation_failed');
  });

  it('takes % and _ literally in substring matches', async () => {
    expect(usernames((await search({ username: oddName.slice(0, -1) })).body)).toEqual([oddName]);
    // As wildcards, these would match the odd name and prefix-0 .. prefix-6.
    expect((await search({ username: `${oddName.slice(0, -3)}_` })).body.total).toBe(0);
    expect((await search({ username: `${prefix}-_` })).body.total).toBe(0);
    expect((await search({ username: `${prefix}%` })).body.total).toBe(0);
  });

  it('is for super-users only', async () => {
    const regular = await loggedInUser(t);
    expectError(await t.http().get('/users/search').set('Authorization', regular.auth), 403, 'forbidden');
    expectError(await t.http().get('/users/search'), 401, 'session_invalid');
  });

  it('leaves GET /users?query= as it was', async () => {
    const res = await t.http().get('/users').query({ query: prefix, pageSize: 2 }).set('Authorization', admin.auth);
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['page', 'pageSize', 'total', 'users']);
    expect(res.body).toMatchObject({ page: 1, pageSize: 2, total: 7 });
    expect(usernames(res.body)).toEqual(names.slice(0, 2));
  });

  it('searches in-process with the same criteria', async () => {
    const page = await t.app.get(UsersService).search({ username: prefix, approvalStatus: 'approved', isLocked: false, pageSize: 2, page: 2 });
    expect(page).toMatchObject({ total: 3, page: 2, pageSize: 2, numPages: 2, hasNextPage: false, hasPrevPage: true });
    expect(page.users.map((u) => u.username)).toEqual([names[5]]);
  });
});
